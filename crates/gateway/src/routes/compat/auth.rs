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

async fn register(raw: web::Bytes, auth: web::Data<Auth>) -> HttpResponse {
    reply(
        async {
            let form: RegisterForm = body(&raw)?;
            auth.register(NewAccount {
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

async fn login(
    req: HttpRequest,
    raw: web::Bytes,
    auth: web::Data<Auth>,
    ttl: web::Data<CompatTokenTtl>,
) -> HttpResponse {
    reply(
        async {
            let form: LoginForm = body(&raw)?;
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

async fn change(raw: web::Bytes, auth: web::Data<Auth>) -> HttpResponse {
    reply(
        async {
            let form: ChangeForm = body(&raw)?;
            auth.change_password_by_login(&form.phone, &form.opwd, &form.npwd)
                .await?;
            Ok::<_, ApiError>(serde_json::json!({}))
        }
        .await,
    )
}
