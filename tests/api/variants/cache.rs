//! Made once, kept in the bucket's storage: the cache answers the next request (on any
//! instance), validators work, concurrent first requests share one making, and replacing or
//! deleting the original retires its variants.

use std::collections::HashSet;

use image::ImageFormat;
use rstest::rstest;

use super::{
    BLUE, RED, WHITE, assert_colour, get, key_hash, made_and_hits, png, quadrants, send, solid,
};
use crate::helpers::{Backend, Sessions, spawn_app_on, spawn_app_on_with, spawn_twin};

/// The second request for a variant is the same bytes and ETag from the cache, with no second
/// transform; a twin instance over the same storage makes none either. `If-None-Match` with
/// the variant's ETag is a 304, `HEAD` says the length without a body.
#[rstest]
#[tokio::test]
async fn a_variant_is_made_once_and_kept_in_the_buckets_storage(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let uploaded = app
        .upload(&user.access, "images", "c.png", png(&quadrants(400, 300)))
        .await;
    uploaded.assert_ok(201);
    let original_etag = uploaded.data()["etag"].as_str().unwrap().to_owned();
    let path = "/f/images/c.png?w=160";
    let (made, hits) = made_and_hits(&app).await;

    let first = get(&app, path, &[]).await;
    let image = first.image_sized(ImageFormat::Png, 160, 120);
    assert_colour(&image, 5, 5, RED, 8);
    assert_colour(&image, 155, 115, WHITE, 8);
    let etag = first.header("etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "a strong ETag: {etag}"
    );
    assert_ne!(etag, original_etag, "the variant has its own ETag");
    assert!(first.header("cache-control").contains("public"));
    assert_eq!(first.header("x-content-type-options"), "nosniff");
    let plain = get(&app, "/f/images/c.png", &[]).await;
    assert_eq!(
        first.header("last-modified"),
        plain.header("last-modified"),
        "the original's Last-Modified"
    );
    assert_eq!(
        first.header("cache-control"),
        plain.header("cache-control"),
        "the original's Cache-Control"
    );
    assert!(!first.headers.contains_key("content-range"));
    let vary = first.vary();
    assert!(
        !vary.contains("Accept") && !vary.contains("X-Client"),
        "nothing chose this variant but its URL: Vary {vary}"
    );

    let second = get(&app, path, &[]).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.bytes, first.bytes, "the same bytes from the cache");
    assert_eq!(second.header("etag"), etag);
    assert_eq!(
        made_and_hits(&app).await,
        (made + 1, hits + 1),
        "one transform over both requests, the second a cache hit"
    );

    // Another instance over the same storage finds it there.
    let twin = spawn_twin(&app).await;
    assert_eq!(made_and_hits(&twin).await, (0, 0));
    let there = get(&twin, path, &[]).await;
    assert_eq!(there.status, 200);
    assert_eq!(there.bytes, first.bytes);
    assert_eq!(there.header("etag"), etag);
    assert_eq!(
        made_and_hits(&twin).await,
        (0, 1),
        "the twin made nothing: the cache is in the bucket's storage"
    );

    // Validators: the variant's ETag is a 304 (nothing made), another one is the variant.
    let fresh = get(&app, path, &[("if-none-match", &etag)]).await;
    assert_eq!(fresh.status, 304);
    assert!(fresh.bytes.is_empty());
    assert_eq!(fresh.header("etag"), etag);
    let weak = format!("W/{etag}");
    let fresh = get(&twin, path, &[("if-none-match", &weak)]).await;
    assert_eq!(fresh.status, 304, "a weak comparison");
    let stale = get(&app, path, &[("if-none-match", &original_etag)]).await;
    assert_eq!(
        stale.bytes, first.bytes,
        "the original's ETag is not the variant's"
    );

    // HEAD: the length of the body a GET gets, and no body.
    let head = send(&app, reqwest::Method::HEAD, path, &[], None).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), first.bytes.len().to_string());
    assert_eq!(head.header("etag"), etag);
    assert_eq!(head.header("content-type"), "image/png");
    assert!(head.bytes.is_empty());

    // HEAD of a variant not made yet makes it to say its length.
    let head = send(
        &app,
        reqwest::Method::HEAD,
        "/f/images/c.png?w=160&fmt=webp",
        &[],
        None,
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.bytes.is_empty());
    let webp = get(&app, "/f/images/c.png?w=160&fmt=webp", &[]).await;
    webp.image_sized(ImageFormat::WebP, 160, 120);
    assert_eq!(head.header("content-length"), webp.bytes.len().to_string());
    assert_eq!(head.header("etag"), webp.header("etag"));

    // A range is ignored: variants are whole.
    let ranged = get(&app, path, &[("range", "bytes=0-9")]).await;
    assert_eq!(ranged.status, 200);
    assert_eq!(ranged.bytes, first.bytes);

    // Another variant is another making (the WebP above was one).
    get(&app, "/f/images/c.png?w=320", &[])
        .await
        .image_sized(ImageFormat::Png, 320, 240);
    let (made_after, _) = made_and_hits(&app).await;
    assert_eq!(made_after, made + 3);
}

