//! Answers a GET or HEAD for an image variant: the whole variant (no ranges), its own strong
//! `ETag`, the original's `Last-Modified`, and `Vary` naming what chose it.

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentEncoding, HttpDate};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use super::serve::{self, Caching};
use crate::client_kind::PROFILE_VARY;
use crate::service::{VariantHead, VariantServed};

/// Whether the client's copy is the variant tagged `etag`: `If-None-Match` (weak comparison,
/// RFC 9110 §13.1.2). `If-Modified-Since` is not used: a variant's bytes can change (a new
/// encoder) while the original's date stays.
pub fn client_has(req: &HttpRequest, etag: &str) -> bool {
    serve::none_match(req, etag).unwrap_or(false)
}

/// 200 with the variant (a HEAD announces its length only), 304 when the client's copy is
/// current, or the original as [`serve::respond`] answers it. `by_client`: the size came from
/// the client profile (`v=auto`), so the answer varies with `X-Client` and `User-Agent`.
pub fn respond(req: &HttpRequest, served: VariantServed, by_client: bool) -> HttpResponse {
    match served {
        VariantServed::Original(served) => {
            let caching = if served.public {
                Caching::Public
            } else {
                Caching::Private
            };
            let mut res = serve::respond(req, served, caching);
            if by_client {
                let headers = res.headers_mut();
                let named = headers
                    .get(header::VARY)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| format!("{v}, {PROFILE_VARY}"))
                    .unwrap_or_else(|| PROFILE_VARY.to_owned());
                if let Ok(value) = header::HeaderValue::from_str(&named) {
                    headers.insert(header::VARY, value);
                }
            }
            res
        }
        VariantServed::Fresh(head) => {
            let mut res = HttpResponse::NotModified();
            validators(&mut res, &head, by_client);
            res.finish()
        }
        VariantServed::Made { head, bytes } => {
            let mut res = HttpResponse::build(StatusCode::OK);
            validators(&mut res, &head, by_client);
            res.insert_header((header::CONTENT_TYPE, head.content_type.as_str()))
                .insert_header(ContentEncoding::Identity)
                .insert_header((
                    header::LAST_MODIFIED,
                    HttpDate::from(SystemTime::from(head.last_modified)).to_string(),
                ));
            if req.method() == actix_web::http::Method::HEAD {
                let nothing = futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
                return res.no_chunking(bytes.len() as u64).streaming(nothing);
            }
            res.body(bytes)
        }
    }
}

/// What a 200 and a 304 both carry (RFC 9110 §15.4.5).
fn validators(res: &mut HttpResponseBuilder, head: &VariantHead, by_client: bool) {
    let caching = if head.public {
        Caching::Public
    } else {
        Caching::Private
    };
    res.insert_header((header::ETAG, head.etag.as_str()))
        .insert_header((header::CACHE_CONTROL, serve::cache_control(caching)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some(value) = vary(head.by_accept, by_client) {
        res.insert_header((header::VARY, value));
    }
}

/// One `Vary` value naming what chose the answer (one line: middleware that adds to `Vary`
/// reads its first line only).
fn vary(by_accept: bool, by_client: bool) -> Option<String> {
    match (by_accept, by_client) {
        (false, false) => None,
        (true, false) => Some("Accept".to_owned()),
        (false, true) => Some(PROFILE_VARY.to_owned()),
        (true, true) => Some(format!("Accept, {PROFILE_VARY}")),
    }
}
