//! Rule 3: EXIF orientation (all 8 values), on the full-decode and the DCT-scaled paths.

use image::{ExtendedColorType, RgbaImage};

use crate::testutil::*;
use crate::transform::transform_with;
use crate::*;

const RED: [u8; 3] = [230, 20, 20];
const GREEN: [u8; 3] = [20, 220, 20];
const GREY: [u8; 3] = [128, 128, 128];

/// Where stored pixel (x, y) of a `w`×`h` image lands once displayed with EXIF `orientation`.
fn displayed(orientation: u16, (x, y): (u32, u32), (w, h): (u32, u32)) -> (u32, u32) {
    match orientation {
        1 => (x, y),
        2 => (w - 1 - x, y),
        3 => (w - 1 - x, h - 1 - y),
        4 => (x, h - 1 - y),
        5 => (y, x),
        6 => (h - 1 - y, x),
        7 => (h - 1 - y, w - 1 - x),
        8 => (y, w - 1 - x),
        _ => unreachable!(),
    }
}

fn is_colour(image: &RgbaImage, (x, y): (u32, u32), colour: [u8; 3]) -> bool {
    let p = image.get_pixel(x, y).0;
    near(&p[..3], &colour, 40)
}

/// Stored 80x60, red block top-left, green block top-right: checks every orientation on both
/// JPEG decode paths, plus the probe.
#[test]
fn all_eight_orientations_put_the_corners_in_place() {
    let (w, h) = (80, 60);
    let stored = corners(w, h, 12, GREY, [Some(RED), Some(GREEN), None, None]);
    let jpeg = encode_jpeg(&stored, 95);
    for orientation in 1..=8u16 {
        let input = add_exif(&jpeg, &exif_orientation(orientation));
        let swapped = orientation >= 5;
        let (dw, dh) = if swapped { (h, w) } else { (w, h) };
        let p = probe(&input, &Limits::default()).unwrap();
        assert_eq!(
            (p.width, p.height),
            (dw, dh),
            "probe, orientation {orientation}"
        );

        let full = transform(
            &input,
            &spec(None, None, Fit::Inside, Format::Png),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!((full.width, full.height), (dw, dh));
        let img = decode_rgba(&full.bytes);
        let red_at = displayed(orientation, (5, 5), (w, h));
        let green_at = displayed(orientation, (w - 6, 5), (w, h));
        assert!(
            is_colour(&img, red_at, RED),
            "orientation {orientation}: red at {red_at:?}"
        );
        assert!(
            is_colour(&img, green_at, GREEN),
            "orientation {orientation}: green at {green_at:?}"
        );
        // The other two corners are background.
        let grey_at = displayed(orientation, (5, h - 6), (w, h));
        assert!(is_colour(&img, grey_at, GREY), "orientation {orientation}");

        // Half size goes through the 1/2 DCT-scaled decode; same placement at half scale.
        let half = transform(
            &input,
            &spec(Some(dw / 2), None, Fit::Inside, Format::Png),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!((half.width, half.height), (dw / 2, dh / 2));
        let img = decode_rgba(&half.bytes);
        let red_half = (red_at.0 / 2, red_at.1 / 2);
        let green_half = (green_at.0 / 2, green_at.1 / 2);
        assert!(
            is_colour(&img, red_half, RED),
            "orientation {orientation}, half"
        );
        assert!(
            is_colour(&img, green_half, GREEN),
            "orientation {orientation}, half"
        );
    }
}

#[test]
fn orientation_6_swaps_and_turns_top_left_to_top_right() {
    let stored = corners(400, 300, 40, GREY, [Some(RED), None, None, None]);
    let input = add_exif(&encode_jpeg(&stored, 90), &exif_orientation(6));
    for allow_dct in [true, false] {
        let out = transform_with(
            &input,
            &spec(Some(100), None, Fit::Inside, Format::Webp),
            &Limits::default(),
            allow_dct,
        )
        .unwrap();
        assert_eq!((out.width, out.height), (100, 133));
        let img = decode_rgba(&out.bytes);
        assert!(is_colour(&img, (95, 4), RED), "dct {allow_dct}");
        assert!(is_colour(&img, (4, 4), GREY), "dct {allow_dct}");
        assert!(is_colour(&img, (95, 128), GREY), "dct {allow_dct}");
    }
}

#[test]
fn orientation_3_turns_top_left_to_bottom_right() {
    let stored = corners(400, 300, 40, GREY, [Some(RED), None, None, None]);
    let input = add_exif(&encode_jpeg(&stored, 90), &exif_orientation(3));
    for allow_dct in [true, false] {
        let out = transform_with(
            &input,
            &spec(Some(100), None, Fit::Inside, Format::Png),
            &Limits::default(),
            allow_dct,
        )
        .unwrap();
        assert_eq!((out.width, out.height), (100, 75));
        let img = decode_rgba(&out.bytes);
        assert!(is_colour(&img, (96, 71), RED), "dct {allow_dct}");
        assert!(is_colour(&img, (3, 3), GREY), "dct {allow_dct}");
    }
}

#[test]
fn png_exif_orientation_is_applied_too() {
    let stored = corners(40, 30, 6, GREY, [Some(RED), None, None, None]);
    let png = encode_png(
        stored.as_raw(),
        40,
        30,
        ExtendedColorType::Rgb8,
        None,
        Some(&exif_orientation(8)),
    );
    let p = probe(&png, &Limits::default()).unwrap();
    assert_eq!((p.width, p.height), (30, 40));
    let out = transform(
        &png,
        &spec(None, None, Fit::Inside, Format::Png),
        &Limits::default(),
    )
    .unwrap();
    let img = decode_rgba(&out.bytes);
    // Orientation 8: top-left goes to bottom-left.
    assert_eq!(&img.get_pixel(2, 37).0[..3], &RED);
    assert_eq!(&img.get_pixel(2, 2).0[..3], &GREY);
}
