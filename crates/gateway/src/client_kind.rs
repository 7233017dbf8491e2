//! Which client is calling: a PC web app or a mobile H5 page. `X-Client`, then `?client=`,
//! then a guess from `User-Agent`, else PC.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderMap, USER_AGENT};
use actix_web::{FromRequest, HttpMessage, HttpRequest};

pub const CLIENT_HEADER: &str = "x-client";
pub const PROFILE_HEADER: &str = "x-client-profile";
/// The request headers a JSON answer depends on through the client profile (RFC 9110 §12.5.5).
pub const PROFILE_VARY: &str = "X-Client, User-Agent";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Pc,
    H5,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pc => "pc",
            Self::H5 => "h5",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "pc" => Some(Self::Pc),
            "h5" | "mobile" => Some(Self::H5),
            _ => None,
        }
    }

    /// Decides the client kind from the request's header, query string and user agent.
    pub fn detect(headers: &HeaderMap, query: &str) -> Self {
        let from_agent = || {
            headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .filter(|ua| is_mobile(ua))
                .map(|_| Self::H5)
        };
        Self::asked(headers, query)
            .or_else(from_agent)
            .unwrap_or(Self::Pc)
    }

    /// The kind the client named itself (`X-Client`, then `?client=`), if it did.
    pub fn asked(headers: &HeaderMap, query: &str) -> Option<Self> {
        let from_header = headers
            .get(CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse);
        let from_query = || {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "client")
                .and_then(|(_, v)| Self::parse(v))
        };
        from_header.or_else(from_query)
    }
}

fn is_mobile(user_agent: &str) -> bool {
    const MARKERS: &[&str] = &[
        "Mobile",
        "Android",
        "iPhone",
        "iPad",
        "iPod",
        "MicroMessenger",
        "HarmonyOS",
        "Windows Phone",
    ];
    MARKERS.iter().any(|m| user_agent.contains(m))
}

impl FromRequest for ClientKind {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let kind = req
            .extensions()
            .get::<ClientKind>()
            .copied()
            .unwrap_or_else(|| Self::detect(req.headers(), req.query_string()));
        ready(Ok(kind))
    }
}

/// Decides the client kind once per request and tells caches the answer depends on it.
pub async fn middleware(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderValue, VARY};
    let kind = ClientKind::detect(req.headers(), req.query_string());
    req.extensions_mut().insert(kind);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        actix_web::http::header::HeaderName::from_static(PROFILE_HEADER),
        HeaderValue::from_static(kind.as_str()),
    );
    // Only JSON answers depend on the client; file bytes stay one cache entry for everyone.
    let is_json = headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        headers.append(VARY, HeaderValue::from_static(PROFILE_VARY));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn explicit_header_wins_over_query_and_user_agent() {
        let h = headers(&[("x-client", "pc"), ("user-agent", "Mozilla/5.0 (iPhone)")]);
        assert_eq!(ClientKind::detect(&h, "client=h5"), ClientKind::Pc);
    }

    #[test]
    fn query_wins_over_user_agent() {
        let h = headers(&[("user-agent", "Mozilla/5.0 (iPhone; Mobile)")]);
        assert_eq!(ClientKind::detect(&h, "a=1&client=pc"), ClientKind::Pc);
    }

    #[test]
    fn mobile_user_agent_means_h5_and_desktop_means_pc() {
        let phone = headers(&[("user-agent", "Mozilla/5.0 (Linux; Android 14) Mobile")]);
        let desktop = headers(&[("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")]);
        assert_eq!(ClientKind::detect(&phone, ""), ClientKind::H5);
        assert_eq!(ClientKind::detect(&desktop, ""), ClientKind::Pc);
        assert_eq!(ClientKind::detect(&HeaderMap::new(), ""), ClientKind::Pc);
    }

    #[test]
    fn unknown_header_value_falls_through() {
        let h = headers(&[("x-client", "tv")]);
        assert_eq!(ClientKind::detect(&h, "client=h5"), ClientKind::H5);
    }
}
