//! Rule 7: JPEG DCT-scaled decoding (jpeg-decoder) agrees with the full decode (zune-jpeg),
//! for RGB, grey and CMYK files.

use image::{GrayImage, Luma, RgbaImage};

use crate::probe::{Source, read_header};
use crate::resize::{Rect, jpeg_reduction};
use crate::testutil::*;
use crate::transform::transform_with;
use crate::*;

fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// The same variant through both decoders, as decoded RGBA.
fn both_paths(input: &[u8], spec: Spec) -> (RgbaImage, RgbaImage) {
    let limits = Limits::default();
    let scaled = transform_with(input, &spec, &limits, true).unwrap();
    let full = transform_with(input, &spec, &limits, false).unwrap();
    assert_eq!((scaled.width, scaled.height), (full.width, full.height));
    (decode_rgba(&scaled.bytes), decode_rgba(&full.bytes))
}

#[test]
fn small_targets_use_the_scaled_decoder() {
    let jpeg = encode_jpeg(&gradient_rgb(400, 300), 90);
    let header = read_header(&jpeg, &Limits::default()).unwrap();
    assert!(matches!(header.source, Source::Jpeg(_)));
    let full = Rect::full(400, 300);
    assert_eq!(jpeg_reduction((400, 300), full, (50, 37)), 8);
    // 300 / 8 = 37.5 rows of content: not enough for 38.
    assert_eq!(jpeg_reduction((400, 300), full, (50, 38)), 4);
    assert_eq!(jpeg_reduction((400, 300), full, (100, 75)), 4);
    assert_eq!(jpeg_reduction((400, 300), full, (150, 113)), 2);
    assert_eq!(jpeg_reduction((400, 300), full, (201, 151)), 1);
}

#[test]
fn scaled_and_full_decodes_agree_for_rgb() {
    let jpeg = encode_jpeg(&gradient_rgb(400, 300), 90);
    for width in [50, 100, 150, 200] {
        let (a, b) = both_paths(&jpeg, spec(Some(width), None, Fit::Inside, Format::Png));
        let d = mean_abs_diff(&a, &b);
        assert!(d < 2.0, "width {width}: mean difference {d}");
    }
    let (a, b) = both_paths(&jpeg, spec(Some(60), Some(60), Fit::Cover, Format::Png));
    assert!(mean_abs_diff(&a, &b) < 2.0);
}

#[test]
fn grey_jpeg_decodes_to_grey_rgb_on_both_paths() {
    let grey = GrayImage::from_fn(160, 120, |x, _| Luma([(x * 255 / 159) as u8]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&grey)
        .unwrap();
    let (a, b) = both_paths(&jpeg, spec(Some(40), None, Fit::Inside, Format::Png));
    assert!(mean_abs_diff(&a, &b) < 2.0);
    for image in [a, b] {
        let left = image.get_pixel(1, 15).0;
        let right = image.get_pixel(38, 15).0;
        assert!(left[0] < 20 && right[0] > 235, "{left:?} {right:?}");
        assert!(left[0] == left[1] && left[1] == left[2]);
    }
}

/// A CMYK JPEG (Adobe APP14) of four quadrants: red, green, blue, 50 % black.
fn cmyk_jpeg(as_ycck: bool) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let mut data = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let ink: [u8; 4] = match (x < w / 2, y < h / 2) {
                (true, true) => [0, 255, 255, 0],  // red
                (false, true) => [255, 0, 255, 0], // green
                (true, false) => [255, 255, 0, 0], // blue
                (false, false) => [0, 0, 0, 128],  // grey
            };
            data.extend_from_slice(&ink);
        }
    }
    let mut out = Vec::new();
    let colour = if as_ycck {
        jpeg_encoder::ColorType::CmykAsYcck
    } else {
        jpeg_encoder::ColorType::Cmyk
    };
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&data, w, h, colour)
        .unwrap();
    out
}

#[test]
fn cmyk_jpeg_converts_to_rgb_on_both_paths() {
    for as_ycck in [false, true] {
        let jpeg = cmyk_jpeg(as_ycck);
        let header = crate::jpeg::parse_header(&jpeg).unwrap();
        assert_eq!(header.components, 4);
        let (a, b) = both_paths(&jpeg, spec(Some(16), None, Fit::Inside, Format::Png));
        for (name, image) in [("scaled", a), ("full", b)] {
            let at = |x, y| image.get_pixel(x, y).0;
            let ctx = format!("{name}, ycck {as_ycck}");
            assert!(
                near(&at(3, 3), &[255, 0, 0, 255], 25),
                "{ctx}: {:?}",
                at(3, 3)
            );
            assert!(
                near(&at(12, 3), &[0, 255, 0, 255], 25),
                "{ctx}: {:?}",
                at(12, 3)
            );
            assert!(
                near(&at(3, 9), &[0, 0, 255, 255], 25),
                "{ctx}: {:?}",
                at(3, 9)
            );
            assert!(
                near(&at(12, 9), &[127, 127, 127, 255], 25),
                "{ctx}: {:?}",
                at(12, 9)
            );
        }
    }
}

#[test]
fn odd_sizes_and_extreme_aspect_ratios_work_on_the_scaled_path() {
    // Partial edge blocks are mapped by dividing by the factor; the thinnest images differ a
    // little more because a decoded edge pixel also averages the encoder's block padding.
    for (w, h, tw, tolerance) in [(101, 43, 12, 1.5), (333, 7, 40, 4.0), (9, 250, 2, 4.0)] {
        let jpeg = encode_jpeg(&gradient_rgb(w, h), 90);
        let (a, b) = both_paths(&jpeg, spec(Some(tw), None, Fit::Inside, Format::Png));
        let d = mean_abs_diff(&a, &b);
        assert!(d < tolerance, "{w}x{h} -> {tw}: {d}");
    }
}
