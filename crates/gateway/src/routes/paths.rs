//! Path parameters parsed into storage newtypes before a handler runs.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use storage::{BucketName, ObjectKey};

use super::{bucket_name, object_key};

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
        Box::pin(async move {
            let (bucket, key) = raw.await?.into_inner();
            Ok(ObjectPath {
                bucket: bucket_name(bucket)?,
                key: object_key(key)?,
            })
        })
    }
}
