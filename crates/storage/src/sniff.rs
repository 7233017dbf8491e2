//! Content type from an object's first bytes (never from its name), and the media-type patterns
//! a bucket's `allowed_types` are written in.

/// How many leading bytes decide the content type.
pub const SNIFF_BYTES: usize = 8 * 1024;

pub const OCTET_STREAM: &str = "application/octet-stream";

/// The content type of an object whose first (up to [`SNIFF_BYTES`]) bytes are `head`.
///
/// Magic numbers come from `infer`; text formats it misses fall back to: SVG (the root element
/// is `<svg`, even behind an XML prolog, comments or a doctype) → `image/svg+xml`, HTML (also
/// behind a byte-order mark) → `text/html`, other UTF-8 text → `text/plain`, anything else,
/// including an empty object → `application/octet-stream`.
pub fn sniff(head: &[u8]) -> &'static str {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if head.is_empty() {
        return OCTET_STREAM;
    }
    if is_svg(head) {
        return "image/svg+xml";
    }
    if let Some(kind) = infer::get(head) {
        return kind.mime_type();
    }
    if infer::text::is_html(strip_bom(head)) {
        return "text/html";
    }
    if is_text(head) {
        return "text/plain";
    }
    OCTET_STREAM
}

/// The usual file extension of an image whose first bytes are `head` (`png`, `jpg`, `gif`,
/// `webp`, `avif`, `svg`, …), if it is one.
pub fn image_extension(head: &[u8]) -> Option<&'static str> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if is_svg(head) {
        return Some("svg");
    }
    infer::get(head)
        .filter(|kind| kind.mime_type().starts_with("image/"))
        .map(|kind| kind.extension())
}

/// Whether the extension `ext` (any case) names the same image type as `canonical` (what
/// [`image_extension`] says): `jpeg` for `jpg`, `heic` for `heif`, `tiff` for `tif`.
pub fn extension_fits(ext: &str, canonical: &str) -> bool {
    let ext = ext.to_ascii_lowercase();
    ext == canonical
        || matches!(
            (canonical, ext.as_str()),
            ("jpg", "jpeg" | "jpe" | "jfif") | ("tif", "tiff") | ("heif", "heic") | ("svg", "svgz")
        )
}

fn strip_bom(head: &[u8]) -> &[u8] {
    head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head)
}

