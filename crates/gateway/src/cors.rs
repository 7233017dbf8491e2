//! Cross-origin access for browser front ends (the Fetch standard's CORS protocol), through
//! `actix-cors`.
//!
//! - File links (`/f/…`, GET and HEAD) may be read from any page: `Access-Control-Allow-Origin:
//!   *`, as an image host's public links must (a private object still needs its signature or
//!   a token, which such a page does not have).
//! - The API (`/api/v1`, `/imagepic`) answers the exact origins in
//!   `server.cors.allowed_origins`, with every method and the headers `Authorization`,
//!   `Content-Type`, `X-Client` and `X-Request-Id`. `["*"]` instead lets any page read
//!   (`GET`, `HEAD`) without `Authorization`, so only what is public. Empty (the default): no
//!   page on another origin may call the API.
//! - `Access-Control-Allow-Credentials` is never sent: picgate authenticates with bearer
//!   tokens, never cookies. Answers vary by `Origin` (`Vary: Origin`).

use actix_cors::Cors;
use actix_web::http::{Method, header};
use serde::Deserialize;

/// How long a browser may keep a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECS: usize = 3600;

/// Response headers a page on another origin may read.
const EXPOSED: [&str; 6] = [
    "etag",
    "x-request-id",
    "content-range",
    "content-disposition",
    "accept-ranges",
    "x-client-profile",
];

/// `server.cors`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Exact origins (`https://app.example.com`, scheme, host and port as the browser sends
    /// them), or only `"*"` for public reads from anywhere.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

impl CorsSettings {
    /// Errors: `*` mixed with exact origins, or an entry that is not `scheme://host[:port]`.
    pub fn validate(&self) -> Result<(), String> {
        let any = self.allowed_origins.iter().any(|o| o == "*");
        if any && self.allowed_origins.len() > 1 {
            return Err(
                "\"*\" (public reads from anywhere) cannot be mixed with exact origins".into(),
            );
        }
        for origin in self.allowed_origins.iter().filter(|o| *o != "*") {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            let host_port =
                rest.filter(|r| !r.is_empty() && !r.contains(['/', '?', '#', '*', ' ']));
            if host_port.is_none() {
                return Err(format!(
                    "'{origin}' is not an origin: scheme://host[:port], no path or trailing slash"
                ));
            }
        }
        Ok(())
    }

    /// The policy of the API scopes.
    pub fn api(&self) -> Cors {
        let base = Cors::default()
            .block_on_origin_mismatch(false)
            .expose_headers(EXPOSED)
            .max_age(PREFLIGHT_MAX_AGE_SECS);
        if self.allowed_origins.iter().any(|o| o == "*") {
            return base
                .allow_any_origin()
                .send_wildcard()
                .allowed_methods([Method::GET, Method::HEAD])
                .allowed_headers(["x-client", "x-request-id"]);
        }
        let exact = self
            .allowed_origins
            .iter()
            .fold(base, |cors, origin| cors.allowed_origin(origin));
        exact
            .allowed_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("x-client"),
                header::HeaderName::from_static("x-request-id"),
            ])
    }
}

/// The policy of file links: any page may read them.
pub fn files() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([Method::GET, Method::HEAD])
        .allowed_headers([
            header::RANGE,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::IF_RANGE,
        ])
        .expose_headers(EXPOSED)
        .max_age(PREFLIGHT_MAX_AGE_SECS)
}
