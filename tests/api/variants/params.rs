//! What the parameters ask for: sizes (never upscaled), fits, formats, qualities, presets,
//! `v=auto` by client, `fmt=auto` by `Accept`, and bad parameters named.

use image::{GenericImageView, ImageFormat};

use super::{
    BLUE, GREEN, RED, WHITE, assert_colour, assert_names_param, detailed, get, jpeg, png,
    quadrants, solid,
};
use crate::helpers::spawn_app;

/// `w` or `h` alone keeps the aspect and never upscales; `cover` is exactly the box, cropped
/// centred; `contain` exactly the box, padded (transparent in PNG and WebP, white in JPEG);
/// `fmt` writes the format asked for.
#[tokio::test]
async fn sizes_fits_and_formats_give_what_they_name() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(&user.access, "images", "p/q.png", png(&quadrants(800, 600)))
        .await
        .assert_ok(201);
    app.put(
        &user.access,
        "images",
        "p/small.png",
        png(&solid(300, 200, RED)),
    )
    .await
    .assert_ok(201);
    let variant = |query: &str| format!("/f/images/p/q.png?{query}");

    // Inside (the default): the aspect is kept.
    let w = get(&app, &variant("w=320"), &[])
        .await
        .image_sized(ImageFormat::Png, 320, 240);
    for (x, y, colour) in [
        (10, 10, RED),
        (310, 10, GREEN),
        (10, 230, BLUE),
        (310, 230, WHITE),
    ] {
        assert_colour(&w, x, y, colour, 8);
    }
    get(&app, &variant("h=480"), &[])
        .await
        .image_sized(ImageFormat::Png, 640, 480);
    get(&app, &variant("w=320&h=320&fit=inside"), &[])
        .await
        .image_sized(ImageFormat::Png, 320, 240);
    get(&app, &variant("w=320&h=160"), &[])
        .await
        .image_sized(ImageFormat::Png, 213, 160);

    // Never upscaled: a 300-px-wide image asked for 640 stays 300 wide.
    for query in ["w=640", "h=480", "w=1920&h=1920"] {
        let small = get(&app, &format!("/f/images/p/small.png?{query}"), &[])
            .await
            .image_sized(ImageFormat::Png, 300, 200);
        assert_colour(&small, 150, 100, RED, 0);
    }
    // Cover never upscales either: the box's shape, at the original's scale.
    get(&app, "/f/images/p/small.png?w=640&h=320&fit=cover", &[])
        .await
        .image_sized(ImageFormat::Png, 300, 150);

    // Cover: exactly the box, cropped centred (the quadrants still meet in the middle).
    for (w, h) in [(320, 320), (320, 160), (160, 480)] {
        let cover = get(&app, &variant(&format!("w={w}&h={h}&fit=cover")), &[])
            .await
            .image_sized(ImageFormat::Png, w, h);
        assert_colour(&cover, 2, 2, RED, 8);
        assert_colour(&cover, w - 3, 2, GREEN, 8);
        assert_colour(&cover, 2, h - 3, BLUE, 8);
        assert_colour(&cover, w - 3, h - 3, WHITE, 8);
    }

    // Contain: the image fits inside (320×240), padded above and below to 320×320.
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let fmt = if format == ImageFormat::Png {
            "png"
        } else {
            "webp"
        };
        let contain = get(
            &app,
            &variant(&format!("w=320&h=320&fit=contain&fmt={fmt}")),
            &[],
        )
        .await
        .image_sized(format, 320, 320);
        for (x, y) in [
            (0, 0),
            (319, 0),
            (0, 319),
            (319, 319),
            (160, 20),
            (160, 300),
        ] {
            let alpha = contain.get_pixel(x, y).0[3];
            assert_eq!(alpha, 0, "{fmt}: padding at ({x}, {y}) is transparent");
        }
        let tolerance = if format == ImageFormat::Png { 8 } else { 40 };
        assert_colour(&contain, 40, 80, RED, tolerance);
        assert_colour(&contain, 280, 80, GREEN, tolerance);
        assert_colour(&contain, 40, 240, BLUE, tolerance);
        assert_colour(&contain, 280, 240, WHITE, tolerance);
    }
    let contain_jpeg = get(&app, &variant("w=320&h=320&fit=contain&fmt=jpeg"), &[])
        .await
        .image_sized(ImageFormat::Jpeg, 320, 320);
    assert_colour(&contain_jpeg, 5, 5, WHITE, 12);
    assert_colour(&contain_jpeg, 40, 80, RED, 40);

    // Formats: the magic bytes and the Content-Type say what `fmt` asked for.
    for (fmt, format) in [
        ("jpeg", ImageFormat::Jpeg),
        ("jpg", ImageFormat::Jpeg),
        ("png", ImageFormat::Png),
        ("webp", ImageFormat::WebP),
    ] {
        let image = get(&app, &variant(&format!("w=160&fmt={fmt}")), &[])
            .await
            .image_sized(format, 160, 120);
        assert_colour(&image, 20, 20, RED, 40);
        assert_colour(&image, 140, 100, WHITE, 40);
    }
    // A format alone keeps the size.
    get(&app, &variant("fmt=webp"), &[])
        .await
        .image_sized(ImageFormat::WebP, 800, 600);
}

