//! The seed-compatible API under `/imagepic`: the Node service's paths, field names and envelope
//! (HTTP 200, `code: "-1"` and `data.err` on failure), as adapters over the same services.
//! Unlike the seed, every failure is answered; `data.errCode` adds the stable native code.

pub mod auth;
pub mod bucket;
pub mod notification;
pub mod object;
pub mod policy;

use std::time::Duration;

use actix_web::error::InternalError;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
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
            .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                seed_error(ApiError::new(
                    Code::InvalidQuery,
                    format!("bad query string: {err}"),
                ))
            }))
            .default_service(web::to(unknown_route))
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
        Err(err) => failure(&err),
    }
}

fn failure(err: &ApiError) -> HttpResponse {
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

/// An extractor failure, answered the seed's way.
fn seed_error(err: ApiError) -> actix_web::Error {
    let response = failure(&err);
    InternalError::from_response(err, response).into()
}

async fn unknown_route(req: HttpRequest) -> HttpResponse {
    failure(&ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// The largest JSON body the seed routes read, as `server.json_limit`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Reads and parses a JSON body the seed's express.json() would have taken (empty = `{}`).
pub async fn body<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<T, ApiError> {
    let limit = req
        .app_data::<web::Data<BodyLimit>>()
        .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    let mut raw = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(Code::MalformedJson, format!("cannot read the body: {e}"))
        })?;
        if raw.len() + chunk.len() > limit {
            return Err(ApiError::new(
                Code::PayloadTooLarge,
                format!("JSON bodies are limited to {limit} bytes"),
            ));
        }
        raw.extend_from_slice(&chunk);
    }
    let raw: &[u8] = if raw.is_empty() { b"{}" } else { &raw };
    serde_json::from_slice(raw)
        .map_err(|e| ApiError::new(Code::MalformedJson, format!("malformed JSON body: {e}")))
}

const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// The caller's session (token bare or with `Bearer `); required.
pub async fn required(req: &HttpRequest) -> Result<::auth::Principal, ApiError> {
    crate::identity::principal(req).await?.ok_or_else(|| {
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
