//! Rule 6: every input format and colour type decodes; outputs are 8-bit sRGB with alpha
//! handled per format; animations give their first frame; AVIF/GIF output per build.

use image::{ColorType, ExtendedColorType, Luma, Rgb, RgbImage, Rgba, RgbaImage};

use crate::testutil::*;
use crate::*;

/// Transforms at full size to PNG and decodes the result.
fn to_png(bytes: &[u8]) -> RgbaImage {
    let out = transform(
        bytes,
        &spec(None, None, Fit::Inside, Format::Png),
        &Limits::default(),
    )
    .unwrap();
    decode_rgba(&out.bytes)
}

fn px(image: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
    image.get_pixel(x, y).0
}

/// Left half opaque orange, right half fully transparent.
fn half_transparent(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([250, 120, 10, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
}

#[test]
fn png_colour_types_and_depths_decode() {
    let (w, h) = (20, 10);
    // 8-bit RGB, RGBA, grey, grey+alpha.
    let rgb = RgbImage::from_pixel(w, h, Rgb([10, 200, 30]));
    assert_eq!(px(&to_png(&encode_png_rgb(&rgb)), 3, 3), [10, 200, 30, 255]);
    let rgba = half_transparent(w, h);
    let out = to_png(&encode_png_rgba(&rgba));
    assert_eq!(px(&out, 2, 2), [250, 120, 10, 255]);
    assert_eq!(px(&out, 15, 2)[3], 0);
    let grey = encode_png(&[90u8; 200], w, h, ExtendedColorType::L8, None, None);
    assert_eq!(px(&to_png(&grey), 1, 1), [90, 90, 90, 255]);
    let grey_alpha: Vec<u8> = (0..200).flat_map(|_| [90u8, 128]).collect();
    let ga = encode_png(&grey_alpha, w, h, ExtendedColorType::La8, None, None);
    assert_eq!(px(&to_png(&ga), 1, 1), [90, 90, 90, 128]);

    // 16-bit: 0xC8C8 is 200 in 8 bits.
    let sample = 0xC8C8u16.to_ne_bytes();
    let rgb16: Vec<u8> = (0..200 * 3).flat_map(|_| sample).collect();
    let png = encode_png(&rgb16, w, h, ExtendedColorType::Rgb16, None, None);
    assert_eq!(px(&to_png(&png), 4, 4), [200, 200, 200, 255]);
    let rgba16: Vec<u8> = (0..200)
        .flat_map(|_| [sample, sample, 0u16.to_ne_bytes(), 0x8080u16.to_ne_bytes()])
        .flatten()
        .collect();
    let png = encode_png(&rgba16, w, h, ExtendedColorType::Rgba16, None, None);
    assert_eq!(px(&to_png(&png), 4, 4), [200, 200, 0, 128]);
    let l16: Vec<u8> = (0..200).flat_map(|_| sample).collect();
    let png = encode_png(&l16, w, h, ExtendedColorType::L16, None, None);
    assert_eq!(px(&to_png(&png), 4, 4), [200, 200, 200, 255]);
}

#[test]
fn sixteen_bit_input_gives_8_bit_output() {
    let rgb16: Vec<u8> = (0..64 * 3)
        .flat_map(|i: u16| (i * 300).to_ne_bytes())
        .collect();
    let png = encode_png(&rgb16, 8, 8, ExtendedColorType::Rgb16, None, None);
    let out = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Png),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(decode(&out.bytes).color(), ColorType::Rgb8);
}

#[test]
fn palette_and_low_bit_depth_pngs_decode() {
    // 8-bit palette with tRNS: index 0 opaque red, 1 half-transparent blue.
    let plte = [255, 0, 0, 0, 0, 255];
    let trns = [255, 128];
    let mut raw = Vec::new();
    for _ in 0..4 {
        raw.extend_from_slice(&[0, 0, 0, 1, 1]); // filter byte + 4 indices
    }
    let png = handmade_png(4, 4, 8, 3, Some((&plte, &trns)), &raw);
    let out = to_png(&png);
    assert_eq!(px(&out, 0, 0), [255, 0, 0, 255]);
    assert_eq!(px(&out, 3, 3), [0, 0, 255, 128]);

    // 2-bit palette, no tRNS: indices 0,1,2,3 across.
    let plte = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
    let raw = [0, 0b0001_1011, 0, 0b0001_1011];
    let out = to_png(&handmade_png(4, 2, 2, 3, Some((&plte, &[])), &raw));
    assert_eq!(px(&out, 1, 1), [255, 0, 0, 255]);
    assert_eq!(px(&out, 3, 0), [0, 0, 255, 255]);

    // 1-bit grey: alternating black and white.
    let raw = [0, 0b0101_0101, 0, 0b1010_1010];
    let out = to_png(&handmade_png(8, 2, 1, 0, None, &raw));
    assert_eq!(px(&out, 0, 0), [0, 0, 0, 255]);
    assert_eq!(px(&out, 1, 0), [255, 255, 255, 255]);
    assert_eq!(px(&out, 0, 1), [255, 255, 255, 255]);
}

#[test]
fn jpeg_rgb_and_grey_decode() {
    let rgb = encode_jpeg(&RgbImage::from_pixel(24, 16, Rgb([30, 160, 220])), 95);
    assert!(near(&px(&to_png(&rgb), 5, 5), &[30, 160, 220, 255], 4));
    let mut grey = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut grey, 95)
        .encode_image(&image::GrayImage::from_pixel(24, 16, Luma([70])))
        .unwrap();
    let out = to_png(&grey);
    let p = px(&out, 5, 5);
    assert!(
        near(&p, &[70, 70, 70, 255], 2) && p[0] == p[1] && p[1] == p[2],
        "{p:?}"
    );
}

