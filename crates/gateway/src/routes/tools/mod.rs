//! Upload-tool adapters over the service layer, as `/imagepic` is for the seed's clients: the
//! Lsky Pro 2.x and 1.x API shapes (`lsky.rs`: PicList's built-in uploader, PicGo's Lsky
//! plugins), SM.MS and the PicList server (`uploaders.rs`: stock PicGo, PicList), and ShareX
//! (`sharex.rs`). These routes share `/api/v1` with the native API but not its error rules:
//! each answers the way its clients tell success from failure (`../shared/clients/`), which is
//! why they live here and not among the native routes.

mod form;
mod lsky;
mod sharex;
mod uploaders;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::json;

use crate::cors::CorsSettings;
use crate::error::{ApiError, Code};
use crate::json_etag::NotRevalidated;
use crate::request_id;
use crate::service::{Caller, Service, ToolUpload};
use crate::views::Links;
use crate::views::tools::{ToolAnswer, ToolImage};

pub use form::ToolMultipart;
pub use sharex::DELETION_PATH;

/// Every tool route; registered before the native `/api/v1` scope, whose paths they share.
pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    lsky::configure(cfg, cors);
    uploaders::configure(cfg, cors);
    sharex::configure(cfg, cors);
}

/// How a family of clients tells a failure, and so how a tool route answers one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// HTTP 200 `{status: false, success: false, code, message, data: {}}`: Lsky Pro 2.x
    /// clients (PicList, PicGo plugins), SM.MS clients (PicGo) and PicList's server uploader
    /// show `message` only from a 200; another status shows as "status code N".
    Lsky,
    /// HTTP 200 `{code: <HTTP status>, msg, message, data: {}}`: Lsky Pro 1.x clients, which
    /// test `code === 200`.
    LskyV1,
    /// The real HTTP status, `{success: false, status: false, code, msg, message, data: null,
    /// requestId}`: ShareX and uPic look at the status only.
    Status,
}

/// A failure on a tool route, answered in its clients' [`Flavor`]. Headers of the native
/// answer (`Retry-After`) are kept; a 5xx is logged as on the native API.
#[derive(Debug)]
pub struct ToolError {
    err: ApiError,
    flavor: Flavor,
}

impl ToolError {
    pub fn lsky(err: ApiError) -> Self {
        Self {
            err,
            flavor: Flavor::Lsky,
        }
    }

    pub fn lsky_v1(err: ApiError) -> Self {
        Self {
            err,
            flavor: Flavor::LskyV1,
        }
    }

    pub fn status(err: ApiError) -> Self {
        Self {
            err,
            flavor: Flavor::Status,
        }
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.err, f)
    }
}

impl ResponseError for ToolError {
    fn status_code(&self) -> StatusCode {
        match self.flavor {
            Flavor::Status => self.err.code().status(),
            Flavor::Lsky | Flavor::LskyV1 => StatusCode::OK,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let native = self.err.error_response();
        let code = self.err.code();
        // The one thing a tool's user can fix: say it is about the token.
        let message = match code {
            Code::MissingToken => {
                format!("picgate needs an API token: {}", self.err.public_message())
            }
            Code::InvalidToken | Code::TokenExpired | Code::SessionRevoked => {
                format!("picgate refused the token: {}", self.err.public_message())
            }
            _ => self.err.public_message(),
        };
        let body = match self.flavor {
            Flavor::Lsky => json!({
                "status": false, "success": false, "code": code.name(), "message": message,
                "data": {},
            }),
            Flavor::LskyV1 => json!({
                "code": code.status().as_u16(), "msg": message, "message": message, "data": {},
            }),
            Flavor::Status => json!({
                "success": false, "status": false, "code": code.name(), "msg": message,
                "message": message, "data": null, "requestId": request_id::current(),
            }),
        };
        let mut res = HttpResponse::build(self.status_code()).json(body);
        for (name, value) in native.headers() {
            if name != CONTENT_TYPE && name != CONTENT_LENGTH {
                res.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res.extensions_mut().insert(NotRevalidated);
        res
    }
}

/// Stores the one file of a tool request (`form`, read from `req`) as the tool's caller.
async fn store(
    req: &HttpRequest,
    mut form: ToolMultipart,
    service: &Service,
) -> Result<ToolUpload, ApiError> {
    service.tool_upload(&Caller::of_tool(req), &mut form).await
}

/// [`store`], answered with the tools' success body.
async fn answered(
    req: &HttpRequest,
    form: ToolMultipart,
    service: &Service,
    links: &Links,
) -> Result<HttpResponse, ApiError> {
    let upload = store(req, form, service).await?;
    Ok(HttpResponse::Ok().json(answer(&upload, links)?))
}

/// The answer to a stored tool upload, with its deletion link.
fn answer(upload: &ToolUpload, links: &Links) -> Result<ToolAnswer, ApiError> {
    image(upload, links).map(ToolAnswer::new)
}

fn image(upload: &ToolUpload, links: &Links) -> Result<ToolImage, ApiError> {
    let deletion = format!(
        "{}{}{}",
        links.base(),
        sharex::DELETION_PATH,
        upload.deletion_ticket
    );
    ToolImage::new(upload, links, deletion)
}
