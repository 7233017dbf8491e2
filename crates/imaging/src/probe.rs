//! Header-only facts: format, stored and displayed size, orientation. All limits are checked
//! here, before any pixel buffer exists.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};

use crate::error::ImageError;
use crate::format::{Format, Sniffed, sniff};
use crate::jpeg::{self, JpegHeader};
use crate::limits::Limits;
use crate::orient;

/// Header-only facts about an image (no pixel decode; costs well under 1 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The sniffed format (from magic bytes, never from a file name or declared type).
    pub format: Format,
    /// Width in pixels as displayed, i.e. after the EXIF orientation (90°/270° swap).
    pub width: u32,
    /// Height in pixels as displayed, i.e. after the EXIF orientation.
    pub height: u32,
}

/// Reads an image's header: its format and displayed size.
///
/// Checks, in this order and before allocating any pixels: input length against
/// `limits.max_input_bytes`, the format (sniffed from the first bytes), width and height
/// against `limits.max_side`, width × height against `limits.max_pixels`, and the decoded
/// buffer size against `limits.max_alloc_bytes`.
///
/// Errors: [`ImageError::TooLarge`] over a limit; [`ImageError::Unsupported`] for bytes that
/// are not JPEG/PNG/WebP/GIF (including AVIF, which this build cannot decode);
/// [`ImageError::Malformed`] for a header that is truncated or invalid.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, ImageError> {
    read_header(bytes, limits).map(|h| h.probe())
}

/// A parsed header, ready for decoding.
pub(crate) struct Header<'a> {
    pub format: Format,
    /// Stored (not oriented) width.
    pub width: u32,
    /// Stored (not oriented) height.
    pub height: u32,
    pub orientation: Orientation,
    pub source: Source<'a>,
}

/// How the pixels will be read.
pub(crate) enum Source<'a> {
    /// Our own JPEG header; the decoder is chosen later (scaled or full).
    Jpeg(JpegHeader<'a>),
    /// An `image` crate decoder that has read the header (PNG, GIF, WebP).
    Decoder(Box<dyn ImageDecoder + 'a>),
}

impl Header<'_> {
    /// Width and height as displayed (after orientation).
    pub fn displayed(&self) -> (u32, u32) {
        if orient::swaps_axes(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    pub fn probe(&self) -> Probe {
        let (width, height) = self.displayed();
        Probe {
            format: self.format,
            width,
            height,
        }
    }
}

/// Sniffs, parses the header and checks every limit. See [`probe`].
pub(crate) fn read_header<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Header<'a>, ImageError> {
    limits.check_input(bytes.len())?;
    let format = match sniff(bytes) {
        Sniffed::Image(format) if format.can_decode() => format,
        Sniffed::Image(format) => {
            return Err(ImageError::Unsupported {
                content_type: Some(format.content_type()),
            });
        }
        Sniffed::Other(content_type) => return Err(ImageError::Unsupported { content_type }),
    };
    if format == Format::Jpeg {
        let header = jpeg::parse_header(bytes)?;
        limits.check_dimensions(header.width, header.height)?;
        // Full decodes output grey or RGB (CMYK is converted to RGB).
        let channels = if header.components == 1 { 1 } else { 3 };
        limits.check_alloc(u64::from(header.width) * u64::from(header.height) * channels)?;
        return Ok(Header {
            format,
            width: header.width,
            height: header.height,
            orientation: header.orientation(),
            source: Source::Jpeg(header),
        });
    }
    let image_format = format.image_format().ok_or(ImageError::Unsupported {
        content_type: Some(format.content_type()),
    })?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    // Sides are checked below with our own message; the allocation budget is set right away
    // (PNG applies it while reading the header).
    let mut header_limits = image::Limits::no_limits();
    header_limits.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(header_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| ImageError::from_image(e, format))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::malformed("image with zero width or height"));
    }
    limits.check_dimensions(width, height)?;
    limits.check_alloc(decoder.total_bytes())?;
    // A broken EXIF block must not make the image unreadable: treat it as "no orientation".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(Header {
        format,
        width,
        height,
        orientation,
        source: Source::Decoder(Box::new(decoder)),
    })
}
