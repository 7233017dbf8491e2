//! `GET /f/{bucket}/{key}`: stable, cacheable file links. Open for `public-read` buckets; a
//! private one needs a gateway signature (`?expires=…&signature=…`) or a bearer token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::ObjectPath;
use super::serve::{self, Caching};
use crate::error::ApiError;
use crate::service::{Caller, ReadGrant, Service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        endpoint!("/f/{bucket}/{key:.+}", get => file, head => file)
            .wrap(crate::cors::files())
            .wrap(actix_web::middleware::from_fn(
                crate::cors::refusals_in_the_envelope,
            )),
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
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    query: web::Query<SignatureQuery>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let grant = match (query.expires, query.signature.as_deref()) {
        (Some(expires), Some(signature)) => ReadGrant::Signature { expires, signature },
        _ => ReadGrant::Caller(&caller),
    };
    let served = serve::read(&req, &service, grant, &bucket, &key).await?;
    let caching = if served.public {
        Caching::Public
    } else {
        Caching::Private
    };
    Ok(serve::respond(&req, served, caching))
}
