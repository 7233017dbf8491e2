use rstest::rstest;

use crate::helpers::{Answer, Backend, PNG, spawn_app_on};

#[rstest]
#[tokio::test]
async fn h5_clients_get_an_objects_details_and_the_profile_headers(
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
    // One object's details: what a detail page shows (an image's dimensions included; the 1×1
    // PNG is one), without the bucket, name and blurhash the page already has.
    assert_eq!(
        keys,
        [
            "contentType",
            "etag",
            "height",
            "key",
            "lastModified",
            "owner",
            "size",
            "url",
            "width"
        ]
    );
    // The same object in a listing is slim.
    let res = app
        .client
        .get(app.url("/api/v1/buckets/images/objects?fields=key,size,url"))
        .header("x-client", "h5")
        .send()
        .await
        .unwrap();
    let listed = Answer::from(res).await;
    listed.assert_ok(200);
    let item = &listed.data()["items"][0];
    let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
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

/// The same 50 objects listed for a PC and for a phone: the H5 page gets each item's key and
/// size and the link base once, at most a quarter of the PC bytes, and fewer after gzip too;
/// the base and a (relative) key make the link that serves the object.
#[rstest]
#[tokio::test]
async fn an_h5_list_is_a_quarter_of_the_pc_one_and_its_links_still_work(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let mut keys: Vec<String> = (0..49)
        .map(|i| format!("screenshots/2026/11/IMG_20261130_{i:04}.png"))
        .collect();
    keys.push("screenshots/2026/11/截图 1.png".to_owned());
    for key in &keys {
        app.put(&user.access, "images", key, PNG.to_vec())
            .await
            .assert_ok(201);
    }
    let list = "/api/v1/buckets/images/objects?prefix=screenshots/&pageSize=50";
    let fetch = |client: &'static str, encoding: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(list))
                .header("x-client", client)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap().len()
        }
    };
    let (pc_raw, h5_raw) = (fetch("pc", "identity").await, fetch("h5", "identity").await);
    let (pc_gzip, h5_gzip) = (fetch("pc", "gzip").await, fetch("h5", "gzip").await);
    assert!(
        h5_raw * 4 <= pc_raw,
        "h5 {h5_raw} bytes vs pc {pc_raw} bytes"
    );
    assert!(h5_gzip < pc_gzip, "gzip: h5 {h5_gzip} vs pc {pc_gzip}");

    let h5 = Answer::from(
        app.client
            .get(app.url(list))
            .header("x-client", "h5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let base = h5.data()["urlBase"].as_str().unwrap().to_owned();
    assert_eq!(base, app.url("/f/images/screenshots/"));
    assert_eq!(h5.data()["keyBase"], "screenshots/");
    let items = h5.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    let last = &items[49];
    assert_eq!(
        last,
        &serde_json::json!({"key": "2026/11/截图 1.png", "size": PNG.len()})
    );
    let encoded: Vec<String> = last["key"]
        .as_str()
        .unwrap()
        .split('/')
        .map(encode_uri_component)
        .collect();
    let served = app
        .client
        .get(format!("{base}{}", encoded.join("/")))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    // Folders are relative to the base too.
    let folders = Answer::from(
        app.client
            .get(app.url("/api/v1/buckets/images/objects?prefix=screenshots/&delimiter=/"))
            .header("x-client", "h5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(folders.data()["keyBase"], "screenshots/");
    assert_eq!(folders.data()["folders"], serde_json::json!(["2026/"]));

    // Naming `url` brings it back on each item, and no base is sent.
    let named = Answer::from(
        app.client
            .get(app.url(&format!("{list}&fields=key,url")))
            .header("x-client", "h5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(named.data().get("urlBase").is_none(), "{}", named.body);
    assert!(named.data().get("keyBase").is_none(), "{}", named.body);
    assert_eq!(
        named.data()["items"][0]["url"],
        app.url("/f/images/screenshots/2026/11/IMG_20261130_0000.png")
    );
}

/// JavaScript's `encodeURIComponent`, as a page would build the link.
fn encode_uri_component(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The seed's list answers keep their shape for the seed's own pages (a phone included) and
/// are trimmed to the `h5` profile's fields only when the client asks for `h5` by name.
#[tokio::test]
async fn seed_lists_are_trimmed_for_h5_only_when_asked() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "s.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let list_objects = |client: Option<&'static str>, agent: &'static str| {
        let app = &app;
        let token = user.access.clone();
        async move {
            let mut req = app
                .client
                .post(app.url("/imagepic/object/listObjects"))
                .bearer_auth(token)
                .header("user-agent", agent)
                .json(&serde_json::json!({"bucketName": "images", "prefix": ""}));
            if let Some(client) = client {
                req = req.header("x-client", client);
            }
            Answer::from(req.send().await.unwrap()).await
        }
    };
    let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
    for seed in [
        list_objects(None, "curl/8").await,
        list_objects(None, phone).await,
    ] {
        let item = &seed.data()["lists"][0];
        let fields: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["etag", "lastModified", "name", "size"], "{item}");
    }
    let h5 = list_objects(Some("h5"), phone).await;
    assert_eq!(h5.data()["total"], 1);
    assert_eq!(
        h5.data()["lists"][0],
        serde_json::json!({"name": "s.png", "size": PNG.len()})
    );

    let buckets = app.get("/imagepic/bucket/listBuckets").await;
    let fields: Vec<&String> = buckets.data()[0].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["creationDate", "name", "policy"]);
    let h5 = Answer::from(
        app.client
            .get(app.url("/imagepic/bucket/listBuckets?client=h5"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        h5.data(),
        &serde_json::json!([
            {"name": "files", "policy": "private"},
            {"name": "images", "policy": "public-read"}
        ])
    );
}
