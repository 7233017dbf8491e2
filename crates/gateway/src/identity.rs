//! Who is calling: the bearer token checked against its session. `Authenticated` is the
//! extractor for routes that need a session; `principal` serves routes that may not.

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, USER_AGENT};
use actix_web::{FromRequest, HttpRequest, web};
use auth::{Auth, Device, Principal};
use futures::future::LocalBoxFuture;

use crate::error::{ApiError, Code};

/// The token in `Authorization`, with or without the `Bearer ` scheme (the seed's clients send
/// it bare).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None => value,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

/// The session behind the request's token, if it sent one; a bad token is an error.
pub async fn principal(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(token) = bearer_token(req) else {
        return Ok(None);
    };
    let auth = req
        .app_data::<web::Data<Auth>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("auth service is not registered")))?;
    Ok(Some(auth.authenticate(&token).await?))
}

/// A caller with a valid session.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            principal(&req).await?.map(Authenticated).ok_or_else(|| {
                ApiError::new(
                    Code::MissingToken,
                    "this route needs `Authorization: Bearer <access token>`",
                )
            })
        })
    }
}

/// The device a session is opened from, as shown in the session list.
pub fn device(req: &HttpRequest) -> Device {
    const MAX_AGENT: usize = 256;
    Device {
        user_agent: req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_AGENT).collect()),
        ip: crate::proxies::client_ip(req).map(|ip| ip.to_string()),
    }
}
