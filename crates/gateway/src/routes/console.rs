//! The web console: `GET /` is its page, `GET /console/{version}/{path}` its assets (see
//! `console/` at the repository root and `crate::console`). Not part of the API document.

use actix_web::http::header::{self, AcceptEncoding, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::console::{Coding, ConsolePolicy, Entry, catalogue};
use crate::error::ApiError;
use crate::json_etag::names;

/// The page revalidates on every load (it names the current assets); assets never change under
/// their versioned path.
const PAGE_CACHING: &str = "no-cache";
const ASSET_CACHING: &str = "public, max-age=31536000, immutable";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/", get => page))
        .service(endpoint!("/console/{version}/{path:.*}", get => asset));
}

/// `index.html` with its asset references filled in: `text/html; charset=utf-8`,
/// `Cache-Control: no-cache`, an `ETag`, 304 on a matching `If-None-Match`.
async fn page(req: HttpRequest, policy: web::Data<ConsolePolicy>) -> HttpResponse {
    answer(&req, catalogue().index(), PAGE_CACHING, &policy).await
}

/// One asset under the current version: its type by extension, cached for a year as
/// immutable, a strong `ETag` per content coding, 304 on a matching `If-None-Match`. Another
/// version or an unknown path: 404 `route_not_found`.
async fn asset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    policy: web::Data<ConsolePolicy>,
) -> Result<HttpResponse, ApiError> {
    let (version, path) = path.into_inner();
    match catalogue().asset(&version, &path) {
        Some(entry) => Ok(answer(&req, entry, ASSET_CACHING, &policy).await),
        None => super::route_not_found(req).await,
    }
}

/// The 200 (or 304) for `entry` in the coding the client prefers. `Content-Encoding` is always
/// set, so the compression middleware leaves the body, and the tag that names it, alone.
async fn answer(
    req: &HttpRequest,
    entry: &'static Entry,
    caching: &'static str,
    policy: &ConsolePolicy,
) -> HttpResponse {
    let accept = req.get_header::<AcceptEncoding>();
    let coding = Coding::negotiate(accept.as_ref(), entry.codings());
    let rep = entry.representation(coding).await;
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| names(v, &rep.etag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, caching))
        .insert_header((header::ETAG, rep.etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy.csp()));
    for (name, value) in ConsolePolicy::fixed_headers() {
        res.insert_header((name, value));
    }
    if entry.codings().len() > 1 {
        res.insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    }
    if fresh {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, entry.kind().content_type))
        .insert_header(rep.coding.header())
        .body(rep.body)
}
