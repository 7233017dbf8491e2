use rstest::rstest;

use crate::helpers::{
    Backend, CountingProxy, PNG, Sessions, TestApp, TestUser, spawn_app_on, spawn_app_on_with,
    spawn_twin_with,
};

async fn seed_objects(app: &TestApp, user: &TestUser, keys: &[String]) {
    for key in keys {
        app.put(&user.access, "files", key, key.as_bytes().to_vec())
            .await
            .assert_ok(201);
    }
}

async fn all_pages(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/api/v1/buckets/files/objects?pageSize=10{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_auth(&path, token).await;
        page.assert_ok(200);
        let items = page.data()["items"].as_array().unwrap();
        assert!(items.len() <= 10);
        keys.extend(items.iter().map(|i| i["key"].as_str().unwrap().to_owned()));
        match page.data()["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return keys,
        }
    }
    panic!("paging never ended");
}

#[rstest]
#[tokio::test]
async fn cursor_pages_cover_every_object_once_in_order(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let mut keys: Vec<String> = (0..25).map(|i| format!("k/{i:03}.txt")).collect();
    keys.push("k/sub/deep.txt".into());
    seed_objects(&app, &user, &keys).await;
    let listed = all_pages(&app, &user.access, "&prefix=k/").await;
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected);
}

#[rstest]
#[tokio::test]
async fn pages_stay_gap_free_when_objects_change_between_pages(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let keys: Vec<String> = (0..20).map(|i| format!("{i:03}.txt")).collect();
    seed_objects(&app, &user, &keys).await;
    let first = app
        .get_auth("/api/v1/buckets/files/objects?pageSize=10", &user.access)
        .await;
    let cursor = first.data()["nextCursor"].as_str().unwrap().to_owned();
    // Something before the cursor appears and something before it disappears.
    app.put(&user.access, "files", "000a.txt", b"new".to_vec())
        .await
        .assert_ok(201);
    app.client
        .delete(app.url("/api/v1/buckets/files/objects/001.txt"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    let second = app
        .get_auth(
            &format!("/api/v1/buckets/files/objects?pageSize=10&cursor={cursor}"),
            &user.access,
        )
        .await;
    let got: Vec<&str> = second.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (10..20).map(|i| format!("{i:03}.txt")).collect();
    assert_eq!(got, expected);
}

#[rstest]
#[tokio::test]
async fn a_delimiter_groups_keys_into_folders(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let keys = ["top.txt", "a/1.txt", "a/2.txt", "b/c/3.txt"].map(String::from);
    seed_objects(&app, &user, &keys).await;
    let res = app
        .get_auth("/api/v1/buckets/files/objects?delimiter=/", &user.access)
        .await;
    res.assert_ok(200);
    let items: Vec<&str> = res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["top.txt"]);
    assert_eq!(res.data()["folders"], serde_json::json!(["a/", "b/"]));
    let inner = app
        .get_auth(
            "/api/v1/buckets/files/objects?delimiter=/&prefix=a/",
            &user.access,
        )
        .await;
    assert_eq!(inner.data()["items"].as_array().unwrap().len(), 2);
}

#[rstest]
#[tokio::test]
async fn page_numbers_add_a_total(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let keys: Vec<String> = (0..7).map(|i| format!("n{i}.txt")).collect();
    seed_objects(&app, &user, &keys).await;
    let res = app
        .get_auth(
            "/api/v1/buckets/files/objects?pageSize=3&pageNum=3",
            &user.access,
        )
        .await;
    res.assert_ok(200);
    assert_eq!(res.data()["total"], 7);
    let items = res.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["key"], "n6.txt");
}

#[rstest]
#[tokio::test]
async fn a_forged_cursor_is_a_400(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.get_auth(
        "/api/v1/buckets/files/objects?cursor=not-a-cursor!!",
        &user.access,
    )
    .await
    .assert_error(400, "invalid_cursor");
    // An empty cursor is no cursor: the first page.
    app.get_auth("/api/v1/buckets/files/objects?cursor=", &user.access)
        .await
        .assert_ok(200);
}

