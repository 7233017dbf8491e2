//! JPEG specifics: a zero-copy header reader (dimensions, components, EXIF, ICC) and the
//! DCT-scaled decode through `jpeg-decoder` (1/2, 1/4, 1/8 IDCT).

use image::metadata::Orientation;

use crate::decode::{Channels, Raster};
use crate::error::ImageError;
use crate::format::Format;
use crate::limits::Limits;

/// Facts from a JPEG's markers up to its first frame header (SOFn). Borrows the input.
#[derive(Debug, Clone)]
pub(crate) struct JpegHeader<'a> {
    pub width: u32,
    pub height: u32,
    /// Colour components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK.
    pub components: u8,
    /// Sample precision in bits (8 for nearly all files, 12 for some medical ones).
    pub precision: u8,
    /// The TIFF structure of the first `Exif` APP1 segment.
    pub exif: Option<&'a [u8]>,
    /// `ICC_PROFILE` APP2 chunks as (sequence number, count, data).
    icc_chunks: Vec<(u8, u8, &'a [u8])>,
}

impl JpegHeader<'_> {
    /// EXIF orientation (1 when there is no EXIF or no valid tag).
    pub fn orientation(&self) -> Orientation {
        self.exif
            .and_then(Orientation::from_exif_chunk)
            .unwrap_or(Orientation::NoTransforms)
    }

    /// The embedded ICC profile, reassembled from its APP2 chunks; `None` when absent or when
    /// the chunks are inconsistent (missing, duplicated or miscounted).
    pub fn icc_profile(&self) -> Option<Vec<u8>> {
        let count = usize::from(self.icc_chunks.first()?.1);
        if count == 0 || self.icc_chunks.len() != count {
            return None;
        }
        let mut profile = Vec::new();
        for seq in 1..=count {
            let mut matching = self
                .icc_chunks
                .iter()
                .filter(|(s, c, _)| usize::from(*s) == seq && usize::from(*c) == count);
            let (_, _, data) = matching.next()?;
            if matching.next().is_some() {
                return None;
            }
            profile.extend_from_slice(data);
        }
        Some(profile)
    }

    /// Whether `jpeg-decoder` can do a DCT-scaled decode of this file (8-bit, 1/3/4 components).
    pub fn scalable(&self) -> bool {
        self.precision == 8 && matches!(self.components, 1 | 3 | 4)
    }
}

/// Walks the JPEG markers up to the first SOFn segment. Reads only header bytes; allocates only
/// the small list of ICC chunk references.
///
/// Errors: [`ImageError::Malformed`] for a missing SOI, a segment running past the end, or
/// scan data/EOI before any frame header; [`ImageError::Unsupported`] for a frame that declares
/// its height later (DNL), which our decoders do not handle.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<JpegHeader<'_>, ImageError> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(ImageError::malformed(
            "JPEG without a start-of-image marker",
        ));
    }
    let mut exif = None;
    let mut icc_chunks = Vec::new();
    let mut pos = 2;
    loop {
        // Markers are 0xFF followed by a code; any number of 0xFF fill bytes may precede it.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&code)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(ImageError::malformed(
                "JPEG header is truncated or has no frame header",
            ));
        };
        pos += 2;
        match code {
            // Standalone markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => continue,
            0xD9 | 0xDA => {
                return Err(ImageError::malformed(
                    "JPEG has no frame header before its scan",
                ));
            }
            _ => {}
        }
        let len_bytes = bytes
            .get(pos..pos + 2)
            .ok_or_else(|| ImageError::malformed("JPEG header is truncated"))?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(ImageError::malformed("JPEG segment with an invalid length"));
        }
        let segment = bytes
            .get(pos + 2..pos + len)
            .ok_or_else(|| ImageError::malformed("JPEG header is truncated"))?;
        pos += len;
        match code {
            0xE1 if exif.is_none() && segment.starts_with(b"Exif\0\0") => {
                exif = Some(&segment[6..]);
            }
            0xE2 if segment.len() >= 14 && segment.starts_with(b"ICC_PROFILE\0") => {
                icc_chunks.push((segment[12], segment[13], &segment[14..]));
            }
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                if segment.len() < 6 {
                    return Err(ImageError::malformed("JPEG frame header is too short"));
                }
                let precision = segment[0];
                let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                let components = segment[5];
                if height == 0 {
                    return Err(ImageError::Unsupported {
                        content_type: Some(Format::Jpeg.content_type()),
                    });
                }
                if width == 0 || components == 0 {
                    return Err(ImageError::malformed(
                        "JPEG frame with zero width or components",
                    ));
                }
                return Ok(JpegHeader {
                    width,
                    height,
                    components,
                    precision,
                    exif,
                    icc_chunks,
                });
            }
            _ => {}
        }
    }
}

/// Size of a `len`-pixel axis after an IDCT scale of 1/`factor` (what `jpeg-decoder` outputs).
pub(crate) fn scaled_len(len: u32, factor: u32) -> u32 {
    len.div_ceil(factor)
}

