//! Rule 4: embedded ICC profiles are converted to sRGB; outputs carry no profile.

use image::{ExtendedColorType, Rgb, RgbImage};
use moxcms::{ColorProfile, Layout, TransformOptions};

use crate::testutil::*;
use crate::transform::transform_with;
use crate::*;

const COLOUR: [u8; 3] = [200, 100, 50];

/// What moxcms makes of one Display P3 pixel in sRGB.
fn p3_to_srgb(px: [u8; 3]) -> [u8; 3] {
    let transform = ColorProfile::new_display_p3()
        .create_transform_8bit(
            Layout::Rgb,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .unwrap();
    let mut out = [0u8; 3];
    transform.transform(&px, &mut out).unwrap();
    out
}

fn p3() -> Vec<u8> {
    ColorProfile::new_display_p3().encode().unwrap()
}

#[test]
fn display_p3_png_is_converted_to_srgb() {
    let expected = p3_to_srgb(COLOUR);
    // P3 and sRGB differ enough for this colour that the test can tell them apart.
    assert!(!near(&expected, &COLOUR, 5), "{expected:?}");
    let image = RgbImage::from_pixel(32, 24, Rgb(COLOUR));
    let png = encode_png(
        image.as_raw(),
        32,
        24,
        ExtendedColorType::Rgb8,
        Some(&p3()),
        None,
    );
    assert!(png_chunks(&png).contains(b"iCCP"));
    for width in [None, Some(16)] {
        let out = transform(
            &png,
            &spec(width, None, Fit::Inside, Format::Png),
            &Limits::default(),
        )
        .unwrap();
        assert!(!png_chunks(&out.bytes).contains(b"iCCP"));
        let img = decode_rgba(&out.bytes);
        let p = img.get_pixel(img.width() / 2, img.height() / 2).0;
        assert!(
            near(&p[..3], &expected, 2),
            "{width:?}: {p:?} vs {expected:?}"
        );
    }
}

#[test]
fn display_p3_jpeg_is_converted_on_both_decode_paths() {
    let expected = p3_to_srgb(COLOUR);
    let image = RgbImage::from_pixel(64, 64, Rgb(COLOUR));
    let jpeg = encode_jpeg_with_icc(&image, 95, &p3());
    assert!(contains(&jpeg, b"ICC_PROFILE\0"));
    for allow_dct in [true, false] {
        let out = transform_with(
            &jpeg,
            &spec(Some(16), None, Fit::Inside, Format::Png),
            &Limits::default(),
            allow_dct,
        )
        .unwrap();
        let img = decode_rgba(&out.bytes);
        let p = img.get_pixel(8, 8).0;
        assert!(
            near(&p[..3], &expected, 4),
            "dct {allow_dct}: {p:?} vs {expected:?}"
        );
    }
    let webp = transform(
        &jpeg,
        &spec(Some(16), None, Fit::Inside, Format::Webp),
        &Limits::default(),
    )
    .unwrap();
    assert!(!contains(&webp.bytes, b"ICCP"));
}

#[test]
fn srgb_tagged_and_untagged_images_are_unchanged() {
    let image = RgbImage::from_fn(16, 16, |x, y| Rgb([(x * 16) as u8, (y * 16) as u8, 77]));
    let srgb = ColorProfile::new_srgb().encode().unwrap();
    for icc in [Some(&srgb[..]), None] {
        let png = encode_png(image.as_raw(), 16, 16, ExtendedColorType::Rgb8, icc, None);
        let out = transform(
            &png,
            &spec(None, None, Fit::Inside, Format::Png),
            &Limits::default(),
        )
        .unwrap();
        let img = decode_rgba(&out.bytes);
        for (a, b) in img.pixels().zip(image.pixels()) {
            assert!(near(&a.0[..3], &b.0, 1), "{:?} vs {:?}", a.0, b.0);
        }
    }
}

#[test]
fn grey_profile_on_grey_png_is_applied() {
    // A linear-light grey profile: 50/255 linear is much lighter in sRGB (about 124).
    let linear = ColorProfile::new_gray_with_gamma(1.0).encode().unwrap();
    let png = encode_png(
        &[50u8; 64],
        8,
        8,
        ExtendedColorType::L8,
        Some(&linear),
        None,
    );
    let out = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Png),
        &Limits::default(),
    )
    .unwrap();
    let p = decode_rgba(&out.bytes).get_pixel(4, 4).0;
    assert!(
        p[0] > 110 && p[0] < 135 && p[0] == p[1] && p[1] == p[2],
        "{p:?}"
    );
}

#[test]
fn a_broken_profile_is_ignored() {
    let image = RgbImage::from_pixel(8, 8, Rgb(COLOUR));
    let png = encode_png(
        image.as_raw(),
        8,
        8,
        ExtendedColorType::Rgb8,
        Some(b"garbage icc"),
        None,
    );
    let out = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Png),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(&decode_rgba(&out.bytes).get_pixel(1, 1).0[..3], &COLOUR);
}
