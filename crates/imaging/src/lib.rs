//! picgate image variants: the CPU part.
//!
//! * [`probe`] reads a header (format, displayed size) and enforces the [`Limits`] before any
//!   pixel is allocated; [`transform_cost`] and [`facts_cost`] turn a [`Probe`] into a byte
//!   estimate for the caller's memory budget.
//! * [`transform`] makes a variant: decode, EXIF orientation, crop/resize ([`Fit`]), ICC → sRGB,
//!   encode with no metadata.
//! * [`facts`] gives the displayed size and a blurhash, for upload results.
//!
//! Everything is synchronous and CPU-bound; callers on an async runtime should run it on a
//! blocking thread. No `unsafe` in this crate; the only C code is libwebp (encoder).
//!
//! # What this build reads and writes
//!
//! | format | decode | encode |
//! |---|---|---|
//! | JPEG | yes (zune-jpeg; `jpeg-decoder` for 1/2–1/8 DCT-scaled thumbnails) | yes (quality) |
//! | PNG | yes (1–16 bit, palette, grey, alpha) | yes (lossless) |
//! | WebP | yes (lossy and lossless) | yes (lossy via libwebp, quality) |
//! | GIF | yes | no |
//! | AVIF | **no** | only with `--features avif` (ravif, speed 10) |
//!
//! Why: AVIF decoding needs dav1d ≥ 1.3 (the target Debian ships 1.0) or crates that need a
//! newer Rust than 1.95; AVIF encoding costs about two minutes of extra build on two cores and
//! ~80 ms per 320-px image, so it is opt-in. `image`'s own WebP encoder is lossless only, hence
//! libwebp. GIF output is not offered (poor quality/size for photos).
//!
//! # Animations
//!
//! Animated GIF and animated WebP inputs produce a still image of their **first frame**
//! (composited onto the logical screen / canvas). [`is_animated`] tells them apart from their
//! structure, so that a caller may keep such an original as it is instead.
//!
//! # Colour and metadata
//!
//! Output is always 8-bit sRGB (16-bit inputs are rounded to 8 bits). An embedded RGB or grey
//! ICC profile (PNG `iCCP`, JPEG APP2, WebP `ICCP`) is applied after resizing and the output
//! carries no profile; untagged images are taken as sRGB, and CMYK JPEGs are converted to RGB
//! naively (their CMYK profile is not used). The EXIF orientation (all 8 values) is applied, and
//! every size in a [`Spec`], [`Probe`] or [`Facts`] is in displayed (oriented) pixels. EXIF,
//! XMP, ICC and text chunks are never copied into an output, so GPS positions and camera data
//! never leak through a variant.
//!
//! # Limits
//!
//! Input bytes, sides, pixel count and decoded bytes are checked from the header first (see
//! [`Limits`]); decoders also get an allocation budget, so decompression bombs fail fast with
//! [`ImageError::TooLarge`]. [`transform_cost`] documents the memory model behind the
//! estimates.

mod animation;
mod colour;
mod cost;
mod decode;
mod encode;
mod error;
mod facts;
mod format;
mod jpeg;
mod limits;
mod orient;
mod probe;
mod resize;
mod transform;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use animation::is_animated;
pub use cost::{facts_cost, transform_cost};
pub use error::ImageError;
pub use facts::{Facts, facts};
pub use format::Format;
pub use limits::Limits;
pub use probe::{Probe, probe};
pub use transform::{Encoded, Fit, Spec, transform};
