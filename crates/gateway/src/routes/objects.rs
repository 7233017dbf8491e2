//! `/api/v1/buckets/{bucket}/objects…`: list, upload, read, stat, delete and sign objects.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Entry, ListQuery, PageNumber, Storage};
use utoipa::{IntoParams, ToSchema};

use super::access::{ensure_bucket_exists, ensure_read};
use super::serve::{self, Caching};
use super::{BucketPath, ObjectPath, object_key, resource, upload};
use crate::envelope;
use crate::error::{ApiError, Code};
use crate::identity::Authenticated;
use crate::metrics::Metrics;
use crate::views::{DeletionView, Links, ListView, ObjectView, Shape, SignedLinkView, UploadView};

/// Most keys one batch delete takes.
pub const MAX_BATCH_KEYS: usize = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/buckets/{bucket}/objects")
            .route(web::get().to(list))
            .route(web::post().to(upload_multipart)),
    )
    .service(
        resource("/buckets/{bucket}/objects/{key:.+}")
            .route(web::get().to(get_object))
            .route(web::head().to(get_object))
            .route(web::put().to(put_object))
            .route(web::delete().to(delete_object)),
    )
    .service(resource("/buckets/{bucket}/delete").route(web::post().to(delete_many)))
    .service(resource("/buckets/{bucket}/info/{key:.+}").route(web::get().to(info)))
    .service(resource("/buckets/{bucket}/sign/{key:.+}").route(web::post().to(sign)));
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    /// Only keys that start with this.
    prefix: Option<String>,
    /// `/` groups keys below the next `/` into `folders`.
    delimiter: Option<String>,
    page_size: Option<usize>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Seed-style 1-based page number; adds `total`.
    page_num: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects", tag = "objects",
    params(("bucket" = String, Path), ListParams),
    responses((status = 200, description = "{items, folders, nextCursor} or, with pageNum, {items, folders, total}")))]
pub async fn list(
    req: HttpRequest,
    BucketPath(bucket): BucketPath,
    params: web::Query<ListParams>,
    storage: web::Data<Storage>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    ensure_read(&req, &storage, &bucket).await?;
    let params = params.into_inner();
    let delimiter = match params.delimiter.as_deref() {
        None | Some("") => false,
        Some("/") => true,
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidQuery,
                format!("delimiter must be '/', not '{other}'"),
            ));
        }
    };
    let prefix = params.prefix.unwrap_or_default();
    let page_size = shape.page_size(params.page_size);
    let view = if let Some(number) = params.page_num {
        let page = PageNumber::Page {
            size: page_size,
            number: number.max(1),
        };
        let numbered = storage
            .list_numbered(&bucket, &prefix, delimiter, page)
            .await?;
        let (items, folders) = split_entries(&bucket, numbered.entries, &links);
        ListView {
            items: shape.many(&items)?,
            folders,
            next_cursor: None,
            total: Some(numbered.total),
        }
    } else {
        let query = ListQuery {
            prefix,
            delimiter,
            page_size,
            cursor: params.cursor,
        };
        let page = storage.list(&bucket, &query).await?;
        let items: Vec<ObjectView> = page
            .items
            .iter()
            .map(|m| ObjectView::new(&bucket, m, &links))
            .collect();
        ListView {
            items: shape.many(&items)?,
            folders: page.folders,
            next_cursor: page.next_cursor,
            total: None,
        }
    };
    Ok(envelope::ok(view))
}

fn split_entries(
    bucket: &storage::BucketName,
    entries: Vec<Entry>,
    links: &Links,
) -> (Vec<ObjectView>, Vec<String>) {
    let mut items = Vec::new();
    let mut folders = Vec::new();
    for entry in entries {
        match entry {
            Entry::Object(meta) => items.push(ObjectView::new(bucket, &meta, links)),
            Entry::Folder(prefix) => folders.push(prefix),
        }
    }
    (items, folders)
}

#[derive(Deserialize, IntoParams)]
pub struct UploadParams {
    /// Folder (key prefix) for the uploaded files.
    folder: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/objects", tag = "objects",
    params(("bucket" = String, Path), UploadParams),
    request_body(content_type = "multipart/form-data", description = "one or more `file` fields, optional `folder`"),
    responses((status = 201, description = "the stored object with url, markdown and html (several: {items})"),
              (status = 413, description = "payload_too_large"), (status = 415, description = "unsupported_media_type")))]
