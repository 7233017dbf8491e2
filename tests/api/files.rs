use std::time::Duration;

use serde_json::json;

use rstest::rstest;

use crate::helpers::{Answer, Backend, PNG, TestApp, spawn_app_on};

#[rstest]
#[tokio::test]
async fn public_files_are_served_with_caching_headers_and_nosniff(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "p.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/f/images/p.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["content-length"], PNG.len().to_string().as_str());
    assert!(h["cache-control"].to_str().unwrap().contains("public"));
    assert!(h.contains_key("last-modified"));
    assert!(h.get("content-disposition").is_none());
    let etag = h["etag"].to_str().unwrap().to_owned();

    let cached = app
        .client
        .get(app.url("/f/images/p.png"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());
}

#[rstest]
#[tokio::test]
async fn ranges_are_served_as_206_and_bad_ones_as_416(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "r.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/f/images/r.png"))
        .header("range", "bytes=1-3")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 1-3/{}", PNG.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &PNG[1..4]);
    let tail = app
        .client
        .get(app.url("/f/images/r.png"))
        .header("range", "bytes=-4")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &PNG[PNG.len() - 4..]);
    let bad = app
        .client
        .get(app.url("/f/images/r.png"))
        .header("range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    Answer::from(bad)
        .await
        .assert_error(416, "range_not_satisfiable");
}

#[rstest]
#[tokio::test]
async fn head_answers_the_headers_without_the_body(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "h.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .head(app.url("/f/images/h.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-length"],
        PNG.len().to_string().as_str()
    );
    assert!(res.bytes().await.unwrap().is_empty());
}

#[rstest]
#[tokio::test]
async fn a_missing_file_is_404_in_the_envelope(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    app.get("/f/images/nothing-here.png")
        .await
        .assert_error(404, "object_not_found");
    app.get("/f/nobucket/x.png")
        .await
        .assert_error(404, "bucket_not_found");
}

#[rstest]
#[tokio::test]
async fn private_files_need_a_token_or_a_valid_signature(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(
        &user.access,
        "files",
        "secret/plan.txt",
        b"top secret".to_vec(),
    )
    .await
    .assert_ok(201);
    app.get("/f/files/secret/plan.txt")
        .await
        .assert_error(401, "missing_token");
    let with_token = app
        .client
        .get(app.url("/f/files/secret/plan.txt"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    assert!(
        with_token.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );

    app.put(
        &user.access,
        "files",
        "secret/plan2.txt",
        b"other secret".to_vec(),
    )
    .await
    .assert_ok(201);
    let signed = app
        .post_json(
            "/api/v1/buckets/files/sign/secret/plan.txt",
            &json!({"expiresIn": 60}),
            Some(&user.access),
        )
        .await;
    signed.assert_ok(200);
    let url = signed.data()["url"].as_str().unwrap().to_owned();
    assert!(signed.data()["expiresAt"].is_string());
    // fs: the gateway's own `/f` link; S3: the S3 server's presigned URL.
    let expected_origin = match app.s3_endpoint() {
        None => app.url("/f/files/secret/plan.txt?"),
        Some(endpoint) => endpoint,
    };
    assert!(url.starts_with(&expected_origin), "{url}");
    let anonymous = reqwest::get(&url).await.unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.text().await.unwrap(), "top secret");

    let tampered = url.replace("plan.txt", "plan2.txt");
    let mut forged = url.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    for bad in [tampered, forged] {
        assert_ne!(bad, url);
        refused(&app, reqwest::get(&bad).await.unwrap(), "invalid_signature").await;
    }
}

/// A signed link that the gateway (fs) or the S3 server refuses: 403, and no secret bytes.
async fn refused(app: &TestApp, res: reqwest::Response, code: &str) {
    match app.backend {
        Backend::Fs => Answer::from(res).await.assert_error(403, code),
        Backend::S3 => {
            assert_eq!(res.status(), 403);
            let body = res.text().await.unwrap();
            assert!(body.contains("<Code>"), "an S3 error document: {body}");
            assert!(!body.contains("secret"), "{body}");
            if code == "signature_expired" {
                assert!(body.contains("expired"), "{body}");
            }
        }
    }
}

#[rstest]
#[tokio::test]
async fn an_expired_signature_is_refused(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "soon.txt", b"gone soon".to_vec())
        .await
        .assert_ok(201);
    let signed = app
        .post_json(
            "/api/v1/buckets/files/sign/soon.txt",
            &json!({"expiresIn": 2}),
            Some(&user.access),
        )
        .await;
    signed.assert_ok(200);
    let url = signed.data()["url"].as_str().unwrap().to_owned();
    // Two seconds, not one: S3 counts from the signing time cut to whole seconds.
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    refused(&app, reqwest::get(&url).await.unwrap(), "signature_expired").await;
}

#[rstest]
#[tokio::test]
async fn signing_a_missing_object_or_a_silly_expiry_is_refused(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.post_json(
        "/api/v1/buckets/files/sign/none.txt",
        &json!({"expiresIn": 60}),
        Some(&user.access),
    )
    .await
    .assert_error(404, "object_not_found");
    app.put(&user.access, "files", "x.txt", b"x".to_vec())
        .await
        .assert_ok(201);
    app.post_json(
        "/api/v1/buckets/files/sign/x.txt",
        &json!({"expiresIn": 400 * 24 * 3600}),
        Some(&user.access),
    )
    .await
    .assert_error(400, "invalid_expiry");
}

#[rstest]
#[tokio::test]
async fn active_content_is_only_ever_a_download(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#.to_vec();
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
    app.put(&user.access, "images", "x.svg", svg)
        .await
        .assert_ok(201);
    app.put(&user.access, "files", "x.html", html)
        .await
        .assert_ok(201);
    for path in ["/f/images/x.svg", "/f/files/x.html"] {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(&user.access)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"),
            "{path}"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
}

#[rstest]
#[tokio::test]
async fn an_unsatisfiable_range_says_the_size(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "z.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/f/images/z.png"))
        .header("range", "bytes=9999-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", PNG.len()).as_str()
    );
}

#[rstest]
#[tokio::test]
async fn file_bytes_do_not_vary_by_client(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "v.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/f/images/v.png"))
        .send()
        .await
        .unwrap();
    let vary = res
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(",");
    assert!(!vary.contains("User-Agent"), "{vary}");
}

#[rstest]
#[tokio::test]
async fn a_malformed_sign_body_is_a_400_not_a_default_link(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "s.txt", b"x".to_vec())
        .await
        .assert_ok(201);
    for body in ["{bad", "{\"expiresIn\": \"soon\"}"] {
        let res = app
            .client
            .post(app.url("/api/v1/buckets/files/sign/s.txt"))
            .bearer_auth(&user.access)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        Answer::from(res).await.assert_error(400, "malformed_json");
    }
}

#[rstest]
#[tokio::test]
async fn links_ignore_forwarded_hosts_from_untrusted_clients(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("fw.png");
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let res = Answer::from(res).await;
    res.assert_ok(201);
    assert_eq!(res.data()["url"], app.url("/f/images/fw.png"));
}
