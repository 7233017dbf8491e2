//! Whether a GIF or WebP holds an animation, from its structure alone (no pixel is decoded):
//! a caller may then keep the original rather than make a still of its first frame.

/// Whether `bytes` are an animated GIF (two or more image descriptors, GIF89a §20) or an
/// animated WebP (the `VP8X` chunk's animation flag, RFC 9649 §2.7). Anything else, or data
/// too damaged to tell, is `false`.
pub fn is_animated(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return gif_frames(bytes).is_some_and(|n| n >= 2);
    }
    webp_animated(bytes)
}

fn webp_animated(bytes: &[u8]) -> bool {
    const ANIMATION: u8 = 0x02;
    bytes.len() > 20
        && &bytes[0..4] == b"RIFF"
        && &bytes[8..12] == b"WEBP"
        && &bytes[12..16] == b"VP8X"
        && bytes[20] & ANIMATION != 0
}

/// How many image descriptors a GIF has, up to 2 (enough to tell); `None` for a GIF whose
/// blocks cannot be followed.
fn gif_frames(bytes: &[u8]) -> Option<usize> {
    let colour_table = |packed: u8| {
        if packed & 0x80 != 0 {
            3usize << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let mut at = 13 + colour_table(*bytes.get(10)?);
    let mut frames = 0;
    while frames < 2 {
        match *bytes.get(at)? {
            // Image descriptor: 9 bytes, a local colour table, the LZW code size, data blocks.
            0x2C => {
                frames += 1;
                at += 10 + colour_table(*bytes.get(at + 9)?) + 1;
                at = skip_blocks(bytes, at)?;
            }
            // Extension: its label, then data blocks.
            0x21 => at = skip_blocks(bytes, at + 2)?,
            // Trailer.
            0x3B => break,
            _ => return None,
        }
    }
    Some(frames)
}

/// The position after a run of data sub-blocks (each a length byte and that many bytes, the
/// run ending with a zero length) starting at `at`.
fn skip_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(at)?);
        at += 1;
        if len == 0 {
            return Some(at);
        }
        at += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};

    fn gif(frames: usize) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            for i in 0..frames {
                let colour = Rgba([(i * 100) as u8, 0, 0, 255]);
                let frame = Frame::from_parts(
                    RgbaImage::from_pixel(8, 8, colour),
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                );
                encoder.encode_frame(frame).unwrap();
            }
        }
        out
    }

    #[test]
    fn a_gif_with_two_frames_is_animated_and_one_with_one_is_not() {
        assert!(!is_animated(&gif(1)));
        assert!(is_animated(&gif(2)));
        assert!(is_animated(&gif(5)));
    }

    #[test]
    fn a_webp_is_animated_when_its_vp8x_says_so() {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x02, 0, 0, 0, 7, 0, 0, 7, 0, 0]);
        assert!(is_animated(&vp8x));
        vp8x[20] = 0x10;
        assert!(!is_animated(&vp8x), "alpha only");
    }

    #[test]
    fn damaged_or_other_data_is_not_animated() {
        let two = gif(2);
        for cut in [0, 6, 13, 20, two.len() / 2] {
            let _ = is_animated(&two[..cut]);
        }
        assert!(!is_animated(b"\x89PNG\r\n\x1a\n"));
        assert!(!is_animated(b""));
        assert!(!is_animated(&two[..20]));
    }
}
