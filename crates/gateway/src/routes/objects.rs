//! `/api/v1/buckets/{bucket}/objects…`: list, upload, read, stat, delete and sign objects.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Detail, Entry, ListQuery, PageNumber};
use utoipa::{IntoParams, ToSchema};

use super::serve::{self, Caching};
use super::{BucketPath, ObjectPath, upload};
use crate::body::Json;
use crate::envelope::{self, MultiStatusEnvelope, OkEnvelope};
use crate::error::{ApiError, Code};
use crate::service::{Caller, FileOutcome, Naming, ReadGrant, Service};
use crate::variants::{VariantSettings, with_form};
use crate::views::{
    DeletedObjectView, DeletionView, ItemsView, Links, ListBases, ListView, ListedObjectView,
    ObjectInfoView, ObjectView, Shape, SignedLinkView, UploadItemView, UploadView,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        endpoint!("/buckets/{bucket}/objects", get => list, post => upload_multipart),
    )
    .service(
        endpoint!("/buckets/{bucket}/objects/{key:.+}", get => get_object, head => get_object, put => put_object, delete => delete_object),
    )
    .service(endpoint!("/buckets/{bucket}/delete", post => delete_many))
    .service(endpoint!("/buckets/{bucket}/info/{key:.+}", get => info))
    .service(endpoint!("/buckets/{bucket}/sign/{key:.+}", post => sign));
}

/// The one delimiter listings take (the schema of `delimiter`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum Delimiter {
    #[serde(rename = "/")]
    Slash,
}

/// `data` of a 201 upload: the object for one file, `{items}` for several.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)]
pub enum UploadAnswer {
    One(UploadView),
    Several(ItemsView<UploadItemView>),
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    /// Only keys that start with this.
    prefix: Option<String>,
    /// `/` groups keys below the next `/` into `folders`.
    #[param(value_type = Option<Delimiter>)]
    delimiter: Option<String>,
    /// Items per page (the profile's default when absent; at most its maximum).
    #[param(minimum = 0)]
    page_size: Option<usize>,
    /// `nextCursor` of the previous page (under the same `prefix`).
    cursor: Option<String>,
    /// Seed-style 1-based page number; adds `total`.
    #[param(minimum = 0)]
    page_num: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects", tag = "objects",
    params(("bucket" = String, Path), ListParams),
    responses((status = 200, description = "{items, folders, nextCursor} or, with pageNum, {items, folders, total}; h5: also keyBase and urlBase", body = OkEnvelope<ListView>)))]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    BucketPath(bucket): BucketPath,
    params: web::Query<ListParams>,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    if !super::paths::decodes_to_utf8(req.query_string()) {
        return Err(ApiError::new(
            Code::InvalidQuery,
            "the query string's percent-encoding is not UTF-8",
        ));
    }
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
    // Only a stat gives these: one backend request per listed object, so only when named.
    let detail = match ["contentType", "owner"]
        .iter()
        .any(|f| shape.asks_for::<ListedObjectView>(f))
    {
        true => Detail::Stat,
        false => Detail::Listed,
    };
    let view = match params.page_num {
        Some(number) => {
            let page = PageNumber::Page {
                size: page_size,
                number: number.max(1),
            };
            let numbered = service
                .list_numbered(&caller, &bucket, &prefix, delimiter, page, detail)
                .await?;
            let (items, folders) = split_entries(&bucket, numbered.entries, &links);
            let (items, bases) = shape.listed(&items, || links.list_bases(&bucket, &prefix))?;
            let folders = relative_folders(folders, bases.as_ref());
            ListView::new(bases, items, folders, None, Some(numbered.total))
        }
        None => {
            let query = ListQuery {
                prefix,
                delimiter,
                page_size,
                // `?cursor=` (empty) is the first page, as no cursor.
                cursor: params.cursor.filter(|c| !c.is_empty()),
                detail,
            };
            let page = service.list(&caller, &bucket, &query).await?;
            let items: Vec<ListedObjectView> = page
                .items
                .iter()
                .map(|m| ListedObjectView::new(&bucket, m, &links))
                .collect();
            let (items, bases) =
                shape.listed(&items, || links.list_bases(&bucket, &query.prefix))?;
            let folders = relative_folders(page.folders.clone(), bases.as_ref());
            ListView::new(bases, items, folders, page.next_cursor.clone(), None)
        }
    };
    Ok(envelope::ok(view))
}

