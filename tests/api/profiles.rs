use rstest::rstest;

use crate::helpers::{Answer, Backend, PNG, spawn_app_on};

#[rstest]
#[tokio::test]
async fn h5_clients_get_slim_objects_and_the_profile_headers(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "s.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/api/v1/buckets/images/info/s.png"))
        .header("x-client", "h5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-client-profile"], "h5");
    // Several Vary lines are one list (RFC 9110 §5.3).
    let vary: Vec<&str> = res
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(vary.join(", ").contains("X-Client"), "{vary:?}");
    let res = Answer::from(res).await;
    let keys: Vec<&String> = res.data().as_object().unwrap().keys().collect();
    assert_eq!(keys, ["key", "size", "url"]);

    let pc = app.get("/api/v1/buckets/images/info/s.png").await;
    assert_eq!(pc.headers["x-client-profile"], "pc");
    assert!(pc.data()["contentType"].is_string() && pc.data()["etag"].is_string());
}

#[rstest]
#[tokio::test]
async fn a_mobile_user_agent_is_served_as_h5(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-client-profile"], "h5");
}

#[rstest]
#[tokio::test]
async fn fields_narrow_a_response_and_an_unknown_field_is_a_400(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "f.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .get("/api/v1/buckets/images/info/f.png?fields=url,size")
        .await;
    res.assert_ok(200);
    let keys: Vec<&String> = res.data().as_object().unwrap().keys().collect();
    assert_eq!(keys, ["size", "url"]);
    let list = app.get("/api/v1/buckets/images/objects?fields=key").await;
    assert_eq!(list.data()["items"][0], serde_json::json!({"key": "f.png"}));
    app.get("/api/v1/buckets/images/info/f.png?fields=url,colour")
        .await
        .assert_error(400, "unknown_field");
}

#[rstest]
#[tokio::test]
async fn h5_list_pages_default_smaller_and_compress(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    for i in 0..25 {
        app.upload(
            &user.access,
            "images",
            &format!("m{i:02}.png"),
            PNG.to_vec(),
        )
        .await
        .assert_ok(201);
    }
    let pc = app.get("/api/v1/buckets/images/objects").await;
    assert_eq!(pc.data()["items"].as_array().unwrap().len(), 25);
    let raw = app
        .client
        .get(app.url("/api/v1/buckets/images/objects?client=h5"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["content-encoding"], "gzip");
    let h5 = app.get("/api/v1/buckets/images/objects?client=h5").await;
    assert_eq!(h5.data()["items"].as_array().unwrap().len(), 20);
    assert!(h5.data()["nextCursor"].is_string());
}
