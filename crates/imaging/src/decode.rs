//! Pixel decoding into an 8-bit [`Raster`] (grey, grey+alpha, RGB or RGBA), at full size or, for
//! JPEG, DCT-scaled.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{ColorType, ImageDecoder, ImageReader};

use crate::error::ImageError;
use crate::format::Format;
use crate::jpeg;
use crate::limits::Limits;
use crate::probe::{Header, Source};

/// Channel layout of an 8-bit raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    /// Grey.
    L,
    /// Grey + alpha.
    La,
    Rgb,
    Rgba,
}

impl Channels {
    pub fn count(self) -> usize {
        match self {
            Channels::L => 1,
            Channels::La => 2,
            Channels::Rgb => 3,
            Channels::Rgba => 4,
        }
    }

    pub fn has_alpha(self) -> bool {
        matches!(self, Channels::La | Channels::Rgba)
    }
}

/// An 8-bit image in memory: `data` holds `width * height * channels.count()` bytes, row-major,
/// alpha (if any) not premultiplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub data: Vec<u8>,
}

impl Raster {
    /// Turns grey into RGB and grey+alpha into RGBA; RGB(A) is returned as is.
    pub fn into_rgb_family(self) -> Raster {
        let channels = match self.channels {
            Channels::Rgb | Channels::Rgba => return self,
            Channels::L => Channels::Rgb,
            Channels::La => Channels::Rgba,
        };
        let data = match self.channels {
            Channels::L => self.data.iter().flat_map(|&v| [v, v, v]).collect(),
            _ => self
                .data
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
        };
        Raster {
            channels,
            data,
            ..self
        }
    }

    /// Drops an alpha channel whose every value is 255 (in place, no allocation).
    pub fn drop_opaque_alpha(mut self) -> Raster {
        let n = self.channels.count();
        if !self.channels.has_alpha() || self.data.chunks_exact(n).any(|p| p[n - 1] != 255) {
            return self;
        }
        let pixels = self.data.len() / n;
        for i in 0..pixels {
            for c in 0..n - 1 {
                self.data[i * (n - 1) + c] = self.data[i * n + c];
            }
        }
        self.data.truncate(pixels * (n - 1));
        self.channels = if n == 4 { Channels::Rgb } else { Channels::L };
        self
    }

    /// Composites over opaque white and drops the alpha channel (in place).
    pub fn flatten_over_white(mut self) -> Raster {
        let n = self.channels.count();
        if !self.channels.has_alpha() {
            return self;
        }
        let pixels = self.data.len() / n;
        for i in 0..pixels {
            let a = u32::from(self.data[i * n + n - 1]);
            for c in 0..n - 1 {
                let v = u32::from(self.data[i * n + c]);
                self.data[i * (n - 1) + c] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
            }
        }
        self.data.truncate(pixels * (n - 1));
        self.channels = if n == 4 { Channels::Rgb } else { Channels::L };
        self
    }
}

/// Decoded pixels plus what later steps need from the header.
pub(crate) struct Decoded {
    /// Stored orientation (not yet rotated); possibly DCT-scaled.
    pub raster: Raster,
    /// The embedded ICC profile, if any.
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
}

/// Decodes the pixels of a header from [`crate::probe::read_header`].
///
/// `factor` (1, 2, 4 or 8) asks for a JPEG DCT-scaled decode at `ceil(size / factor)`; it is
/// ignored for other formats and for JPEGs `jpeg-decoder` cannot scale (12-bit).
pub(crate) fn decode(
    header: Header<'_>,
    bytes: &[u8],
    factor: u32,
    limits: &Limits,
) -> Result<Decoded, ImageError> {
    let orientation = header.orientation;
    match header.source {
        Source::Jpeg(jpeg_header) => {
            let icc = jpeg_header.icc_profile();
            if factor > 1
                && jpeg_header.scalable()
                && let Some(raster) = jpeg::decode_scaled(bytes, &jpeg_header, factor, limits)?
            {
                return Ok(Decoded {
                    raster,
                    icc,
                    orientation,
                });
            }
            let mut reader = ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Jpeg);
            reader.limits(limits.image_limits(0));
            let decoder = reader
                .into_decoder()
                .map_err(|e| ImageError::from_image(e, Format::Jpeg))?;
            let raster = read_pixels(Box::new(decoder), Format::Jpeg, limits)?;
            Ok(Decoded {
                raster,
                icc,
                orientation,
            })
        }
        Source::Decoder(mut decoder) => {
            // An unreadable profile is ignored (treated as sRGB), not an error.
            let icc = decoder.icc_profile().ok().flatten();
            let raster = read_pixels(decoder, header.format, limits)?;
            Ok(Decoded {
                raster,
                icc,
                orientation,
            })
        }
    }
}

