use serde_json::json;

use rstest::rstest;

use crate::helpers::{Answer, Backend, PNG, spawn_app_on};

#[rstest]
#[tokio::test]
async fn info_reports_size_type_etag_date_and_url(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "i.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app.get("/api/v1/buckets/images/info/i.png").await;
    res.assert_ok(200);
    let d = res.data();
    assert_eq!(d["size"], PNG.len());
    assert_eq!(d["contentType"], "image/png");
    assert!(d["etag"].as_str().unwrap().len() > 2);
    assert!(d["lastModified"].as_str().unwrap().contains('T'));
    assert_eq!(d["url"], app.url("/f/images/i.png"));
    let me = app.get_auth("/api/v1/me", &user.access).await;
    assert_eq!(
        d["owner"],
        me.data()["id"],
        "the uploader is recorded as owner"
    );
}

#[rstest]
#[tokio::test]
async fn delete_removes_and_a_second_delete_is_404(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "d.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let del = || async {
        let res = app
            .client
            .delete(app.url("/api/v1/buckets/images/objects/d.png"))
            .bearer_auth(&user.access)
            .send()
            .await
            .unwrap();
        Answer::from(res).await
    };
    del().await.assert_ok(200);
    del().await.assert_error(404, "object_not_found");
    app.get("/f/images/d.png")
        .await
        .assert_error(404, "object_not_found");
}

#[rstest]
#[tokio::test]
async fn deleting_needs_a_session(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let res = app
        .client
        .delete(app.url("/api/v1/buckets/images/objects/d.png"))
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(401, "missing_token");
}

#[rstest]
#[tokio::test]
async fn batch_delete_reports_each_key(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "b1.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.upload(&user.access, "images", "b2.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .post_json(
            "/api/v1/buckets/images/delete",
            &json!({"keys": ["b1.png", "b2.png", "missing.png", "../bad"]}),
            Some(&user.access),
        )
        .await;
    res.assert_ok(200);
    let items = res.data()["items"].as_array().unwrap();
    let by_key = |k: &str| items.iter().find(|i| i["key"] == k).unwrap().clone();
    assert_eq!(by_key("b1.png")["deleted"], true);
    assert_eq!(by_key("b2.png")["deleted"], true);
    assert_eq!(by_key("missing.png")["code"], "object_not_found");
    assert_eq!(by_key("../bad")["code"], "invalid_object_key");
    assert!(app.stored_files().is_empty());
}

#[rstest]
#[tokio::test]
async fn unknown_and_malformed_buckets_are_told_apart(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.get_auth("/api/v1/buckets/nope/objects", &user.access)
        .await
        .assert_error(404, "bucket_not_found");
    app.get_auth("/api/v1/buckets/Bad_Name/objects", &user.access)
        .await
        .assert_error(400, "invalid_bucket_name");
}

#[rstest]
#[tokio::test]
async fn buckets_are_listed_with_policy_and_limits(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let res = app.get_auth("/api/v1/buckets", &user.access).await;
    res.assert_ok(200);
    let items = res.data()["items"].as_array().unwrap();
    let images = items.iter().find(|b| b["name"] == "images").unwrap();
    assert_eq!(images["policy"], "public-read");
    assert_eq!(images["maxObjectBytes"], 20 * 1024 * 1024);
    let files = items.iter().find(|b| b["name"] == "files").unwrap();
    assert_eq!(files["policy"], "private");
}

#[rstest]
#[tokio::test]
async fn only_an_admin_changes_a_bucket_policy_and_it_takes_effect(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "now-public.txt", b"hi".to_vec())
        .await
        .assert_ok(201);
    let set = |token: String, policy: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .put(app.url("/api/v1/buckets/files/policy"))
                .bearer_auth(token)
                .json(&json!({"policy": policy}))
                .send()
                .await
                .unwrap();
            Answer::from(res).await
        }
    };
    set(user.access.clone(), "public-read")
        .await
        .assert_error(403, "admin_required");
    let admin = app.admin().await;
    set(admin.access.clone(), "sideways")
        .await
        .assert_error(400, "invalid_policy");
    set(admin.access.clone(), "public-read")
        .await
        .assert_ok(200);
    let policy = app
        .get_auth("/api/v1/buckets/files/policy", &user.access)
        .await;
    assert_eq!(policy.data()["policy"], "public-read");
    let res = app
        .client
        .get(app.url("/f/files/now-public.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[rstest]
#[tokio::test]
async fn the_native_object_route_serves_ranges_304_and_head_and_guards_private_buckets(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "n/obj.bin", b"0123456789".to_vec())
        .await
        .assert_ok(201);
    let url = app.url("/api/v1/buckets/files/objects/n/obj.bin");
    Answer::from(app.client.get(&url).send().await.unwrap())
        .await
        .assert_error(401, "missing_token");
    let ranged = app
        .client
        .get(&url)
        .bearer_auth(&user.access)
        .header("range", "bytes=2-4")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.text().await.unwrap(), "234");
    let full = app
        .client
        .get(&url)
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(&url)
        .bearer_auth(&user.access)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let head = app
        .client
        .head(&url)
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "10");
}

#[rstest]
#[tokio::test]
async fn a_malformed_policy_body_is_a_400(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let admin = app.admin().await;
    let res = app
        .client
        .put(app.url("/api/v1/buckets/files/policy"))
        .bearer_auth(&admin.access)
        .header("content-type", "application/json")
        .body("{policy")
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "malformed_json");
}
