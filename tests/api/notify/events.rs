//! What each change sends: a multipart upload is `s3:ObjectCreated:Post`, a raw `PUT` (and a
//! replace) `…:Put`, every delete `s3:ObjectRemoved:Delete` (a batch: one per deleted key); the
//! body is MinIO's webhook body with the object as stored (size, ETag as the upload answered it,
//! type), the key escaped as MinIO escapes it, and who did it from which client. Rules pick
//! events by name, prefix and suffix; without a rule nothing is sent.

use std::collections::BTreeSet;

use reqwest::multipart::{Form, Part};
use rstest::rstest;
use serde_json::{Value, json};

use super::{
    ARN, Delivered, Hooked, assert_nothing_sent, bare_etag, delete, every_change, hooked,
    query_escape, set_rules, wait_drained, wait_events,
};
use crate::helpers::{Answer, Backend, PNG, Sessions, TestApp};

const POST: &str = "s3:ObjectCreated:Post";
const PUT: &str = "s3:ObjectCreated:Put";
const DELETE: &str = "s3:ObjectRemoved:Delete";

/// A multipart upload of `name` under `folder` (a form field before the file), with
/// `X-Client: <client>` when given.
async fn upload_in(
    app: &TestApp,
    token: &str,
    bucket: &str,
    folder: &str,
    name: &str,
    client: Option<&str>,
) -> Answer {
    let form = Form::new()
        .text("folder", folder.to_owned())
        .part("file", Part::bytes(PNG.to_vec()).file_name(name.to_owned()));
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/buckets/{bucket}/objects")))
        .bearer_auth(token)
        .multipart(form);
    if let Some(client) = client {
        req = req.header("x-client", client);
    }
    Answer::from(req.send().await.unwrap()).await
}

/// The checks every record passes: its name, where, by whom, from which client, for rule
/// `rule-1`.
#[track_caller]
fn assert_record(event: &Delivered, name: &str, bucket: &str, key: &str, user: &str) {
    let r = &event.record;
    assert_eq!(event.name, name, "{r}");
    assert_eq!(r["eventName"], name, "{r}");
    assert_eq!(event.key, format!("{bucket}/{key}"), "{r}");
    assert_eq!(r["eventVersion"], "2.0", "{r}");
    assert_eq!(r["eventSource"], "minio:s3", "{r}");
    assert!(
        r["eventTime"]
            .as_str()
            .is_some_and(|t| t.contains('T') && t.ends_with('Z')),
        "{r}"
    );
    assert_eq!(r["userIdentity"]["principalId"], user, "{r}");
    assert_eq!(r["s3"]["configurationId"], "rule-1", "{r}");
    assert_eq!(r["s3"]["bucket"]["name"], bucket, "{r}");
    assert_eq!(
        r["s3"]["bucket"]["arn"],
        format!("arn:aws:s3:::{bucket}"),
        "{r}"
    );
    assert_eq!(r["s3"]["object"]["key"], query_escape(key), "{r}");
    event.sequencer();
    assert_eq!(r["picgate"]["eventId"], event.id, "webhook-id: {r}");
}

/// A created record also carries the object as the upload answered it.
#[track_caller]
fn assert_created(event: &Delivered, answer: &Answer, user: &str) {
    let object = &event.record["s3"]["object"];
    assert_eq!(object["size"], PNG.len(), "{object}");
    assert_eq!(object["eTag"], bare_etag(answer), "{object}");
    assert_eq!(object["contentType"], "image/png", "{object}");
    assert_eq!(event.record["picgate"]["owner"], user, "{}", event.record);
    assert_eq!(event.record["picgate"]["client"], "pc", "{}", event.record);
    let request_id = answer.headers["x-request-id"].to_str().unwrap();
    assert_eq!(
        event.record["picgate"]["requestId"], request_id,
        "the upload's request id: {}",
        event.record
    );
    assert_eq!(
        event.record["responseElements"]["x-amz-request-id"], request_id,
        "{}",
        event.record
    );
}

/// A removal names the key only.
#[track_caller]
fn assert_removed(event: &Delivered) {
    let object = event.record["s3"]["object"].as_object().unwrap();
    let fields: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        BTreeSet::from(["key", "sequencer"]),
        "{}",
        event.record
    );
}

/// The events for `bucket/key`, in delivery order.
fn of_key<'a>(events: &'a [Delivered], bucket: &str, key: &str) -> Vec<&'a Delivered> {
    let full = format!("{bucket}/{key}");
    events.iter().filter(|e| e.key == full).collect()
}

