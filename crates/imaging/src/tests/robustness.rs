//! Rule 9: non-images are Unsupported, damaged images are Malformed (or still decode), and
//! nothing panics on truncated or bit-flipped input.

use image::{Rgb, RgbImage, Rgba, RgbaImage};

use crate::testutil::*;
use crate::*;

fn unsupported(bytes: &[u8]) -> Option<&'static str> {
    let limits = Limits::default();
    let s = spec(Some(10), None, Fit::Inside, Format::Png);
    let mut seen = Vec::new();
    for r in [
        probe(bytes, &limits).map(|_| ()),
        transform(bytes, &s, &limits).map(|_| ()),
        facts(bytes, &limits).map(|_| ()),
    ] {
        match r {
            Err(ImageError::Unsupported { content_type }) => seen.push(content_type),
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    seen[0]
}

#[test]
fn non_images_are_unsupported_with_their_type_when_known() {
    assert_eq!(unsupported(b""), None);
    assert_eq!(unsupported(b"just some text\n"), None);
    assert_eq!(unsupported(&[0u8; 100]), None);
    assert_eq!(
        unsupported(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
        Some("image/svg+xml")
    );
    assert_eq!(
        unsupported(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n"),
        Some("application/pdf")
    );
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miafMA1B\0\0\0\0meta";
    assert_eq!(unsupported(avif), Some("image/avif"));
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0meta";
    assert_eq!(unsupported(heic), Some("image/heic"));
}

fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let rgb = RgbImage::from_fn(24, 16, |x, y| Rgb([(x * 10) as u8, (y * 15) as u8, 99]));
    let rgba = RgbaImage::from_fn(24, 16, |x, y| {
        Rgba([(x * 10) as u8, 50, (y * 15) as u8, (x * 10) as u8])
    });
    vec![
        ("jpeg", add_exif(&encode_jpeg(&rgb, 85), &exif_with_gps(6))),
        ("png", encode_png_rgba(&rgba)),
        ("gif", encode_gif_image(&rgba)),
        ("webp-lossless", encode_webp_lossless(&rgba)),
        ("webp-lossy", encode_webp_lossy(&rgba, 80.0)),
    ]
}

/// Every call must return (any Ok or Err); a panic fails the test.
fn exercise(bytes: &[u8]) {
    let limits = Limits::default();
    let _ = probe(bytes, &limits);
    let _ = transform(
        bytes,
        &spec(Some(8), None, Fit::Inside, Format::Png),
        &limits,
    );
    let _ = transform(
        bytes,
        &spec(Some(12), Some(12), Fit::Cover, Format::Jpeg),
        &limits,
    );
    let _ = facts(bytes, &limits);
}

#[test]
fn truncated_images_are_malformed_or_decode() {
    let limits = Limits::default();
    for (name, bytes) in samples() {
        for len in (0..bytes.len()).step_by(7) {
            let cut = &bytes[..len];
            let r = transform(cut, &spec(Some(8), None, Fit::Inside, Format::Png), &limits);
            match r {
                Ok(out) => assert!(out.width > 0 && out.height > 0),
                Err(ImageError::Malformed { reason }) => assert!(!reason.is_empty()),
                // Too short to recognise.
                Err(ImageError::Unsupported { .. }) if len < 12 => {}
                Err(e) => panic!("{name} cut at {len}: {e:?}"),
            }
            exercise(cut);
        }
    }
}

#[test]
fn random_damage_never_panics() {
    let mut rng = Rng(0x00C0_FFEE);
    for (_, original) in samples() {
        for round in 0..60 {
            let mut bytes = original.clone();
            match round % 3 {
                0 => {
                    let flips = 1 + rng.below(8);
                    for _ in 0..flips {
                        let i = rng.below(bytes.len());
                        bytes[i] ^= 1 << rng.below(8);
                    }
                }
                1 => {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                    bytes.truncate(i + 1 + rng.below(bytes.len() - i));
                }
                _ => {
                    // Damage past the header, where the pixel decoders work.
                    let start = bytes.len() / 4;
                    for _ in 0..4 {
                        let i = start + rng.below(bytes.len() - start);
                        bytes[i] = rng.next() as u8;
                    }
                }
            }
            exercise(&bytes);
        }
    }
}
