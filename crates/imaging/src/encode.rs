//! Encoders. None of them writes metadata: no EXIF, no ICC profile, no XMP, no text chunks.
//!
//! * JPEG: `image`'s encoder (baseline, JFIF APP0 only) at `quality`; alpha is flattened over
//!   white first.
//! * PNG: `image`'s encoder, lossless (`quality` is ignored), alpha kept.
//! * WebP: libwebp through the `webp` crate, lossy at `quality`, alpha kept (then the file is
//!   `VP8X` + `ALPH` + `VP8 `; opaque images are a plain `VP8 ` RIFF).
//! * AVIF (feature `avif`): ravif/rav1e, speed 10, one thread, no asm, `quality` passed through
//!   (ravif's scale is also 1..=100), alpha kept.
//! * GIF: no encoder ([`ImageError::CannotEncode`]).

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::decode::{Channels, Raster};
use crate::error::ImageError;
use crate::format::Format;

/// Largest width or height each encoder accepts.
pub(crate) fn max_side(format: Format) -> u32 {
    match format {
        Format::Jpeg => 65_535,
        Format::Webp => 16_383,
        // PNG allows 2^31 - 1; AVIF (rav1e) far more than our input limits allow.
        Format::Png | Format::Avif | Format::Gif => u32::MAX,
    }
}

/// Fails with [`ImageError::TooLarge`] when `format` cannot hold a `width`×`height` image.
pub(crate) fn check_size(format: Format, width: u32, height: u32) -> Result<(), ImageError> {
    let max = max_side(format);
    if width > max || height > max {
        return Err(ImageError::too_large(format!(
            "{} output is {max} px per side at most, this variant would be {width}x{height}",
            format.content_type()
        )));
    }
    Ok(())
}

/// Encodes an RGB or RGBA raster. `quality` is clamped to 1..=100.
pub(crate) fn encode(raster: Raster, format: Format, quality: u8) -> Result<Vec<u8>, ImageError> {
    if !format.can_encode() {
        return Err(ImageError::CannotEncode { format });
    }
    check_size(format, raster.width, raster.height)?;
    let quality = quality.clamp(1, 100);
    let raster = raster.into_rgb_family();
    let failed = |e: &dyn std::fmt::Display| {
        ImageError::malformed(format!("{} encoding failed: {e}", format.content_type()))
    };
    let color = if raster.channels == Channels::Rgba {
        ExtendedColorType::Rgba8
    } else {
        ExtendedColorType::Rgb8
    };
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let raster = raster.flatten_over_white();
            JpegEncoder::new_with_quality(&mut out, quality)
                .write_image(
                    &raster.data,
                    raster.width,
                    raster.height,
                    ExtendedColorType::Rgb8,
                )
                .map_err(|e| failed(&e))?;
        }
        Format::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
                .write_image(&raster.data, raster.width, raster.height, color)
                .map_err(|e| failed(&e))?;
        }
        Format::Webp => {
            let encoder = if raster.channels == Channels::Rgba {
                webp::Encoder::from_rgba(&raster.data, raster.width, raster.height)
            } else {
                webp::Encoder::from_rgb(&raster.data, raster.width, raster.height)
            };
            let memory = encoder
                .encode_simple(false, f32::from(quality))
                .map_err(|e| failed(&format!("{e:?}")))?;
            out = memory.to_vec();
        }
        Format::Avif => out = encode_avif(&raster, quality)?,
        Format::Gif => return Err(ImageError::CannotEncode { format }),
    }
    Ok(out)
}

#[cfg(feature = "avif")]
fn encode_avif(raster: &Raster, quality: u8) -> Result<Vec<u8>, ImageError> {
    let encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(10)
        .with_num_threads(Some(1));
    let (w, h) = (raster.width as usize, raster.height as usize);
    let result = if raster.channels == Channels::Rgba {
        let pixels: Vec<ravif::RGBA8> = raster
            .data
            .chunks_exact(4)
            .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(ravif::Img::new(&pixels[..], w, h))
    } else {
        let pixels: Vec<ravif::RGB8> = raster
            .data
            .chunks_exact(3)
            .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(ravif::Img::new(&pixels[..], w, h))
    };
    result
        .map(|encoded| encoded.avif_file)
        .map_err(|e| ImageError::malformed(format!("image/avif encoding failed: {e}")))
}

#[cfg(not(feature = "avif"))]
fn encode_avif(_raster: &Raster, _quality: u8) -> Result<Vec<u8>, ImageError> {
    Err(ImageError::CannotEncode {
        format: Format::Avif,
    })
}