#[rstest]
#[tokio::test]
async fn every_change_sends_its_event_as_minio_would(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let Hooked {
        app,
        receiver,
        admin,
    } = hooked(backend, Sessions::Redis, "").await;
    set_rules(&app, &admin.access, "images", json!([every_change()])).await;
    let user = app.user().await;
    let uid = app.user_id(&user.access).await;
    let token = &user.access;

    let posted = upload_in(&app, token, "images", "a b", "up.png", None).await;
    posted.assert_ok(201);
    assert_eq!(posted.data()["key"], "a b/up.png");
    let odd = "a b/中 c.png";
    let put = app.put(token, "images", odd, PNG.to_vec()).await;
    put.assert_ok(201);
    assert_eq!(put.data()["key"], odd);
    let replaced = app.put(token, "images", odd, PNG.to_vec()).await;
    replaced.assert_ok(201);
    delete(&app, token, "images", odd).await.assert_ok(200);
    let x1 = app.upload(token, "images", "x1.png", PNG.to_vec()).await;
    x1.assert_ok(201);
    let x2 = app.upload(token, "images", "x2.png", PNG.to_vec()).await;
    x2.assert_ok(201);
    let batch = app
        .post_json(
            "/api/v1/buckets/images/delete",
            &json!({"keys": ["x1.png", "missing.png", "x2.png", "../bad"]}),
            Some(token),
        )
        .await;
    batch.assert_ok(200);

    wait_events(&receiver, 8).await;
    wait_drained(&app, &admin.access).await;
    let events = super::delivered(&receiver.requests());
    assert_eq!(events.len(), 8, "{events:#?}");

    let up = of_key(&events, "images", "a b/up.png");
    assert_eq!(up.len(), 1, "{up:#?}");
    assert_record(up[0], POST, "images", "a b/up.png", &uid);
    assert_eq!(up[0].record["s3"]["object"]["key"], "a+b%2Fup.png");
    assert_created(up[0], &posted, &uid);

    let odd_events = of_key(&events, "images", odd);
    let names: Vec<&str> = odd_events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [PUT, PUT, DELETE], "in the order they happened");
    assert_eq!(
        odd_events[0].record["s3"]["object"]["key"],
        "a+b%2F%E4%B8%AD+c.png"
    );
    for (event, answer) in odd_events.iter().zip([&put, &replaced]) {
        assert_record(event, PUT, "images", odd, &uid);
        assert_created(event, answer, &uid);
    }
    assert_record(odd_events[2], DELETE, "images", odd, &uid);
    assert_removed(odd_events[2]);
    let sequencers: Vec<u128> = odd_events.iter().map(|e| e.sequencer()).collect();
    assert!(
        sequencers.windows(2).all(|w| w[0] < w[1]),
        "sequencers grow: {sequencers:?}"
    );
    assert_ne!(
        odd_events[0].id, odd_events[1].id,
        "a replace is a new event"
    );

    for (key, answer) in [("x1.png", &x1), ("x2.png", &x2)] {
        let names: Vec<&str> = of_key(&events, "images", key)
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(names, [POST, DELETE], "{key}: {events:#?}");
        let created = of_key(&events, "images", key)[0];
        assert_record(created, POST, "images", key, &uid);
        assert_created(created, answer, &uid);
        let removed = of_key(&events, "images", key)[1];
        assert_record(removed, DELETE, "images", key, &uid);
        assert_removed(removed);
    }
    assert!(
        of_key(&events, "images", "missing.png").is_empty(),
        "a key that was not deleted sends nothing"
    );
    let ids: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "each event has its own id");
}

/// The client profile of the request is in `picgate.client`.
#[tokio::test]
async fn the_client_of_the_request_is_named() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    set_rules(&h.app, &h.admin.access, "images", json!([every_change()])).await;
    let user = h.app.user().await;
    upload_in(&h.app, &user.access, "images", "m", "phone.png", Some("h5"))
        .await
        .assert_ok(201);
    upload_in(&h.app, &user.access, "images", "m", "desk.png", Some("pc"))
        .await
        .assert_ok(201);
    let events = wait_events(&h.receiver, 2).await;
    let client_of = |key: &str| {
        events
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.record["picgate"]["client"].clone())
            .unwrap_or_else(|| panic!("no event for {key}: {events:#?}"))
    };
    assert_eq!(client_of("images/m/phone.png"), "h5");
    assert_eq!(client_of("images/m/desk.png"), "pc");
}