#[rstest]
#[tokio::test]
async fn listing_a_private_bucket_needs_a_session_and_a_public_one_does_not(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    app.get("/api/v1/buckets/files/objects")
        .await
        .assert_error(401, "missing_token");
    app.get("/api/v1/buckets/images/objects")
        .await
        .assert_ok(200);
}

#[rstest]
#[tokio::test]
async fn listed_items_carry_what_the_listing_gives_and_stat_fields_only_when_named(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "f/cat.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let page = app
        .get_auth("/api/v1/buckets/files/objects?prefix=f/", &user.access)
        .await;
    page.assert_ok(200);
    let item = &page.data()["items"][0];
    assert_eq!(item["key"], "f/cat.png");
    assert_eq!(item["size"], PNG.len());
    assert!(item["lastModified"].is_string() && item["url"].is_string());
    assert!(item.get("contentType").is_none() && item.get("owner").is_none());

    let named = app
        .get_auth(
            "/api/v1/buckets/files/objects?prefix=f/&fields=key,contentType,owner,etag",
            &user.access,
        )
        .await;
    named.assert_ok(200);
    let item = &named.data()["items"][0];
    assert_eq!(item["contentType"], "image/png");
    assert_eq!(item["owner"], app.user_id(&user.access).await.as_str());
    let stat = app
        .get_auth("/api/v1/buckets/files/info/f/cat.png", &user.access)
        .await;
    assert_eq!(item["etag"], stat.data()["etag"]);
}

#[rstest]
#[tokio::test]
async fn every_listing_sees_a_write_or_delete_at_once_without_redis(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on_with(backend, Sessions::Embedded, "").await;
    let user = app.user().await;
    let list = "/api/v1/buckets/files/objects?prefix=w/";
    let numbered = "/api/v1/buckets/files/objects?prefix=w/&pageNum=1";
    for step in 0..3 {
        let key = format!("w/{step}.txt");
        app.put(&user.access, "files", &key, b"x".to_vec())
            .await
            .assert_ok(201);
        assert!(
            app.get_auth(list, &user.access)
                .await
                .item_keys()
                .contains(&key)
        );
        let page = app.get_auth(numbered, &user.access).await;
        assert_eq!(page.data()["total"], step + 1);
    }
    app.delete_auth("/api/v1/buckets/files/objects/w/0.txt", &user.access)
        .await
        .assert_ok(200);
    assert_eq!(
        app.get_auth(list, &user.access).await.item_keys(),
        ["w/1.txt", "w/2.txt"]
    );
    assert_eq!(
        app.get_auth(numbered, &user.access).await.data()["total"],
        2
    );
}

/// What a listing costs on S3, counted between the gateway and s3s-fs (cache off): one list
/// request per page whatever the page holds; a stat per item only when `fields=` asks for what
/// only a stat gives.
#[tokio::test]
async fn a_listed_item_costs_no_backend_request_unless_a_stat_field_is_asked_for() {
    let app = spawn_app_on(Backend::S3).await;
    let user = app.user().await;
    let keys: Vec<String> = (0..30).map(|i| format!("c/{i:02}.txt")).collect();
    seed_objects(&app, &user, &keys).await;
    let s3 = app.s3.as_ref().unwrap();
    let proxy = CountingProxy::start(s3.port());
    let twin = spawn_twin_with(
        &app,
        &format!(
            "[storage]\nlist_cache_secs = 0\n[buckets.files.backend]\nendpoint = \"{}\"\n",
            proxy.endpoint()
        ),
    )
    .await;

    let cases = [
        ("/api/v1/buckets/files/objects?prefix=c/&pageSize=50", 0),
        (
            "/api/v1/buckets/files/objects?prefix=c/&pageSize=10&pageNum=2",
            0,
        ),
        (
            "/api/v1/buckets/files/objects?prefix=c/&fields=key,size,etag",
            0,
        ),
        (
            "/api/v1/buckets/files/objects?prefix=c/&fields=key,contentType",
            30,
        ),
    ];
    for (path, heads) in cases {
        proxy.reset();
        let page = twin.get_auth(path, &user.access).await;
        page.assert_ok(200);
        assert!(!page.data()["items"].as_array().unwrap().is_empty());
        assert_eq!(proxy.count("GET"), 1, "one list request: {path}");
        assert_eq!(proxy.count("HEAD"), heads, "{path}");
    }
}
