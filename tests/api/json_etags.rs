//! JSON answers to `GET` carry a strong `ETag` of their body, and a client that names it in
//! `If-None-Match` gets 304 with no body until the answer changes.

use crate::helpers::{PNG, spawn_app};

#[tokio::test]
async fn a_json_get_is_tagged_and_revalidates_to_304_until_it_changes() {
    let app = spawn_app().await;
    let user = app.user().await;
    let list = app.url("/api/v1/buckets/images/objects");
    let get = |inm: Option<&str>, encoding: &str| {
        let mut req = app
            .client
            .get(&list)
            .bearer_auth(&user.access)
            .header("accept-encoding", encoding);
        if let Some(tag) = inm {
            req = req.header("if-none-match", tag);
        }
        req.send()
    };

    let first = get(None, "identity").await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "strong: {etag}");
    // Tagged per content coding, so it varies by it even when sent uncompressed.
    let first_vary = first
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(first_vary.contains("accept-encoding"), "{first_vary}");
    let body = first.bytes().await.unwrap();
    // HEAD carries the same tag and revalidates the same way.
    let head = app
        .client
        .head(&list)
        .bearer_auth(&user.access)
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
    let head_304 = app
        .client
        .head(&list)
        .bearer_auth(&user.access)
        .header("accept-encoding", "identity")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(head_304.status(), 304);

    let again = get(Some(&etag), "identity").await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    // The 304 varies as the 200 does (RFC 9110 §15.4.5).
    let vary = |res: &reqwest::Response| {
        res.headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for name in ["accept-encoding", "x-client", "user-agent"] {
        assert!(
            vary(&again).contains(name),
            "304 Vary lacks {name}: {}",
            vary(&again)
        );
    }
    assert!(again.bytes().await.unwrap().is_empty());
    // Weak comparison, and a list.
    let weak = get(Some(&format!("\"x\", W/{etag}")), "identity")
        .await
        .unwrap();
    assert_eq!(weak.status(), 304);

    // Another content coding is another representation: its own tag.
    let gzip = get(None, "gzip").await.unwrap();
    let gzip_tag = gzip.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(gzip_tag, etag);
    assert_eq!(get(Some(&gzip_tag), "gzip").await.unwrap().status(), 304);

    app.put(&user.access, "images", "new.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let changed = get(Some(&etag), "identity").await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert_ne!(changed.bytes().await.unwrap(), body);
}

#[tokio::test]
async fn errors_writes_and_object_bytes_keep_their_own_headers() {
    let app = spawn_app().await;
    let user = app.user().await;
    let missing = app
        .client
        .get(app.url("/api/v1/buckets/images/info/none.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("etag").is_none());
    // The seed answers its failures with HTTP 200: still not a representation to tag.
    let seed = |query: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/imagepic/bucket/listBuckets{query}")))
                .send()
                .await
                .unwrap()
        }
    };
    let seed_failure = seed("?pageSize=many&pageNum=1").await;
    assert_eq!(seed_failure.status(), 200);
    assert!(seed_failure.headers().get("etag").is_none());
    assert!(seed("").await.headers().get("etag").is_some());

    let put = app.put(&user.access, "images", "a.png", PNG.to_vec()).await;
    put.assert_ok(201);
    let object_etag = put.data()["etag"].as_str().unwrap().to_owned();
    let bytes = app
        .client
        .get(app.url("/f/images/a.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.headers()["etag"].to_str().unwrap(), object_etag);
}
