//! Rule 8: facts (displayed size + 4x3 blurhash from a small downscale).

use image::{Rgb, RgbImage, Rgba, RgbaImage};

use crate::testutil::*;
use crate::*;

/// The average colour a blurhash decodes to.
fn blurhash_mean(hash: &str) -> [u8; 3] {
    let px = blurhash::decode(hash, 8, 8, 1.0).unwrap();
    let mut sum = [0u32; 3];
    for p in px.chunks_exact(4) {
        for c in 0..3 {
            sum[c] += u32::from(p[c]);
        }
    }
    sum.map(|s| (s / 64) as u8)
}

#[test]
fn facts_give_displayed_size_and_a_28_char_blurhash() {
    let jpeg = add_exif(
        &encode_jpeg(&gradient_rgb(80, 60), 90),
        &exif_orientation(6),
    );
    let f = facts(&jpeg, &Limits::default()).unwrap();
    assert_eq!((f.width, f.height), (60, 80));
    assert_eq!(f.blurhash.len(), 28);
    let p = probe(&jpeg, &Limits::default()).unwrap();
    assert_eq!((f.width, f.height), (p.width, p.height));
}

#[test]
fn blurhash_follows_the_image_colour() {
    let red = encode_png_rgb(&RgbImage::from_pixel(100, 80, Rgb([220, 30, 30])));
    let f = facts(&red, &Limits::default()).unwrap();
    assert!(
        near(&blurhash_mean(&f.blurhash), &[220, 30, 30], 12),
        "{}",
        f.blurhash
    );

    // Transparency is flattened over white.
    let clear = encode_png_rgba(&RgbaImage::from_pixel(50, 50, Rgba([0, 0, 0, 0])));
    let f = facts(&clear, &Limits::default()).unwrap();
    assert!(
        near(&blurhash_mean(&f.blurhash), &[255, 255, 255], 6),
        "{}",
        f.blurhash
    );
}

#[test]
fn blurhash_sees_orientation() {
    // Stored: left half red, right half blue. With EXIF 6 the red half is on top.
    let stored = RgbImage::from_fn(80, 60, |x, _| {
        if x < 40 {
            Rgb([230, 0, 0])
        } else {
            Rgb([0, 0, 230])
        }
    });
    let jpeg = add_exif(&encode_jpeg(&stored, 90), &exif_orientation(6));
    let f = facts(&jpeg, &Limits::default()).unwrap();
    let px = blurhash::decode(&f.blurhash, 8, 8, 1.0).unwrap();
    let top = &px[(8 + 4) * 4..(8 + 4) * 4 + 3];
    let bottom = &px[(6 * 8 + 4) * 4..(6 * 8 + 4) * 4 + 3];
    assert!(
        top[0] > top[2] && bottom[2] > bottom[0],
        "top {top:?} bottom {bottom:?}"
    );
}

#[test]
fn facts_of_a_large_jpeg_use_the_scaled_decode_and_match_the_full_one() {
    let jpeg = encode_jpeg(&gradient_rgb(800, 600), 85);
    let f = facts(&jpeg, &Limits::default()).unwrap();
    assert_eq!((f.width, f.height), (800, 600));
    assert_eq!(f.blurhash.len(), 28);
    // The same content as PNG (full decode) hashes to nearly the same colours.
    let png = encode_png_rgb(&gradient_rgb(800, 600));
    let g = facts(&png, &Limits::default()).unwrap();
    assert!(near(
        &blurhash_mean(&f.blurhash),
        &blurhash_mean(&g.blurhash),
        6
    ));
}

#[test]
fn tiny_images_work() {
    let png = encode_png_rgb(&RgbImage::from_pixel(1, 1, Rgb([1, 2, 3])));
    let f = facts(&png, &Limits::default()).unwrap();
    assert_eq!((f.width, f.height, f.blurhash.len()), (1, 1, 28));
}

#[test]
fn facts_serialise_as_plain_json() {
    let f = Facts {
        width: 3,
        height: 4,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".to_owned(),
    };
    let json = serde_json::to_string(&f).unwrap();
    assert_eq!(
        json,
        r#"{"width":3,"height":4,"blurhash":"LEHV6nWB2yk8pyo0adR*.7kCMdnj"}"#
    );
    assert_eq!(serde_json::from_str::<Facts>(&json).unwrap(), f);
}

#[test]
fn facts_of_non_images_are_unsupported() {
    assert!(matches!(
        facts(b"hello", &Limits::default()),
        Err(ImageError::Unsupported { content_type: None })
    ));
}
