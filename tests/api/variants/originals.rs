//! Originals no variant is made of (SVG, text), and the reserved `.picgate/` folder the cache
//! lives in.

use image::ImageFormat;
use rstest::rstest;
use serde_json::json;

use super::{get, get_auth, png, quadrants};
use crate::helpers::{Backend, spawn_app, spawn_app_on};

/// An SVG asked for a variant without a format of its own is answered as the original would
/// be; with a format it is 415; a text file's variant is 415.
#[tokio::test]
async fn what_picgate_cannot_decode_is_served_as_is_or_refused() {
    let app = spawn_app().await;
    let user = app.user().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="red"/></svg>"#.to_vec();
    app.put(&user.access, "images", "logo.svg", svg.clone())
        .await
        .assert_ok(201);
    let original = get(&app, "/f/images/logo.svg", &[]).await;
    assert_eq!(original.status, 200);
    assert_eq!(original.bytes, svg);
    for query in ["v=auto", "w=320", "fmt=auto", "v=thumb"] {
        let got = get(
            &app,
            &format!("/f/images/logo.svg?{query}"),
            &[("accept", "image/avif,image/webp,*/*"), ("x-client", "h5")],
        )
        .await;
        assert_eq!(got.status, original.status, "{query}");
        assert_eq!(
            got.header("content-type"),
            original.header("content-type"),
            "{query}"
        );
        assert_eq!(got.bytes, svg, "{query}");
        if query == "v=auto" {
            let vary = got.vary();
            assert!(vary.contains("X-Client"), "{query}: Vary {vary}");
        }
        for header in ["content-disposition", "content-security-policy"] {
            assert_eq!(
                got.headers.get(header),
                original.headers.get(header),
                "{query}: {header}"
            );
        }
    }
    for query in ["fmt=webp", "w=320&fmt=png", "fmt=jpeg"] {
        get(&app, &format!("/f/images/logo.svg?{query}"), &[])
            .await
            .answer()
            .assert_error(415, "unsupported_image");
    }

    app.put(
        &user.access,
        "files",
        "notes.txt",
        b"no pixels here\n".to_vec(),
    )
    .await
    .assert_ok(201);
    for query in ["w=320", "v=auto", "fmt=png"] {
        get_auth(&app, &format!("/f/files/notes.txt?{query}"), &user.access)
            .await
            .answer()
            .assert_error(415, "unsupported_image");
    }
    // Bytes that claim to be a PNG but are not one.
    let mut broken = png(&quadrants(64, 48));
    broken.truncate(60);
    app.put(&user.access, "images", "broken.png", broken)
        .await
        .assert_ok(201);
    let got = get(&app, "/f/images/broken.png?w=160", &[]).await;
    assert_eq!(got.status, 422, "{}", String::from_utf8_lossy(&got.bytes));
    got.answer().assert_error(422, "image_malformed");
}

/// Keys under `.picgate/` are refused, and once variants are kept there, no listing shows
/// the folder and no file link reaches into it.
#[rstest]
#[tokio::test]
async fn the_reserved_folder_stays_out_of_sight(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    for key in [".picgate/x.png", ".picgate/variants/x.png"] {
        app.put(&user.access, "images", key, png(&quadrants(8, 8)))
            .await
            .assert_error(400, "invalid_object_key");
    }
    let original = png(&quadrants(400, 300));
    app.put(&user.access, "images", "r.png", original.clone())
        .await
        .assert_ok(201);
    get(&app, "/f/images/r.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    let cached: Vec<String> = app
        .cache_files()
        .into_iter()
        .filter(|f| f.starts_with("images/.picgate/"))
        .collect();
    assert!(
        !cached.is_empty(),
        "the variant is kept: {:?}",
        app.cache_files()
    );

    let listing = app
        .get_auth("/api/v1/buckets/images/objects", &user.access)
        .await;
    listing.assert_ok(200);
    assert_eq!(listing.item_keys(), ["r.png"], "{}", listing.body);
    let folders = app
        .get_auth("/api/v1/buckets/images/objects?delimiter=/", &user.access)
        .await;
    folders.assert_ok(200);
    assert_eq!(folders.item_keys(), ["r.png"], "{}", folders.body);
    assert!(
        !folders.body.to_string().contains(".picgate"),
        "{}",
        folders.body
    );
    let inside = app
        .get_auth(
            "/api/v1/buckets/images/objects?prefix=.picgate/",
            &user.access,
        )
        .await;
    if inside.status == 200 {
        assert!(inside.item_keys().is_empty(), "{}", inside.body);
    } else {
        assert_eq!(inside.status, 400, "{}", inside.body);
    }

    // Nor do usage figures, even rebuilt from what the storage holds.
    let admin = app.admin().await;
    let rebuilt = app
        .post_json(
            "/api/v1/admin/usage/rebuild",
            &json!({}),
            Some(&admin.access),
        )
        .await;
    rebuilt.assert_ok(200);
    assert_eq!(
        rebuilt.data()["buckets"]["images"],
        json!({"objects": 1, "bytes": original.len()}),
        "{}",
        rebuilt.body
    );

    // The cached files are not objects: no file link serves them.
    for file in cached {
        let key = file.strip_prefix("images/").unwrap();
        let got = get(&app, &format!("/f/images/{key}"), &[]).await;
        assert!(
            matches!(got.status, 400 | 404),
            "{key}: {} {}",
            got.status,
            String::from_utf8_lossy(&got.bytes[..got.bytes.len().min(200)])
        );
    }
}
