//! The security headers of the console's page and assets: a strict `Content-Security-Policy`
//! (no inline script or style, nothing from other origins but images from
//! `server.public_url`), no framing, no sniffing, no referrer to other origins.

/// The header values every console answer carries, built once from the settings.
#[derive(Debug, Clone)]
pub struct ConsolePolicy {
    csp: String,
}

impl ConsolePolicy {
    /// `public_url`: `server.public_url`; its origin joins `img-src`, since object links (and so
    /// thumbnails) point there when it is set.
    pub fn new(public_url: Option<&str>) -> Self {
        let img_extra = public_url
            .and_then(origin_of)
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; \
             img-src 'self' data: blob:{img_extra}; connect-src 'self'; font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        Self { csp }
    }

    /// `Content-Security-Policy`.
    pub fn csp(&self) -> &str {
        &self.csp
    }

    /// The other security headers, the same on every answer: `(name, value)`.
    pub fn fixed_headers() -> [(&'static str, &'static str); 3] {
        [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "same-origin"),
        ]
    }
}

/// The origin (`scheme://host[:port]`, lower case) of an `http(s)` URL; `None` for anything
/// else, or when the host holds a character that has no place in a CSP source expression
/// (so a value can never add a directive of its own).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials have no place in an origin.
    let host = authority.rsplit('@').next().unwrap_or_default();
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(safe) {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_keeps_scheme_host_and_port_only() {
        assert_eq!(
            origin_of("https://img.example.com/base/").as_deref(),
            Some("https://img.example.com")
        );
        assert_eq!(
            origin_of("HTTP://CDN.Example.com:8080").as_deref(),
            Some("http://cdn.example.com:8080")
        );
        assert_eq!(
            origin_of("https://user:pw@example.com/x").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            origin_of("http://[::1]:9000/p").as_deref(),
            Some("http://[::1]:9000")
        );
        assert_eq!(origin_of("ftp://example.com"), None);
        assert_eq!(origin_of("https://"), None);
        assert_eq!(origin_of("https://a.com;script-src *"), None);
        assert_eq!(origin_of("https://a.com 'unsafe-inline'"), None);
    }

    #[test]
    fn img_src_adds_the_public_origin_only_when_set() {
        let plain = ConsolePolicy::new(None);
        assert!(plain.csp().contains("img-src 'self' data: blob:;"));
        assert!(plain.csp().contains("script-src 'self';"));
        assert!(plain.csp().ends_with("frame-ancestors 'none'"));
        let public = ConsolePolicy::new(Some("https://img.example.com/pics"));
        assert!(
            public
                .csp()
                .contains("img-src 'self' data: blob: https://img.example.com;"),
            "{}",
            public.csp()
        );
    }
}