/// Reads all pixels (the first frame of an animation) into one buffer and reduces them to
/// 8 bits per channel in place.
fn read_pixels(
    mut decoder: Box<dyn ImageDecoder + '_>,
    format: Format,
    limits: &Limits,
) -> Result<Raster, ImageError> {
    let (width, height) = decoder.dimensions();
    let total = decoder.total_bytes();
    limits.check_alloc(total)?;
    decoder
        .set_limits(limits.image_limits(total))
        .map_err(|e| ImageError::from_image(e, format))?;
    let color = decoder.color_type();
    let len = usize::try_from(total)
        .map_err(|_| ImageError::too_large(format!("{total} bytes do not fit in memory")))?;
    let mut data = Vec::new();
    data.try_reserve_exact(len)
        .map_err(|_| ImageError::too_large(format!("could not allocate {total} bytes")))?;
    data.resize(len, 0);
    decoder
        .read_image_boxed(&mut data)
        .map_err(|e| ImageError::from_image(e, format))?;
    let channels = match color {
        ColorType::L8 => Channels::L,
        ColorType::La8 => Channels::La,
        ColorType::Rgb8 => Channels::Rgb,
        ColorType::Rgba8 => Channels::Rgba,
        ColorType::L16 | ColorType::La16 | ColorType::Rgb16 | ColorType::Rgba16 => {
            compact_16_to_8(&mut data);
            match color {
                ColorType::L16 => Channels::L,
                ColorType::La16 => Channels::La,
                ColorType::Rgb16 => Channels::Rgb,
                _ => Channels::Rgba,
            }
        }
        _ => {
            return Err(ImageError::Unsupported {
                content_type: Some(format.content_type()),
            });
        }
    };
    if data.len() != width as usize * height as usize * channels.count() {
        return Err(ImageError::malformed("decoder output has the wrong size"));
    }
    Ok(Raster {
        width,
        height,
        channels,
        data,
    })
}

/// Rewrites native-endian 16-bit samples as 8-bit ones (rounded), in place, halving the length.
fn compact_16_to_8(data: &mut Vec<u8>) {
    let samples = data.len() / 2;
    for i in 0..samples {
        let v = u32::from(u16::from_ne_bytes([data[2 * i], data[2 * i + 1]]));
        // Index i <= 2i: the sample at i has already been read.
        data[i] = ((v * 255 + 32767) / 65535) as u8;
    }
    data.truncate(samples);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(channels: Channels, data: Vec<u8>) -> Raster {
        let width = (data.len() / channels.count()) as u32;
        Raster {
            width,
            height: 1,
            channels,
            data,
        }
    }

    #[test]
    fn sixteen_bit_samples_round_to_eight() {
        let mut data = Vec::new();
        for v in [0u16, 257, 0x7FFF, 0x8080, 65535] {
            data.extend_from_slice(&v.to_ne_bytes());
        }
        compact_16_to_8(&mut data);
        assert_eq!(data, vec![0, 1, 127, 128, 255]);
    }

    #[test]
    fn grey_expands_to_rgb_family() {
        let r = raster(Channels::L, vec![7, 9]).into_rgb_family();
        assert_eq!(r.channels, Channels::Rgb);
        assert_eq!(r.data, vec![7, 7, 7, 9, 9, 9]);
        let r = raster(Channels::La, vec![7, 100]).into_rgb_family();
        assert_eq!(r.channels, Channels::Rgba);
        assert_eq!(r.data, vec![7, 7, 7, 100]);
    }

    #[test]
    fn opaque_alpha_is_dropped_and_real_alpha_kept() {
        let r = raster(Channels::Rgba, vec![1, 2, 3, 255, 4, 5, 6, 255]).drop_opaque_alpha();
        assert_eq!(
            (r.channels, r.data),
            (Channels::Rgb, vec![1, 2, 3, 4, 5, 6])
        );
        let r = raster(Channels::La, vec![1, 255, 2, 255]).drop_opaque_alpha();
        assert_eq!((r.channels, r.data), (Channels::L, vec![1, 2]));
        let r = raster(Channels::Rgba, vec![1, 2, 3, 255, 4, 5, 6, 254]).drop_opaque_alpha();
        assert_eq!(r.channels, Channels::Rgba);
    }

    #[test]
    fn flattening_composites_over_white() {
        let r = raster(
            Channels::Rgba,
            vec![0, 0, 0, 0, 0, 0, 0, 255, 0, 100, 200, 128],
        )
        .flatten_over_white();
        assert_eq!(r.channels, Channels::Rgb);
        assert_eq!(r.data, vec![255, 255, 255, 0, 0, 0, 127, 177, 227]);
    }
}
