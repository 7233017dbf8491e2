//! The one error type of this crate, and conversions from the codecs' errors.

use crate::format::Format;

/// Why an image could not be probed, transformed or summarised.
///
/// Every message is safe to show to a client: it names no file paths and no internals beyond the
/// codec's own description of what is wrong with the data.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not an image we can decode: unknown bytes, AVIF (no decoder in this build), SVG, PDF,
    /// HEIC, or a feature of a known format that its decoder lacks (e.g. arithmetic-coded or
    /// 12-bit JPEG). `content_type` is the sniffed MIME type when one is recognisable.
    #[error("unsupported image type{}", describe(.content_type))]
    Unsupported {
        /// The content type the bytes were recognised as, if any (e.g. `"image/avif"`).
        content_type: Option<&'static str>,
    },
    /// Over a limit: input bytes, a side, the pixel count, or the decoder's allocation budget.
    /// `what` is a short human text such as
    /// `"50000000 pixels at most, this image has 10000000000"`.
    #[error("image too large: {what}")]
    TooLarge {
        /// Which limit, and by how much.
        what: String,
    },
    /// The requested output format has no encoder in this build (GIF always; AVIF without the
    /// `avif` feature).
    #[error("cannot encode {} in this build", .format.content_type())]
    CannotEncode {
        /// The format that was asked for.
        format: Format,
    },
    /// Corrupt or truncated data (or, rarely, an encoder refusing the decoded pixels).
    #[error("malformed image: {reason}")]
    Malformed {
        /// What the decoder found wrong. Contains no paths.
        reason: String,
    },
}

fn describe(content_type: &Option<&'static str>) -> String {
    match content_type {
        Some(ct) => format!(" ({ct})"),
        None => String::new(),
    }
}

impl ImageError {
    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        ImageError::Malformed {
            reason: reason.into(),
        }
    }

    pub(crate) fn too_large(what: impl Into<String>) -> Self {
        ImageError::TooLarge { what: what.into() }
    }

    /// Maps an `image` crate error raised while reading `format`.
    pub(crate) fn from_image(err: image::ImageError, format: Format) -> Self {
        use image::ImageError as E;
        match err {
            E::Limits(e) => ImageError::too_large(format!("decoder limit: {e}")),
            E::Unsupported(_) => ImageError::Unsupported {
                content_type: Some(format.content_type()),
            },
            E::Decoding(e) => ImageError::malformed(e.to_string()),
            E::IoError(e) => ImageError::malformed(format!("truncated or unreadable data: {e}")),
            E::Parameter(e) => ImageError::malformed(e.to_string()),
            E::Encoding(e) => ImageError::malformed(e.to_string()),
        }
    }

    /// Maps a `jpeg-decoder` error.
    pub(crate) fn from_jpeg(err: jpeg_decoder::Error) -> Self {
        use jpeg_decoder::Error as E;
        match err {
            E::Unsupported(_) => ImageError::Unsupported {
                content_type: Some(Format::Jpeg.content_type()),
            },
            E::Io(e) => ImageError::malformed(format!("truncated or unreadable JPEG: {e}")),
            other => ImageError::malformed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem() {
        let e = ImageError::Unsupported {
            content_type: Some("image/avif"),
        };
        assert_eq!(e.to_string(), "unsupported image type (image/avif)");
        let e = ImageError::Unsupported { content_type: None };
        assert_eq!(e.to_string(), "unsupported image type");
        let e = ImageError::CannotEncode {
            format: Format::Gif,
        };
        assert_eq!(e.to_string(), "cannot encode image/gif in this build");
        assert_eq!(
            ImageError::too_large("1 pixels at most, this image has 2").to_string(),
            "image too large: 1 pixels at most, this image has 2"
        );
        assert_eq!(
            ImageError::malformed("bad").to_string(),
            "malformed image: bad"
        );
    }
}
