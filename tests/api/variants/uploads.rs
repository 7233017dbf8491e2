//! What upload answers say of an image: its size, a blurhash, a thumbnail and a `srcset`; and
//! upload tools' thumbnails (signed in a private bucket).

use image::ImageFormat;
use rstest::rstest;
use serde_json::json;

use super::{RED, WHITE, assert_colour, get, png, quadrants};
use crate::helpers::{Answer, Backend, TestApp, spawn_app_on};

const IMAGE_FIELDS: [&str; 5] = ["width", "height", "blurhash", "thumbnailUrl", "srcset"];

/// An 800×600 PNG's upload answer has its size, a 28-character blurhash, `thumbnailUrl`
/// (`?v=thumb`, 320×320) and a `srcset` of the ladder widths below 800 then the original; a
/// text file's has none of these.
#[rstest]
#[tokio::test]
async fn an_upload_answer_describes_the_image(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let uploaded = app
        .upload(
            &user.access,
            "images",
            "shot.png",
            png(&quadrants(800, 600)),
        )
        .await;
    uploaded.assert_ok(201);
    let data = uploaded.data();
    assert_eq!(data["width"], 800, "{data}");
    assert_eq!(data["height"], 600, "{data}");
    let blurhash = data["blurhash"].as_str().unwrap();
    assert_eq!(blurhash.chars().count(), 28, "a 4×3 blurhash: {blurhash}");
    assert!(
        blurhash
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "#$%*+,-.:;=?@[]^_{|}~".contains(c)),
        "{blurhash}"
    );
    let url = data["url"].as_str().unwrap();
    assert_eq!(
        url,
        app.url(&format!("/f/images/{}", data["key"].as_str().unwrap()))
    );
    // Kept with the object: its metadata says the same later.
    let info = app
        .get_auth(
            &format!(
                "/api/v1/buckets/images/info/{}",
                data["key"].as_str().unwrap()
            ),
            &user.access,
        )
        .await;
    info.assert_ok(200);
    assert_eq!(info.data()["width"], 800);
    assert_eq!(info.data()["height"], 600);
    assert_eq!(info.data()["blurhash"], blurhash);
    let thumbnail = data["thumbnailUrl"].as_str().unwrap();
    assert_eq!(thumbnail, format!("{url}?v=thumb"));
    let thumb = get(&app, thumbnail, &[("accept", "*/*")])
        .await
        .image_sized(ImageFormat::Png, 320, 320);
    assert_colour(&thumb, 3, 3, RED, 8);
    assert_colour(&thumb, 316, 316, WHITE, 8);
    let expected = [160, 320, 480, 640, 750]
        .iter()
        .map(|w| format!("{url}?w={w} {w}w"))
        .chain([format!("{url} 800w")])
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(data["srcset"], expected.as_str());
    // Each candidate is what it says.
    for w in [160, 750] {
        let image = get(&app, &format!("{url}?w={w}"), &[])
            .await
            .image(ImageFormat::Png);
        assert_eq!(image.width(), w);
    }

    // Several files at once: each image item has its own.
    let part = |name: &str, bytes: Vec<u8>| {
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned())
    };
    let form = reqwest::multipart::Form::new()
        .part("file", part("one.png", png(&quadrants(200, 100))))
        .part("file", part("two.png", png(&quadrants(100, 300))));
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let both = Answer::from(res).await;
    both.assert_ok(201);
    let items = both.data()["items"].as_array().unwrap();
    let sizes: Vec<_> = items
        .iter()
        .map(|i| (i["width"].clone(), i["height"].clone()))
        .collect();
    assert_eq!(sizes, [(json!(200), json!(100)), (json!(100), json!(300))]);
    // Only ladder widths below the image's own: 160 for the 200-px one, none for the other.
    let one = items[0]["url"].as_str().unwrap();
    assert_eq!(items[0]["srcset"], format!("{one}?w=160 160w, {one} 200w"));
    let two = items[1]["url"].as_str().unwrap();
    assert_eq!(items[1]["srcset"], format!("{two} 100w"));
    for item in items {
        let url = item["url"].as_str().unwrap();
        assert_eq!(item["thumbnailUrl"], format!("{url}?v=thumb"));
    }

    let text = app
        .upload(
            &user.access,
            "files",
            "notes.txt",
            b"just some words\n".to_vec(),
        )
        .await;
    text.assert_ok(201);
    for field in IMAGE_FIELDS {
        assert!(text.data().get(field).is_none(), "{field}: {}", text.body);
    }
    // Nor has an image picgate does not decode.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>"#;
    let svg = app
        .upload(&user.access, "images", "icon.svg", svg.to_vec())
        .await;
    svg.assert_ok(201);
    for field in IMAGE_FIELDS {
        assert!(svg.data().get(field).is_none(), "{field}: {}", svg.body);
    }
}

/// Mints an API token that uploads, as the user does in the web UI.
async fn upload_token(app: &TestApp, session: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": "piclist", "scopes": ["upload"]}),
            Some(session),
        )
        .await;
    res.assert_ok(201);
    res.data()["token"].as_str().unwrap().to_owned()
}

/// PicList's Lsky Pro V2 upload (`POST /api/v1/upload`).
async fn lsky_upload(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("shot.png")
        .mime_str("image/png")
        .unwrap();
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("ssl", "true");
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let res = app
        .client
        .post(app.url("/api/v1/upload"))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// A tool upload's `links.thumbnail_url` is a 320×320 thumbnail; in a private bucket it is
/// signed, so an image viewer with no token gets it.
#[rstest]
#[tokio::test]
async fn tool_uploads_link_a_thumbnail_that_works_without_a_token(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let token = upload_token(&app, &user.access).await;
    for (fields, bucket) in [
        (&[][..], "images"),
        (&[("strategy_id", "files")][..], "files"),
    ] {
        let uploaded = lsky_upload(&app, &token, png(&quadrants(800, 600)), fields).await;
        assert_eq!(uploaded.status, 200, "{}", uploaded.body);
        assert_eq!(uploaded.body["status"], true, "{}", uploaded.body);
        assert_eq!(uploaded.data()["bucket"], bucket, "{}", uploaded.body);
        let thumbnail = uploaded.data()["links"]["thumbnail_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no links.thumbnail_url: {}", uploaded.body))
            .to_owned();
        assert!(thumbnail.contains("v=thumb"), "{thumbnail}");
        if bucket == "files" {
            assert!(thumbnail.contains("signature="), "{thumbnail}");
        } else {
            assert!(!thumbnail.contains("signature="), "{thumbnail}");
        }
        let res = reqwest::Client::new()
            .get(&thumbnail)
            .header("accept", "*/*")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let bytes = res.bytes().await.unwrap();
        assert_eq!(
            status,
            200,
            "{thumbnail}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let image = image::load_from_memory(&bytes).unwrap();
        assert_eq!((image.width(), image.height()), (320, 320), "{thumbnail}");
        assert_colour(&image, 3, 3, RED, 8);
    }
}