#[allow(clippy::too_many_arguments)]
pub async fn upload_multipart(
    _caller: Authenticated,
    BucketPath(bucket): BucketPath,
    params: web::Query<UploadParams>,
    payload: Multipart,
    storage: web::Data<Storage>,
    metrics: web::Data<Metrics>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    ensure_bucket_exists(&storage, &bucket)?;
    let stored = upload::multipart(
        &storage,
        &metrics,
        &bucket,
        params.into_inner().folder,
        payload,
    )
    .await?;
    let views: Vec<UploadView> = stored
        .iter()
        .map(|m| UploadView::new(&bucket, m, &links))
        .collect();
    let mut shaped = shape.many(&views)?;
    if shaped.len() == 1 {
        return Ok(envelope::created(shaped.remove(0)));
    }
    Ok(envelope::created(serde_json::json!({ "items": shaped })))
}

#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    request_body(content_type = "application/octet-stream", description = "the object's bytes"),
    responses((status = 201, description = "the stored object with links")))]
#[allow(clippy::too_many_arguments)]
pub async fn put_object(
    req: HttpRequest,
    _caller: Authenticated,
    ObjectPath { bucket, key }: ObjectPath,
    body: web::Payload,
    storage: web::Data<Storage>,
    metrics: web::Data<Metrics>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    ensure_bucket_exists(&storage, &bucket)?;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let meta = upload::raw(&storage, &metrics, &bucket, &key, declared, body).await?;
    Ok(envelope::created(
        shape.one(&UploadView::new(&bucket, &meta, &links))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a byte range"),
              (status = 304, description = "not modified"), (status = 404, description = "object_not_found")))]
pub async fn get_object(
    req: HttpRequest,
    ObjectPath { bucket, key }: ObjectPath,
    storage: web::Data<Storage>,
) -> Result<HttpResponse, ApiError> {
    ensure_read(&req, &storage, &bucket).await?;
    serve::object(&req, &storage, &bucket, &key, Caching::Private).await
}

#[utoipa::path(delete, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "object_not_found")))]
pub async fn delete_object(
    _caller: Authenticated,
    ObjectPath { bucket, key }: ObjectPath,
    storage: web::Data<Storage>,
) -> Result<HttpResponse, ApiError> {
    storage.delete(&bucket, &key).await?;
    Ok(envelope::ok(
        serde_json::json!({ "key": key.to_string(), "deleted": true }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteManyForm {
    keys: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/delete", tag = "objects", request_body = DeleteManyForm,
    params(("bucket" = String, Path)),
    responses((status = 200, description = "{items: [{key, deleted, code?, msg?}]}")))]
pub async fn delete_many(
    _caller: Authenticated,
    BucketPath(bucket): BucketPath,
    form: web::Json<DeleteManyForm>,
    storage: web::Data<Storage>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    ensure_bucket_exists(&storage, &bucket)?;
    let raw = form.into_inner().keys;
    if raw.is_empty() || raw.len() > MAX_BATCH_KEYS {
        return Err(ApiError::new(
            Code::BadRequest,
            format!("keys must hold 1 to {MAX_BATCH_KEYS} keys"),
        ));
    }
    let mut items = Vec::with_capacity(raw.len());
    let mut valid = Vec::new();
    for key in raw {
        match object_key(key.clone()) {
            Ok(k) => valid.push(k),
            Err(e) => items.push(DeletionView::new(&key, Err(e))),
        }
    }
    for (key, result) in storage.delete_many(&bucket, valid).await? {
        items.push(DeletionView::new(
            key.as_ref(),
            result.map_err(ApiError::from),
        ));
    }
    Ok(envelope::ok(
        serde_json::json!({ "items": shape.many(&items)? }),
    ))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/info/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "size, contentType, etag, lastModified, url")))]
pub async fn info(
    req: HttpRequest,
    ObjectPath { bucket, key }: ObjectPath,
    storage: web::Data<Storage>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    ensure_read(&req, &storage, &bucket).await?;
    let meta = storage.stat(&bucket, &key).await?;
    Ok(envelope::ok(
        shape.one(&ObjectView::new(&bucket, &meta, &links))?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignForm {
    /// Seconds the link stays valid (default 3600, at most 7 days).
    expires_in: Option<u64>,
}

/// Default lifetime of a signed link.
pub const DEFAULT_SIGN_SECS: u64 = 3600;

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/sign/{key}", tag = "objects", request_body = SignForm,
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "{url, expiresAt}"), (status = 404, description = "object_not_found")))]
pub async fn sign(
    _caller: Authenticated,
    ObjectPath { bucket, key }: ObjectPath,
    form: web::Json<SignForm>,
    storage: web::Data<Storage>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let expires_in = form.expires_in.unwrap_or(DEFAULT_SIGN_SECS);
    let signed = storage
        .signed_link(&bucket, &key, Duration::from_secs(expires_in))
        .await?;
    let view = SignedLinkView::new(&links, &bucket, &key, &signed)?;
    Ok(envelope::ok(shape.one(&view)?))
}
