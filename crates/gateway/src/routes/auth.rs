//! `/api/v1/auth/*` and `/api/v1/me`.

use actix_web::{HttpResponse, web};
use auth::{NewAccount, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::Json;
use crate::envelope;
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::{SessionView, Shape, TokenView, UserView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/auth/register", post => register))
        .service(endpoint!("/auth/login", post => login))
        .service(endpoint!("/auth/refresh", post => refresh))
        .service(endpoint!("/auth/logout", post => logout))
        .service(endpoint!("/auth/password", put => change_password))
        .service(endpoint!("/auth/sessions", get => list_sessions))
        .service(endpoint!("/auth/sessions/{id}", delete => revoke_session))
        .service(endpoint!("/me", get => me));
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterForm {
    phone: String,
    email: String,
    password: String,
    name: Option<String>,
    /// An invitation code, when `auth.registration = "invite"`.
    invitation: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterForm,
    responses((status = 201, description = "the new user"), (status = 409, description = "account_exists"),
              (status = 422, description = "validation_failed, with data.fields")))]
pub async fn register(
    caller: Caller,
    form: Json<RegisterForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<UserView>()?;
    let form = form.into_inner();
    let account = NewAccount {
        phone: form.phone,
        email: form.email,
        password: form.password,
        name: form.name,
        tfs: None,
        role: Role::User,
    };
    let user = service
        .register(&caller, account, form.invitation.as_deref())
        .await?;
    Ok(envelope::created(shape.one(&UserView::from(&user))?))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginForm {
    /// Phone or email.
    login: String,
    password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginForm,
    responses((status = 200, description = "accessToken, refreshToken, tokenType, expiresIn, user"),
              (status = 401, description = "invalid_credentials"), (status = 429, description = "too_many_attempts")))]
pub async fn login(
    caller: Caller,
    form: Json<LoginForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<UserView>()?;
    let (user, pair) = service
        .login(&caller, &form.login, &form.password, None)
        .await?;
    let user = shape.one(&UserView::from(&user))?;
    Ok(envelope::ok(TokenView::new(&pair, Some(user))))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshForm {
    refresh_token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshForm,
    responses((status = 200, description = "a new token pair"), (status = 401, description = "session_revoked when a spent token is reused")))]
pub async fn refresh(
    form: Json<RefreshForm>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let pair = service.refresh(&form.refresh_token).await?;
    Ok(envelope::ok(TokenView::new(&pair, None)))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 200, description = "the session has ended")))]
pub async fn logout(caller: Caller, service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    service.logout(&caller).await?;
    Ok(envelope::ok(serde_json::json!({})))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordForm {
    old_password: String,
    new_password: String,
}

#[utoipa::path(put, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordForm,
    responses((status = 200, description = "changed; every other session is revoked")))]
pub async fn change_password(
    caller: Caller,
    form: Json<PasswordForm>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service
        .change_password(&caller, &form.old_password, &form.new_password)
        .await?;
    Ok(envelope::ok(serde_json::json!({})))
}

#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth",
    responses((status = 200, description = "the caller's sessions")))]
pub async fn list_sessions(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let sessions = service.sessions(&caller).await?;
    let views: Vec<SessionView> = sessions.iter().map(SessionView::from).collect();
    Ok(envelope::ok(
        serde_json::json!({ "items": shape.many(&views)? }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, description = "revoked"), (status = 404, description = "session_not_found")))]
pub async fn revoke_session(
    caller: Caller,
    id: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service.revoke_session(&caller, &id).await?;
    Ok(envelope::ok(serde_json::json!({ "id": id.into_inner() })))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "the current user"), (status = 401, description = "missing or bad token")))]
pub async fn me(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let user = service.me(&caller).await?;
    Ok(envelope::ok(shape.one(&UserView::from(&user))?))
}