fn is_svg(head: &[u8]) -> bool {
    let mut rest = strip_bom(head);
    loop {
        rest = rest.trim_ascii_start();
        let skipped = [(&b"<?"[..], &b"?>"[..]), (b"<!--", b"-->"), (b"<!", b">")]
            .iter()
            .find(|(open, _)| starts_with_ignore_case(rest, open))
            .and_then(|(open, close)| {
                let body = &rest[open.len()..];
                let end = body.windows(close.len()).position(|w| w == *close)?;
                Some(&body[end + close.len()..])
            });
        match skipped {
            Some(after) => rest = after,
            None => break,
        }
    }
    let Some(tag) = rest.strip_prefix(b"<") else {
        return false;
    };
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"svg:svg")
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Valid UTF-8 (a character cut off at the end of the sniffed prefix is fine) without control
/// characters other than whitespace and form feed.
fn is_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            match std::str::from_utf8(&head[..e.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

/// Whether `pattern` is `"*/*"`, `"type/*"` or `"type/subtype"` (RFC 6838 name characters).
pub fn is_valid_pattern(pattern: &str) -> bool {
    let Some((ty, sub)) = pattern.split_once('/') else {
        return false;
    };
    let name = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match (ty, sub) {
        ("*", "*") => true,
        ("*", _) => false,
        (ty, "*") => name(ty),
        (ty, sub) => name(ty) && name(sub),
    }
}

/// Whether `content_type` matches one of `patterns` (case-insensitive, parameters ignored).
pub fn is_allowed(patterns: &[String], content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    patterns.iter().any(|p| match p.split_once('/') {
        Some(("*", "*")) => true,
        Some((pty, "*")) => pty.eq_ignore_ascii_case(ty),
        Some((pty, psub)) => pty.eq_ignore_ascii_case(ty) && psub.eq_ignore_ascii_case(sub),
        None => false,
    })
}

/// Whether a browser shows `content_type` without running anything in it: raster images,
/// plain text, audio and video. Everything else (SVG, HTML, XML, PDF — viewers run its
/// JavaScript —, scripts, unknown types) is only ever served as a download.
pub fn renders_inline(content_type: &str) -> bool {
    const SAFE: &[&str] = &[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/tiff",
        "image/heic",
        "image/heif",
        "text/plain",
    ];
    let essence = content_type.split(';').next().unwrap_or("").trim();
    SAFE.contains(&essence) || essence.starts_with("video/") || essence.starts_with("audio/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_get_the_extension_of_their_type() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(image_extension(png), Some("png"));
        assert_eq!(
            image_extension(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"),
            Some("jpg")
        );
        assert_eq!(
            image_extension(b"<?xml version=\"1.0\"?><svg/>"),
            Some("svg")
        );
        assert_eq!(image_extension(b"%PDF-1.7"), None);
        assert_eq!(image_extension(b"plain text"), None);
        assert!(extension_fits("JPEG", "jpg") && extension_fits("png", "png"));
        assert!(!extension_fits("php", "png") && !extension_fits("", "png"));
    }

    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

    #[test]
    fn binary_formats_come_from_magic_numbers() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), "image/gif");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
    }

    #[test]
    fn svg_is_found_behind_prologs_comments_and_doctypes() {
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        let prolog = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- by hand -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<SVG>";
        assert_eq!(sniff(prolog), "image/svg+xml");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><note/>"), "text/xml");
        assert_ne!(sniff(b"<html><svg></svg></html>"), "image/svg+xml");
    }

    #[test]
    fn text_formats_infer_misses_fall_back() {
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), "text/html");
        assert_eq!(sniff(b"\xEF\xBB\xBF<html>hi</html>"), "text/html");
        assert_eq!(sniff("hello, 世界\n".as_bytes()), "text/plain");
        let mut cut = "世".repeat(3000).into_bytes();
        cut.truncate(SNIFF_BYTES);
        assert_eq!(sniff(&cut), "text/plain");
        assert_eq!(sniff(b"\0\x01\x02binary"), OCTET_STREAM);
        assert_eq!(sniff(b""), OCTET_STREAM);
        assert_eq!(sniff(b"\xFF\xFE\xFD"), OCTET_STREAM);
    }

    #[test]
    fn patterns_are_exact_type_wildcard_or_any() {
        for ok in [
            "*/*",
            "image/*",
            "application/pdf",
            "image/svg+xml",
            "application/vnd.ms-excel",
        ] {
            assert!(is_valid_pattern(ok), "{ok}");
        }
        for bad in [
            "image",
            "*/png",
            "image/",
            "/png",
            "image/png/x",
            "image/p ng",
            "",
        ] {
            assert!(!is_valid_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn matching_respects_type_and_subtype() {
        let images = vec!["image/*".to_owned()];
        assert!(is_allowed(&images, "image/png"));
        assert!(is_allowed(&images, "IMAGE/svg+xml"));
        assert!(!is_allowed(&images, "text/html"));
        let pdf = vec!["application/pdf".to_owned()];
        assert!(is_allowed(&pdf, "application/pdf; charset=binary"));
        assert!(!is_allowed(&pdf, "application/zip"));
        assert!(is_allowed(&["*/*".to_owned()], OCTET_STREAM));
        assert!(!is_allowed(&[], "image/png"));
    }

    #[test]
    fn active_content_is_not_rendered_inline() {
        assert!(!renders_inline("image/svg+xml"));
        assert!(!renders_inline("text/html; charset=utf-8"));
        assert!(!renders_inline("application/xhtml+xml"));
        assert!(!renders_inline("application/octet-stream"));
        assert!(renders_inline("image/png"));
        assert!(renders_inline("video/mp4"));
    }

    #[test]
    fn pdf_is_served_as_a_download_because_viewers_run_its_scripts() {
        assert!(!renders_inline("application/pdf"));
        assert!(!renders_inline(sniff(b"%PDF-1.7\n")));
    }
}
