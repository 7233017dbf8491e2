//! `/api/v1/auth/tokens`: the caller's long-lived API tokens for upload tools and CI.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use auth::Scope;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::Json;
use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::{ApiTokenView, IdView, ItemsView, Shape};

/// A scope an API token can have (the schema of `scopes`; the form takes strings and names a
/// wrong one in its 422).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ScopeName {
    Read,
    Upload,
    Delete,
    Admin,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/auth/tokens", get => list_tokens, post => create_token))
        .service(endpoint!("/auth/tokens/{id}", delete => revoke_token));
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenForm {
    /// What the token is for, e.g. "PicGo on my laptop" (1–64 characters, trimmed, no control
    /// characters).
    #[schema(
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]{0,62}[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    name: String,
    /// Any of `read`, `upload`, `delete`, `admin` (admins only).
    #[schema(value_type = Vec<ScopeName>, min_items = 1)]
    scopes: Vec<String>,
    /// Seconds until the token expires (at most ten years); absent: never.
    #[schema(minimum = 1, maximum = 315_360_000)]
    #[serde(default, deserialize_with = "super::parse::whole_number")]
    expires_in: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenForm,
    responses((status = 201, description = "the token with `token`, shown this once", body = OkEnvelope<ApiTokenView>)))]
pub async fn create_token(
    caller: Caller,
    form: Json<TokenForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<ApiTokenView>()?;
    let form = form.into_inner();
    let scopes = form
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| {
            ApiError::from(auth::Error::Validation(vec![auth::FieldError::new(
                "scopes", reason,
            )]))
        })?;
    let expires_in = form.expires_in.map(Duration::from_secs);
    let token = service
        .create_token(&caller, &form.name, scopes, expires_in)
        .await?;
    Ok(envelope::created(shape.one(&ApiTokenView::from(&token))?))
}

#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, description = "the caller's tokens, never their secret", body = OkEnvelope<ItemsView<ApiTokenView>>)))]
pub async fn list_tokens(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let tokens = service.tokens(&caller).await?;
    let views: Vec<ApiTokenView> = tokens.iter().map(ApiTokenView::from).collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&views)?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "token id")),
    responses((status = 200, description = "revoked at once", body = OkEnvelope<IdView>)))]
pub async fn revoke_token(
    caller: Caller,
    id: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service.revoke_token(&caller, &id).await?;
    Ok(envelope::ok(IdView {
        id: id.into_inner(),
    }))
}
