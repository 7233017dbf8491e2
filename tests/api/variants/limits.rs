//! The bounds of making variants: pixels and bytes of the original, a decompression bomb, and
//! how many are made at once.

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use image::ImageFormat;

use super::{RED, assert_colour, detailed, get, jpeg, metric, png, png_rgb, solid};
use crate::helpers::{Sessions, spawn_app, spawn_app_with};

/// Over `max_pixels` or `max_input_bytes` a variant is 422 `image_too_large` saying which;
/// the original is still served, and an image within both gets its variant.
#[tokio::test]
async fn originals_over_a_limit_get_no_variant() {
    let (pixels, bytes, memory) = tokio::join!(
        spawn_app_with(Sessions::Redis, "[variants]\nmax_pixels = 100000\n"),
        spawn_app_with(Sessions::Redis, "[variants]\nmax_input_bytes = 1000\n"),
        spawn_app_with(
            Sessions::Redis,
            "[variants]\nmemory_budget_bytes = 4194304\n"
        ),
    );

    let user = pixels.user().await;
    let big = png(&solid(400, 300, RED));
    pixels
        .put(&user.access, "images", "big.png", big.clone())
        .await
        .assert_ok(201);
    pixels
        .put(
            &user.access,
            "images",
            "fine.png",
            png(&solid(320, 240, RED)),
        )
        .await
        .assert_ok(201);
    let refused = get(&pixels, "/f/images/big.png?w=160", &[]).await.answer();
    refused.assert_error(422, "image_too_large");
    let msg = refused.body["msg"].as_str().unwrap();
    assert!(
        msg.contains("pixels"),
        "the message says which limit: {msg}"
    );
    let original = get(&pixels, "/f/images/big.png", &[]).await;
    assert_eq!(original.status, 200);
    assert_eq!(original.bytes, big, "the original is served as it is");
    get(&pixels, "/f/images/fine.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);

    let user = bytes.user().await;
    let heavy = png_rgb(&detailed(200, 150));
    assert!(heavy.len() > 1000);
    bytes
        .put(&user.access, "images", "heavy.png", heavy.clone())
        .await
        .assert_ok(201);
    let tiny = png(&solid(16, 16, RED));
    assert!(tiny.len() <= 1000, "{} bytes", tiny.len());
    bytes
        .put(&user.access, "images", "tiny.png", tiny)
        .await
        .assert_ok(201);
    let refused = get(&bytes, "/f/images/heavy.png?w=160", &[]).await.answer();
    refused.assert_error(422, "image_too_large");
    let msg = refused.body["msg"].as_str().unwrap();
    assert!(msg.contains("bytes"), "the message says which limit: {msg}");
    assert_eq!(get(&bytes, "/f/images/heavy.png", &[]).await.bytes, heavy);
    let image = get(&bytes, "/f/images/tiny.png?w=160&fmt=webp", &[])
        .await
        .image_sized(ImageFormat::WebP, 16, 16);
    assert_colour(&image, 8, 8, RED, 40);

    // An image estimated above the whole budget runs alone; one whose decoded pixels alone
    // exceed it is refused.
    let user = memory.user().await;
    memory
        .put(&user.access, "images", "m.png", png(&solid(800, 600, RED)))
        .await
        .assert_ok(201);
    memory
        .put(
            &user.access,
            "images",
            "l.png",
            png(&solid(1600, 1200, RED)),
        )
        .await
        .assert_ok(201);
    memory
        .put(&user.access, "images", "s.png", png(&solid(40, 30, RED)))
        .await
        .assert_ok(201);
    get(&memory, "/f/images/m.png?w=640", &[])
        .await
        .image_sized(ImageFormat::Png, 640, 480);
    let refused = get(&memory, "/f/images/l.png?w=640", &[]).await.answer();
    refused.assert_error(422, "image_too_large");
    let msg = refused.body["msg"].as_str().unwrap();
    assert!(
        msg.contains("4194304 bytes"),
        "the message names the budget: {msg}"
    );
    assert!(
        get(&memory, "/f/images/l.png", &[]).await.status == 200,
        "the original is still served"
    );
    get(&memory, "/f/images/s.png?w=160&fmt=jpeg", &[])
        .await
        .image_sized(ImageFormat::Jpeg, 40, 30);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A valid-looking PNG of a few hundred bytes whose header declares 100000×100000 RGB8
/// (30 GB of pixels): its data is zlib-compressed zeros.
fn bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::best());
    zlib.write_all(&vec![0u8; 256 * 1024]).unwrap();
    chunk(&mut png, b"IDAT", &zlib.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A 1-bit greyscale PNG of `width`×`height`, all black: valid and tiny however large.
fn black_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    let row = vec![0u8; 1 + (width as usize).div_ceil(8)];
    for _ in 0..height {
        zlib.write_all(&row).unwrap();
    }
    chunk(&mut png, b"IDAT", &zlib.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    png
}

/// `max_pixels` (50 MP by default) is the largest original a variant is made of: an 8000×6000
/// (48 MP) image gets its variant with the default settings, as a 6000×4000 one does.
#[tokio::test]
async fn an_image_within_max_pixels_gets_its_variant_with_the_default_settings() {
    let app = spawn_app().await;
    let user = app.user().await;
    let mut refused = Vec::new();
    for (w, h) in [(6000u32, 4000u32), (8000, 6000)] {
        let key = format!("black-{w}x{h}.png");
        app.put(&user.access, "images", &key, black_png(w, h))
            .await
            .assert_ok(201);
        let got = get(&app, &format!("/f/images/{key}?w=160"), &[]).await;
        if got.status != 200 {
            refused.push(format!(
                "{w}x{h}: {} {}",
                got.status,
                String::from_utf8_lossy(&got.bytes)
            ));
            continue;
        }
        let image = got.image(ImageFormat::Png);
        assert_eq!(image.width(), 160);
        assert!(
            image.height().abs_diff(160 * h / w) <= 1,
            "{w}x{h}: {}",
            image.height()
        );
        assert_colour(&image, 80, 60, [0, 0, 0, 255], 0);
    }
    assert!(refused.is_empty(), "{refused:#?}");
}

/// A decompression bomb is stored (it is a PNG) without image fields, and its variant is
/// refused at once, from its header.
#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let app = spawn_app().await;
    let user = app.user().await;
    let bomb = bomb();
    assert!(bomb.len() < 2000, "{} bytes", bomb.len());
    let started = Instant::now();
    let uploaded = app
        .upload(&user.access, "images", "bomb.png", bomb.clone())
        .await;
    uploaded.assert_ok(201);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(uploaded.data()["contentType"], "image/png");
    for field in ["width", "height", "blurhash", "thumbnailUrl", "srcset"] {
        assert!(
            uploaded.data().get(field).is_none(),
            "{field} for a bomb: {}",
            uploaded.body
        );
    }
    let key = uploaded.data()["key"].as_str().unwrap().to_owned();
    for query in ["w=320", "v=thumb", "fmt=webp"] {
        let started = Instant::now();
        let got = get(&app, &format!("/f/images/{key}?{query}"), &[]).await;
        let took = started.elapsed();
        got.answer().assert_error(422, "image_too_large");
        assert!(took < Duration::from_secs(1), "{query}: took {took:?}");
    }
    assert_eq!(
        get(&app, &format!("/f/images/{key}"), &[]).await.bytes,
        bomb
    );
    let scrape = app.scrape().await;
    assert_eq!(
        metric(&scrape, r#"picgate_image_transforms_total{outcome="made"}"#),
        0
    );
}

/// With one slot and no queue, concurrent requests for different variants of a large image
/// get 503 `transforms_busy` with `Retry-After` while one is made; what is served is a valid
/// image, and a refused one made later is served.
#[tokio::test]
async fn too_many_at_once_are_refused_with_retry_after() {
    let app = spawn_app_with(
        Sessions::Redis,
        "[variants]\nmax_concurrent = 1\nmax_queued = 0\n",
    )
    .await;
    let user = app.user().await;
    app.put(
        &user.access,
        "images",
        "big.jpg",
        jpeg(&detailed(1600, 1200), 90),
    )
    .await
    .assert_ok(201);
    let widths = [160u32, 320, 480, 640, 750, 960, 1280];
    let mut refused = Vec::new();
    let mut served = 0;
    for round in ["", "&q=50", "&fmt=webp"] {
        let requests = widths.map(|w| {
            let client = app.client.clone();
            let query = format!("w={w}{round}");
            let url = app.url(&format!("/f/images/big.jpg?{query}"));
            tokio::spawn(async move {
                let res = client.get(url).send().await.unwrap();
                let status = res.status().as_u16();
                let retry_after = res
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let ct = res
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body = res.bytes().await.unwrap().to_vec();
                (w, query, status, retry_after, ct, body)
            })
        });
        for answer in futures::future::join_all(requests).await {
            let (w, query, status, retry_after, ct, body) = answer.unwrap();
            match status {
                200 => {
                    served += 1;
                    let format = if round.contains("webp") {
                        ImageFormat::WebP
                    } else {
                        ImageFormat::Jpeg
                    };
                    assert_eq!(ct.as_deref(), Some(format.to_mime_type()), "{query}");
                    let image = image::load_from_memory_with_format(&body, format).unwrap();
                    // 4:3, the height rounded to the nearest pixel (750 → 562.5 → 563).
                    let height = (w * 3 + 2) / 4;
                    assert_eq!((image.width(), image.height()), (w, height), "{query}");
                }
                503 => {
                    let envelope: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(envelope["code"], "transforms_busy", "{envelope}");
                    assert_eq!(envelope["success"], false, "{envelope}");
                    let secs: u64 = retry_after
                        .unwrap_or_else(|| panic!("{query}: a 503 without Retry-After"))
                        .parse()
                        .unwrap();
                    assert!((1..=60).contains(&secs), "Retry-After {secs}");
                    refused.push((w, query));
                }
                other => panic!("{query}: {other} {}", String::from_utf8_lossy(&body)),
            }
        }
        if !refused.is_empty() && served > 0 {
            break;
        }
    }
    assert!(served > 0, "none of the variants was made");
    assert!(
        !refused.is_empty(),
        "no request was refused with one slot and no queue"
    );
    let scrape = app.scrape().await;
    let busy = metric(&scrape, r#"picgate_image_transforms_total{outcome="busy"}"#);
    assert!(
        busy >= refused.len() as u64,
        "busy {busy}, refused {refused:?}"
    );

    // The rush is over: a refused variant is made now.
    let (w, query) = &refused[0];
    let again = get(&app, &format!("/f/images/big.jpg?{query}"), &[]).await;
    assert_eq!(again.status, 200, "{query}");
    let image = image::load_from_memory(&again.bytes).unwrap();
    assert_eq!(
        (image.width(), image.height()),
        (*w, (w * 3 + 2) / 4),
        "{query}"
    );
}
