//! Rule 1: limits are checked from the header, before any pixel allocation.

use std::time::{Duration, Instant};

use image::{ExtendedColorType, RgbaImage};

use crate::testutil::*;
use crate::*;

/// A decompression bomb: a tiny PNG whose IHDR declares `width`×`height` RGB8, with a small
/// (stored) zlib IDAT.
fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    handmade_png(width, height, 8, 2, None, &vec![0u8; 4096])
}

fn is_too_large<T: std::fmt::Debug>(r: Result<T, ImageError>) -> String {
    match r {
        Err(ImageError::TooLarge { what }) => what,
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

/// Runs `f` and asserts it returned TooLarge within 50 ms.
fn too_large_fast<T: std::fmt::Debug>(f: impl FnOnce() -> Result<T, ImageError>) -> String {
    let start = Instant::now();
    let result = f();
    let elapsed = start.elapsed();
    let what = is_too_large(result);
    assert!(elapsed < Duration::from_millis(50), "took {elapsed:?}");
    what
}

#[test]
fn png_bomb_is_refused_from_the_header() {
    let bomb = bomb_png(100_000, 100_000);
    assert!(bomb.len() < 5_000);
    let limits = Limits::default();
    let spec = spec(Some(320), None, Fit::Inside, Format::Webp);
    let what = too_large_fast(|| probe(&bomb, &limits));
    assert!(
        what.contains("20000 px per side at most, this image is 100000x100000"),
        "{what}"
    );
    too_large_fast(|| transform(&bomb, &spec, &limits));
    too_large_fast(|| facts(&bomb, &limits));

    // With the side and pixel limits out of the way the allocation budget still refuses it.
    let relaxed = Limits {
        max_side: u32::MAX,
        max_pixels: u64::MAX,
        ..Limits::default()
    };
    let what = too_large_fast(|| transform(&bomb, &spec, &relaxed));
    assert!(what.contains("bytes of decoded pixels at most"), "{what}");
}

#[test]
fn plausible_12k_bomb_is_caught_by_the_allocation_budget() {
    // 12000x12000 RGB8 = 432 MB: within 20000 px per side and a 200 MP pixel limit, so only
    // max_alloc (256 MiB) stands in the way. image's own default (512 MiB) would let it through.
    let bomb = bomb_png(12_000, 12_000);
    let limits = Limits {
        max_pixels: 200_000_000,
        ..Limits::default()
    };
    let spec = spec(Some(320), None, Fit::Inside, Format::Png);
    let what = too_large_fast(|| probe(&bomb, &limits));
    assert!(
        what.contains("268435456 bytes of decoded pixels at most, this image needs 432000000"),
        "{what}"
    );
    too_large_fast(|| transform(&bomb, &spec, &limits));
    too_large_fast(|| facts(&bomb, &limits));
}

#[test]
fn jpeg_gif_and_webp_bombs_are_refused_from_the_header() {
    // JPEG: patch the SOF of a tiny JPEG to 65000x65000.
    let mut jpeg = encode_jpeg(&gradient_rgb(16, 16), 80);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&65_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&65_000u16.to_be_bytes());
    let limits = Limits::default();
    let spec = spec(Some(320), None, Fit::Inside, Format::Webp);
    too_large_fast(|| probe(&jpeg, &limits));
    too_large_fast(|| transform(&jpeg, &spec, &limits));

    // GIF: logical screen and frame of 65535x65535.
    let mut gif = encode_gif(16, 16, &[[200, 10, 10, 255]]);
    gif[6..8].copy_from_slice(&65_535u16.to_le_bytes());
    gif[8..10].copy_from_slice(&65_535u16.to_le_bytes());
    too_large_fast(|| probe(&gif, &limits));
    too_large_fast(|| transform(&gif, &spec, &limits));

    // Lossless WebP whose VP8L header says 16000x16000 (256 MP, over the pixel limit).
    let mut webp =
        encode_webp_lossless(&RgbaImage::from_pixel(16, 16, image::Rgba([1, 2, 3, 255])));
    assert_eq!(&webp[12..16], b"VP8L");
    let bits = u32::from_le_bytes(webp[21..25].try_into().unwrap());
    let patched = (bits & 0xF000_0000) | 15_999 | (15_999 << 14);
    webp[21..25].copy_from_slice(&patched.to_le_bytes());
    let what = too_large_fast(|| probe(&webp, &limits));
    assert!(
        what.contains("50000000 pixels at most, this image has 256000000"),
        "{what}"
    );
    too_large_fast(|| facts(&webp, &limits));
}

#[test]
fn each_limit_applies_to_an_ordinary_image() {
    let png = encode_png_rgba(&RgbaImage::from_pixel(
        300,
        200,
        image::Rgba([9, 9, 9, 128]),
    ));
    let ok = probe(&png, &Limits::default()).unwrap();
    assert_eq!((ok.format, ok.width, ok.height), (Format::Png, 300, 200));

    let bytes = Limits {
        max_input_bytes: png.len() as u64 - 1,
        ..Limits::default()
    };
    assert!(is_too_large(probe(&png, &bytes)).contains("bytes of input at most"));
    let exact = Limits {
        max_input_bytes: png.len() as u64,
        ..Limits::default()
    };
    assert!(probe(&png, &exact).is_ok());

    let side = Limits {
        max_side: 299,
        ..Limits::default()
    };
    assert!(is_too_large(probe(&png, &side)).contains("299 px per side"));
    let pixels = Limits {
        max_pixels: 59_999,
        ..Limits::default()
    };
    assert!(
        is_too_large(probe(&png, &pixels)).contains("59999 pixels at most, this image has 60000")
    );
    // 300 x 200 x 4 bytes of RGBA8.
    let alloc = Limits {
        max_alloc_bytes: 239_999,
        ..Limits::default()
    };
    assert!(is_too_large(probe(&png, &alloc)).contains("needs 240000"));
    let spec = spec(Some(10), None, Fit::Inside, Format::Png);
    for limits in [bytes, side, pixels, alloc] {
        is_too_large(transform(&png, &spec, &limits));
        is_too_large(facts(&png, &limits));
    }
}

#[test]
fn a_16_bit_png_counts_its_real_decoded_size() {
    // 100 x 100 RGBA16 = 80000 bytes although the output is 8-bit.
    let data = vec![0u8; 100 * 100 * 8];
    let png = encode_png(&data, 100, 100, ExtendedColorType::Rgba16, None, None);
    let limits = Limits {
        max_alloc_bytes: 79_999,
        ..Limits::default()
    };
    assert!(is_too_large(probe(&png, &limits)).contains("needs 80000"));
}

#[test]
fn output_canvas_and_encoder_sizes_are_limited_too() {
    let png = encode_png_rgb(&gradient_rgb(20, 10));
    let limits = Limits::default();
    // A Contain canvas is as big as the box: it must obey the limits.
    let huge = spec(Some(30_000), Some(30_000), Fit::Contain, Format::Png);
    assert!(is_too_large(transform(&png, &huge, &limits)).contains("20000 px per side"));
    // WebP cannot hold more than 16383 px per side.
    let wide = spec(Some(17_000), Some(10), Fit::Contain, Format::Webp);
    let what = is_too_large(transform(&png, &wide, &limits));
    assert!(
        what.contains("image/webp output is 16383 px per side at most"),
        "{what}"
    );
    // The same box in PNG is fine.
    let wide_png = spec(Some(17_000), Some(10), Fit::Contain, Format::Png);
    let out = transform(&png, &wide_png, &limits).unwrap();
    assert_eq!((out.width, out.height), (17_000, 10));
}
