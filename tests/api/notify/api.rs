//! The administrator's view: the configured targets with their ARNs, a bucket's rules read back
//! as they were stored (ids given), and every malformed configuration refused with the reason.

use serde_json::{Value, json};
use testkit::WebhookReceiver;

use super::{ARN, hooked, notify_toml, put_rules, set_rules};
use crate::helpers::{Backend, Sessions, spawn_app_on_with};

/// The configured targets, listed to administrators only: the ARN a rule names, the type,
/// whether the webhook signs, where it posts.
#[tokio::test]
async fn targets_are_listed_with_their_arns_to_administrators_only() {
    let receiver = WebhookReceiver::start();
    let plain = format!(
        "[notify.targets.plain]\ntype = \"webhook\"\nendpoint = \"{}\"\n",
        receiver.url("/plain")
    );
    let app = spawn_app_on_with(
        Backend::Fs,
        Sessions::Embedded,
        &notify_toml(&receiver, "", &plain),
    )
    .await;
    let admin = app.admin().await;
    let listed = app.get_auth("/api/v1/notify/targets", &admin.access).await;
    listed.assert_ok(200);
    let items = listed.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", listed.body);
    let by_id = |id: &str| {
        items
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("no target {id}: {}", listed.body))
    };
    let hook = by_id("hook");
    assert_eq!(hook["arn"], ARN);
    assert_eq!(hook["type"], "webhook");
    assert_eq!(hook["signed"], true);
    assert_eq!(hook["endpoint"], receiver.url("/events"));
    assert_eq!(hook["queued"], 0, "{}", listed.body);
    let plain = by_id("plain");
    assert_eq!(plain["arn"], "arn:minio:sqs::plain:webhook");
    assert_eq!(plain["signed"], false);
    assert!(
        !listed.body.to_string().contains(&super::secret()),
        "the secret is never shown: {}",
        listed.body
    );

    let user = app.user().await;
    app.get_auth("/api/v1/notify/targets", &user.access)
        .await
        .assert_error(403, "admin_required");
    let anonymous = app.get("/api/v1/notify/targets").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
}

/// A configuration is stored as given, with ids for the rules that had none, reads back the
/// same, and `{rules: []}` clears it.
#[tokio::test]
async fn bucket_rules_round_trip_with_ids_given() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let (app, admin) = (&h.app, &h.admin.access);
    let empty = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    empty.assert_ok(200);
    assert_eq!(empty.data()["rules"], json!([]), "{}", empty.body);

    let stored = set_rules(
        app,
        admin,
        "images",
        json!([
            {"events": ["s3:ObjectCreated:*"], "prefix": "a/", "suffix": ".png", "target": ARN},
            {"events": ["s3:ObjectRemoved:Delete", "s3:ObjectCreated:Put"], "target": ARN},
            {"id": "mine", "events": ["s3:ObjectRemoved:*"], "prefix": "logs/", "target": ARN},
        ]),
    )
    .await;
    let rules = stored.as_array().unwrap();
    assert_eq!(rules.len(), 3, "{stored}");
    assert_eq!(rules[0]["id"], "rule-1", "{stored}");
    assert_eq!(rules[0]["events"], json!(["s3:ObjectCreated:*"]));
    assert_eq!(rules[0]["prefix"], "a/");
    assert_eq!(rules[0]["suffix"], ".png");
    assert_eq!(rules[0]["target"], ARN);
    assert!(
        rules[1]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty() && id != "rule-1"),
        "{stored}"
    );
    assert_eq!(
        rules[1]["events"],
        json!(["s3:ObjectRemoved:Delete", "s3:ObjectCreated:Put"])
    );
    assert_eq!(rules[1]["prefix"], "");
    assert_eq!(rules[1]["suffix"], "");
    assert_eq!(rules[2]["id"], "mine");

    let read = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    read.assert_ok(200);
    assert_eq!(read.data()["rules"], stored);
    // Each bucket has its own.
    let files = app
        .get_auth("/api/v1/buckets/files/notifications", admin)
        .await;
    assert_eq!(files.data()["rules"], json!([]), "{}", files.body);

    // Stored again as read: unchanged.
    assert_eq!(
        set_rules(app, admin, "images", stored.clone()).await,
        stored
    );
    assert_eq!(set_rules(app, admin, "images", json!([])).await, json!([]));
    let cleared = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    assert_eq!(cleared.data()["rules"], json!([]), "{}", cleared.body);
}

