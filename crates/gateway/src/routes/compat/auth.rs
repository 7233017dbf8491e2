//! `/imagepic/auth/{register,login,change}`.

use actix_web::{HttpRequest, HttpResponse, web};
use auth::{Auth, NewAccount, Role};
use serde::Deserialize;

use super::{CompatTokenTtl, body, reply};
use crate::error::ApiError;
use crate::identity::device;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/register", web::post().to(register))
        .route("/auth/login", web::post().to(login))
        .route("/auth/change", web::post().to(change));
}

#[derive(Deserialize)]
struct RegisterForm {
    name: Option<String>,
    tfs: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    upwd: String,
}

#[utoipa::path(post, path = "/imagepic/auth/register", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{name, tfs, email, phone, upwd}"),
    responses((status = 200, description = "code \"0\" with data: {}, or code \"-1\" with data.err and data.errCode")))]
pub async fn register(
    req: HttpRequest,
    payload: web::Payload,
    auth: web::Data<Auth>,
) -> HttpResponse {
    reply(
        async {
            let form: RegisterForm = body(&req, payload).await?;
            auth.sign_up(NewAccount {
                phone: form.phone,
                email: form.email,
                password: form.upwd,
                name: form.name,
                tfs: form.tfs,
                role: Role::User,
            })
            .await?;
            Ok::<_, ApiError>(serde_json::json!({}))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    upwd: String,
}

#[utoipa::path(post, path = "/imagepic/auth/login", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{phone, upwd}"),
    responses((status = 200, description = "code \"0\" with data: {token}, or code \"-1\" with data.err and data.errCode")))]
pub async fn login(
    req: HttpRequest,
    payload: web::Payload,
    auth: web::Data<Auth>,
    ttl: web::Data<CompatTokenTtl>,
) -> HttpResponse {
    reply(
        async {
            let form: LoginForm = body(&req, payload).await?;
            let (_, pair) = auth
                .login(&form.phone, &form.upwd, device(&req), Some(ttl.0))
                .await?;
            Ok::<_, ApiError>(serde_json::json!({ "token": pair.access_token }))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct ChangeForm {
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
    req: HttpRequest,
    payload: web::Payload,
    auth: web::Data<Auth>,
) -> HttpResponse {
    reply(
        async {
            let form: ChangeForm = body(&req, payload).await?;
            auth.change_password_by_login(&form.phone, &form.opwd, &form.npwd)
                .await?;
            Ok::<_, ApiError>(serde_json::json!({}))
        }
        .await,
    )
}
