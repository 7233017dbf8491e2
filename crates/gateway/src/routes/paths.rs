//! Path parameters parsed into storage newtypes before a handler runs.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use storage::{BucketName, ObjectKey};

use super::{bucket_name, object_key};
use crate::error::{ApiError, Code};

/// The `{bucket}` of a route.
pub struct BucketPath(pub BucketName);

/// The `{bucket}` and `{key}` of a route.
pub struct ObjectPath {
    pub bucket: BucketName,
    pub key: ObjectKey,
}

impl FromRequest for BucketPath {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = web::Path::<String>::extract(req);
        Box::pin(async move { Ok(BucketPath(bucket_name(raw.await?.into_inner())?)) })
    }
}

impl FromRequest for ObjectPath {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = web::Path::<(String, String)>::extract(req);
        // The router decodes invalid UTF-8 into U+FFFD, which would alias different keys.
        let utf8 = decodes_to_utf8(req.uri().path());
        Box::pin(async move {
            if !utf8 {
                return Err(ApiError::new(
                    Code::InvalidObjectKey,
                    "the key's percent-encoding is not UTF-8",
                )
                .into());
            }
            let (bucket, key) = raw.await?.into_inner();
            Ok(ObjectPath {
                bucket: bucket_name(bucket)?,
                key: object_key(key)?,
            })
        })
    }
}

/// Whether `raw` (a path or query string) percent-decodes (RFC 3986 §2.1) to UTF-8. A `%`
/// not followed by two hex digits stands for itself.
pub fn decodes_to_utf8(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or_default() * 16 + hex(l).unwrap_or_default();
                decoded.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::decodes_to_utf8;

    #[test]
    fn percent_encoded_bytes_must_make_utf_8() {
        assert!(decodes_to_utf8("/f/images/%E6%88%AA%E5%9B%BE.png"));
        assert!(decodes_to_utf8("/f/images/100%.png"));
        assert!(decodes_to_utf8("prefix=a%2Fb&x=%zz"));
        assert!(!decodes_to_utf8("/f/images/%FF.png"));
        assert!(!decodes_to_utf8("/f/images/%C3.png"));
        assert!(!decodes_to_utf8("prefix=%FE"));
    }
}