/// Decodes at 1/`factor` (2, 4 or 8) of the stored size with `jpeg-decoder`'s IDCT scaling.
///
/// Returns grey (1 channel) or RGB (3 channels; CMYK is converted), 8 bits. Returns `Ok(None)`
/// when the decoder would not produce exactly `ceil(w/factor)`×`ceil(h/factor)` (the caller
/// then decodes at full size).
pub(crate) fn decode_scaled(
    bytes: &[u8],
    header: &JpegHeader<'_>,
    factor: u32,
    limits: &Limits,
) -> Result<Option<Raster>, ImageError> {
    let want_w = scaled_len(header.width, factor);
    let want_h = scaled_len(header.height, factor);
    let (Ok(req_w), Ok(req_h)) = (u16::try_from(want_w), u16::try_from(want_h)) else {
        return Ok(None);
    };
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.max_alloc_bytes).unwrap_or(usize::MAX),
    );
    let (got_w, got_h) = decoder.scale(req_w, req_h).map_err(ImageError::from_jpeg)?;
    if (u32::from(got_w), u32::from(got_h)) != (want_w, want_h) {
        return Ok(None);
    }
    let mut data = decoder.decode().map_err(ImageError::from_jpeg)?;
    let Some(info) = decoder.info() else {
        return Err(ImageError::malformed(
            "JPEG decoder returned no frame information",
        ));
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixels = width as usize * height as usize;
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Channels::L,
        jpeg_decoder::PixelFormat::RGB24 => Channels::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => {
            if data.len() != pixels * 4 {
                return Err(ImageError::malformed(
                    "JPEG decoder output has the wrong size",
                ));
            }
            cmyk_to_rgb_in_place(&mut data);
            Channels::Rgb
        }
        jpeg_decoder::PixelFormat::L16 => {
            return Err(ImageError::Unsupported {
                content_type: Some(Format::Jpeg.content_type()),
            });
        }
    };
    if data.len() != pixels * channels.count() {
        return Err(ImageError::malformed(
            "JPEG decoder output has the wrong size",
        ));
    }
    Ok(Some(Raster {
        width,
        height,
        channels,
        data,
    }))
}

/// Converts `jpeg-decoder`'s CMYK output (ink amounts: it un-inverts Adobe files) to RGB, in place:
/// R = (255 − C)(255 − K)/255 and so on, then truncates to 3 bytes per pixel. This is the naive
/// conversion (no CMYK ICC profile is applied), the same `image` 0.24 used.
fn cmyk_to_rgb_in_place(data: &mut Vec<u8>) {
    let pixels = data.len() / 4;
    for i in 0..pixels {
        let k = 255 - u16::from(data[4 * i + 3]);
        for c in 0..3 {
            let v = 255 - u16::from(data[4 * i + c]);
            // Writes go to index 3i + c <= 4i + c, which has already been read.
            data[3 * i + c] = ((v * k + 127) / 255) as u8;
        }
    }
    data.truncate(pixels * 3);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{add_exif, encode_jpeg, exif_orientation, gradient_rgb};

    #[test]
    fn header_reads_size_components_and_orientation() {
        let jpeg = encode_jpeg(&gradient_rgb(40, 30), 90);
        let h = parse_header(&jpeg).unwrap();
        assert_eq!(
            (h.width, h.height, h.components, h.precision),
            (40, 30, 3, 8)
        );
        assert_eq!(h.orientation(), Orientation::NoTransforms);
        assert!(h.icc_profile().is_none());
        assert!(h.scalable());

        let rotated = add_exif(&jpeg, &exif_orientation(6));
        let h = parse_header(&rotated).unwrap();
        assert_eq!(h.orientation(), Orientation::Rotate90);
        assert_eq!((h.width, h.height), (40, 30));
    }

    #[test]
    fn header_reassembles_multi_chunk_icc_in_sequence_order() {
        let jpeg = encode_jpeg(&gradient_rgb(8, 8), 90);
        let mut out = jpeg[..2].to_vec();
        for (seq, data) in [(2u8, &b"world"[..]), (1, &b"hello "[..])] {
            let mut seg = b"ICC_PROFILE\0".to_vec();
            seg.extend_from_slice(&[seq, 2]);
            seg.extend_from_slice(data);
            out.extend_from_slice(&[0xFF, 0xE2]);
            out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(&seg);
        }
        out.extend_from_slice(&jpeg[2..]);
        let h = parse_header(&out).unwrap();
        assert_eq!(h.icc_profile().as_deref(), Some(&b"hello world"[..]));
    }

    #[test]
    fn header_rejects_truncation_and_garbage() {
        let jpeg = encode_jpeg(&gradient_rgb(8, 8), 90);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        for cut in [0, 1, 2, 3, 5, sof, sof + 3, sof + 8] {
            assert!(
                matches!(
                    parse_header(&jpeg[..cut]),
                    Err(ImageError::Malformed { .. })
                ),
                "cut at {cut}"
            );
        }
        assert!(parse_header(b"\xFF\xD8\xFF\xD9").is_err());
        assert!(parse_header(b"\xFF\xD8\xFF\xE0\x00\x01").is_err());
    }

    #[test]
    fn cmyk_conversion_matches_the_naive_formula() {
        // jpeg-decoder hands out ink amounts (it un-inverts Adobe files): red is C=0, M=Y=255,
        // K=0; white is no ink; K=255 is black whatever the rest.
        let mut data = vec![
            0, 255, 255, 0, //
            0, 0, 0, 0, //
            0, 0, 0, 255, //
            128, 128, 128, 0,
        ];
        cmyk_to_rgb_in_place(&mut data);
        assert_eq!(data, vec![255, 0, 0, 255, 255, 255, 0, 0, 0, 127, 127, 127]);
    }

    #[test]
    fn scaled_decode_gives_the_ceiling_size() {
        let jpeg = encode_jpeg(&gradient_rgb(101, 43), 90);
        let h = parse_header(&jpeg).unwrap();
        for (factor, size) in [(2, (51, 22)), (4, (26, 11)), (8, (13, 6))] {
            let r = decode_scaled(&jpeg, &h, factor, &Limits::default())
                .unwrap()
                .unwrap();
            assert_eq!((r.width, r.height), size);
            assert_eq!(r.channels, Channels::Rgb);
            assert_eq!(r.data.len(), (size.0 * size.1 * 3) as usize);
        }
    }
}
