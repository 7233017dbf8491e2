//! The seed-compatible API under `/imagepic`: the Node service's paths, field names and envelope
//! (HTTP 200, `code: "-1"` and `data.err` on failure), as adapters over the same services.
//! Unlike the seed, every failure is answered; `data.errCode` adds the stable native code.

mod auth;
mod bucket;
mod notification;
mod object;
mod policy;

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code};
use crate::request_id;

/// Lifetime of tokens issued to seed clients, which cannot refresh.
#[derive(Debug, Clone, Copy)]
pub struct CompatTokenTtl(pub Duration);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/imagepic")
            .configure(auth::configure)
            .configure(bucket::configure)
            .configure(notification::configure)
            .configure(object::configure)
            .configure(policy::configure),
    );
}

#[derive(Serialize)]
struct SeedEnvelope<T: Serialize> {
    code: &'static str,
    data: T,
    msg: &'static str,
    success: bool,
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// Renders a handler's outcome the way the seed did.
pub fn reply<T: Serialize>(result: Result<T, ApiError>) -> HttpResponse {
    match result {
        Ok(data) => HttpResponse::Ok().json(SeedEnvelope {
            code: "0",
            data,
            msg: "成功",
            success: true,
            request_id: None,
        }),
        Err(err) => {
            let code = err.code();
            if code.status().is_server_error() {
                tracing::error!(code = code.name(), error = ?err, "compat request failed");
            }
            HttpResponse::Ok().json(SeedEnvelope {
                code: "-1",
                data: serde_json::json!({ "err": err.public_message(), "errCode": code.name() }),
                msg: "失败",
                success: false,
                request_id: Some(request_id::current()),
            })
        }
    }
}

/// Parses a JSON body the seed's express.json() would have taken.
pub fn body<T: DeserializeOwned>(raw: &web::Bytes) -> Result<T, ApiError> {
    let raw: &[u8] = if raw.is_empty() { b"{}" } else { raw };
    serde_json::from_slice(raw)
        .map_err(|e| ApiError::new(Code::MalformedJson, format!("malformed JSON body: {e}")))
}

/// The caller's session if a token was sent (bare or `Bearer `); a bad token is an error.
pub async fn caller(req: &HttpRequest) -> Result<Option<::auth::Principal>, ApiError> {
    use actix_web::FromRequest;
    let crate::identity::Caller(caller) = crate::identity::Caller::extract(req).await?;
    Ok(caller)
}

/// Like `caller`, but a session is required.
pub async fn required(req: &HttpRequest) -> Result<::auth::Principal, ApiError> {
    caller(req).await?.ok_or_else(|| {
        ApiError::new(
            Code::MissingToken,
            "未满足权限: the authorization header needs a token",
        )
    })
}

/// Numbers the seed's clients send as numbers or strings.
pub mod loose {
    use serde::{Deserialize, Deserializer};

    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Loose {
            Int(i64),
            Float(f64),
            Text(String),
        }
        Ok(match Option::<Loose>::deserialize(d)? {
            None => None,
            Some(Loose::Int(n)) => Some(n),
            Some(Loose::Float(f)) => Some(f as i64),
            Some(Loose::Text(s)) if s.trim().is_empty() => None,
            Some(Loose::Text(s)) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a number")))?,
            ),
        })
    }
}
