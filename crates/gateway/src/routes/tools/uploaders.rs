//! The other upload shapes: SM.MS (`POST /api/v2/upload`, field `smfile`: stock PicGo's
//! built-in uploader with its backup domain set to picgate), PicList's server uploader
//! (`POST /upload?key=<token>`, field `file`), and the generic tool route
//! `POST /api/v1/tools/upload` with real HTTP statuses (ShareX, uPic, scripts).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{ToolError, ToolMultipart, answered};
use crate::cors::CorsSettings;
use crate::service::Service;
use crate::views::Links;

pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    cfg.service(endpoint!("/api/v2/upload", post => smms).wrap(cors.api()));
    cfg.service(endpoint!("/upload", post => piclist).wrap(cors.api()));
    cfg.service(endpoint!("/api/v1/tools/upload", post => generic).wrap(cors.api()));
}

/// SM.MS upload: multipart `smfile`, token as a bare `Authorization`. Failures are HTTP 200
/// with `success: false` and `message`, which PicGo shows.
pub async fn smms(
    req: HttpRequest,
    payload: Multipart,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ToolError> {
    let form = ToolMultipart::new(&req, payload, "smfile");
    answered(&req, form, &service, &links)
        .await
        .map_err(ToolError::lsky)
}

/// PicList's server uploader: multipart `file`, token in `?key=` (`picbed`, `configName`
/// ignored). Failures are HTTP 200 with `success: false` and `message`.
pub async fn piclist(
    req: HttpRequest,
    payload: Multipart,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ToolError> {
    let form = ToolMultipart::new(&req, payload, "file");
    answered(&req, form, &service, &links)
        .await
        .map_err(ToolError::lsky)
}

/// `?bucket=&folder=` of the generic route (ShareX's `Parameters`).
#[derive(Deserialize)]
pub struct Target {
    bucket: Option<String>,
    folder: Option<String>,
}

/// The generic tool upload: multipart `file`, `bucket` and `folder` as fields or in the query;
/// the tools' success body, and failures with their real HTTP status (ShareX tells success by
/// status alone).
pub async fn generic(
    req: HttpRequest,
    payload: Multipart,
    target: web::Query<Target>,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ToolError> {
    let Target { bucket, folder } = target.into_inner();
    let form = ToolMultipart::new(&req, payload, "file")
        .with_query(bucket, folder)
        .map_err(ToolError::status)?;
    answered(&req, form, &service, &links)
        .await
        .map_err(ToolError::status)
}