/// Folders as the items' keys are given: relative to `keyBase` when the answer sends one.
fn relative_folders(folders: Vec<String>, bases: Option<&ListBases>) -> Vec<String> {
    match bases {
        Some(b) => folders
            .into_iter()
            .map(|f| {
                f.strip_prefix(b.key_base.as_str())
                    .map(str::to_owned)
                    .unwrap_or(f)
            })
            .collect(),
        None => folders,
    }
}

fn split_entries(
    bucket: &storage::BucketName,
    entries: Vec<Entry>,
    links: &Links,
) -> (Vec<ListedObjectView>, Vec<String>) {
    let mut items = Vec::new();
    let mut folders = Vec::new();
    for entry in entries {
        match entry {
            Entry::Object(listed) => items.push(ListedObjectView::new(bucket, &listed, links)),
            Entry::Folder(prefix) => folders.push(prefix),
        }
    }
    (items, folders)
}

/// A multipart upload: `file` fields, each named by its file name (the key, under the folder).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The folder (key prefix) for the files sent after it (a `folder` after the last file
    /// changes nothing); overrides `?folder=`.
    folder: Option<String>,
    /// A file; its name is its key. The bucket takes only the types it allows, sniffed from
    /// the bytes (else 415).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Deserialize, IntoParams)]
pub struct UploadParams {
    /// Folder (key prefix) for the uploaded files.
    folder: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/objects", tag = "objects",
    params(("bucket" = String, Path), UploadParams),
    request_body(content_type = "multipart/form-data", content = UploadForm, description = "one or more `file` fields, optional `folder`"),
    responses((status = 201, description = "one file: the stored object with its links; several: {items}, one per file", body = OkEnvelope<UploadAnswer>),
              (status = 207, description = "some_files_failed: several files, not all stored; data.items has each file's outcome", body = MultiStatusEnvelope<ItemsView<UploadItemView>>)))]
pub async fn upload_multipart(
    caller: Caller,
    BucketPath(bucket): BucketPath,
    params: web::Query<UploadParams>,
    payload: Multipart,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<UploadView>()?;
    let template = service.bucket(&bucket)?.key_template;
    let mut files = upload::MultipartFiles::new(payload, params.into_inner().folder, template);
    let outcomes = service
        .upload(&caller, &bucket, &mut files, Naming::Distinct)
        .await?;
    upload_answer(
        outcomes,
        &bucket,
        &links,
        &shape,
        service.variant_settings(),
    )
}

/// One file: 201 with its object, or its error as the whole answer. Several: 201 with
/// `{items}` when every file was stored, else 207 Multi-Status (RFC 4918 §13) with the
/// `some_files_failed` envelope; either way one item per file, in order, each with `name`,
/// `stored` and `status` (201, or the status its error has alone) and, when refused, `code`
/// and `msg`.
fn upload_answer(
    mut outcomes: Vec<FileOutcome>,
    bucket: &storage::BucketName,
    links: &Links,
    shape: &Shape,
    variants: &VariantSettings,
) -> Result<HttpResponse, ApiError> {
    if outcomes.len() == 1 {
        let outcome = outcomes.remove(0);
        let meta = outcome.stored?;
        let view = UploadView::new(bucket, &meta, links)
            .requested(outcome.requested.as_ref())
            .image(outcome.facts.as_ref(), variants, |form| {
                with_form(&links.file(bucket, &meta.key), form)
            });
        return Ok(envelope::created(shape.one(&view)?));
    }
    let total = outcomes.len();
    let mut failed = 0;
    let mut items = Vec::with_capacity(total);
    for FileOutcome {
        name,
        stored,
        requested,
        facts,
    } in outcomes
    {
        let item = match stored {
            Ok(meta) => {
                let view = UploadView::new(bucket, &meta, links)
                    .requested(requested.as_ref())
                    .image(facts.as_ref(), variants, |form| {
                        with_form(&links.file(bucket, &meta.key), form)
                    });
                let mut item = shape.one(&view)?;
                if let Some(fields) = item.as_object_mut() {
                    fields.insert("name".into(), name.into());
                    fields.insert("stored".into(), true.into());
                    fields.insert("status".into(), StatusCode::CREATED.as_u16().into());
                }
                item
            }
            Err(err) => {
                failed += 1;
                serde_json::json!({
                    "name": name,
                    "stored": false,
                    "status": err.code().status().as_u16(),
                    "code": err.code().name(),
                    "msg": err.public_message(),
                })
            }
        };
        items.push(item);
    }
    let data = serde_json::json!({ "items": items });
    if failed == 0 {
        return Ok(envelope::created(data));
    }
    Ok(envelope::multi_status(
        Code::SomeFilesFailed,
        format!("{failed} of {total} files were not stored"),
        data,
    ))
}

