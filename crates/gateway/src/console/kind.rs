//! The `Content-Type` of a console file, from its extension.

/// A console file's media type and whether compressing it pays (text does; PNG, JPEG, WebP
/// and fonts are compressed already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub content_type: &'static str,
    pub compressible: bool,
}

/// Extension (lower case, without the dot) → kind. Anything else is
/// `application/octet-stream`, sent as is (and never sniffed: `nosniff`).
const KINDS: &[(&str, &str, bool)] = &[
    ("html", "text/html; charset=utf-8", true),
    ("js", "text/javascript; charset=utf-8", true),
    ("mjs", "text/javascript; charset=utf-8", true),
    ("css", "text/css; charset=utf-8", true),
    ("json", "application/json", true),
    ("map", "application/json", true),
    ("webmanifest", "application/manifest+json", true),
    ("txt", "text/plain; charset=utf-8", true),
    ("svg", "image/svg+xml", true),
    ("ico", "image/x-icon", true),
    ("png", "image/png", false),
    ("jpg", "image/jpeg", false),
    ("jpeg", "image/jpeg", false),
    ("gif", "image/gif", false),
    ("webp", "image/webp", false),
    ("avif", "image/avif", false),
    ("woff2", "font/woff2", false),
    ("woff", "font/woff", false),
];

const OTHER: Kind = Kind {
    content_type: "application/octet-stream",
    compressible: false,
};

/// The kind of the file at `path` (`/`-separated), by the extension of its last segment.
pub fn kind_of(path: &str) -> Kind {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return OTHER;
    };
    KINDS
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(ext))
        .map(|&(_, content_type, compressible)| Kind {
            content_type,
            compressible,
        })
        .unwrap_or(OTHER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_the_types_browsers_need() {
        let ct = |p| kind_of(p).content_type;
        assert_eq!(ct("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(ct("i18n/zh-CN.js"), "text/javascript; charset=utf-8");
        assert_eq!(ct("styles.css"), "text/css; charset=utf-8");
        assert_eq!(ct("icons/upload.SVG"), "image/svg+xml");
        assert_eq!(ct("data.json"), "application/json");
        assert_eq!(ct("logo.png"), "image/png");
        assert_eq!(ct("favicon.ico"), "image/x-icon");
        assert_eq!(ct("fonts/ui.woff2"), "font/woff2");
        assert_eq!(ct("LICENSE"), "application/octet-stream");
        assert_eq!(ct("dir.js/readme"), "application/octet-stream");
        assert!(kind_of("app.js").compressible);
        assert!(!kind_of("logo.png").compressible);
    }
}
