//! Decode limits, checked from the header before any pixel buffer is allocated.

use crate::error::ImageError;

/// Limits on what is decoded.
///
/// All are checked from header fields before any pixel allocation, and the decoders are given
/// an allocation budget too (never the `image` crate's defaults, which let a 1 KiB PNG make
/// it allocate 412 MiB).
///
/// Defaults: `max_input_bytes` 50 MiB, `max_pixels` 50 000 000, `max_side` 20 000,
/// `max_alloc_bytes` 256 MiB.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted input file, in bytes.
    pub max_input_bytes: u64,
    /// Largest accepted width × height of the stored image, in pixels.
    pub max_pixels: u64,
    /// Largest accepted width or height, in pixels (also caps a `Contain` canvas).
    pub max_side: u32,
    /// Largest decoded pixel buffer, in bytes (width × height × bytes per pixel of the decoder's
    /// output, e.g. 8 for 16-bit RGBA). Also the budget handed to the decoders for their own
    /// allocations.
    pub max_alloc_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 50 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_side: 20_000,
            max_alloc_bytes: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Input size check: `len` bytes against `max_input_bytes`.
    pub(crate) fn check_input(&self, len: usize) -> Result<(), ImageError> {
        let len = len as u64;
        if len > self.max_input_bytes {
            return Err(ImageError::too_large(format!(
                "{} bytes of input at most, this file has {len}",
                self.max_input_bytes
            )));
        }
        Ok(())
    }

    /// Side and pixel-count check of a `width`×`height` image.
    pub(crate) fn check_dimensions(&self, width: u32, height: u32) -> Result<(), ImageError> {
        if width > self.max_side || height > self.max_side {
            return Err(ImageError::too_large(format!(
                "{} px per side at most, this image is {width}x{height}",
                self.max_side
            )));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(ImageError::too_large(format!(
                "{} pixels at most, this image has {pixels}",
                self.max_pixels
            )));
        }
        Ok(())
    }

    /// Decoded-buffer check: `bytes` against `max_alloc_bytes`.
    pub(crate) fn check_alloc(&self, bytes: u64) -> Result<(), ImageError> {
        if bytes > self.max_alloc_bytes {
            return Err(ImageError::too_large(format!(
                "{} bytes of decoded pixels at most, this image needs {bytes}",
                self.max_alloc_bytes
            )));
        }
        Ok(())
    }

    /// Limits for the `image` crate's decoders: our side limit, and what is left of the
    /// allocation budget once `reserved` bytes (our output buffer) are taken.
    pub(crate) fn image_limits(&self, reserved: u64) -> image::Limits {
        let mut limits = image::Limits::no_limits();
        limits.max_image_width = Some(self.max_side);
        limits.max_image_height = Some(self.max_side);
        limits.max_alloc = Some(self.max_alloc_bytes.saturating_sub(reserved));
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let l = Limits::default();
        assert_eq!(l.max_input_bytes, 52_428_800);
        assert_eq!(l.max_pixels, 50_000_000);
        assert_eq!(l.max_side, 20_000);
        assert_eq!(l.max_alloc_bytes, 268_435_456);
    }

    #[test]
    fn each_check_names_its_limit() {
        let l = Limits::default();
        assert!(l.check_input(50 * 1024 * 1024).is_ok());
        let e = l.check_input(50 * 1024 * 1024 + 1).unwrap_err().to_string();
        assert!(e.contains("52428800 bytes of input at most"), "{e}");

        assert!(l.check_dimensions(20_000, 2_500).is_ok());
        let e = l.check_dimensions(20_001, 1).unwrap_err().to_string();
        assert!(e.contains("20000 px per side"), "{e}");
        let e = l.check_dimensions(1, 20_001).unwrap_err().to_string();
        assert!(e.contains("1x20001"), "{e}");
        let e = l.check_dimensions(10_000, 5_001).unwrap_err().to_string();
        assert!(
            e.contains("50000000 pixels at most, this image has 50010000"),
            "{e}"
        );

        assert!(l.check_alloc(256 * 1024 * 1024).is_ok());
        assert!(matches!(
            l.check_alloc(256 * 1024 * 1024 + 1),
            Err(ImageError::TooLarge { .. })
        ));
    }

    #[test]
    fn image_limits_never_use_the_crate_defaults() {
        let l = Limits::default();
        let il = l.image_limits(1000);
        assert_eq!(il.max_image_width, Some(20_000));
        assert_eq!(il.max_image_height, Some(20_000));
        assert_eq!(il.max_alloc, Some(256 * 1024 * 1024 - 1000));
        assert_eq!(l.image_limits(u64::MAX).max_alloc, Some(0));
    }
}
