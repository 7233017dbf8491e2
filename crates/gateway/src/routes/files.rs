//! `GET /f/{bucket}/{key}`: stable, cacheable file links. Open for `public-read` buckets; a
//! private one needs a gateway signature (`?expires=…&signature=…`) or a bearer token. With
//! `w`, `h`, `fit`, `fmt`, `q` or `v` the link serves an image variant (see `variants/`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::ObjectPath;
use super::serve::{self, Caching};
use super::serve_variant;
use crate::client_kind::ClientKind;
use crate::error::{ApiError, Code};
use crate::profiles::Profiles;
use crate::service::{Caller, ReadGrant, Service, VariantAsk};
use crate::variants::{AUTO_PRESET, VariantRequest, signed_form};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        endpoint!("/f/{bucket}/{key:.+}", get => file, head => file)
            .wrap(crate::cors::files())
            .wrap(actix_web::middleware::from_fn(
                crate::cors::refusals_in_the_envelope,
            )),
    );
}

#[utoipa::path(get, path = "/f/{bucket}/{key}", tag = "files",
    params(("bucket" = String, Path), ("key" = String, Path),
           ("expires" = Option<i64>, Query, description = "with `signature`: unix time the signed link ends"),
           ("signature" = Option<String>, Query, description = "HMAC of bucket, key, expires and the variant parameters given"),
           ("w" = Option<u32>, Query, description = "variant width, one of `variants.sizes`"),
           ("h" = Option<u32>, Query, description = "variant height, one of `variants.sizes`"),
           ("fit" = Option<String>, Query, description = "`inside` (default), `cover` or `contain`; the last two need `w` and `h`"),
           ("fmt" = Option<String>, Query, description = "`jpeg`, `png`, `webp`, `avif` (builds with the `avif` feature) or `auto` (from `Accept`)"),
           ("q" = Option<u8>, Query, description = "quality, one of `variants.qualities`"),
           ("v" = Option<String>, Query, description = "a preset of `variants.presets`, or `auto`: the client profile's width, format from `Accept`")),
    responses((status = 200, description = "the bytes (of the original, or of the variant asked for); public-read buckets for anyone, private ones with a signature or a bearer token"),
              (status = 206, description = "a byte range (originals only)"), (status = 304, description = "not modified"),
              (status = 401, description = "missing_token"), (status = 403, description = "invalid_signature or signature_expired"),
              (status = 404, description = "object_not_found")))]
pub async fn file(
    req: HttpRequest,
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    query: web::Query<Vec<(String, String)>>,
    kind: ClientKind,
    profiles: web::Data<Profiles>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query.into_inner();
    let expires = match pairs.iter().find(|(name, _)| name == "expires") {
        Some((_, value)) => Some(value.parse::<i64>().map_err(|_| {
            ApiError::new(
                Code::InvalidQuery,
                "expires: must be a unix time in seconds",
            )
        })?),
        None => None,
    };
    let signature = pairs
        .iter()
        .find(|(name, _)| name == "signature")
        .map(|(_, value)| value.as_str());
    let grant = match (expires, signature) {
        (Some(expires), Some(signature)) => ReadGrant::Signature { expires, signature },
        _ => ReadGrant::Caller(&caller),
    };
    let auto_width = profiles.get(kind).variant_width;
    let variant = VariantRequest::parse(&pairs, service.variant_settings(), auto_width)
        .map_err(|e| ApiError::new(Code::InvalidQuery, e.to_string()))?;
    let Some(request) = variant else {
        let served = serve::read(&req, &service, grant, &bucket, &key).await?;
        let caching = if served.public {
            Caching::Public
        } else {
            Caching::Private
        };
        return Ok(serve::respond(&req, served, caching));
    };
    let signed = signed_form(&pairs);
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let ask = VariantAsk {
        request: &request,
        signed_form: &signed,
        accept,
        head: req.method() == actix_web::http::Method::HEAD,
    };
    let served = service
        .variant(grant, &bucket, &key, ask, |etag| {
            serve_variant::client_has(&req, etag)
        })
        .await?;
    let by_client = pairs
        .iter()
        .any(|(name, value)| name == "v" && value == AUTO_PRESET);
    Ok(serve_variant::respond(&req, served, by_client))
}
