//! The pixels of variants: EXIF orientation applied, no metadata carried over, a GIF's first
//! frame.

use image::ImageFormat;
use image::codecs::gif::GifEncoder;

use super::{BLUE, GREEN, RED, assert_colour, contains_ignoring_case, get, halves, jpeg, solid};
use crate::helpers::spawn_app;

/// A little-endian TIFF structure with IFD0 holding Orientation (SHORT) and, with `gps`, a
/// GPS IFD pointer to latitude N 48° 51′ and longitude E 2° 21′ (and some seconds).
fn exif(orientation: u16, gps: bool) -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]) {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&typ.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    }
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    let o = orientation.to_le_bytes();
    if !gps {
        t.extend_from_slice(&1u16.to_le_bytes());
        entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
        t.extend_from_slice(&0u32.to_le_bytes());
        return t;
    }
    // IFD0 at 8: 2 entries (2 + 24 + 4 = 30 bytes), so the GPS IFD is at 38.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: 4 entries (2 + 48 + 4 = 54 bytes), so the rationals are at 92 and 116.
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 92u32.to_le_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, 116u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for (deg, min, sec) in [(48u32, 51u32, GPS_SECONDS[0]), (2, 21, GPS_SECONDS[1])] {
        for (num, den) in [(deg, 1u32), (min, 1), (sec, 1000)] {
            t.extend_from_slice(&num.to_le_bytes());
            t.extend_from_slice(&den.to_le_bytes());
        }
    }
    t
}

/// Distinctive numerators of the GPS seconds, to look for in variants.
const GPS_SECONDS: [u32; 2] = [0x5EC0_4D51, 0x10C4_7104];

/// `jpeg` with an `Exif` APP1 segment holding `tiff` right after its SOI.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG stored 400×300 (left half red, right half blue) with Orientation 6 (rotate 90°
/// clockwise to display) is displayed 300×400 with the red half on top: its upload answer
/// says so, and so does every variant.
#[tokio::test]
async fn exif_orientation_is_applied() {
    let app = spawn_app().await;
    let user = app.user().await;
    let photo = with_exif(&jpeg(&halves(400, 300), 95), &exif(6, false));
    let stored = image::load_from_memory(&photo).unwrap();
    assert_eq!((stored.width(), stored.height()), (400, 300), "as stored");
    let uploaded = app
        .upload(&user.access, "images", "portrait.jpg", photo)
        .await;
    uploaded.assert_ok(201);
    assert_eq!(uploaded.data()["width"], 300, "{}", uploaded.body);
    assert_eq!(uploaded.data()["height"], 400, "{}", uploaded.body);
    let key = uploaded.data()["key"].as_str().unwrap().to_owned();

    for (query, format) in [
        ("w=160", ImageFormat::Jpeg),
        ("w=160&fmt=png", ImageFormat::Png),
        ("w=160&fmt=webp", ImageFormat::WebP),
    ] {
        let image = get(&app, &format!("/f/images/{key}?{query}"), &[])
            .await
            .image(format);
        assert_eq!(
            image.width(),
            160,
            "{query}: portrait, 300 wide per 400 high"
        );
        assert!(
            (213..=214).contains(&image.height()),
            "{query}: {}x{}",
            image.width(),
            image.height()
        );
        // The stored left edge is the displayed top.
        for x in [10, 80, 150] {
            assert_colour(&image, x, 20, RED, 48);
            assert_colour(&image, x, 190, BLUE, 48);
        }
    }
    let box_ = get(&app, &format!("/f/images/{key}?w=320&h=320&fit=cover"), &[])
        .await
        .image_sized(ImageFormat::Jpeg, 300, 300);
    assert_colour(&box_, 150, 20, RED, 48);
    assert_colour(&box_, 150, 280, BLUE, 48);
}