/// Whatever cannot work is refused with 400 `invalid_notification` naming the rule, and the
/// stored configuration stays as it was.
#[tokio::test]
async fn malformed_configurations_are_refused_and_change_nothing() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let (app, admin) = (&h.app, &h.admin.access);
    let good = set_rules(app, admin, "images", json!([super::every_change()])).await;

    let refused: [(&str, Value); 7] = [
        (
            "an unknown event",
            json!({"id": "bad-one", "events": ["s3:ObjectCreated:Nope"], "target": ARN}),
        ),
        (
            "not an event",
            json!({"id": "bad-one", "events": ["created"], "target": ARN}),
        ),
        (
            "no events",
            json!({"id": "bad-one", "events": [], "target": ARN}),
        ),
        (
            "a target not configured",
            json!({"id": "bad-one", "events": ["s3:ObjectCreated:*"], "target": "arn:minio:sqs::nope:webhook"}),
        ),
        (
            "a malformed ARN",
            json!({"id": "bad-one", "events": ["s3:ObjectCreated:*"], "target": "hook"}),
        ),
        (
            "a topic ARN",
            json!({"id": "bad-one", "events": ["s3:ObjectCreated:*"], "target": "arn:minio:sns::hook:webhook"}),
        ),
        (
            "access events while notify.access_events is off",
            json!({"id": "bad-one", "events": ["s3:ObjectAccessed:Get"], "target": ARN}),
        ),
    ];
    for (what, rule) in refused {
        let answer = put_rules(app, admin, "images", json!([super::every_change(), rule])).await;
        answer.assert_error(400, "invalid_notification");
        let msg = answer.body["msg"].as_str().unwrap_or_default();
        assert!(
            msg.contains("bad-one"),
            "{what}: the message names the rule: {msg}"
        );
    }
    let duplicate = put_rules(
        app,
        admin,
        "images",
        json!([
            {"id": "twice", "events": ["s3:ObjectCreated:*"], "target": ARN},
            {"id": "twice", "events": ["s3:ObjectRemoved:*"], "target": ARN},
        ]),
    )
    .await;
    duplicate.assert_error(400, "invalid_notification");
    // Not a configuration at all.
    let res = app
        .client
        .put(app.url("/api/v1/buckets/images/notifications"))
        .bearer_auth(admin)
        .json(&json!({"rules": [{"events": "s3:ObjectCreated:*"}]}))
        .send()
        .await
        .unwrap();
    let malformed = crate::helpers::Answer::from(res).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);

    let read = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    assert_eq!(read.data()["rules"], good, "refusals change nothing");
}

/// With `notify.access_events` on, read events may be asked for.
#[tokio::test]
async fn access_events_may_be_asked_for_once_enabled() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "access_events = true").await;
    let stored = set_rules(
        &h.app,
        &h.admin.access,
        "images",
        json!([{"events": ["s3:ObjectAccessed:*"], "target": ARN}]),
    )
    .await;
    assert_eq!(stored[0]["events"], json!(["s3:ObjectAccessed:*"]));
}

/// Only administrators read or change rules; an unknown bucket is 404.
#[tokio::test]
async fn rules_are_for_administrators_of_existing_buckets() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let (app, admin) = (&h.app, &h.admin.access);
    let user = h.app.user().await;
    put_rules(app, &user.access, "images", json!([super::every_change()]))
        .await
        .assert_error(403, "admin_required");
    app.get_auth("/api/v1/buckets/images/notifications", &user.access)
        .await
        .assert_error(403, "admin_required");
    let anonymous = app.get("/api/v1/buckets/images/notifications").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    put_rules(app, admin, "nope", json!([super::every_change()]))
        .await
        .assert_error(404, "bucket_not_found");
    app.get_auth("/api/v1/buckets/nope/notifications", admin)
        .await
        .assert_error(404, "bucket_not_found");
    let read = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    assert_eq!(read.data()["rules"], json!([]), "{}", read.body);
}