#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    request_body(content_type = "application/octet-stream", description = "the object's bytes"),
    responses((status = 201, description = "the stored object with links", body = OkEnvelope<UploadView>)))]
#[allow(clippy::too_many_arguments)]
pub async fn put_object(
    req: HttpRequest,
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    body: web::Payload,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<UploadView>()?;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (meta, facts) = service.put(&caller, &bucket, &key, body, declared).await?;
    let view = UploadView::new(&bucket, &meta, &links).image(
        facts.as_ref(),
        service.variant_settings(),
        |form| with_form(&links.file(&bucket, &meta.key), form),
    );
    Ok(envelope::created(shape.one(&view)?))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "the bytes", content_type = "*/*", body = Vec<u8>),
              (status = 206, description = "a byte range", content_type = "*/*", body = Vec<u8>),
              (status = 304, description = "not modified")))]
pub async fn get_object(
    req: HttpRequest,
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let served = serve::read(&req, &service, ReadGrant::Caller(&caller), &bucket, &key).await?;
    Ok(serve::respond(&req, served, Caching::Private))
}

#[utoipa::path(delete, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "deleted", body = OkEnvelope<DeletedObjectView>)))]
pub async fn delete_object(
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service.delete(&caller, &bucket, &key).await?;
    Ok(envelope::ok(DeletedObjectView {
        key: key.to_string(),
        deleted: true,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteManyForm {
    /// 1 to 1000 keys; each gets its own outcome.
    #[schema(min_items = 1, max_items = 1000)]
    keys: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/delete", tag = "objects", request_body = DeleteManyForm,
    params(("bucket" = String, Path)),
    responses((status = 200, description = "what became of each key", body = OkEnvelope<ItemsView<DeletionView>>)))]
pub async fn delete_many(
    caller: Caller,
    BucketPath(bucket): BucketPath,
    form: Json<DeleteManyForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<DeletionView>()?;
    let results = service
        .delete_many(&caller, &bucket, form.into_inner().keys)
        .await?;
    let items: Vec<DeletionView> = results
        .into_iter()
        .map(|(key, result)| DeletionView::new(&key, result))
        .collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&items)?,
    }))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/info/{key}", tag = "objects",
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "the object's metadata and link; for an image, its size and blurhash as measured at upload", body = OkEnvelope<ObjectInfoView>)))]
pub async fn info(
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let (meta, facts) = service.describe(&caller, &bucket, &key).await?;
    let view = ObjectView::new(&bucket, &meta, &links).facts(facts.as_ref());
    Ok(envelope::ok(shape.one(&ObjectInfoView(view))?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignForm {
    /// Seconds the link stays valid (default 3600, at most 7 days).
    #[schema(minimum = 1, maximum = 604_800)]
    #[serde(default, deserialize_with = "super::parse::whole_number")]
    expires_in: Option<u64>,
    /// Variant parameters as a file link's query has them (`w=320&fmt=webp`, `v=thumb`): the
    /// link serves that variant, and its signature covers them (a gateway link on every
    /// backend).
    #[serde(default)]
    variant: Option<String>,
}

/// Default lifetime of a signed link.
pub const DEFAULT_SIGN_SECS: u64 = 3600;

#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/sign/{key}", tag = "objects", request_body = SignForm,
    params(("bucket" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "the signed link", body = OkEnvelope<SignedLinkView>)))]
pub async fn sign(
    caller: Caller,
    ObjectPath { bucket, key }: ObjectPath,
    form: Json<SignForm>,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let expires_in = Duration::from_secs(form.expires_in.unwrap_or(DEFAULT_SIGN_SECS));
    let view = match &form.variant {
        None => {
            let signed = service.sign(&caller, &bucket, &key, expires_in).await?;
            SignedLinkView::new(&links, &bucket, &key, &signed)?
        }
        Some(query) => {
            let (signed, variant) = service
                .sign_variant(&caller, &bucket, &key, query, expires_in)
                .await?;
            SignedLinkView::new(&links, &bucket, &key, &signed)?.for_variant(Some(&variant))
        }
    };
    Ok(envelope::ok(shape.one(&view)?))
}