/// An upload tool's upload (Lsky, as PicList sends it; ShareX) is a `Post`; its delete (Lsky's
/// delete route; a deletion link) a `Delete` of the same key.
#[tokio::test]
async fn tool_uploads_and_deletes_send_events_too() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    set_rules(&h.app, &h.admin.access, "images", json!([every_change()])).await;
    let user = h.app.user().await;
    let uid = h.app.user_id(&user.access).await;
    let token = h
        .app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": "PicList", "scopes": ["upload", "delete"]}),
            Some(&user.access),
        )
        .await;
    token.assert_ok(201);
    let token = token.data()["token"].as_str().unwrap().to_owned();
    let part = Part::bytes(PNG.to_vec())
        .file_name("shot.png")
        .mime_str("image/png")
        .unwrap();
    let res = h
        .app
        .client
        .post(h.app.url("/api/v1/upload"))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .multipart(Form::new().part("file", part).text("ssl", "true"))
        .send()
        .await
        .unwrap();
    let uploaded = Answer::from(res).await;
    assert_eq!(uploaded.body["status"], true, "{}", uploaded.body);
    let key = uploaded.data()["key"].as_str().unwrap().to_owned();
    let created = wait_events(&h.receiver, 1).await;
    assert_eq!(created[0].name, POST, "{:#?}", created[0]);
    assert!(created[0].key.starts_with("images/"), "{:#?}", created[0]);
    assert_eq!(created[0].record["picgate"]["owner"], uid);

    let res = h
        .app
        .client
        .delete(h.app.url(&format!("/api/v1/images/{key}")))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let deleted = Answer::from(res).await;
    assert_eq!(deleted.body["status"], true, "{}", deleted.body);
    let events = wait_events(&h.receiver, 2).await;
    assert_eq!(events[1].name, DELETE, "{:#?}", events[1]);
    assert_eq!(events[1].key, created[0].key);

    // The tools' upload route, then the deletion link it answered, opened by nobody signed in.
    let part = Part::bytes(PNG.to_vec())
        .file_name("ShareX_abc.png")
        .mime_str("image/png")
        .unwrap();
    let res = h
        .app
        .client
        .post(h.app.url("/api/v1/tools/upload"))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let uploaded = Answer::from(res).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let deletion = uploaded.data()["delete_url"].as_str().unwrap().to_owned();
    let events = wait_events(&h.receiver, 3).await;
    assert_eq!(events[2].name, POST, "{:#?}", events[2]);
    let origin = reqwest::Url::parse(&deletion)
        .unwrap()
        .origin()
        .ascii_serialization();
    let res = reqwest::Client::new()
        .post(&deletion)
        .header("origin", origin)
        .header("user-agent", "deleting browser")
        .header("x-request-id", "deletion-by-link-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let events = wait_events(&h.receiver, 4).await;
    assert_eq!(events[3].name, DELETE, "{:#?}", events[3]);
    assert_eq!(events[3].key, events[2].key);
    let record = &events[3].record;
    assert_eq!(record["picgate"]["owner"], uid, "{record}");
    // The link is the permission, so no user is named; the request still is.
    assert_eq!(record["userIdentity"]["principalId"], "", "{record}");
    assert_eq!(
        record["requestParameters"]["sourceIPAddress"], "127.0.0.1",
        "{record}"
    );
    assert_eq!(
        record["source"]["userAgent"], "deleting browser",
        "{record}"
    );
    assert_eq!(
        record["picgate"]["requestId"], "deletion-by-link-1",
        "{record}"
    );
    assert_eq!(
        record["responseElements"]["x-amz-request-id"], "deletion-by-link-1",
        "{record}"
    );
}

/// A rule with a prefix and a suffix sends only the keys that start and end so.
#[tokio::test]
async fn prefix_and_suffix_pick_the_keys() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    set_rules(
        &h.app,
        &h.admin.access,
        "files",
        json!([{"events": ["s3:ObjectCreated:*"], "prefix": "a/", "suffix": ".png", "target": ARN}]),
    )
    .await;
    let user = h.app.user().await;
    for key in [
        "a/yes.png",
        "b/no.png",
        "a/no.txt",
        "ab/no.png",
        "a/no.png.txt",
        "a/deep/yes2.png",
    ] {
        h.app
            .put(&user.access, "files", key, b"some bytes".to_vec())
            .await
            .assert_ok(201);
    }
    delete(&h.app, &user.access, "files", "a/yes.png")
        .await
        .assert_ok(200);
    wait_events(&h.receiver, 2).await;
    assert_nothing_more(&h).await;
    let keys: BTreeSet<String> = super::delivered(&h.receiver.requests())
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "files/a/deep/yes2.png".to_owned(),
            "files/a/yes.png".to_owned()
        ])
    );
}

