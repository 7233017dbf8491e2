//! The JSON envelope of every answer: `{success, code, msg, data}` (+ `requestId` on errors).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use crate::error::Code;

#[derive(Debug, Serialize)]
pub struct Envelope<T: Serialize> {
    pub success: bool,
    pub code: &'static str,
    pub msg: String,
    pub data: Option<T>,
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl<T: Serialize> Envelope<T> {
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            code: "0",
            msg: "ok".into(),
            data: Some(data),
            request_id: None,
        }
    }
}

impl Envelope<serde_json::Value> {
    pub fn failure(
        code: &'static str,
        msg: String,
        data: Option<serde_json::Value>,
        request_id: String,
    ) -> Self {
        Self {
            success: false,
            code,
            msg,
            data,
            request_id: Some(request_id),
        }
    }
}

/// 200 with `data`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(data))
}

/// 201 with `data`.
pub fn created<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::build(StatusCode::CREATED).json(Envelope::ok(data))
}

/// 207 Multi-Status (RFC 4918 §13): a request of several parts that did not all succeed.
/// `success` is false and `code` names the partial failure; `data` holds each part's outcome.
pub fn multi_status(code: Code, msg: String, data: serde_json::Value) -> HttpResponse {
    HttpResponse::build(code.status()).json(Envelope::failure(
        code.name(),
        msg,
        Some(data),
        crate::request_id::current(),
    ))
}

/// The documented shape of a success (`200`, `201`): the envelope around a typed `data`. Only
/// the OpenAPI document uses it; answers are written with [`Envelope`].
#[derive(utoipa::ToSchema)]
pub struct OkEnvelope<T> {
    /// Always `true`.
    pub success: bool,
    /// Always `"0"`.
    #[schema(pattern = "^0$")]
    pub code: String,
    /// `ok`.
    pub msg: String,
    pub data: T,
}

/// The documented shape of every error answer; `code` is one of the error table's codes (each
/// response of an operation names the codes it can carry).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    pub code: Code,
    /// What went wrong, for people; a 5xx says only what the code says.
    pub msg: String,
    /// What a client can act on, for some codes: `fields` (`validation_failed`), `retryAfter`
    /// (`too_many_attempts`), `scope` (`insufficient_scope`), `failing` and `checks` (`/readyz`);
    /// else `null`.
    pub data: Option<ErrorData>,
    /// The request's id, as in the `X-Request-Id` header and the log.
    pub request_id: String,
}

/// `data` of an error answer: the members a code brings, absent otherwise.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// `validation_failed`: each field that failed, with the reason.
    pub fields: Option<Vec<FieldReason>>,
    /// `too_many_attempts`: seconds until the next attempt is taken (also `Retry-After`).
    pub retry_after: Option<u64>,
    /// `insufficient_scope`: the scope the API token lacks.
    pub scope: Option<String>,
    /// `/readyz`: the dependencies that do not answer.
    pub failing: Option<Vec<String>>,
    /// `/readyz`: every check by name.
    pub checks: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One field that failed validation.
#[derive(utoipa::ToSchema)]
pub struct FieldReason {
    pub field: String,
    pub reason: String,
}

/// The documented shape of a 207 Multi-Status answer: `success: false`, `code`
/// `some_files_failed` and each part's outcome in `data`.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MultiStatusEnvelope<T> {
    /// Always `false`.
    pub success: bool,
    /// `some_files_failed`.
    #[schema(pattern = "^some_files_failed$")]
    pub code: String,
    pub msg: String,
    pub data: T,
    pub request_id: String,
}

impl utoipa::PartialSchema for Code {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A stable error code from the error table."))
            .enum_values(Some(Code::ALL.iter().map(|c| c.name())))
            .into()
    }
}

impl utoipa::ToSchema for Code {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }
}
