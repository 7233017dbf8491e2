//! Upload-time facts about an image: displayed size and a blurhash placeholder.

use crate::error::ImageError;
use crate::limits::Limits;
use crate::probe;
use crate::resize::{self, Filter};
use crate::transform::{Fit, render};

/// Longest side of the thumbnail the blurhash is computed from.
pub(crate) const BLURHASH_SIDE: u32 = 64;
/// Blurhash components across.
const COMPONENTS_X: u32 = 4;
/// Blurhash components down.
const COMPONENTS_Y: u32 = 3;

/// What an upload result carries for an image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    /// Width in pixels as displayed (after EXIF orientation).
    pub width: u32,
    /// Height in pixels as displayed (after EXIF orientation).
    pub height: u32,
    /// A [blurhash](https://blurha.sh) with 4×3 components (always 28 characters), computed
    /// from a downscale of at most 64 px per side, in sRGB, transparency flattened over white.
    pub blurhash: String,
}

/// Computes [`Facts`]: probes the header, decodes a small version (JPEGs with 1/8 DCT scaling
/// when large enough), orients it and hashes it.
///
/// Errors: as [`crate::probe`] for the header ([`ImageError::TooLarge`],
/// [`ImageError::Unsupported`], [`ImageError::Malformed`]), plus [`ImageError::Malformed`] for
/// pixel data that fails to decode.
pub fn facts(bytes: &[u8], limits: &Limits) -> Result<Facts, ImageError> {
    let header = probe::read_header(bytes, limits)?;
    let (width, height) = header.displayed();
    let plan = resize::plan(
        (width, height),
        Some(BLURHASH_SIDE),
        Some(BLURHASH_SIDE),
        Fit::Inside,
    );
    let small = render(header, bytes, &plan, Filter::Box, limits, true)?
        .into_rgb_family()
        .flatten_over_white();
    let rgba: Vec<u8> = small
        .data
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let blurhash = blurhash::encode(COMPONENTS_X, COMPONENTS_Y, small.width, small.height, &rgba)
        .map_err(|e| ImageError::malformed(format!("blurhash failed: {e}")))?;
    Ok(Facts {
        width,
        height,
        blurhash,
    })
}