/// A rule for removals sends no creations.
#[tokio::test]
async fn a_rule_for_removals_sends_no_creations() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    set_rules(
        &h.app,
        &h.admin.access,
        "images",
        json!([{"events": ["s3:ObjectRemoved:*"], "target": ARN}]),
    )
    .await;
    let user = h.app.user().await;
    h.app
        .upload(&user.access, "images", "r.png", PNG.to_vec())
        .await
        .assert_ok(201);
    h.app
        .put(&user.access, "images", "r.png", PNG.to_vec())
        .await
        .assert_ok(201);
    delete(&h.app, &user.access, "images", "r.png")
        .await
        .assert_ok(200);
    wait_events(&h.receiver, 1).await;
    assert_nothing_more(&h).await;
    let events = super::delivered(&h.receiver.requests());
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [DELETE], "{events:#?}");
    assert_eq!(events[0].key, "images/r.png");
}

/// Targets configured but no rule (or rules cleared): nothing is sent.
#[tokio::test]
async fn without_a_rule_nothing_is_sent() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let user = h.app.user().await;
    let token = &user.access;
    h.app
        .upload(token, "images", "n.png", PNG.to_vec())
        .await
        .assert_ok(201);
    h.app
        .put(token, "files", "n.txt", b"n".to_vec())
        .await
        .assert_ok(201);
    delete(&h.app, token, "images", "n.png")
        .await
        .assert_ok(200);
    assert_nothing_sent(&h).await;

    // Rules set on another bucket, then cleared here: still nothing.
    set_rules(&h.app, &h.admin.access, "files", json!([every_change()])).await;
    set_rules(&h.app, &h.admin.access, "images", json!([every_change()])).await;
    set_rules(&h.app, &h.admin.access, "images", json!([])).await;
    h.app
        .upload(token, "images", "m.png", PNG.to_vec())
        .await
        .assert_ok(201);
    delete(&h.app, token, "images", "m.png")
        .await
        .assert_ok(200);
    assert_nothing_sent(&h).await;
    let scrape = h.app.scrape().await;
    assert!(
        super::metric(&scrape, "picgate_notify_events_produced_total", "hook").unwrap_or(0.0)
            == 0.0,
        "nothing produced: {scrape}"
    );
}

/// Waits until the queue is empty and a little longer: what was to be sent has arrived.
async fn assert_nothing_more(h: &Hooked) {
    wait_drained(&h.app, &h.admin.access).await;
    let before = h.receiver.requests().len();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let after: Vec<Value> = h.receiver.bodies_json();
    assert_eq!(after.len(), before, "more arrived: {after:#?}");
}

