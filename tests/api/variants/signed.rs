//! Signed variant links of a private bucket: the signature covers the variant parameters.

use image::ImageFormat;
use rstest::rstest;
use serde_json::json;

use super::{Got, RED, WHITE, assert_colour, assert_names_param, get, get_auth, png, quadrants};
use crate::helpers::{Backend, TestApp, spawn_app_on};

/// Signs `key` of `files` with `body`; the link.
async fn sign(app: &TestApp, token: &str, key: &str, body: serde_json::Value) -> String {
    let signed = app
        .post_json(
            &format!("/api/v1/buckets/files/sign/{key}"),
            &body,
            Some(token),
        )
        .await;
    signed.assert_ok(200);
    assert!(signed.data()["expiresAt"].is_string(), "{}", signed.body);
    signed.data()["url"].as_str().unwrap().to_owned()
}

/// GETs `url` as a browser with no token and no cookie would.
async fn anonymous(url: &str) -> Got {
    let res = reqwest::Client::new().get(url).send().await.unwrap();
    Got {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        bytes: res.bytes().await.unwrap().to_vec(),
    }
}

/// A refused signed link: the gateway's 403 envelope, or (a native S3 link) S3's 403; either
/// way no image.
#[track_caller]
fn assert_refused(app: &TestApp, got: &Got, url: &str) {
    assert_eq!(got.status, 403, "{url}");
    assert!(image::load_from_memory(&got.bytes).is_err(), "{url}");
    if url.starts_with(&app.address) {
        got.answer().assert_error(403, "invalid_signature");
    }
}

/// `POST …/sign/{key}` with `variant` answers a gateway link to that variant alone: it serves
/// it without a token; changing, dropping or adding a parameter is 403 `invalid_signature`; a
/// link signed for the original serves no variant; no signature and no token is 401.
#[rstest]
#[tokio::test]
async fn a_signed_variant_link_serves_that_variant_only(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let key = "sig/a.png";
    app.put(&user.access, "files", key, png(&quadrants(800, 600)))
        .await
        .assert_ok(201);

    let url = sign(
        &app,
        &user.access,
        key,
        json!({"variant": "w=320", "expiresIn": 600}),
    )
    .await;
    assert!(
        url.starts_with(&app.url(&format!("/f/files/{key}?"))),
        "a gateway link on every backend: {url}"
    );
    assert!(url.contains("w=320") && url.contains("signature="), "{url}");
    let got = anonymous(&url).await;
    let image = got.image_sized(ImageFormat::Png, 320, 240);
    assert_colour(&image, 5, 5, RED, 8);
    assert!(got.header("cache-control").contains("private"));

    let changed = url.replace("w=320", "w=640");
    let dropped = url.replace("w=320&", "").replace("&w=320", "");
    let added = format!("{url}&fmt=webp");
    for bad in [changed, dropped, added] {
        assert_ne!(bad, url);
        assert_refused(&app, &anonymous(&bad).await, &bad);
    }

    // A link signed for the original serves the original, and no variant of it.
    let original = sign(&app, &user.access, key, json!({"expiresIn": 600})).await;
    let got = anonymous(&original).await;
    got.image_sized(ImageFormat::Png, 800, 600);
    let with_variant = format!("{original}&w=320");
    assert_refused(&app, &anonymous(&with_variant).await, &with_variant);

    // No signature: a token, as for the original.
    get(&app, &format!("/f/files/{key}?w=320"), &[])
        .await
        .answer()
        .assert_error(401, "missing_token");
    let with_token = get_auth(&app, &format!("/f/files/{key}?w=320"), &user.access).await;
    with_token.image_sized(ImageFormat::Png, 320, 240);
    // Knowing the variant's ETag opens nothing: no 304 without access.
    let etag = with_token.header("etag").to_owned();
    let guessed = get(
        &app,
        &format!("/f/files/{key}?w=320"),
        &[("if-none-match", &etag)],
    )
    .await;
    guessed.answer().assert_error(401, "missing_token");
    let forged = url.replace("w=320", "w=640");
    let guessed = get(&app, &forged, &[("if-none-match", &etag)]).await;
    guessed.answer().assert_error(403, "invalid_signature");
    let head = super::send(
        &app,
        reqwest::Method::HEAD,
        &format!("/f/files/{key}?w=320"),
        &[],
        None,
    )
    .await;
    assert_eq!(head.status, 401);
    assert!(head.bytes.is_empty());

    // Presets and several parameters sign as they are asked.
    let thumb = sign(&app, &user.access, key, json!({"variant": "v=thumb"})).await;
    let image = anonymous(&thumb)
        .await
        .image_sized(ImageFormat::Png, 320, 320);
    assert_colour(&image, 316, 316, WHITE, 8);
    let several = sign(
        &app,
        &user.access,
        key,
        json!({"variant": "fmt=webp&w=160&q=50"}),
    )
    .await;
    anonymous(&several)
        .await
        .image_sized(ImageFormat::WebP, 160, 120);

    // A variant off the lists is refused when signing, named.
    for (variant, param) in [
        ("w=321", "w"),
        ("fit=stretch&w=320", "fit"),
        ("q=81&w=320", "q"),
    ] {
        let refused = app
            .post_json(
                &format!("/api/v1/buckets/files/sign/{key}"),
                &json!({ "variant": variant }),
                Some(&user.access),
            )
            .await;
        assert_names_param(&refused, param);
    }
}

/// A signed variant link ends when it says: then 403 `signature_expired`.
#[rstest]
#[tokio::test]
async fn a_signed_variant_link_expires(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "soon.png", png(&quadrants(400, 300)))
        .await
        .assert_ok(201);
    let url = sign(
        &app,
        &user.access,
        "soon.png",
        json!({"variant": "w=160", "expiresIn": 2}),
    )
    .await;
    anonymous(&url)
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    anonymous(&url)
        .await
        .answer()
        .assert_error(403, "signature_expired");
}
