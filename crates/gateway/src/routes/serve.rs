//! Answers a GET or HEAD for an object's bytes: streaming, `Range`, `ETag`/`If-None-Match`,
//! `Last-Modified`, `nosniff`, and active content (SVG, HTML, …) only ever as a download.

use std::time::SystemTime;

use actix_web::http::header::{
    self, ContentEncoding, EntityTag, HeaderValue, HttpDate, IfModifiedSince, IfNoneMatch, IfRange,
};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use storage::{BucketName, ByteRange, ObjectKey, ObjectMeta, Payload};

use crate::error::ApiError;
use crate::service::{Fetch, Found, ReadGrant, Served, Service};

/// How long caches may keep what they got.
#[derive(Debug, Clone, Copy)]
pub enum Caching {
    Public,
    Private,
}

/// Reads what a GET or HEAD asks for through the service, evaluating its conditions in the
/// order of RFC 9110 §13.2.2: a request with `If-None-Match`, `If-Modified-Since` or
/// `If-Range` is answered from a stat first, so a fresh copy gets 304 before any `Range` is
/// looked at (never 416), and a `Range` whose `If-Range` does not match the current object is
/// ignored (§13.1.5): the whole current body, never new bytes spliced onto an old download.
pub async fn read(
    req: &HttpRequest,
    service: &Service,
    grant: ReadGrant<'_>,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<Served, ApiError> {
    let head = req.method() == Method::HEAD;
    let conditional = [
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_RANGE,
    ]
    .iter()
    .any(|h| req.headers().contains_key(h));
    if head {
        return service.read(grant, bucket, key, Fetch::Head).await;
    }
    if !conditional {
        let range = requested_range(req);
        return service.read(grant, bucket, key, Fetch::Body(range)).await;
    }
    let stat = service.read(grant, bucket, key, Fetch::Validators).await?;
    let Found::Meta(meta) = &stat.object else {
        return Ok(stat);
    };
    if is_fresh(req, meta) {
        return Ok(stat);
    }
    let range = requested_range(req).filter(|_| if_range_holds(req, meta));
    let served = service.read(grant, bucket, key, Fetch::Body(range)).await?;
    // Replaced between the stat and the read: the range no longer belongs to what If-Range
    // named, so the whole current body goes out instead.
    match &served.object {
        Found::Body(body) if body.range.is_some() && body.meta.etag != meta.etag => {
            service.read(grant, bucket, key, Fetch::Body(None)).await
        }
        _ => Ok(served),
    }
}

/// Whether an `If-Range` allows the `Range`; true without one. An entity tag must match
/// strongly; a date must equal `Last-Modified` and be a strong validator (RFC 9110 §13.1.5,
/// §8.8.2.2): an object changed less than a second ago may change again within the same
/// second, under the same date, so then the whole object is sent. Backends that keep whole
/// seconds (S3) may report a change up to a second early, hence two seconds from the date.
fn if_range_holds(req: &HttpRequest, meta: &ObjectMeta) -> bool {
    match req.get_header::<IfRange>() {
        None => !req.headers().contains_key(header::IF_RANGE),
        Some(IfRange::EntityTag(tag)) => parse_etag(&meta.etag).is_some_and(|e| e.strong_eq(&tag)),
        Some(IfRange::Date(date)) => {
            let since: SystemTime = date.into();
            let modified = truncate_to_secs(SystemTime::from(meta.last_modified));
            let settled = SystemTime::now()
                .duration_since(modified)
                .is_ok_and(|age| age >= std::time::Duration::from_secs(2));
            settled && since == modified
        }
    }
}

/// HTTP dates have whole seconds.
fn truncate_to_secs(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// The answer for what [`read`] found: 200, 206 with `Content-Range`, or 304 when the client's
/// copy is fresh (RFC 9110 §13.1); a HEAD announces the length and sends no body.
pub fn respond(req: &HttpRequest, served: Served, caching: Caching) -> HttpResponse {
    match served.object {
        Found::Meta(meta) => {
            if let Some(not_modified) = not_modified(req, &meta, caching) {
                return not_modified;
            }
            let nothing = futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
            base(StatusCode::OK, &meta, caching)
                .no_chunking(meta.size)
                .streaming(nothing)
        }
        Found::Body(body) => {
            if let Some(not_modified) = not_modified(req, &body.meta, caching) {
                return not_modified;
            }
            let (status, len) = match &body.range {
                Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
                None => (StatusCode::OK, body.meta.size),
            };
            let mut res = base(status, &body.meta, caching);
            if let Some(r) = &body.range {
                res.insert_header((
                    header::CONTENT_RANGE,
                    format!(
                        "bytes {}-{}/{}",
                        r.start,
                        r.end.saturating_sub(1),
                        body.meta.size
                    ),
                ));
            }
            match body.payload {
                // Headers and body leave in one write.
                Payload::Whole(bytes) => res.body(bytes),
                Payload::Stream(stream) => res.no_chunking(len).streaming(stream),
            }
        }
    }
}

fn base(status: StatusCode, meta: &ObjectMeta, caching: Caching) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, meta.content_type.as_str()))
        .insert_header((header::ETAG, meta.etag.as_str()))
        .insert_header((
            header::LAST_MODIFIED,
            HttpDate::from(SystemTime::from(meta.last_modified)).to_string(),
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(ContentEncoding::Identity)
        .insert_header((header::CACHE_CONTROL, cache_control(caching)));
    if !storage::renders_inline(&meta.content_type) {
        res.insert_header((
            header::CONTENT_DISPOSITION,
            attachment(meta.key.file_name()),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ));
    }
    res
}

pub fn cache_control(caching: Caching) -> &'static str {
    match caching {
        Caching::Public => "public, max-age=3600",
        Caching::Private => "private, max-age=0, must-revalidate",
    }
}

