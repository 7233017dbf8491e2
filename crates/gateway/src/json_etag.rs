//! Strong `ETag`s on JSON answers to `GET` and `HEAD` (RFC 9110 §8.8.3), and `304 Not Modified` without a
//! body when the client's `If-None-Match` names the current one (§13.1.2, weak comparison): a
//! front end that polls a listing or its profile gets only headers while nothing changed.
//!
//! The tag is a SHA-256 of the JSON body and the request's `Accept-Encoding`: the compression
//! middleware outside this one picks the content coding from that header, so each coding of
//! the same JSON gets a tag of its own, as a strong validator must. Answers that already carry
//! an `ETag` (object bytes), errors, and bodies of unknown length are left alone.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Marks a 200 that is not a representation to revalidate: the seed's failures, which its
/// envelope answers with HTTP 200. Such answers get no tag.
pub struct NotRevalidated;

/// Adds the tag, or answers 304. See the module docs.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let accept_encoding = req.headers().get(header::ACCEPT_ENCODING).cloned();
    let res = next.call(req).await?.map_into_boxed_body();
    let tagged = get
        && res.status() == StatusCode::OK
        && !res.headers().contains_key(header::ETAG)
        && is_json(res.headers().get(header::CONTENT_TYPE))
        && matches!(res.response().body().size(), BodySize::Sized(_))
        && !res.response().extensions().contains::<NotRevalidated>();
    if !tagged {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("reading a JSON answer failed: {e}")))?;
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    hasher.update(b"\0");
    if let Some(ae) = &accept_encoding {
        hasher.update(ae.as_bytes());
    }
    let etag = format!("\"{}\"", hex::encode(&hasher.finalize()[..16]));
    let fresh = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| names(v, &etag));
    if fresh {
        // Every header of the 200 but those describing its body: caching, Vary, and the CORS
        // answer of the scope inside, without which a page on another origin cannot read it.
        let mut not_modified = HttpResponse::NotModified();
        for (name, value) in res.headers() {
            let about_the_body = [
                header::CONTENT_TYPE,
                header::CONTENT_LENGTH,
                header::CONTENT_ENCODING,
            ]
            .contains(name);
            if !about_the_body {
                not_modified.append_header((name.clone(), value.clone()));
            }
        }
        // A 304 carries the Vary the 200 would have (RFC 9110 §15.4.5): the tag depends on
        // the content coding, and the body on the client profile (both added further out).
        let not_modified = not_modified
            .append_header((header::VARY, "Accept-Encoding"))
            .append_header((header::VARY, crate::client_kind::PROFILE_VARY))
            .insert_header((header::ETAG, etag))
            .finish();
        return Ok(ServiceResponse::new(req, not_modified));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, value);
    }
    // The tag depends on the content coding asked for, compressed or not (RFC 9110 §12.5.5);
    // the compression middleware adds this only to what it compresses.
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Whether an `If-None-Match` value (`*` or a list of tags, weak or strong) names `etag`.
pub(crate) fn names(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_stars() {
        let etag = "\"abc\"";
        assert!(names("\"abc\"", etag));
        assert!(names("W/\"abc\"", etag));
        assert!(names("\"x\", \"abc\"", etag));
        assert!(names("*", etag));
        assert!(!names("\"abcd\"", etag));
        assert!(!names("abc", etag));
    }
}