/// `q` is a lossy encoder's quality: the same variant at 50 is smaller than at 90.
#[tokio::test]
async fn a_lower_quality_is_a_smaller_variant() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(
        &user.access,
        "images",
        "d.jpg",
        jpeg(&detailed(640, 480), 95),
    )
    .await
    .assert_ok(201);
    for (fmt, format) in [("jpeg", ImageFormat::Jpeg), ("webp", ImageFormat::WebP)] {
        let mut sizes = Vec::new();
        for q in [50, 90] {
            let got = get(&app, &format!("/f/images/d.jpg?w=320&fmt={fmt}&q={q}"), &[]).await;
            got.image_sized(format, 320, 240);
            sizes.push(got.bytes.len());
        }
        assert!(
            sizes[0] < sizes[1],
            "{fmt}: q=50 is {} bytes, q=90 {} bytes",
            sizes[0],
            sizes[1]
        );
    }
    // Without `fmt` a JPEG stays a JPEG, at the default quality (80): between the two.
    let default = get(&app, "/f/images/d.jpg?w=320", &[]).await;
    default.image_sized(ImageFormat::Jpeg, 320, 240);
    let q50 = get(&app, "/f/images/d.jpg?w=320&q=50", &[]).await;
    let q90 = get(&app, "/f/images/d.jpg?w=320&q=90", &[]).await;
    assert!(q50.bytes.len() < default.bytes.len() && default.bytes.len() < q90.bytes.len());
}

/// `v=thumb` is the configured preset (320×320 cover, format from `Accept`); `v=auto` is the
/// client profile's width (h5 750, pc 1280) and says so in `Vary`.
#[tokio::test]
async fn presets_and_auto_stand_for_their_parameters() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(&user.access, "images", "t.png", png(&quadrants(800, 600)))
        .await
        .assert_ok(201);
    let thumb = get(&app, "/f/images/t.png?v=thumb", &[("accept", "*/*")])
        .await
        .image_sized(ImageFormat::Png, 320, 320);
    assert_colour(&thumb, 2, 2, RED, 8);
    assert_colour(&thumb, 317, 317, WHITE, 8);
    let thumb_webp = get(
        &app,
        "/f/images/t.png?v=thumb",
        &[("accept", "image/webp,*/*")],
    )
    .await;
    thumb_webp.image_sized(ImageFormat::WebP, 320, 320);
    assert!(
        thumb_webp.vary().contains("Accept"),
        "{}",
        thumb_webp.vary()
    );

    // 1600 wide: both profile widths are below it.
    let wide = image::RgbaImage::from_fn(1600, 100, |x, _| {
        image::Rgba(if x < 800 { RED } else { BLUE })
    });
    app.put(&user.access, "images", "wide.png", png(&wide))
        .await
        .assert_ok(201);
    for (client, width) in [("h5", 750), ("pc", 1280), ("mobile", 750)] {
        let got = get(
            &app,
            "/f/images/wide.png?v=auto",
            &[("x-client", client), ("accept", "*/*")],
        )
        .await;
        let image = got.image(ImageFormat::Png);
        assert_eq!(image.width(), width, "{client}");
        let expected = 100 * width / 1600;
        assert!(
            (expected..=expected + 1).contains(&image.height()),
            "{client}: {}x{}",
            image.width(),
            image.height()
        );
        assert_colour(&image, 5, image.height() / 2, RED, 8);
        assert_colour(&image, width - 5, image.height() / 2, BLUE, 8);
    }
    // No X-Client: a mobile User-Agent is h5, anything else pc.
    let phone = get(
        &app,
        "/f/images/wide.png?v=auto",
        &[(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
        )],
    )
    .await;
    assert_eq!(phone.image(ImageFormat::Png).width(), 750);
    let desk = get(&app, "/f/images/wide.png?v=auto", &[]).await;
    assert_eq!(desk.image(ImageFormat::Png).width(), 1280);
    let webp = get(
        &app,
        "/f/images/wide.png?v=auto",
        &[("x-client", "h5"), ("accept", "image/avif,image/webp,*/*")],
    )
    .await;
    assert_eq!(webp.image(ImageFormat::WebP).width(), 750);
}