/// `attachment` with the file name twice (RFC 6266 §4.3): `filename` as ASCII for old clients
/// (other characters, quotes and backslashes as `_`), and `filename*` in UTF-8, percent-encoded
/// outside RFC 5987's `attr-char`, so non-ASCII names arrive intact.
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Whether the client's copy is current: `If-None-Match` (weak comparison), else
/// `If-Modified-Since` (RFC 9110 §13.1.2, §13.1.3).
fn is_fresh(req: &HttpRequest, meta: &ObjectMeta) -> bool {
    match none_match(req, &meta.etag) {
        Some(fresh) => fresh,
        None => match req.get_header::<IfModifiedSince>() {
            Some(IfModifiedSince(since)) => {
                let modified = SystemTime::from(meta.last_modified);
                let since: SystemTime = since.into();
                modified
                    .duration_since(since)
                    .map(|d| d.as_secs() == 0)
                    .unwrap_or(true)
            }
            None => false,
        },
    }
}

/// What `If-None-Match` says of the representation tagged `etag` (weak comparison, RFC 9110
/// §13.1.2): `Some(true)` when the client's copy is it, `None` without the header.
pub fn none_match(req: &HttpRequest, etag: &str) -> Option<bool> {
    let header = req.get_header::<IfNoneMatch>()?;
    let Some(etag) = parse_etag(etag) else {
        return Some(false);
    };
    Some(match header {
        IfNoneMatch::Any => true,
        IfNoneMatch::Items(tags) => tags.iter().any(|t| t.weak_eq(&etag)),
    })
}

fn not_modified(req: &HttpRequest, meta: &ObjectMeta, caching: Caching) -> Option<HttpResponse> {
    is_fresh(req, meta).then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, meta.etag.as_str()))
            .insert_header((header::CACHE_CONTROL, cache_control(caching)))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .finish()
    })
}

fn parse_etag(raw: &str) -> Option<EntityTag> {
    HeaderValue::from_str(raw)
        .ok()
        .and_then(|v| v.to_str().ok().and_then(|s| s.parse().ok()))
}

/// The one range of a `Range: bytes=…` header. Anything else (several ranges, other units,
/// bad syntax) is ignored and the whole object is sent, as RFC 9110 allows.
fn requested_range(req: &HttpRequest) -> Option<ByteRange> {
    let raw = req.headers().get(header::RANGE)?.to_str().ok()?;
    parse_range(raw)
}

fn parse_range(raw: &str) -> Option<ByteRange> {
    let spec = raw.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    match (start.is_empty(), end.is_empty()) {
        (true, false) => end.parse().ok().map(ByteRange::Suffix),
        (false, true) => start.parse().ok().map(ByteRange::From),
        (false, false) => {
            let (s, e): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            (s <= e).then_some(ByteRange::FromTo(s, e))
        }
        (true, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_name_the_file_in_ascii_and_in_utf_8() {
        assert_eq!(
            attachment("report.svg"),
            "attachment; filename=\"report.svg\"; filename*=UTF-8''report.svg"
        );
        assert_eq!(
            attachment("报告 \"1\".pdf"),
            "attachment; filename=\"__ _1_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%221%22.pdf"
        );
    }

    #[test]
    fn ranges_parse_as_rfc_9110_says() {
        assert!(matches!(
            parse_range("bytes=0-9"),
            Some(ByteRange::FromTo(0, 9))
        ));
        assert!(matches!(parse_range("bytes=5-"), Some(ByteRange::From(5))));
        assert!(matches!(
            parse_range("bytes=-5"),
            Some(ByteRange::Suffix(5))
        ));
        assert!(parse_range("bytes=9-0").is_none());
        assert!(parse_range("bytes=0-1,5-6").is_none());
        assert!(parse_range("items=0-1").is_none());
        assert!(parse_range("bytes=-").is_none());
    }
}
