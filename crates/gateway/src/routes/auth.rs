//! `/api/v1/auth/*` and `/api/v1/me`.

use actix_web::{HttpResponse, web};
use auth::{NewAccount, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::Json;
use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::{
    EmptyView, IdView, ItemsView, RegistrationView, SessionView, Shape, TokenView, UserView,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/auth/registration", get => registration))
        .service(endpoint!("/auth/register", post => register))
        .service(endpoint!("/auth/login", post => login))
        .service(endpoint!("/auth/refresh", post => refresh))
        .service(endpoint!("/auth/logout", post => logout))
        .service(endpoint!("/auth/password", put => change_password))
        .service(endpoint!("/auth/sessions", get => list_sessions))
        .service(endpoint!("/auth/sessions/{id}", delete => revoke_session))
        .service(endpoint!("/me", get => me));
}

/// Who may sign up, for a sign-in page deciding whether to offer it. Public.
#[utoipa::path(get, path = "/api/v1/auth/registration", tag = "auth",
    responses((status = 200, description = "`auth.registration`: open, invite or closed", body = OkEnvelope<RegistrationView>)))]
pub async fn registration(service: web::Data<Service>) -> HttpResponse {
    envelope::ok(RegistrationView::from(service.registration()))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterForm {
    /// E.164 (`+` and 8 to 15 digits) or an 11-digit mainland mobile number.
    #[schema(pattern = r"^(\+[1-9][0-9]{7,14}|1[3-9][0-9]{9})$")]
    phone: String,
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?)*\.[A-Za-z]{2,10}$"
    )]
    email: String,
    /// 8 to 72 bytes (bcrypt reads no further; a longer one is refused).
    #[schema(min_length = 8, max_length = 72, pattern = r"^[^\x00]*$")]
    password: String,
    /// At most 64 characters, no control characters; absent or blank: the email's local part.
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    name: Option<String>,
    /// An invitation code, when `auth.registration = "invite"`.
    invitation: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterForm,
    responses((status = 201, description = "the new user", body = OkEnvelope<UserView>)))]
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
    responses((status = 200, description = "a token pair and the user", body = OkEnvelope<TokenView>)))]
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
    responses((status = 200, description = "a new token pair (no `user`); reusing a spent token is session_revoked", body = OkEnvelope<TokenView>)))]
pub async fn refresh(
    form: Json<RefreshForm>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let pair = service.refresh(&form.refresh_token).await?;
    Ok(envelope::ok(TokenView::new(&pair, None)))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 200, description = "the session has ended", body = OkEnvelope<EmptyView>)))]
pub async fn logout(caller: Caller, service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    service.logout(&caller).await?;
    Ok(envelope::ok(EmptyView {}))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordForm {
    old_password: String,
    /// 8 to 72 bytes (bcrypt reads no further; a longer one is refused).
    #[schema(min_length = 8, max_length = 72, pattern = r"^[^\x00]*$")]
    new_password: String,
}

#[utoipa::path(put, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordForm,
    responses((status = 200, description = "changed; every other session is revoked", body = OkEnvelope<EmptyView>)))]
pub async fn change_password(
    caller: Caller,
    form: Json<PasswordForm>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service
        .change_password(&caller, &form.old_password, &form.new_password)
        .await?;
    Ok(envelope::ok(EmptyView {}))
}

#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth",
    responses((status = 200, description = "the caller's sessions", body = OkEnvelope<ItemsView<SessionView>>)))]
pub async fn list_sessions(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let sessions = service.sessions(&caller).await?;
    let views: Vec<SessionView> = sessions.iter().map(SessionView::from).collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&views)?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, description = "revoked", body = OkEnvelope<IdView>)))]
pub async fn revoke_session(
    caller: Caller,
    id: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service.revoke_session(&caller, &id).await?;
    Ok(envelope::ok(IdView {
        id: id.into_inner(),
    }))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "the current user", body = OkEnvelope<UserView>)))]
pub async fn me(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let user = service.me(&caller).await?;
    Ok(envelope::ok(shape.one(&UserView::from(&user))?))
}