/// Fifty concurrent first requests for one variant get the same bytes from one making; so
/// for several variants in turn (each round one making, however the requests interleave
/// with the end of it).
#[rstest]
#[tokio::test]
async fn concurrent_first_requests_share_one_making(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "sf.png", png(&quadrants(800, 600)))
        .await
        .assert_ok(201);
    let mut extra = Vec::new();
    for (w, h) in [
        (480, 480),
        (160, 160),
        (320, 160),
        (640, 320),
        (750, 480),
        (160, 480),
    ] {
        let (made, _) = made_and_hits(&app).await;
        let url = app.url(&format!("/f/images/sf.png?w={w}&h={h}&fit=cover"));
        let requests = (0..50).map(|_| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let res = client.get(url).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.bytes().await.unwrap().to_vec())
            })
        });
        let answers = futures::future::join_all(requests).await;
        let mut bodies = HashSet::new();
        for answer in answers {
            let (status, body) = answer.unwrap();
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            bodies.insert(body);
        }
        assert_eq!(bodies.len(), 1, "{w}x{h}: every request got the same bytes");
        let body = bodies.into_iter().next().unwrap();
        let image = image::load_from_memory_with_format(&body, ImageFormat::Png).unwrap();
        assert_eq!((image.width(), image.height()), (w, h));
        assert_colour(&image, 2, 2, RED, 8);
        let (made_after, _) = made_and_hits(&app).await;
        if made_after != made + 1 {
            extra.push(format!("{w}x{h}: {} transforms", made_after - made));
        }
    }
    assert!(
        extra.is_empty(),
        "one transform per variant for fifty requests: {extra:?}"
    );
}