/// Variants carry no metadata: the EXIF block (and its GPS position) of the original is in
/// none of them, whatever the format.
#[tokio::test]
async fn variants_carry_no_metadata() {
    let app = spawn_app().await;
    let user = app.user().await;
    let photo = with_exif(&jpeg(&halves(400, 300), 90), &exif(6, true));
    let gps: Vec<Vec<u8>> = GPS_SECONDS
        .iter()
        .map(|s| s.to_le_bytes().to_vec())
        .collect();
    assert!(contains_ignoring_case(&photo, b"Exif"));
    assert!(gps.iter().all(|g| contains_ignoring_case(&photo, g)));
    app.put(&user.access, "images", "gps.jpg", photo.clone())
        .await
        .assert_ok(201);
    // The original is served as it is, metadata and all.
    let original = get(&app, "/f/images/gps.jpg", &[]).await;
    assert_eq!(original.bytes, photo);

    for (query, format) in [
        ("w=320", ImageFormat::Jpeg),
        ("w=320&fmt=jpeg&q=90", ImageFormat::Jpeg),
        ("w=320&fmt=webp", ImageFormat::WebP),
        ("w=320&fmt=png", ImageFormat::Png),
        ("fmt=webp", ImageFormat::WebP),
    ] {
        let got = get(&app, &format!("/f/images/gps.jpg?{query}"), &[]).await;
        let image = got.image(format);
        assert_colour(&image, 10, 10, RED, 48);
        assert!(
            !contains_ignoring_case(&got.bytes, b"Exif"),
            "{query}: the variant has an Exif block"
        );
        for g in &gps {
            assert!(
                !got.bytes.windows(g.len()).any(|w| w == g.as_slice()),
                "{query}: the GPS position is in the variant"
            );
        }
    }
}

/// An animated GIF asked for without a format (`?w=`, `v=auto`, `fmt=auto`) is served as it
/// is, animation kept (picgate writes no animations); with a format named, its variant is a
/// still of the first frame. A still GIF's variant is a PNG.
#[tokio::test]
async fn an_animation_stays_one_unless_a_format_is_named() {
    let app = spawn_app().await;
    let user = app.user().await;
    let mut gif = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut gif);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .unwrap();
        let frames = [RED, GREEN].map(|c| {
            image::Frame::from_parts(
                solid(200, 150, c),
                0,
                0,
                image::Delay::from_numer_denom_ms(100, 1),
            )
        });
        encoder.encode_frames(frames).unwrap();
    }
    assert_eq!(image::guess_format(&gif).unwrap(), ImageFormat::Gif);
    app.put(&user.access, "images", "anim.gif", gif.clone())
        .await
        .assert_ok(201);
    for path in [
        "/f/images/anim.gif?w=160",
        "/f/images/anim.gif?v=auto",
        "/f/images/anim.gif?v=thumb",
    ] {
        for _ in 0..2 {
            let got = get(&app, path, &[("accept", "image/webp,*/*")]).await;
            assert_eq!(got.header("content-type"), "image/gif", "{path}");
            assert_eq!(got.bytes, gif, "{path}: the animation itself");
        }
    }
    let got = get(&app, "/f/images/anim.gif?w=160&fmt=png", &[]).await;
    let image = got.image_sized(ImageFormat::Png, 160, 120);
    for (x, y) in [(0, 0), (80, 60), (159, 119), (10, 110)] {
        assert_colour(&image, x, y, RED, 4);
    }
    let mut still = Vec::new();
    solid(200, 150, GREEN)
        .write_to(&mut std::io::Cursor::new(&mut still), ImageFormat::Gif)
        .unwrap();
    app.put(&user.access, "images", "still.gif", still)
        .await
        .assert_ok(201);
    let image = get(&app, "/f/images/still.gif?w=160", &[])
        .await
        .image_sized(ImageFormat::Png, 160, 120);
    assert_colour(&image, 80, 60, GREEN, 4);
    // A format named: the same first frame.
    let webp = get(&app, "/f/images/anim.gif?w=160&fmt=webp", &[])
        .await
        .image_sized(ImageFormat::WebP, 160, 120);
    assert_colour(&webp, 80, 60, RED, 40);
    // The original is the animation, untouched.
    assert_eq!(get(&app, "/f/images/anim.gif", &[]).await.bytes, gif);
}
