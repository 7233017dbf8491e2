//! Rule 2: sizing (Inside / Cover / Contain, never upscaling), checked on real outputs.

use image::{Rgb, RgbImage, RgbaImage};

use crate::testutil::*;
use crate::*;

fn run(bytes: &[u8], spec: Spec) -> (Encoded, RgbaImage) {
    let out = transform(bytes, &spec, &Limits::default()).unwrap();
    let decoded = decode_rgba(&out.bytes);
    assert_eq!((decoded.width(), decoded.height()), (out.width, out.height));
    assert_eq!(out.format, spec.format);
    (out, decoded)
}

fn px(image: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
    image.get_pixel(x, y).0
}

#[test]
fn inside_never_upscales() {
    let png = encode_png_rgb(&gradient_rgb(100, 80));
    for (w, h) in [
        (Some(320), None),
        (None, Some(320)),
        (Some(320), Some(320)),
        (None, None),
    ] {
        let (out, _) = run(&png, spec(w, h, Fit::Inside, Format::Png));
        assert_eq!((out.width, out.height), (100, 80), "{w:?} {h:?}");
    }
}

#[test]
fn inside_scales_by_the_given_or_binding_side() {
    let jpeg = encode_jpeg(&gradient_rgb(400, 300), 90);
    for (w, h, expect) in [
        (Some(100), None, (100, 75)),
        (None, Some(60), (80, 60)),
        (Some(100), Some(100), (100, 75)),
        (Some(1000), Some(150), (200, 150)),
    ] {
        let (out, _) = run(&jpeg, spec(w, h, Fit::Inside, Format::Webp));
        assert_eq!((out.width, out.height), expect, "{w:?} {h:?}");
    }
}

/// 300x100 in thirds: red | green | blue.
fn thirds() -> RgbImage {
    RgbImage::from_fn(300, 100, |x, _| match x / 100 {
        0 => Rgb([255, 0, 0]),
        1 => Rgb([0, 255, 0]),
        _ => Rgb([0, 0, 255]),
    })
}

#[test]
fn cover_crops_the_centre_to_exactly_the_box() {
    let png = encode_png_rgb(&thirds());
    let (out, img) = run(&png, spec(Some(50), Some(50), Fit::Cover, Format::Png));
    assert_eq!((out.width, out.height), (50, 50));
    // Only the green third is left.
    assert!(near(&px(&img, 25, 25), &[0, 255, 0, 255], 2));
    for (x, y) in [(2, 2), (47, 2), (2, 47), (47, 47)] {
        let p = px(&img, x, y);
        assert!(p[1] > 200 && p[0] < 60 && p[2] < 60, "({x},{y}) {p:?}");
    }
    // A wide box keeps the middle band of a tall image.
    let tall = encode_png_rgb(&RgbImage::from_fn(100, 300, |_, y| match y / 100 {
        1 => Rgb([0, 255, 0]),
        _ => Rgb([255, 0, 0]),
    }));
    let (out, img) = run(&tall, spec(Some(40), Some(20), Fit::Cover, Format::Png));
    assert_eq!((out.width, out.height), (40, 20));
    assert!(near(&px(&img, 20, 10), &[0, 255, 0, 255], 2));
}

#[test]
fn cover_of_a_small_image_keeps_the_box_aspect_at_source_scale() {
    let png = encode_png_rgb(&thirds());
    // 300x100 for a 400x400 box: no upscaling, a 100x100 centre square.
    let (out, img) = run(&png, spec(Some(400), Some(400), Fit::Cover, Format::Png));
    assert_eq!((out.width, out.height), (100, 100));
    for (x, y) in [(0, 0), (99, 99), (50, 50)] {
        assert_eq!(px(&img, x, y), [0, 255, 0, 255], "({x},{y})");
    }
    // 100x80 for 200x100: 2:1 at the image's width.
    let small = encode_png_rgb(&gradient_rgb(100, 80));
    let (out, _) = run(&small, spec(Some(200), Some(100), Fit::Cover, Format::Png));
    assert_eq!((out.width, out.height), (100, 50));
}

#[test]
fn contain_pads_to_the_box_transparent_or_white() {
    let red = encode_png_rgb(&RgbImage::from_pixel(200, 100, Rgb([255, 0, 0])));
    let (out, img) = run(&red, spec(Some(100), Some(100), Fit::Contain, Format::Png));
    assert_eq!((out.width, out.height), (100, 100));
    // The image is 100x50 centred: rows 25..75.
    assert_eq!(px(&img, 50, 5)[3], 0);
    assert_eq!(px(&img, 50, 95)[3], 0);
    assert_eq!(px(&img, 50, 50), [255, 0, 0, 255]);
    assert_eq!(px(&img, 0, 30), [255, 0, 0, 255]);

    let (out, img) = run(&red, spec(Some(100), Some(100), Fit::Contain, Format::Jpeg));
    assert_eq!((out.width, out.height), (100, 100));
    assert!(near(&px(&img, 50, 5), &[255, 255, 255, 255], 3));
    let centre = px(&img, 50, 50);
    assert!(
        centre[0] > 240 && centre[1] < 20 && centre[2] < 20,
        "{centre:?}"
    );

    let (_, img) = run(&red, spec(Some(100), Some(100), Fit::Contain, Format::Webp));
    assert!(px(&img, 50, 5)[3] < 5);
    assert!(px(&img, 50, 50)[3] > 250);
}

#[test]
fn contain_does_not_upscale_a_small_image() {
    let red = encode_png_rgb(&RgbImage::from_pixel(40, 20, Rgb([255, 0, 0])));
    let (out, img) = run(&red, spec(Some(100), Some(100), Fit::Contain, Format::Png));
    assert_eq!((out.width, out.height), (100, 100));
    // Centred at (30..70, 40..60), unscaled.
    assert_eq!(px(&img, 30, 40), [255, 0, 0, 255]);
    assert_eq!(px(&img, 69, 59), [255, 0, 0, 255]);
    assert_eq!(px(&img, 29, 40)[3], 0);
    assert_eq!(px(&img, 70, 59)[3], 0);
    assert_eq!(px(&img, 30, 39)[3], 0);
    assert_eq!(px(&img, 30, 60)[3], 0);
}

#[test]
fn sizes_are_those_of_the_displayed_image() {
    // Stored 400x300, displayed 300x400 (EXIF 6): a width of 150 means 150x200.
    let jpeg = add_exif(
        &encode_jpeg(&gradient_rgb(400, 300), 90),
        &exif_orientation(6),
    );
    let (out, _) = run(&jpeg, spec(Some(150), None, Fit::Inside, Format::Png));
    assert_eq!((out.width, out.height), (150, 200));
    let (out, _) = run(&jpeg, spec(Some(100), Some(50), Fit::Cover, Format::Png));
    assert_eq!((out.width, out.height), (100, 50));
    let (out, img) = run(&jpeg, spec(Some(100), Some(100), Fit::Contain, Format::Png));
    assert_eq!((out.width, out.height), (100, 100));
    // 75x100 centred: the side columns are padding.
    assert_eq!(px(&img, 5, 50)[3], 0);
    assert_eq!(px(&img, 50, 50)[3], 255);
}
