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