/// A `v=auto` answer depends on the client (`X-Client`, `User-Agent`: its width) and on
/// `Accept` (its format), and its `Vary` names all three, on a 200 and on a 304 alike, so
/// that no shared cache hands a phone's variant to a desktop.
#[tokio::test]
async fn auto_answers_vary_by_client_and_accept() {
    let app = spawn_app().await;
    let user = app.user().await;
    let wide = image::RgbaImage::from_fn(1600, 100, |x, _| {
        image::Rgba(if x < 800 { RED } else { BLUE })
    });
    app.put(&user.access, "images", "wide.png", png(&wide))
        .await
        .assert_ok(201);
    let mut missing = Vec::new();
    for (client, accept) in [("h5", "*/*"), ("pc", "image/webp,*/*")] {
        let headers = [("x-client", client), ("accept", accept)];
        let got = get(&app, "/f/images/wide.png?v=auto", &headers).await;
        assert_eq!(got.status, 200);
        let etag = got.header("etag").to_owned();
        let fresh = get(
            &app,
            "/f/images/wide.png?v=auto",
            &[headers[0], headers[1], ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(fresh.status, 304);
        for (answer, vary) in [("200", got.vary()), ("304", fresh.vary())] {
            for name in ["X-Client", "User-Agent", "Accept"] {
                if !vary.split(',').any(|v| v.trim().eq_ignore_ascii_case(name)) {
                    missing.push(format!("{client} {answer}: no {name} in Vary: {vary}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// Anything off the lists is a 400 `invalid_query` naming the parameter, before anything is
/// read or made.
#[tokio::test]
async fn bad_parameters_are_named() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(&user.access, "images", "b.png", png(&solid(400, 300, RED)))
        .await
        .assert_ok(201);
    for (query, param) in [
        ("w=321", "w"),
        ("w=abc", "w"),
        ("w=", "w"),
        ("h=-1", "h"),
        ("w=4000", "w"),
        ("fit=stretch", "fit"),
        ("w=320&fit=stretch", "fit"),
        ("w=320&fit=cover", "fit"),
        ("h=320&fit=contain", "fit"),
        ("fmt=gif", "fmt"),
        ("w=320&fmt=bmp", "fmt"),
        ("w=320&q=81", "q"),
        ("w=320&q=abc", "q"),
        ("v=nope", "v"),
        ("w=320&w=640", "w"),
        ("w=320&w=320", "w"),
        ("v=thumb&w=320", "w"),
    ] {
        let got = get(&app, &format!("/f/images/b.png?{query}"), &[]).await;
        assert_eq!(got.status, 400, "{query}");
        assert_names_param(&got.answer(), param);
    }
    // The ladder is named in the message, so a client can pick a size.
    let got = get(&app, "/f/images/b.png?w=321", &[]).await;
    let answer = got.answer();
    let msg = answer.body["msg"].as_str().unwrap();
    assert!(msg.contains("320") && msg.contains("640"), "{msg}");
    // A missing object with a bad parameter: the parameter is what is wrong.
    let missing = get(&app, "/f/images/none.png?w=321", &[]).await;
    assert_names_param(&missing.answer(), "w");
    // Other query parameters are not variant parameters: the original.
    let plain = get(&app, "/f/images/b.png?cachebust=1", &[]).await;
    plain.image_sized(ImageFormat::Png, 400, 300);
}

/// `fmt=auto` picks WebP for a client that names it (AVIF is not written by the default
/// build), else the original's format, and says `Vary: Accept`; `fmt=avif` is 415.
#[tokio::test]
async fn auto_negotiates_by_accept() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(&user.access, "images", "a.png", png(&quadrants(400, 300)))
        .await
        .assert_ok(201);
    app.put(
        &user.access,
        "images",
        "a.jpg",
        jpeg(&super::halves(400, 300), 90),
    )
    .await
    .assert_ok(201);
    let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
    for accept in ["image/avif,image/webp,*/*", chrome] {
        let got = get(
            &app,
            "/f/images/a.png?w=160&fmt=auto",
            &[("accept", accept)],
        )
        .await;
        let image = got.image_sized(ImageFormat::WebP, 160, 120);
        assert_colour(&image, 10, 10, RED, 40);
        assert!(got.vary().contains("Accept"), "Vary: {}", got.vary());
    }
    for (accept, path, format) in [
        ("*/*", "/f/images/a.png?w=160&fmt=auto", ImageFormat::Png),
        ("*/*", "/f/images/a.jpg?w=160&fmt=auto", ImageFormat::Jpeg),
        (
            "image/*",
            "/f/images/a.jpg?w=160&fmt=auto",
            ImageFormat::Jpeg,
        ),
        (
            "image/webp;q=0, */*",
            "/f/images/a.png?w=160&fmt=auto",
            ImageFormat::Png,
        ),
    ] {
        let got = get(&app, path, &[("accept", accept)]).await;
        got.image_sized(format, 160, 120);
        assert!(
            got.vary().contains("Accept"),
            "{accept}: Vary {}",
            got.vary()
        );
    }
    // The WebP and the PNG answer of one URL have their own ETags: a client holding the WebP
    // that now accepts only */* gets the PNG, not a 304.
    let webp = get(
        &app,
        "/f/images/a.png?w=160&fmt=auto",
        &[("accept", "image/webp")],
    )
    .await;
    let webp_etag = webp.header("etag").to_owned();
    let png_answer = get(
        &app,
        "/f/images/a.png?w=160&fmt=auto",
        &[("accept", "*/*"), ("if-none-match", &webp_etag)],
    )
    .await;
    png_answer.image_sized(ImageFormat::Png, 160, 120);
    assert_ne!(png_answer.header("etag"), webp_etag);
    let again = get(
        &app,
        "/f/images/a.png?w=160&fmt=auto",
        &[("accept", "image/webp"), ("if-none-match", &webp_etag)],
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.vary().contains("Accept"), "Vary: {}", again.vary());

    // A format named outright does not vary.
    let named = get(&app, "/f/images/a.png?w=160&fmt=webp", &[("accept", "*/*")]).await;
    named.image_sized(ImageFormat::WebP, 160, 120);
    assert!(!named.vary().contains("Accept"), "Vary: {}", named.vary());

    for path in ["/f/images/a.png?fmt=avif", "/f/images/a.jpg?w=160&fmt=avif"] {
        let got = get(&app, path, &[("accept", "image/avif")]).await;
        got.answer().assert_error(415, "unsupported_image");
    }
}

/// `v` holding a version or a date (`?v=2`, `?v=20231101`) is a page's cache buster: the
/// original, as before variants; PNG is lossless, so `q` makes no second PNG variant.
#[tokio::test]
async fn a_version_in_v_is_the_original_and_png_ignores_q() {
    let app = spawn_app().await;
    let user = app.user().await;
    let original = png(&quadrants(400, 300));
    app.put(&user.access, "images", "cb.png", original.clone())
        .await
        .assert_ok(201);
    for path in ["/f/images/cb.png?v=2", "/f/images/cb.png?v=20231101"] {
        let got = get(&app, path, &[]).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.bytes, original, "{path}: the original");
    }
    let with_width = get(&app, "/f/images/cb.png?v=2&w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    assert_colour(&with_width, 5, 5, RED, 8);
    let q50 = get(&app, "/f/images/cb.png?w=160&fmt=png&q=50", &[]).await;
    let q90 = get(&app, "/f/images/cb.png?w=160&fmt=png&q=90", &[]).await;
    assert_eq!(q50.header("etag"), q90.header("etag"));
    assert_eq!(q50.bytes, q90.bytes);
}
