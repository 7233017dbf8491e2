//! Rule 5: no metadata in any output (EXIF/GPS, ICC, XMP, text).

use image::{ExtendedColorType, Rgba, RgbaImage};

use crate::testutil::*;
use crate::*;

/// Asserts `out` carries none of the input's metadata, whatever its format.
fn assert_clean(out: &Encoded) {
    let bytes = &out.bytes;
    assert!(!contains(bytes, b"Exif"), "{:?} has Exif", out.format);
    for secret in [GPS_LATITUDE_SECONDS, GPS_LONGITUDE_SECONDS] {
        assert!(!contains(bytes, &secret.to_le_bytes()));
        assert!(!contains(bytes, &secret.to_be_bytes()));
    }
    assert!(!contains(bytes, b"ICC_PROFILE"));
    assert!(!contains(bytes, b"http://ns.adobe.com/xap"));
    match out.format {
        Format::Jpeg => {
            let markers = jpeg_markers(bytes);
            // Only JFIF APP0 among the APPn segments; no COM.
            assert!(
                markers
                    .iter()
                    .all(|&m| !(0xE1..=0xEF).contains(&m) && m != 0xFE),
                "{markers:x?}"
            );
        }
        Format::Png => {
            for chunk in png_chunks(bytes) {
                assert!(
                    [*b"IHDR", *b"IDAT", *b"IEND"].contains(&chunk),
                    "PNG chunk {:?}",
                    String::from_utf8_lossy(&chunk)
                );
            }
        }
        Format::Webp => {
            let chunks = riff_chunks(bytes);
            for chunk in &chunks {
                assert!(
                    [*b"VP8 ", *b"VP8L", *b"VP8X", *b"ALPH"].contains(chunk),
                    "WebP chunk {:?}",
                    String::from_utf8_lossy(chunk)
                );
            }
            if chunks[0] == *b"VP8X" {
                // Flags: ICC 0x20, EXIF 0x08, XMP 0x04, animation 0x02 must all be clear.
                assert_eq!(bytes[20] & 0x2E, 0, "VP8X flags {:#x}", bytes[20]);
            }
        }
        Format::Gif | Format::Avif => unreachable!(),
    }
}

fn all_outputs(input: &[u8]) -> Vec<Encoded> {
    let limits = Limits::default();
    let mut outs = Vec::new();
    for format in [Format::Jpeg, Format::Png, Format::Webp] {
        for width in [None, Some(20)] {
            outs.push(transform(input, &spec(width, None, Fit::Inside, format), &limits).unwrap());
        }
    }
    outs
}

#[test]
fn jpeg_with_gps_exif_and_icc_gives_clean_outputs() {
    let jpeg = encode_jpeg_with_icc(
        &gradient_rgb(64, 48),
        90,
        &moxcms::ColorProfile::new_display_p3().encode().unwrap(),
    );
    let input = add_exif(&jpeg, &exif_with_gps(6));
    assert!(contains(&input, &GPS_LATITUDE_SECONDS.to_le_bytes()));
    for out in all_outputs(&input) {
        assert_clean(&out);
        // The orientation was applied, not dropped.
        assert!(out.height > out.width, "{:?}", (out.width, out.height));
    }
}

#[test]
fn png_with_gps_exif_icc_and_alpha_gives_clean_outputs() {
    let image = RgbaImage::from_fn(40, 30, |x, _| {
        Rgba([200, 40, 40, if x < 20 { 255 } else { 60 }])
    });
    let png = encode_png(
        image.as_raw(),
        40,
        30,
        ExtendedColorType::Rgba8,
        Some(&moxcms::ColorProfile::new_srgb().encode().unwrap()),
        Some(&exif_with_gps(1)),
    );
    let chunks = png_chunks(&png);
    assert!(chunks.contains(b"eXIf") && chunks.contains(b"iCCP"));
    for out in all_outputs(&png) {
        assert_clean(&out);
    }
}

#[test]
fn webp_with_alpha_is_vp8x_alph_vp8_and_opaque_webp_is_plain_vp8() {
    let limits = Limits::default();
    let transparent = encode_png_rgba(&RgbaImage::from_pixel(20, 20, Rgba([10, 20, 30, 100])));
    let out = transform(
        &transparent,
        &spec(None, None, Fit::Inside, Format::Webp),
        &limits,
    )
    .unwrap();
    assert_eq!(riff_chunks(&out.bytes), vec![*b"VP8X", *b"ALPH", *b"VP8 "]);
    assert_clean(&out);

    let opaque = encode_png_rgba(&RgbaImage::from_pixel(20, 20, Rgba([10, 20, 30, 255])));
    let out = transform(
        &opaque,
        &spec(None, None, Fit::Inside, Format::Webp),
        &limits,
    )
    .unwrap();
    assert_eq!(riff_chunks(&out.bytes), vec![*b"VP8 "]);
}
