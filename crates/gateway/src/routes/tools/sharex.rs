//! ShareX: `GET /api/v1/tools/sharex.sxcu` hands out a ready custom-uploader file for the
//! caller's API token, and the deletion links in upload answers lead to a confirmation page:
//! ShareX opens a deletion URL in the browser (a GET), and link previewers and prefetchers
//! follow links too, so a GET only asks, and the page's button (a POST) deletes.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::cors::CorsSettings;
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::Links;
use crate::views::object::escape_html;

/// Where deletion links live; the ticket follows.
pub const DELETION_PATH: &str = "/api/v1/tools/deletion/";
/// The oldest ShareX that reads the file: custom uploader files of 12.3.1 and before are
/// refused as unsupported.
const SXCU_VERSION: &str = "17.0.0";
/// The pages ask nothing of the network but their own form.
const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    cfg.service(endpoint!("/api/v1/tools/sharex.sxcu", get => sxcu).wrap(cors.api()));
    cfg.service(endpoint!(
        "/api/v1/tools/deletion/{ticket}",
        get => confirm_deletion,
        post => delete
    ));
}

/// `?bucket=&folder=` for the configuration (the token comes as `?token=` or in
/// `Authorization`).
#[derive(Deserialize)]
pub struct SxcuQuery {
    bucket: Option<String>,
    folder: Option<String>,
}

/// A ShareX custom uploader (`ShareX.UploadersLib/CustomUploader/CustomUploaderItem.cs`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Sxcu {
    version: &'static str,
    name: String,
    destination_type: &'static str,
    request_method: &'static str,
    #[serde(rename = "RequestURL")]
    request_url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    parameters: BTreeMap<&'static str, String>,
    headers: BTreeMap<&'static str, String>,
    body: &'static str,
    file_form_name: &'static str,
    #[serde(rename = "URL")]
    url: &'static str,
    #[serde(rename = "ThumbnailURL")]
    thumbnail_url: &'static str,
    #[serde(rename = "DeletionURL")]
    deletion_url: &'static str,
    error_message: &'static str,
}

/// The `.sxcu` for the caller's API token (scope `upload`), uploading to `?bucket=` (else the
/// tools' default) under `?folder=`, as an attachment `picgate.sxcu`. Errors in the native
/// envelope with their status: 401, 403 `insufficient_scope` or `api_token_required`, 404
/// `bucket_not_found`.
pub async fn sxcu(
    req: HttpRequest,
    query: web::Query<SxcuQuery>,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::of_tool(&req);
    let SxcuQuery { bucket, folder } = query.into_inner();
    let config = service.tool_config(&caller, bucket.as_deref()).await?;
    let mut parameters = BTreeMap::new();
    parameters.insert("bucket", config.bucket.name.to_string());
    if let Some(folder) = folder.filter(|f| !f.is_empty()) {
        parameters.insert("folder", folder);
    }
    let images_only = config
        .bucket
        .allowed_types
        .iter()
        .all(|t| t.starts_with("image/"));
    let host = links
        .base()
        .split("://")
        .nth(1)
        .unwrap_or(links.base())
        .to_owned();
    let sxcu = Sxcu {
        version: SXCU_VERSION,
        name: format!("picgate ({host}, {})", config.bucket.name),
        destination_type: match images_only {
            true => "ImageUploader",
            false => "ImageUploader, FileUploader",
        },
        request_method: "POST",
        request_url: format!("{}/api/v1/tools/upload", links.base()),
        parameters,
        headers: BTreeMap::from([("Authorization", format!("Bearer {}", config.token))]),
        body: "MultipartFormData",
        file_form_name: "file",
        url: "{json:data.links.url}",
        thumbnail_url: "{json:data.links.thumbnail_url}",
        deletion_url: "{json:data.delete_url}",
        error_message: "{json:message}",
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"picgate.sxcu\""))
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(sxcu))
}

/// The confirmation page of a deletion link: names the file and offers the button; deletes
/// nothing. A ticket this deployment did not sign: 403; its object already gone: 404; replaced
/// since: 409 (no button then).
pub async fn confirm_deletion(
    ticket: web::Path<String>,
    service: web::Data<Service>,
) -> HttpResponse {
    match service.ticket_target(&ticket).await {
        Ok((bucket, key)) => page(
            StatusCode::OK,
            "Delete this file? · 删除此文件？",
            &format!(
                "<p><code>{}</code> in bucket <code>{}</code> will be deleted for everyone. \
                 This cannot be undone.<br>将为所有人删除，无法恢复。</p>\
                 <form method=\"post\" action=\"\"><button type=\"submit\">Delete · 删除</button></form>",
                escape_html(key.as_str()),
                escape_html(bucket.as_str())
            ),
        ),
        Err(err) => failure_page(&err),
    }
}

/// The confirmation's button: deletes the version of the object the ticket was made for.
/// 404 when it is gone, 409 when it was replaced since (the new version stays), 403 for a
/// ticket this deployment did not sign.
pub async fn delete(
    caller: Caller,
    ticket: web::Path<String>,
    service: web::Data<Service>,
) -> HttpResponse {
    match service.delete_by_ticket(&caller, &ticket).await {
        Ok((bucket, key)) => page(
            StatusCode::OK,
            "Deleted · 已删除",
            &format!(
                "<p><code>{}</code> in bucket <code>{}</code> is deleted.<br>文件已删除。</p>",
                escape_html(key.as_str()),
                escape_html(bucket.as_str())
            ),
        ),
        Err(err) => failure_page(&err),
    }
}

fn failure_page(err: &ApiError) -> HttpResponse {
    // Logs a 5xx with its cause, as every native failure.
    let native = actix_web::ResponseError::error_response(err);
    let (title, text) = match native.status() {
        StatusCode::NOT_FOUND => (
            "Already deleted · 已删除",
            "Nothing is stored under this link any more. 此链接的文件已不存在。".to_owned(),
        ),
        StatusCode::CONFLICT => (
            "Not deleted: the file was replaced · 文件已被替换，未删除",
            "Someone stored a new file under this name after the upload this link belongs to; \
             the new file stays. 上传之后文件已被替换，新文件保留。"
                .to_owned(),
        ),
        StatusCode::FORBIDDEN => (
            "Not a valid deletion link · 删除链接无效",
            "This server did not make this link, or it was changed. 链接无效或已被修改。"
                .to_owned(),
        ),
        _ => ("Not deleted · 未删除", err.public_message()),
    };
    page(
        native.status(),
        title,
        &format!("<p>{}</p>", escape_html(&text)),
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}\
         button{{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:.3rem;background:#b3261e;color:#fff;cursor:pointer}}\
         button:focus-visible{{outline:3px solid #1a1a1a;outline-offset:2px}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    );
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Security-Policy", PAGE_POLICY))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(html)
}