/// With `notify.access_events` on, a rule for `s3:ObjectAccessed:Get` hears reads of the bytes
/// (under its prefix only); the variants picgate caches in the reserved `.picgate/` area never
/// send anything.
#[tokio::test]
async fn reads_are_heard_when_asked_for_and_the_reserved_area_never() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "access_events = true").await;
    set_rules(
        &h.app,
        &h.admin.access,
        "images",
        json!([
            every_change(),
            {"events": ["s3:ObjectAccessed:Get"], "prefix": "seen/", "target": ARN},
        ]),
    )
    .await;
    let user = h.app.user().await;
    let picture = crate::variants::png(&crate::variants::solid(400, 300, crate::variants::RED));
    let uploaded = h
        .app
        .put(&user.access, "images", "seen/pic.png", picture.clone())
        .await;
    uploaded.assert_ok(201);
    h.app
        .put(&user.access, "images", "other.png", picture.clone())
        .await
        .assert_ok(201);
    wait_events(&h.receiver, 2).await;

    for path in ["/f/images/seen/pic.png", "/f/images/other.png"] {
        let res = h.app.client.get(h.app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.bytes().await.unwrap().len(), picture.len());
    }
    let res = h
        .app
        .client
        .get(h.app.url("/f/images/seen/pic.png?w=160"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cached = h
        .app
        .cache_files_eventually(|files| !files.is_empty())
        .await;
    assert!(!cached.is_empty(), "the variant is cached");

    wait_events(&h.receiver, 3).await;
    assert_nothing_more(&h).await;
    let events = super::delivered(&h.receiver.requests());
    assert!(
        events.iter().all(|e| !e.key.contains(".picgate")),
        "nothing from the reserved area: {events:#?}"
    );
    let reads: Vec<&Delivered> = events
        .iter()
        .filter(|e| e.name == "s3:ObjectAccessed:Get")
        .collect();
    assert!(!reads.is_empty(), "{events:#?}");
    assert!(
        reads.iter().all(|e| e.key == "images/seen/pic.png"),
        "reads outside the prefix are not sent: {events:#?}"
    );
    let object = &reads[0].record["s3"]["object"];
    assert_eq!(object["size"], picture.len(), "{object}");
    assert_eq!(object["eTag"], bare_etag(&uploaded), "{object}");
    let created: Vec<&str> = events
        .iter()
        .filter(|e| e.name.starts_with("s3:ObjectCreated:"))
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(created.len(), 2, "{events:#?}");
    assert_eq!(
        created.into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from(["images/other.png", "images/seen/pic.png"]),
        "{events:#?}"
    );
}

/// A multi-file upload whose body breaks off removes the files it had stored: the receiver
/// hears of each creation and of its removal, in that order, and ends up believing in nothing
/// that is not there.
#[tokio::test]
async fn an_upload_that_breaks_off_reports_what_it_undid() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "").await;
    set_rules(&h.app, &h.admin.access, "images", json!([every_change()])).await;
    let user = h.app.user().await;
    let part = |name: &str| {
        format!(
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
    };
    // The second file never ends: no closing boundary follows it.
    let body = [
        part("first.png").as_bytes(),
        PNG,
        b"\r\n",
        part("second.png").as_bytes(),
        PNG,
    ]
    .concat();
    let res = h
        .app
        .client
        .post(h.app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    let answer = Answer::from(res).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    h.app
        .get("/f/images/first.png")
        .await
        .assert_error(404, "object_not_found");

    wait_events(&h.receiver, 2).await;
    assert_nothing_more(&h).await;
    let events = super::delivered(&h.receiver.requests());
    let first: Vec<&str> = of_key(&events, "images", "first.png")
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(first, [POST, DELETE], "{events:#?}");
    let keys: BTreeSet<&str> = events.iter().map(|e| e.key.as_str()).collect();
    for key in keys {
        let last = events.iter().rev().find(|e| e.key == key).unwrap();
        assert_eq!(last.name, DELETE, "{key} is gone: {events:#?}");
    }
}

/// With access events on, a HEAD is `s3:ObjectAccessed:Head` and a GET of the bytes
/// `s3:ObjectAccessed:Get`; a conditional GET answered 304 sends nothing, one answered 200 a
/// single `Get` (the validator check before its body is no HEAD).
#[tokio::test]
async fn heads_and_conditional_gets_are_heard_as_what_they_are() {
    let h = hooked(Backend::Fs, Sessions::Embedded, "access_events = true").await;
    let rule = json!({"events": ["s3:ObjectAccessed:*"], "target": ARN});
    set_rules(&h.app, &h.admin.access, "images", json!([rule])).await;
    let user = h.app.user().await;
    let uploaded = h
        .app
        .put(&user.access, "images", "read/me.png", PNG.to_vec())
        .await;
    uploaded.assert_ok(201);
    let etag = uploaded.data()["etag"].as_str().unwrap().to_owned();
    let url = h.app.url("/f/images/read/me.png");

    let head = h.app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let events = wait_events(&h.receiver, 1).await;
    assert_eq!(events[0].name, "s3:ObjectAccessed:Head", "{:#?}", events[0]);
    assert_eq!(events[0].key, "images/read/me.png");

    let fresh = h
        .app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(fresh.unwrap().status(), 304);
    let stale = h
        .app
        .client
        .get(&url)
        .header("if-none-match", "\"other\"")
        .send()
        .await;
    let stale = stale.unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.unwrap(), PNG);
    let events = wait_events(&h.receiver, 2).await;
    assert_eq!(events[1].name, "s3:ObjectAccessed:Get", "{:#?}", events[1]);
    assert_eq!(events[1].record["s3"]["object"]["size"], PNG.len());
    assert_nothing_more(&h).await;
    assert_eq!(super::delivered(&h.receiver.requests()).len(), 2);
}
