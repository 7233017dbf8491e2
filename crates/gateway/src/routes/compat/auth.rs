//! `/imagepic/auth/{register,login,change}`.

use actix_web::web;
use auth::{NewAccount, Role};
use serde::Deserialize;

use super::{CompatTokenTtl, Seed, SeedAnswer, SeedJson, SeedResult, SeedTokenView};
use crate::service::{Caller, Service};
use crate::views::EmptyView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(seed_endpoint!("/auth/register", post => register));
    cfg.service(seed_endpoint!("/auth/login", post => login));
    cfg.service(seed_endpoint!("/auth/change", post => change));
}

#[derive(Deserialize)]
pub struct RegisterForm {
    name: Option<String>,
    tfs: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    upwd: String,
    /// An invitation code, when `auth.registration = "invite"` (a field the seed did not have).
    invitation: Option<String>,
}

#[utoipa::path(post, path = "/imagepic/auth/register", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{name, tfs, email, phone, upwd}"),
    operation_id = "imagepic_register",
    responses((status = 200, description = "code \"0\" with data: {}", body = SeedAnswer<EmptyView>)))]
pub async fn register(
    caller: Caller,
    SeedJson(form): SeedJson<RegisterForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    let account = NewAccount {
        phone: form.phone,
        email: form.email,
        password: form.upwd,
        name: form.name,
        tfs: form.tfs,
        role: Role::User,
    };
    service
        .register(&caller, account, form.invitation.as_deref())
        .await?;
    Ok(Seed(serde_json::json!({})))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    upwd: String,
}

#[utoipa::path(post, path = "/imagepic/auth/login", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{phone, upwd}"),
    operation_id = "imagepic_login",
    responses((status = 200, description = "code \"0\" with data: {token}", body = SeedAnswer<SeedTokenView>)))]
pub async fn login(
    caller: Caller,
    SeedJson(form): SeedJson<LoginForm>,
    service: web::Data<Service>,
    ttl: web::Data<CompatTokenTtl>,
) -> SeedResult<serde_json::Value> {
    let (_, pair) = service
        .login(&caller, &form.phone, &form.upwd, Some(ttl.0))
        .await?;
    Ok(Seed(serde_json::json!({ "token": pair.access_token })))
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    opwd: String,
    #[serde(default)]
    npwd: String,
}

#[utoipa::path(post, path = "/imagepic/auth/change", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{phone, opwd, npwd}"),
    operation_id = "imagepic_change",
    responses((status = 200, description = "code \"0\" with data: {}; every session of the user ends", body = SeedAnswer<EmptyView>)))]
pub async fn change(
    caller: Caller,
    SeedJson(form): SeedJson<ChangeForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    service
        .change_password_by_login(&caller, &form.phone, &form.opwd, &form.npwd)
        .await?;
    Ok(Seed(serde_json::json!({})))
}
