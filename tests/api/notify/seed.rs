//! The seed's `setBucketNotification` / `getBucketNotification`, as its front end called them:
//! MinIO's configuration shape in, the `minio` client's answer shape out, the seed envelope
//! (HTTP 200, `code` "0" / "-1" with `errCode`), and the seed's own uploads and removals
//! sending events.

use serde_json::{Value, json};

use super::{ARN, Hooked, hooked, wait_drained, wait_events};
use crate::compat::put_object;
pub use crate::compat::{assert_seed_failure, assert_seed_ok, seed_post};
use crate::helpers::{Backend, Sessions, TestApp};

pub async fn set_notification(app: &TestApp, token: &str, bucket: &str, config: Value) -> Value {
    seed_post(
        app,
        "/imagepic/notification/setBucketNotification",
        json!({"bucketName": bucket, "config": config}),
        Some(token),
    )
    .await
}

pub async fn get_notification(app: &TestApp, token: &str, bucket: &str) -> Value {
    seed_post(
        app,
        "/imagepic/notification/getBucketNotification",
        json!({"bucketName": bucket}),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn the_seed_sets_and_reads_notifications_in_minio_shape() {
    let Hooked {
        app,
        receiver,
        admin,
    } = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let admin = &admin.access;
    let config = json!({"QueueConfiguration": [{
        "Queue": ARN,
        "Event": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        "Filter": {"S3Key": {"FilterRule": [{"Name": "prefix", "Value": "seed/"}]}},
    }]});
    let set = set_notification(&app, admin, "images", config).await;
    assert_seed_ok(&set);
    let expected = json!({
        "QueueConfiguration": [{
            "Id": "rule-1",
            "Queue": ARN,
            "Event": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            "Filter": [{"Name": "prefix", "Value": "seed/"}],
        }],
        "TopicConfiguration": [],
        "CloudFunctionConfiguration": [],
    });
    assert_eq!(set["data"], expected, "{set}");
    let got = get_notification(&app, admin, "images").await;
    assert_seed_ok(&got);
    assert_eq!(got["data"], expected, "{got}");
    let native = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    native.assert_ok(200);
    assert_eq!(
        native.data()["rules"],
        json!([{"id": "rule-1", "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                "prefix": "seed/", "suffix": "", "target": ARN}]),
        "{}",
        native.body
    );
    let empty = get_notification(&app, admin, "files").await;
    assert_seed_ok(&empty);
    assert_eq!(empty["data"]["QueueConfiguration"], json!([]), "{empty}");

    // Refused: the seed envelope with the native code; nothing changes.
    let user = app.user().await;
    let queue = |arn: &str| json!({"QueueConfiguration": [{"Queue": arn, "Event": ["s3:ObjectCreated:*"]}]});
    assert_seed_failure(
        &set_notification(&app, &user.access, "images", queue(ARN)).await,
        "admin_required",
    );
    assert_seed_failure(
        &get_notification(&app, &user.access, "images").await,
        "admin_required",
    );
    assert_seed_failure(
        &set_notification(&app, admin, "nope", queue(ARN)).await,
        "bucket_not_found",
    );
    assert_seed_failure(
        &set_notification(&app, admin, "images", queue("arn:minio:sqs::nope:webhook")).await,
        "invalid_notification",
    );
    let topic = json!({"TopicConfiguration": [{"Topic": "arn:aws:sns:us-east-1:1:t", "Event": ["s3:ObjectCreated:*"]}]});
    assert_seed_failure(
        &set_notification(&app, admin, "images", topic).await,
        "invalid_notification",
    );
    let bad_event =
        json!({"QueueConfiguration": [{"Queue": ARN, "Event": ["s3:ObjectCreated:Nope"]}]});
    assert_seed_failure(
        &set_notification(&app, admin, "images", bad_event).await,
        "invalid_notification",
    );
    let bad_filter = json!({"QueueConfiguration": [{"Queue": ARN, "Event": ["s3:ObjectCreated:*"],
        "Filter": {"S3Key": {"FilterRule": [{"Name": "middle", "Value": "x"}]}}}]});
    assert_seed_failure(
        &set_notification(&app, admin, "images", bad_filter).await,
        "invalid_notification",
    );
    assert_eq!(
        get_notification(&app, admin, "images").await["data"],
        expected
    );

    // The seed's own upload (a Put, as MinIO's putObject is) and removal send events; outside
    // the prefix nothing.
    let put = put_object(&app, &user.access, "images", "seed", "logo.png").await;
    assert_seed_ok(&put);
    let other = put_object(&app, &user.access, "images", "other", "logo.png").await;
    assert_seed_ok(&other);
    let removed = seed_post(
        &app,
        "/imagepic/object/removeObject",
        json!({"bucketName": "images", "objectName": "seed/logo.png"}),
        Some(&user.access),
    )
    .await;
    assert_seed_ok(&removed);
    wait_events(&receiver, 2).await;
    wait_drained(&app, admin).await;
    let events = super::delivered(&receiver.requests());
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.name.as_str(), e.key.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("s3:ObjectCreated:Put", "images/seed/logo.png"),
            ("s3:ObjectRemoved:Delete", "images/seed/logo.png"),
        ]
    );
    assert_eq!(
        events[0].record["s3"]["object"]["eTag"], put["data"],
        "the ETag putObject answered"
    );

    // A request without a configuration (or with it misspelt) is a mistake, refused with
    // the rules kept; an empty configuration turns them off.
    let before = get_notification(&app, admin, "images").await;
    assert!(
        !before["data"]["QueueConfiguration"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for body in [
        json!({"bucketName": "images"}),
        json!({"bucketName": "images", "config": null}),
        json!({"bucketName": "images", "Config": {}}),
    ] {
        let path = "/imagepic/notification/setBucketNotification";
        let refused = seed_post(&app, path, body.clone(), Some(admin)).await;
        assert_seed_failure(&refused, "invalid_notification");
        let kept = get_notification(&app, admin, "images").await;
        assert_eq!(kept["data"], before["data"], "after {body}");
    }
    let cleared = set_notification(&app, admin, "images", json!({})).await;
    assert_seed_ok(&cleared);
    assert_eq!(
        cleared["data"]["QueueConfiguration"],
        json!([]),
        "{cleared}"
    );
    let native = app
        .get_auth("/api/v1/buckets/images/notifications", admin)
        .await;
    assert_eq!(native.data()["rules"], json!([]), "{}", native.body);
}