#[test]
fn webp_lossless_and_lossy_decode_with_alpha() {
    let image = half_transparent(32, 16);
    let out = to_png(&encode_webp_lossless(&image));
    assert_eq!(px(&out, 4, 4), [250, 120, 10, 255]);
    assert_eq!(px(&out, 28, 4)[3], 0);

    let out = to_png(&encode_webp_lossy(&image, 90.0));
    assert!(
        near(&px(&out, 4, 8), &[250, 120, 10, 255], 12),
        "{:?}",
        px(&out, 4, 8)
    );
    assert!(px(&out, 28, 8)[3] < 5);

    let opaque = RgbaImage::from_pixel(32, 16, Rgba([40, 90, 200, 255]));
    let out = to_png(&encode_webp_lossy(&opaque, 90.0));
    assert!(
        near(&px(&out, 10, 10), &[40, 90, 200, 255], 10),
        "{:?}",
        px(&out, 10, 10)
    );
}

#[test]
fn gif_still_decodes() {
    let gif = encode_gif_image(&half_transparent(20, 10));
    let out = to_png(&gif);
    assert_eq!(px(&out, 2, 2), [250, 120, 10, 255]);
    assert_eq!(px(&out, 17, 2)[3], 0);
    assert_eq!(probe(&gif, &Limits::default()).unwrap().format, Format::Gif);
}

#[test]
fn animations_give_their_first_frame() {
    let frames = [[255, 0, 0, 255], [0, 0, 255, 255], [0, 255, 0, 255]];
    let gif = encode_gif(16, 16, &frames);
    assert_eq!(px(&to_png(&gif), 8, 8), [255, 0, 0, 255]);

    let webp = encode_webp_animated(16, 16, &frames);
    assert!(riff_chunks(&webp).contains(b"ANMF"));
    let p = px(&to_png(&webp), 8, 8);
    assert!(p[0] > 230 && p[1] < 25 && p[2] < 25, "{p:?}");
    assert_eq!(
        probe(&webp, &Limits::default()).unwrap().format,
        Format::Webp
    );
    // The output is a still image.
    let out = transform(
        &webp,
        &spec(None, None, Fit::Inside, Format::Webp),
        &Limits::default(),
    )
    .unwrap();
    assert!(!riff_chunks(&out.bytes).contains(b"ANMF"));
}

