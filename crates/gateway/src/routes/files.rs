//! `GET /f/{bucket}/{key}`: stable, cacheable file links. Open for `public-read` buckets; a
//! private one needs a gateway signature (`?expires=…&signature=…`) or a bearer token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Policy, Storage};

use super::serve::{self, Caching};
use super::{ObjectPath, resource};
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/f/{bucket}/{key:.+}")
            .route(web::get().to(file))
            .route(web::head().to(file)),
    );
}

#[derive(Deserialize)]
pub struct SignatureQuery {
    expires: Option<i64>,
    signature: Option<String>,
}

#[utoipa::path(get, path = "/f/{bucket}/{key}", tag = "files",
    params(("bucket" = String, Path), ("key" = String, Path),
           ("expires" = Option<i64>, Query, description = "with `signature`: unix time the signed link ends"),
           ("signature" = Option<String>, Query, description = "HMAC of bucket, key and expires")),
    responses((status = 200, description = "the bytes; public-read buckets for anyone, private ones with a signature or a bearer token"),
              (status = 206, description = "a byte range"), (status = 304, description = "not modified"),
              (status = 401, description = "missing_token"), (status = 403, description = "invalid_signature or signature_expired"),
              (status = 404, description = "object_not_found")))]
pub async fn file(
    req: HttpRequest,
    ObjectPath { bucket, key }: ObjectPath,
    query: web::Query<SignatureQuery>,
    storage: web::Data<Storage>,
) -> Result<HttpResponse, ApiError> {
    let caching = match storage.policy(&bucket).await? {
        Policy::PublicRead => Caching::Public,
        Policy::Private => {
            match (query.expires, &query.signature) {
                (Some(expires), Some(signature)) => {
                    storage.verify(&bucket, &key, expires, signature)?
                }
                _ => super::access::ensure_read(&req, &storage, &bucket).await?,
            }
            Caching::Private
        }
    };
    serve::object(&req, &storage, &bucket, &key, caching).await
}
