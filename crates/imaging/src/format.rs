//! Image formats known to picgate, and content sniffing from the first bytes of a file.

/// Image formats known to picgate.
///
/// Which of them can be read or written depends on the build: see [`Format::can_decode`] and
/// [`Format::can_encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG (JFIF/Exif), baseline or progressive, grey, YCbCr or CMYK.
    Jpeg,
    /// PNG, any bit depth and colour type (palette, grey, grey+alpha, RGB, RGBA; 8 or 16 bits).
    Png,
    /// WebP, lossy or lossless, still or animated (only the first frame is read).
    Webp,
    /// GIF, still or animated (only the first frame is read). Input only.
    Gif,
    /// AVIF. Output only, and only with the `avif` cargo feature; never decoded.
    Avif,
}

impl Format {
    /// The MIME type: `"image/jpeg"`, `"image/png"`, `"image/webp"`, `"image/gif"` or
    /// `"image/avif"`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Avif => "image/avif",
        }
    }

    /// The usual file extension, without the dot: `"jpg"`, `"png"`, `"webp"`, `"gif"` or
    /// `"avif"`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Avif => "avif",
        }
    }

    /// Parses a MIME type such as `"image/jpeg"` or `"Image/PNG; charset=binary"`.
    ///
    /// Parameters after `;`, surrounding whitespace and letter case are ignored. Besides the
    /// names [`Format::content_type`] returns, the non-standard aliases `image/jpg`,
    /// `image/pjpeg` and `image/x-png` are accepted. Anything else gives `None`.
    pub fn from_content_type(ct: &str) -> Option<Format> {
        let essence = ct.split(';').next().unwrap_or("").trim();
        let known = [
            ("image/jpeg", Format::Jpeg),
            ("image/jpg", Format::Jpeg),
            ("image/pjpeg", Format::Jpeg),
            ("image/png", Format::Png),
            ("image/x-png", Format::Png),
            ("image/webp", Format::Webp),
            ("image/gif", Format::Gif),
            ("image/avif", Format::Avif),
        ];
        known
            .iter()
            .find(|(name, _)| essence.eq_ignore_ascii_case(name))
            .map(|&(_, format)| format)
    }

    /// Whether this build can read the format: `true` for JPEG, PNG, WebP and GIF; `false` for
    /// AVIF (no AVIF decoder is built in: the usable ones need a newer Rust or a newer system
    /// libdav1d than the target machines have).
    pub fn can_decode(self) -> bool {
        !matches!(self, Format::Avif)
    }

    /// Whether this build can write the format: `true` for JPEG, PNG and WebP; AVIF only when
    /// built with the `avif` feature; never GIF.
    pub fn can_encode(self) -> bool {
        match self {
            Format::Jpeg | Format::Png | Format::Webp => true,
            Format::Avif => cfg!(feature = "avif"),
            Format::Gif => false,
        }
    }

    /// The matching `image` crate format, for the formats decoded through it.
    pub(crate) fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Format::Jpeg => Some(image::ImageFormat::Jpeg),
            Format::Png => Some(image::ImageFormat::Png),
            Format::Webp => Some(image::ImageFormat::WebP),
            Format::Gif => Some(image::ImageFormat::Gif),
            Format::Avif => None,
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// One of our formats (possibly one we cannot decode, i.e. AVIF).
    Image(Format),
    /// Something else; the content type when it is recognisable (SVG, PDF, HEIC, ...).
    Other(Option<&'static str>),
}

/// Identifies a file from its leading bytes (magic numbers). Never reads past 1 KiB.
pub(crate) fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Image(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Image(Format::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Sniffed::Image(Format::Gif);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Sniffed::Image(Format::Webp);
    }
    if let Some(brand) = iso_bmff_brand(bytes) {
        return match brand {
            IsoBrand::Avif => Sniffed::Image(Format::Avif),
            IsoBrand::Heic => Sniffed::Other(Some("image/heic")),
        };
    }
    Sniffed::Other(other_content_type(bytes))
}

enum IsoBrand {
    Avif,
    Heic,
}

