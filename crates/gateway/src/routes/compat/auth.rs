//! `/imagepic/auth/{register,login,change}`.

use actix_web::web;
use auth::{NewAccount, Role};
use serde::Deserialize;

use super::{CompatTokenTtl, Seed, SeedJson, SeedResult};
use crate::service::{Caller, Service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/register", web::post().to(register))
        .route("/auth/login", web::post().to(login))
        .route("/auth/change", web::post().to(change));
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
    responses((status = 200, description = "code \"0\" with data: {}, or code \"-1\" with data.err and data.errCode")))]
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
    responses((status = 200, description = "code \"0\" with data: {token}, or code \"-1\" with data.err and data.errCode")))]
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
    responses((status = 200, description = "code \"0\" with data: {}; every session of the user ends, or code \"-1\" with data.err and data.errCode")))]
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
