//! S3 down or hanging: object routes fail fast with 503 `storage_unavailable` in the envelope,
//! `/readyz` names the storage, `/healthz` stays up, and the same gateway serves again once the
//! S3 server is back.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::helpers::{Answer, Backend, PNG, Sessions, TestApp, TestUser, spawn_app_on_with};

const TUNED: &str = "[storage]\ntimeout_secs = 2\nretries = 1\n";

/// Every object-facing call a client makes, by name.
fn object_calls(app: &TestApp, user: &TestUser) -> Vec<(&'static str, RequestBuilder)> {
    let c = &app.client;
    let auth = |r: RequestBuilder| r.bearer_auth(&user.access);
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("new.png"),
        )
    };
    vec![
        ("public file", c.get(app.url("/f/images/kept.png"))),
        ("private file", auth(c.get(app.url("/f/files/doc.txt")))),
        (
            "head",
            c.head(app.url("/api/v1/buckets/images/objects/kept.png")),
        ),
        (
            "info",
            c.get(app.url("/api/v1/buckets/images/info/kept.png")),
        ),
        (
            "listing",
            auth(c.get(app.url("/api/v1/buckets/files/objects"))),
        ),
        (
            "upload",
            auth(c.post(app.url("/api/v1/buckets/images/objects"))).multipart(form()),
        ),
        (
            "raw put",
            auth(c.put(app.url("/api/v1/buckets/files/objects/new.txt"))).body("new"),
        ),
        (
            "delete",
            auth(c.request(
                Method::DELETE,
                app.url("/api/v1/buckets/images/objects/kept.png"),
            )),
        ),
        (
            "sign",
            auth(c.post(app.url("/api/v1/buckets/files/sign/doc.txt")))
                .json(&json!({"expiresIn": 60})),
        ),
    ]
}

async fn arrange(extra: &str) -> (TestApp, TestUser) {
    let app = spawn_app_on_with(Backend::S3, Sessions::Redis, extra).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "kept.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "files", "doc.txt", b"doc".to_vec())
        .await
        .assert_ok(201);
    (app, user)
}

/// Sends each call and asserts a 503 `storage_unavailable` envelope within `limit`.
async fn all_unavailable(app: &TestApp, user: &TestUser, limit: Duration) {
    for (name, request) in object_calls(app, user) {
        let started = Instant::now();
        let res = request.send().await.unwrap();
        let elapsed = started.elapsed();
        assert!(elapsed < limit, "{name} took {elapsed:?}");
        assert_eq!(res.status(), 503, "{name}");
        if name != "head" {
            Answer::from(res)
                .await
                .assert_error(503, "storage_unavailable");
        }
    }
}

async fn all_served(app: &TestApp, user: &TestUser) {
    for (name, request) in object_calls(app, user) {
        let status = request.send().await.unwrap().status().as_u16();
        assert!((200..300).contains(&status), "{name}: {status}");
    }
}

#[tokio::test]
async fn a_stopped_s3_answers_503_fast_and_the_gateway_recovers_when_it_returns() {
    let (mut app, user) = arrange(TUNED).await;
    app.s3.as_mut().unwrap().stop();

    all_unavailable(&app, &user, Duration::from_secs(5)).await;
    // The system area is on S3 too: accounts cannot be read.
    app.login(&user.phone, &user.password)
        .await
        .assert_error(503, "storage_unavailable");
    let seed: serde_json::Value = app
        .client
        .post(app.url("/imagepic/object/statObject"))
        .json(&json!({"bucketName": "images", "objectName": "kept.png"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seed["data"]["errCode"], "storage_unavailable", "{seed}");
    let ready = app.get("/readyz").await;
    ready.assert_error(503, "storage_unavailable");
    let failing = ready.data()["failing"].to_string();
    for area in ["storage:images", "storage:files", "storage:system"] {
        assert!(failing.contains(area), "{failing}");
    }
    assert!(!failing.contains("sessions"), "{failing}");
    app.get("/healthz").await.assert_ok(200);

    app.s3.as_mut().unwrap().resume();

    app.get("/readyz").await.assert_ok(200);
    all_served(&app, &user).await;
    let fetched = app
        .client
        .get(app.url("/f/files/new.txt"))
        .bearer_auth(&user.access);
    assert_eq!(fetched.send().await.unwrap().text().await.unwrap(), "new");
    app.login(&user.phone, &user.password).await.assert_ok(200);
}

/// A hung S3 server never answers: each call gives up within the timeout (1 s here, shared by
/// two tries) instead of hanging with the client.
#[tokio::test]
async fn a_hanging_s3_answers_503_after_the_timeout() {
    let (mut app, user) = arrange("[storage]\ntimeout_secs = 1\nretries = 1\n").await;
    app.s3.as_mut().unwrap().freeze();

    let started = Instant::now();
    let res = app.get("/api/v1/buckets/images/info/kept.png").await;
    let elapsed = started.elapsed();

    res.assert_error(503, "storage_unavailable");
    // The 1 s budget holds both tries (and the pause between them), with slack for the
    // policy lookup that comes first.
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    app.get("/healthz").await.assert_ok(200);
    app.s3.as_mut().unwrap().thaw();
    all_served(&app, &user).await;
}

/// Buckets on the local disk, the system area (accounts, owner records) on S3: with S3 down, a
/// new upload cannot record its owner, so it answers 503 and leaves no ownerless object.
#[tokio::test]
async fn an_upload_whose_owner_cannot_be_recorded_leaves_nothing() {
    let mut s3 = testkit::S3Server::start();
    let system = format!(
        "[storage]\ntimeout_secs = 2\nretries = 1\n[storage.system]\ntype = \"s3\"\nendpoint = \"{}\"\nbucket = \"{}\"\nroot = \"system/\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
        s3.endpoint(),
        s3.bucket(),
        s3.access_key(),
        s3.secret_key()
    );
    let app = spawn_app_on_with(Backend::Fs, Sessions::Redis, &system).await;
    let user = app.user().await;
    s3.stop();
    app.put(&user.access, "images", "while-down.png", PNG.to_vec())
        .await
        .assert_error(503, "storage_unavailable");
    assert!(
        !app.data_dir.join("images/while-down.png").exists(),
        "an ownerless object was left behind"
    );
}
