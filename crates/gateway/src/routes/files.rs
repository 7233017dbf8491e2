//! `GET /f/{bucket}/{key}`: stable, cacheable file links. Open for `public-read` buckets; a
//! private one needs a gateway signature (`?expires=…&signature=…`) or a bearer token.

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Policy, Storage};

use super::serve::{self, Caching};
use super::{bucket_name, object_key, resource};
use crate::error::ApiError;
use crate::identity::Caller;

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

pub async fn file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<SignatureQuery>,
    storage: web::Data<Storage>,
) -> Result<HttpResponse, ApiError> {
    let (bucket, key) = path.into_inner();
    let bucket = bucket_name(bucket)?;
    let key = object_key(key)?;
    let caching = match storage.policy(&bucket).await? {
        Policy::PublicRead => Caching::Public,
        Policy::Private => {
            match (query.expires, &query.signature) {
                (Some(expires), Some(signature)) => {
                    storage.verify(&bucket, &key, expires, signature)?
                }
                _ => {
                    let Caller(caller) = Caller::extract(&req).await?;
                    super::access::ensure_read(&storage, &bucket, caller.as_ref()).await?;
                }
            }
            Caching::Private
        }
    };
    serve::object(&req, &storage, &bucket, &key, caching).await
}