/// Reads the `ftyp` box of an ISO-BMFF file (AVIF, HEIF) and classifies its brands.
fn iso_bmff_brand(bytes: &[u8]) -> Option<IsoBrand> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, bytes.len().min(1024));
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 on.
    let brands = std::iter::once(&bytes[8..12]).chain(bytes[16..end].chunks_exact(4));
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some(IsoBrand::Avif),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                heif = true
            }
            _ => {}
        }
    }
    heif.then_some(IsoBrand::Heic)
}

/// Content types of a few common non-decodable files, so errors can name them.
fn other_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 14 {
        return Some("image/bmp");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Some("image/tiff");
    }
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Some("image/jxl");
    }
    let head = &bytes[..bytes.len().min(1024)];
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = text.trim_ascii_start();
    let looks_xml =
        text.starts_with(b"<?xml") || text.starts_with(b"<!") || text.starts_with(b"<svg");
    if looks_xml && head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg")) {
        return Some("image/svg+xml");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Format; 5] = [
        Format::Jpeg,
        Format::Png,
        Format::Webp,
        Format::Gif,
        Format::Avif,
    ];

    #[test]
    fn content_types_and_extensions_round_trip() {
        let expected = [
            ("image/jpeg", "jpg"),
            ("image/png", "png"),
            ("image/webp", "webp"),
            ("image/gif", "gif"),
            ("image/avif", "avif"),
        ];
        for (format, (ct, ext)) in ALL.into_iter().zip(expected) {
            assert_eq!(format.content_type(), ct);
            assert_eq!(format.extension(), ext);
            assert_eq!(Format::from_content_type(ct), Some(format));
        }
    }

    #[test]
    fn from_content_type_ignores_case_parameters_and_knows_aliases() {
        assert_eq!(Format::from_content_type("image/jpg"), Some(Format::Jpeg));
        assert_eq!(Format::from_content_type("IMAGE/JPEG"), Some(Format::Jpeg));
        assert_eq!(
            Format::from_content_type(" image/png ; charset=binary"),
            Some(Format::Png)
        );
        assert_eq!(
            Format::from_content_type("image/WebP;q=1"),
            Some(Format::Webp)
        );
        assert_eq!(Format::from_content_type("image/svg+xml"), None);
        assert_eq!(Format::from_content_type("text/plain"), None);
        assert_eq!(Format::from_content_type(""), None);
        assert_eq!(Format::from_content_type("image/jpegx"), None);
    }

    #[test]
    fn codec_availability_matches_the_build() {
        for f in [Format::Jpeg, Format::Png, Format::Webp, Format::Gif] {
            assert!(f.can_decode(), "{f:?}");
        }
        assert!(!Format::Avif.can_decode());
        for f in [Format::Jpeg, Format::Png, Format::Webp] {
            assert!(f.can_encode(), "{f:?}");
        }
        assert!(!Format::Gif.can_encode());
        assert_eq!(Format::Avif.can_encode(), cfg!(feature = "avif"));
    }

    #[test]
    fn sniffs_magic_numbers() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Sniffed::Image(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Sniffed::Image(Format::Png));
        assert_eq!(sniff(b"GIF89a...."), Sniffed::Image(Format::Gif));
        assert_eq!(sniff(b"GIF87a...."), Sniffed::Image(Format::Gif));
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Sniffed::Image(Format::Webp)
        );
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), Sniffed::Other(None));
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        assert_eq!(sniff(avif), Sniffed::Image(Format::Avif));
        let avif_compat = b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf";
        assert_eq!(sniff(avif_compat), Sniffed::Image(Format::Avif));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(sniff(heic), Sniffed::Other(Some("image/heic")));
    }

    #[test]
    fn sniffs_common_non_images() {
        assert_eq!(sniff(b""), Sniffed::Other(None));
        assert_eq!(sniff(b"hello, world"), Sniffed::Other(None));
        assert_eq!(
            sniff(b"%PDF-1.7\n"),
            Sniffed::Other(Some("application/pdf"))
        );
        let svg =
            b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert_eq!(sniff(svg), Sniffed::Other(Some("image/svg+xml")));
        assert_eq!(
            sniff(b"<svg width=\"1\"></svg>"),
            Sniffed::Other(Some("image/svg+xml"))
        );
        assert_eq!(sniff(b"<!DOCTYPE html><html></html>"), Sniffed::Other(None));
        assert_eq!(
            sniff(b"II*\0\x08\0\0\0"),
            Sniffed::Other(Some("image/tiff"))
        );
    }
}
