//! The seed's front-end flow against `/imagepic`, unchanged.

use serde_json::{Value, json};

use rstest::rstest;

use crate::helpers::{Backend, PNG, TestApp, spawn_app_on};

pub async fn seed_post(app: &TestApp, path: &str, body: Value, token: Option<&str>) -> Value {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.header("authorization", token);
    }
    let res = req.send().await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "the seed API answers 200 even on failure"
    );
    res.json().await.unwrap()
}

#[track_caller]
pub fn assert_seed_ok(body: &Value) {
    assert_eq!(body["code"], "0", "{body}");
    assert_eq!(body["success"], true, "{body}");
}

#[track_caller]
pub fn assert_seed_failure(body: &Value, code: &str) {
    assert_eq!(body["code"], "-1", "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["data"]["err"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(body["data"]["errCode"], code, "{body}");
}

pub async fn put_object(
    app: &TestApp,
    token: &str,
    bucket: &str,
    folder: &str,
    name: &str,
) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PNG.to_vec()).file_name(name.to_owned()),
    );
    app.client
        .post(app.url("/imagepic/object/putObject"))
        .header("authorization", token)
        .header("bucket", bucket)
        .header("folder", folder)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[rstest]
#[tokio::test]
async fn the_seed_front_end_flow_works_end_to_end(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let reg = seed_post(
        &app,
        "/imagepic/auth/register",
        json!({"name": "fe", "tfs": "team", "email": "fe@example.com", "phone": "13912345678", "upwd": "seedpass1"}),
        None,
    )
    .await;
    assert_seed_ok(&reg);

    let login = seed_post(
        &app,
        "/imagepic/auth/login",
        json!({"phone": "13912345678", "upwd": "seedpass1"}),
        None,
    )
    .await;
    assert_seed_ok(&login);
    let token = login["data"]["token"].as_str().unwrap().to_owned();
    assert!(!token.contains("seedpass1"));

    let buckets: Value = app
        .client
        .get(app.url("/imagepic/bucket/listBuckets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_ok(&buckets);
    let names: Vec<&str> = buckets["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"images") && names.contains(&"files"),
        "{names:?}"
    );

    // Bare token, as the seed's front end sends it …
    let put = put_object(&app, &token, "images", "fe", "logo.png").await;
    assert_seed_ok(&put);
    assert!(put["data"].as_str().is_some_and(|e| !e.is_empty()), "{put}");
    // … and with the Bearer scheme.
    let put2 = put_object(
        &app,
        &format!("Bearer {token}"),
        "images",
        "fe",
        "logo2.png",
    )
    .await;
    assert_seed_ok(&put2);

    let list = seed_post(
        &app,
        "/imagepic/object/listObjects",
        json!({"bucketName": "images", "prefix": "fe/", "pageSize": 10, "pageNum": 1}),
        None,
    )
    .await;
    assert_seed_ok(&list);
    assert_eq!(list["data"]["total"], 2);
    let first = &list["data"]["lists"][0];
    assert_eq!(first["name"], "fe/logo.png");
    assert_eq!(first["size"], PNG.len());
    assert!(first["etag"].is_string() && first["lastModified"].is_string());

    let all = seed_post(
        &app,
        "/imagepic/object/listObjects",
        json!({"bucketName": "images", "prefix": "", "pageNum": -1}),
        None,
    )
    .await;
    assert_seed_ok(&all);
    assert_eq!(all["data"]["lists"][0]["prefix"], "fe/");

    let stat = seed_post(
        &app,
        "/imagepic/object/statObject",
        json!({"bucketName": "images", "objectName": "fe/logo.png"}),
        None,
    )
    .await;
    assert_seed_ok(&stat);
    assert_eq!(stat["data"]["size"], PNG.len());
    assert_eq!(stat["data"]["metaData"]["content-type"], "image/png");
    assert_eq!(stat["data"]["etag"], put["data"]);

    let get = seed_post(
        &app,
        "/imagepic/object/getObject",
        json!({"bucketName": "images", "objectName": "fe/logo.png"}),
        None,
    )
    .await;
    assert_seed_ok(&get);
    assert_eq!(get["data"], PNG.len());

    let presigned = seed_post(
        &app,
        "/imagepic/object/presignedGetObject",
        json!({"bucketName": "images", "objectName": "fe/logo.png", "expiry": 600}),
        None,
    )
    .await;
    assert_seed_ok(&presigned);
    let url = presigned["data"].as_str().unwrap();
    // fs: the gateway's `/f` link; S3: the S3 server's own presigned URL.
    let origin = app
        .s3_endpoint()
        .unwrap_or_else(|| app.url("/f/images/fe/logo.png?"));
    assert!(url.starts_with(&origin), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), PNG);

    let removed = seed_post(
        &app,
        "/imagepic/object/removeObject",
        json!({"bucketName": "images", "objectName": "fe/logo.png"}),
        Some(&token),
    )
    .await;
    assert_seed_ok(&removed);
    let gone = seed_post(
        &app,
        "/imagepic/object/statObject",
        json!({"bucketName": "images", "objectName": "fe/logo.png"}),
        None,
    )
    .await;
    assert_seed_failure(&gone, "object_not_found");

    let change = seed_post(
        &app,
        "/imagepic/auth/change",
        json!({"phone": "13912345678", "opwd": "seedpass1", "npwd": "seedpass2"}),
        None,
    )
    .await;
    assert_seed_ok(&change);
    let old = seed_post(
        &app,
        "/imagepic/auth/login",
        json!({"phone": "13912345678", "upwd": "seedpass1"}),
        None,
    )
    .await;
    assert_seed_failure(&old, "invalid_credentials");
    let again = seed_post(
        &app,
        "/imagepic/auth/login",
        json!({"phone": "13912345678", "upwd": "seedpass2"}),
        None,
    )
    .await;
    assert_seed_ok(&again);
}

#[rstest]
#[tokio::test]
async fn seed_routes_answer_every_failure(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let no_token = put_object(&app, "", "images", "", "x.png").await;
    assert_seed_failure(&no_token, "missing_token");
    let bad_token = put_object(&app, "garbage", "images", "", "x.png").await;
    assert_seed_failure(&bad_token, "invalid_token");
    let res = app
        .client
        .post(app.url("/imagepic/object/statObject"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_seed_failure(&res.json().await.unwrap(), "malformed_json");
    let missing = seed_post(
        &app,
        "/imagepic/object/statObject",
        json!({"bucketName": "images", "objectName": "nope.png"}),
        None,
    )
    .await;
    assert_seed_failure(&missing, "object_not_found");
    let bad_reg = seed_post(
        &app,
        "/imagepic/auth/register",
        json!({"email": "x", "phone": "1", "upwd": "1"}),
        None,
    )
    .await;
    assert_seed_failure(&bad_reg, "validation_failed");
    let private = seed_post(
        &app,
        "/imagepic/object/listObjects",
        json!({"bucketName": "files", "prefix": ""}),
        None,
    )
    .await;
    assert_seed_failure(&private, "missing_token");
}

#[rstest]
#[tokio::test]
async fn seed_bucket_pages_and_policies(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let page: Value = app
        .client
        .get(app.url("/imagepic/bucket/listBuckets?pageSize=1&pageNum=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_ok(&page);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["name"], "images");
    let policy = seed_post(
        &app,
        "/imagepic/policy/getBucketPolicy",
        json!({"bucketName": "images"}),
        None,
    )
    .await;
    assert_seed_ok(&policy);
    assert_eq!(policy["data"], "public-read");
    let user = app.user().await;
    let denied = seed_post(
        &app,
        "/imagepic/policy/setBucketPolicy",
        json!({"bucketName": "images", "policy": "none"}),
        Some(&user.access),
    )
    .await;
    assert_seed_failure(&denied, "admin_required");
    let admin = app.admin().await;
    let set = seed_post(
        &app,
        "/imagepic/policy/setBucketPolicy",
        json!({"bucketName": "images", "policy": "none"}),
        Some(&admin.access),
    )
    .await;
    assert_seed_ok(&set);
    assert_eq!(set["data"], "private");
}

#[rstest]
#[tokio::test]
async fn seed_notifications_are_for_administrators_and_read_back_empty_until_set(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let admin = app.admin().await;
    for token in [None, Some(user.access.as_str())] {
        let got = seed_post(
            &app,
            "/imagepic/notification/getBucketNotification",
            json!({"bucketName": "images"}),
            token,
        )
        .await;
        let code = if token.is_some() {
            "admin_required"
        } else {
            "missing_token"
        };
        assert_seed_failure(&got, code);
        let set = seed_post(
            &app,
            "/imagepic/notification/setBucketNotification",
            json!({"bucketName": "images", "config": {}}),
            token,
        )
        .await;
        assert_seed_failure(&set, code);
    }
    let got = seed_post(
        &app,
        "/imagepic/notification/getBucketNotification",
        json!({"bucketName": "images"}),
        Some(&admin.access),
    )
    .await;
    assert_seed_ok(&got);
    let empty = json!({"QueueConfiguration": [], "TopicConfiguration": [], "CloudFunctionConfiguration": []});
    assert_eq!(got["data"], empty);
    // MinIO's shape for "no notifications" is accepted, and reads back the same.
    let set = seed_post(
        &app,
        "/imagepic/notification/setBucketNotification",
        json!({"bucketName": "images", "config": {}}),
        Some(&admin.access),
    )
    .await;
    assert_seed_ok(&set);
    assert_eq!(set["data"], empty);
}

#[rstest]
#[tokio::test]
async fn seed_routes_answer_bad_requests_in_the_seed_envelope(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    // A body over the JSON limit.
    let big = json!({"bucketName": "images", "objectName": "x".repeat(100_000)});
    let res = seed_post(&app, "/imagepic/object/statObject", big, None).await;
    assert_seed_failure(&res, "payload_too_large");
    // A malformed query.
    let res: Value = app
        .client
        .get(app.url("/imagepic/bucket/listBuckets?pageSize=abc&pageNum=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_failure(&res, "invalid_query");
    // A wrong method: 405 with `Allow`, in the seed's envelope.
    let res = app
        .client
        .get(app.url("/imagepic/object/statObject"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_seed_failure(&res.json().await.unwrap(), "method_not_allowed");
    // An unknown route stays the seed's own failure: 200.
    let res = app
        .client
        .post(app.url("/imagepic/object/nothingHere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_seed_failure(&res.json().await.unwrap(), "route_not_found");
    // Only one paging parameter: none, as the seed did.
    let res: Value = app
        .client
        .get(app.url("/imagepic/bucket/listBuckets?pageSize=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_ok(&res);
    assert_eq!(res["data"], json!([]));
}

#[rstest]
#[tokio::test]
async fn seed_put_object_refuses_wrong_types_and_stores_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"plain text".to_vec()).file_name("fake.png"),
    );
    let res: Value = app
        .client
        .post(app.url("/imagepic/object/putObject"))
        .header("authorization", &user.access)
        .header("bucket", "images")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_failure(&res, "unsupported_media_type");
    assert!(app.stored_files().is_empty());
}

/// The seed's `putObject` takes one file, as the seed's `single('file')` did: a second one
/// fails the request and nothing is kept.
#[tokio::test]
async fn seed_put_object_takes_one_file() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    let part =
        |name: &str| reqwest::multipart::Part::bytes(PNG.to_vec()).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new()
        .part("file", part("one.png"))
        .part("file", part("two.png"));
    let res: Value = app
        .client
        .post(app.url("/imagepic/object/putObject"))
        .header("authorization", &user.access)
        .header("bucket", "images")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_seed_failure(&res, "invalid_multipart");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}