/// Replacing the original serves the new image at the same variant URL (a new ETag); deleting
/// it makes the variant a 404 and removes its cached variants from the bucket's storage.
#[rstest]
#[tokio::test]
async fn replacing_or_deleting_the_original_retires_its_variants(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let key = "inv/a.png";
    let path = format!("/f/images/{key}?w=160");
    app.put(&user.access, "images", key, png(&solid(400, 300, RED)))
        .await
        .assert_ok(201);
    app.put(
        &user.access,
        "images",
        "inv/b.png",
        png(&solid(400, 300, RED)),
    )
    .await
    .assert_ok(201);
    let old = get(&app, &path, &[]).await;
    let image = old.image_sized(ImageFormat::Png, 160, 120);
    assert_colour(&image, 80, 60, RED, 0);
    let old_etag = old.header("etag").to_owned();
    get(&app, "/f/images/inv/b.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);

    let kh = key_hash(key);
    let folder = format!("images/.picgate/variants/{}/{kh}/", &kh[..2]);
    let other = key_hash("inv/b.png");
    let cached = app.cache_files();
    assert!(
        cached.iter().any(|f| f.starts_with(&folder)),
        "the variant is kept under {folder}: {cached:?}"
    );

    // Replaced by an image of the same size in bytes (another colour): the ETag changes all
    // the same, and so does the variant.
    let blue = png(&solid(400, 300, BLUE));
    assert_eq!(blue.len(), png(&solid(400, 300, RED)).len());
    app.put(&user.access, "images", key, blue)
        .await
        .assert_ok(201);
    let same_size = get(&app, &path, &[]).await;
    let image = same_size.image_sized(ImageFormat::Png, 160, 120);
    assert_colour(&image, 80, 60, BLUE, 0);
    assert_ne!(same_size.header("etag"), old_etag);

    // Replaced: another colour, another size.
    app.put(&user.access, "images", key, png(&solid(400, 300, RED)))
        .await
        .assert_ok(201);
    get(&app, &path, &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    app.put(&user.access, "images", key, png(&solid(200, 400, BLUE)))
        .await
        .assert_ok(201);
    let new = get(&app, &path, &[]).await;
    let image = new.image_sized(ImageFormat::Png, 160, 320);
    assert_colour(&image, 80, 160, BLUE, 0);
    assert_ne!(new.header("etag"), old_etag);
    // The old ETag is not fresh any more.
    let revalidated = get(&app, &path, &[("if-none-match", &old_etag)]).await;
    assert_eq!(revalidated.status, 200);
    assert_eq!(revalidated.bytes, new.bytes);

    // Deleted: the variant is gone with it, from the answers and from the storage.
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/buckets/images/objects/{key}")))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    get(&app, &path, &[])
        .await
        .answer()
        .assert_error(404, "object_not_found");
    get(
        &app,
        &format!("/f/images/{key}?w=160"),
        &[("if-none-match", &old_etag)],
    )
    .await
    .answer()
    .assert_error(404, "object_not_found");
    let left = app
        .cache_files_eventually(|files| !files.iter().any(|f| f.contains(&kh)))
        .await;
    assert!(
        !left.iter().any(|f| f.contains(&kh)),
        "variants of the deleted object remain: {left:?}"
    );
    // Another object's variants stay.
    assert!(
        left.iter().any(|f| f.contains(&other)),
        "the variants of inv/b.png went too: {left:?}"
    );
    get(&app, "/f/images/inv/b.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
}

/// Keys with spaces, non-ASCII letters and folders have variants like any other, linked
/// percent-encoded in upload answers.
#[rstest]
#[tokio::test]
async fn keys_with_spaces_and_unicode_have_variants(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let uploaded = app
        .upload(
            &user.access,
            "images",
            "Ferien Bild ä+1.png",
            png(&quadrants(400, 300)),
        )
        .await;
    uploaded.assert_ok(201);
    let key = uploaded.data()["key"].as_str().unwrap().to_owned();
    let thumbnail = uploaded.data()["thumbnailUrl"].as_str().unwrap().to_owned();
    assert!(!thumbnail.contains(' '), "{thumbnail}");
    get(&app, &thumbnail, &[("accept", "*/*")])
        .await
        .image_sized(ImageFormat::Png, 300, 300);
    let srcset = uploaded.data()["srcset"].as_str().unwrap().to_owned();
    let first = srcset.split(", ").next().unwrap();
    let (link, width) = first.rsplit_once(' ').unwrap();
    assert_eq!(width, "160w", "{srcset}");
    let image = get(&app, link, &[]).await.image(ImageFormat::Png);
    assert_eq!(image.width(), 160);
    assert_colour(&image, 3, 3, RED, 8);

    let deleted = app
        .client
        .delete(app.url(&format!(
            "/api/v1/buckets/images/objects/{}",
            link.split("/f/images/").nth(1).unwrap().split('?').next().unwrap()
        )))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let kh = key_hash(&key);
    let left = app
        .cache_files_eventually(|files| !files.iter().any(|f| f.contains(&kh)))
        .await;
    assert!(!left.iter().any(|f| f.contains(&kh)), "{key}: {left:?}");
    get(&app, link, &[])
        .await
        .answer()
        .assert_error(404, "object_not_found");
}

/// Each instance sweeps the cache every `sweep_interval_secs`: with a cap of one byte, the
/// variants just made are removed (their image facts, young, stay), and the next request makes
/// the variant again.
#[rstest]
#[tokio::test]
async fn the_sweep_keeps_the_cache_under_its_cap(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on_with(
        backend,
        Sessions::Embedded,
        "[variants]\nsweep_interval_secs = 1\ncache_max_bytes = 1\n",
    )
    .await;
    let user = app.user().await;
    app.upload(&user.access, "images", "s.png", png(&quadrants(400, 300)))
        .await
        .assert_ok(201);
    let kh = key_hash("s.png");
    let (made, _) = made_and_hits(&app).await;
    get(&app, "/f/images/s.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    let variants = |files: &[String]| -> Vec<String> {
        files
            .iter()
            .filter(|f| f.contains(&kh) && !f.ends_with("/facts.json"))
            .cloned()
            .collect()
    };
    let left = app
        .cache_files_eventually(|files| variants(files).is_empty())
        .await;
    assert!(variants(&left).is_empty(), "swept: {left:?}");
    assert!(
        left.iter()
            .any(|f| f.contains(&kh) && f.ends_with("/facts.json")),
        "the image facts stay: {left:?}"
    );
    get(&app, "/f/images/s.png?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    assert_eq!(made_and_hits(&app).await.0, made + 2, "made again");
}