#[test]
fn alpha_is_kept_by_png_and_webp_and_flattened_over_white_by_jpeg() {
    let png = encode_png_rgba(&half_transparent(40, 20));
    let limits = Limits::default();
    let jpeg = transform(&png, &spec(None, None, Fit::Inside, Format::Jpeg), &limits).unwrap();
    let img = decode(&jpeg.bytes);
    assert_eq!(img.color(), ColorType::Rgb8);
    let img = img.into_rgba8();
    assert!(near(&px(&img, 35, 10), &[255, 255, 255, 255], 3));
    assert!(near(&px(&img, 5, 10), &[250, 120, 10, 255], 8));

    let out = transform(&png, &spec(None, None, Fit::Inside, Format::Png), &limits).unwrap();
    let img = decode(&out.bytes);
    assert_eq!(img.color(), ColorType::Rgba8);
    assert_eq!(px(&img.into_rgba8(), 35, 10)[3], 0);

    let out = transform(&png, &spec(None, None, Fit::Inside, Format::Webp), &limits).unwrap();
    let img = decode_rgba(&out.bytes);
    assert!(px(&img, 35, 10)[3] < 5);
    assert!(px(&img, 5, 10)[3] > 250);

    // Opaque input keeps no alpha channel.
    let opaque = encode_png_rgb(&gradient_rgb(8, 8));
    let out = transform(
        &opaque,
        &spec(None, None, Fit::Inside, Format::Png),
        &limits,
    )
    .unwrap();
    assert_eq!(decode(&out.bytes).color(), ColorType::Rgb8);
}

#[test]
fn quality_reaches_the_lossy_encoders() {
    let noisy = {
        let mut rng = Rng(7);
        RgbImage::from_fn(128, 96, |_, _| {
            let v = rng.next();
            Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
        })
    };
    let png = encode_png_rgb(&noisy);
    let limits = Limits::default();
    for format in [Format::Jpeg, Format::Webp] {
        let size = |quality| {
            let spec = Spec {
                quality,
                ..spec(None, None, Fit::Inside, format)
            };
            transform(&png, &spec, &limits).unwrap().bytes.len()
        };
        let (low, high) = (size(10), size(95));
        assert!(low * 2 < high, "{format:?}: q10 {low} B, q95 {high} B");
        // Out-of-range qualities are clamped, not rejected.
        assert!(size(0) > 0 && size(255) > 0);
    }
    // PNG ignores quality.
    let a = transform(&png, &spec(None, None, Fit::Inside, Format::Png), &limits).unwrap();
    let b = transform(
        &png,
        &Spec {
            quality: 5,
            ..spec(None, None, Fit::Inside, Format::Png)
        },
        &limits,
    )
    .unwrap();
    assert_eq!(a.bytes, b.bytes);
}

#[test]
fn outputs_start_with_their_signatures() {
    let png = encode_png_rgb(&gradient_rgb(16, 16));
    let limits = Limits::default();
    let out = transform(&png, &spec(None, None, Fit::Inside, Format::Jpeg), &limits).unwrap();
    assert!(out.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    let out = transform(&png, &spec(None, None, Fit::Inside, Format::Png), &limits).unwrap();
    assert!(out.bytes.starts_with(b"\x89PNG"));
    let out = transform(&png, &spec(None, None, Fit::Inside, Format::Webp), &limits).unwrap();
    assert!(out.bytes.starts_with(b"RIFF") && &out.bytes[8..12] == b"WEBP");
}

#[test]
fn gif_output_cannot_be_encoded() {
    let png = encode_png_rgb(&gradient_rgb(16, 16));
    let r = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Gif),
        &Limits::default(),
    );
    assert!(
        matches!(
            r,
            Err(ImageError::CannotEncode {
                format: Format::Gif
            })
        ),
        "{r:?}"
    );
    // Checked before decoding: even garbage input says CannotEncode.
    let r = transform(
        b"junk",
        &spec(None, None, Fit::Inside, Format::Gif),
        &Limits::default(),
    );
    assert!(matches!(r, Err(ImageError::CannotEncode { .. })));
}

#[cfg(not(feature = "avif"))]
#[test]
fn avif_output_needs_the_feature() {
    let png = encode_png_rgb(&gradient_rgb(16, 16));
    let r = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Avif),
        &Limits::default(),
    );
    assert!(
        matches!(
            r,
            Err(ImageError::CannotEncode {
                format: Format::Avif
            })
        ),
        "{r:?}"
    );
}

#[cfg(feature = "avif")]
#[test]
fn avif_output_is_an_avif_file() {
    let png = encode_png_rgba(&half_transparent(32, 16));
    let out = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Avif),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(&out.bytes[4..12], b"ftypavif");
    assert_eq!((out.width, out.height), (32, 16));
    assert!(!contains(&out.bytes, b"Exif"));
}
