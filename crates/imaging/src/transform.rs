//! The variant pipeline: header → plan → decode (DCT-scaled for JPEG when possible) →
//! crop + resize → ICC to sRGB → orientation → pad → encode.

use crate::decode::{self, Raster};
use crate::error::ImageError;
use crate::format::Format;
use crate::limits::Limits;
use crate::orient;
use crate::probe::{self, Header};
use crate::resize::{self, Filter, Plan, Rect};
use crate::{colour, encode};

/// How the image is fitted to the requested box. Sizes never grow: see [`Spec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Crop the largest centred region with the box's aspect ratio and scale it to exactly the
    /// box. Needs both sides (with one, acts as `Inside`). If the image is smaller than the box
    /// on some axis it is not upscaled: the output has the box's aspect ratio at the image's
    /// own scale (a 100×80 image for a 200×200 box gives 80×80).
    Cover,
    /// Fit inside the box and centre on a canvas of exactly the box size; the border is
    /// transparent (PNG, WebP, AVIF) or white (JPEG). Needs both sides (with one, acts as
    /// `Inside`). A smaller image is not upscaled, just centred.
    Contain,
    /// Fit within the box keeping the aspect ratio; never upscaled (a 100×80 image asked for
    /// width 320 stays 100×80).
    Inside,
}

/// What a variant is: a box and a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Box width in displayed pixels; `None` (or 0) = unconstrained.
    pub width: Option<u32>,
    /// Box height in displayed pixels; `None` (or 0) = unconstrained.
    pub height: Option<u32>,
    /// How to fit the image to the box.
    pub fit: Fit,
    /// Output format.
    pub format: Format,
    /// Encoder quality, 1..=100 (values outside are clamped). Used by JPEG, WebP and AVIF;
    /// ignored by PNG, which is lossless.
    pub quality: u8,
}

/// An encoded variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The file: 8-bit sRGB, no metadata.
    pub bytes: Vec<u8>,
    /// Its format (always the requested one).
    pub format: Format,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
}

/// Makes a variant: decodes `bytes` (first frame only for animations), applies the EXIF
/// orientation, crops/resizes/pads per `spec` (dimensions are those of the displayed image),
/// converts an ICC-tagged image to sRGB, and encodes to `spec.format` with no metadata.
///
/// JPEG inputs are decoded with DCT scaling (1/2, 1/4, 1/8, through `jpeg-decoder`) when the
/// target is at most half the source on both axes, then finished with Lanczos3; otherwise they
/// are decoded at full size (zune-jpeg through `image`).
///
/// Errors: [`ImageError::CannotEncode`] (checked first, before decoding) when `spec.format`
/// has no encoder in this build; [`ImageError::TooLarge`] over a limit (the `Contain` canvas
/// counts against `max_side`/`max_pixels` too, and WebP output is 16383 px per side at most);
/// [`ImageError::Unsupported`] for bytes that are not a decodable image;
/// [`ImageError::Malformed`] for corrupt data.
pub fn transform(bytes: &[u8], spec: &Spec, limits: &Limits) -> Result<Encoded, ImageError> {
    transform_with(bytes, spec, limits, true)
}

/// [`transform`], with DCT-scaled JPEG decoding switchable for tests.
pub(crate) fn transform_with(
    bytes: &[u8],
    spec: &Spec,
    limits: &Limits,
    allow_dct_scaling: bool,
) -> Result<Encoded, ImageError> {
    if !spec.format.can_encode() {
        return Err(ImageError::CannotEncode {
            format: spec.format,
        });
    }
    let header = probe::read_header(bytes, limits)?;
    let plan = resize::plan(header.displayed(), spec.width, spec.height, spec.fit);
    let (cw, ch) = plan.canvas;
    limits.check_dimensions(cw, ch)?;
    encode::check_size(spec.format, cw, ch)?;
    let raster = render(
        header,
        bytes,
        &plan,
        Filter::Lanczos3,
        limits,
        allow_dct_scaling,
    )?;
    let raster = resize::pad(raster, plan.canvas, spec.format != Format::Jpeg);
    let (width, height) = (raster.width, raster.height);
    let bytes = encode::encode(raster, spec.format, spec.quality)?;
    Ok(Encoded {
        bytes,
        format: spec.format,
        width,
        height,
    })
}

/// Everything up to the encoder: decode, crop + resize to `plan.scaled`, sRGB, orientation,
/// opaque alpha dropped. The result is in displayed orientation, `plan.scaled` in size.
pub(crate) fn render(
    header: Header<'_>,
    bytes: &[u8],
    plan: &Plan,
    filter: Filter,
    limits: &Limits,
    allow_dct_scaling: bool,
) -> Result<Raster, ImageError> {
    let stored = (header.width, header.height);
    let orientation = header.orientation;
    let crop = orient::rect_to_stored(
        plan.crop,
        orientation,
        (f64::from(stored.0), f64::from(stored.1)),
    );
    let out = if orient::swaps_axes(orientation) {
        (plan.scaled.1, plan.scaled.0)
    } else {
        plan.scaled
    };
    let factor = if allow_dct_scaling && header.format == Format::Jpeg {
        resize::jpeg_reduction(stored, crop, out)
    } else {
        1
    };
    let decoded = decode::decode(header, bytes, factor, limits)?;
    let raster = decoded.raster;
    // The decoded raster may be DCT-scaled (unless the decoder fell back to full size): bring
    // the crop into its coordinates. Partial edge blocks make it `ceil(size / factor)` pixels,
    // the last row/column partly padding, so divide rather than rescale to the raster size.
    let crop = if (raster.width, raster.height) == stored {
        crop
    } else {
        crop.reduced(factor)
    };
    let crop = clamp_rect(crop, raster.width, raster.height);
    let raster = resize::resize(raster, crop, out, filter)?;
    let raster = colour::to_srgb(raster, decoded.icc.as_deref());
    let raster = orient::apply(raster, decoded.orientation)?;
    Ok(raster.drop_opaque_alpha())
}

/// Keeps a crop rectangle inside a `width`×`height` image (guards against float rounding).
fn clamp_rect(rect: Rect, width: u32, height: u32) -> Rect {
    let (w, h) = (f64::from(width), f64::from(height));
    let x = rect.x.clamp(0.0, w);
    let y = rect.y.clamp(0.0, h);
    Rect {
        x,
        y,
        w: rect.w.min(w - x).max(f64::MIN_POSITIVE),
        h: rect.h.min(h - y).max(f64::MIN_POSITIVE),
    }
}
