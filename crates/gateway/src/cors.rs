//! Cross-origin access for browser front ends (the Fetch standard's CORS protocol), through
//! `actix-cors`.
//!
//! - File links (`/f/…`, GET and HEAD) may be read from any page: `Access-Control-Allow-Origin:
//!   *`, as an image host's public links must (a private object still needs its signature or
//!   a bearer token, which a page sends only when it holds one: no cookie is ever involved).
//! - The API (`/api/v1`, `/imagepic`) answers the exact origins in
//!   `server.cors.allowed_origins` (compared in lowercase, as browsers send them), with every
//!   method and the headers `Authorization`, `Content-Type`, `Content-Encoding`, `X-Client`,
//!   `X-Request-Id`, the conditional and range headers, and the seed's `bucket` and `folder`.
//!   `["*"]` instead lets any page read (`GET`, `HEAD`) without `Authorization`, so only what
//!   is public. Empty (the default): no page on another origin may call the API.
//! - `Access-Control-Allow-Credentials` is never sent: picgate authenticates with bearer
//!   tokens, never cookies. Answers vary by `Origin` (`Vary: Origin`).

use actix_cors::Cors;
use actix_web::http::{Method, header};
use serde::Deserialize;

use crate::error::{ApiError, Code};

/// How long a browser may keep a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECS: usize = 3600;

/// Response headers a page on another origin may read.
const EXPOSED: [&str; 8] = [
    "etag",
    "x-request-id",
    "content-range",
    "content-disposition",
    "accept-ranges",
    "x-client-profile",
    "retry-after",
    "allow",
];

/// Request headers of reads: conditional and range requests, the client profile.
const READ_HEADERS: [&str; 6] = [
    "if-none-match",
    "if-modified-since",
    "if-range",
    "range",
    "x-client",
    "x-request-id",
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
                .allowed_headers(READ_HEADERS);
        }
        let exact = self.allowed_origins.iter().fold(base, |cors, origin| {
            cors.allowed_origin(&origin.to_ascii_lowercase())
        });
        exact
            .allowed_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allowed_headers(READ_HEADERS)
            .allowed_headers([
                "authorization",
                "content-type",
                "content-encoding",
                // The seed's putObject names its target in these.
                "bucket",
                "folder",
            ])
    }
}

/// The policy of file links: any page may read them.
pub fn files() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([Method::GET, Method::HEAD])
        .allowed_headers(READ_HEADERS)
        .allowed_headers([header::AUTHORIZATION])
        .expose_headers(EXPOSED)
        .max_age(PREFLIGHT_MAX_AGE_SECS)
}

/// Answers a refused cross-origin request (a preflight whose origin, method or headers are
/// not allowed) in the envelope, `400 cors_rejected`, instead of actix-cors's plain text. Wraps
/// the scopes outside their CORS policy.
pub async fn refusals_in_the_envelope(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let refusal = |e: &actix_cors::CorsError| ApiError::new(Code::CorsRejected, e.to_string());
    let res = next
        .call(req)
        .await
        .map_err(|e| match e.as_error::<actix_cors::CorsError>() {
            Some(refused) => refusal(refused).into(),
            None => e,
        })?;
    let refused = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .map(refusal);
    Ok(match refused {
        Some(err) => {
            // The refusal depends on the origin as the allowed answers do.
            let mut refusal = res.error_response(err);
            refusal
                .headers_mut()
                .append(header::VARY, header::HeaderValue::from_static("Origin"));
            refusal
        }
        None => res.map_into_boxed_body(),
    })
}
