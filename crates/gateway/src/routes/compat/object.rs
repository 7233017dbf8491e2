//! `/imagepic/object/*`: listObjects, getObject, statObject, presignedGetObject, putObject,
//! removeObject — the seed's MinIO-shaped answers over the native services.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::time::Duration;

use storage::{ObjectMeta, PageNumber, Storage};

use super::{body, loose, reply, required};
use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::routes::access::ensure_read;
use crate::routes::{bucket_name, object_key, upload};
use crate::views::compat::{MinioItem, MinioStat, bare_etag};
use crate::views::{Links, SignedLinkView};

/// The seed's default presign lifetime: 7 days.
const DEFAULT_EXPIRY_SECS: i64 = 7 * 24 * 60 * 60;
/// The seed's default page size.
const DEFAULT_PAGE_SIZE: i64 = 10;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/object/listObjects", web::post().to(list_objects))
        .route("/object/getObject", web::post().to(get_object))
        .route("/object/statObject", web::post().to(stat_object))
        .route(
            "/object/presignedGetObject",
            web::post().to(presigned_get_object),
        )
        .route("/object/putObject", web::post().to(put_object))
        .route("/object/removeObject", web::post().to(remove_object));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListForm {
    #[serde(default)]
    bucket_name: String,
    #[serde(default)]
    prefix: String,
    #[serde(default, deserialize_with = "loose::number")]
    page_size: Option<i64>,
    #[serde(default, deserialize_with = "loose::number")]
    page_num: Option<i64>,
}

#[utoipa::path(post, path = "/imagepic/object/listObjects", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, prefix, pageSize, pageNum} (pageNum -1 = all)"),
    responses((status = 200, description = "code \"0\" with data: {total, lists}, or code \"-1\" with data.err and data.errCode")))]
pub async fn list_objects(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            let form: ListForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            ensure_read(&req, &storage, &bucket).await?;
            // As the seed: `pageSize || 10`, `pageNum || 1`, and -1 for everything.
            let page = match form.page_num {
                Some(-1) => PageNumber::All,
                num => PageNumber::Page {
                    size: positive(or_default(form.page_size, DEFAULT_PAGE_SIZE), "pageSize")?,
                    number: positive(or_default(num, 1), "pageNum")?,
                },
            };
            let listed = storage
                .list_numbered(&bucket, &form.prefix, true, page)
                .await?;
            let lists: Vec<MinioItem> = listed.entries.iter().map(MinioItem::from).collect();
            Ok::<_, ApiError>(serde_json::json!({ "total": listed.total, "lists": lists }))
        }
        .await,
    )
}

/// JavaScript's `n || default`: absent and 0 take the default.
fn or_default(n: Option<i64>, default: i64) -> i64 {
    n.filter(|n| *n != 0).unwrap_or(default)
}

fn positive(n: i64, name: &str) -> Result<usize, ApiError> {
    usize::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::new(
            Code::InvalidQuery,
            format!("{name} must be a positive number"),
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectForm {
    #[serde(default)]
    bucket_name: String,
    #[serde(default)]
    object_name: String,
    #[serde(default, deserialize_with = "loose::number")]
    expiry: Option<i64>,
}

async fn stat(
    req: &HttpRequest,
    payload: web::Payload,
    storage: &Storage,
) -> Result<ObjectMeta, ApiError> {
    let form: ObjectForm = body(req, payload).await?;
    let bucket = bucket_name(form.bucket_name)?;
    let key = object_key(form.object_name)?;
    ensure_read(req, storage, &bucket).await?;
    Ok(storage.stat(&bucket, &key).await?)
}

/// The seed read the whole object to count its bytes; the size comes from stat here.
#[utoipa::path(post, path = "/imagepic/object/getObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName}"),
    responses((status = 200, description = "code \"0\" with data: size in bytes, or code \"-1\" with data.err and data.errCode")))]
pub async fn get_object(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(stat(&req, payload, &storage).await.map(|meta| meta.size))
}

#[utoipa::path(post, path = "/imagepic/object/statObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName}"),
    responses((status = 200, description = "code \"0\" with data: {size, metaData, lastModified, versionId, etag}, or code \"-1\" with data.err and data.errCode")))]
pub async fn stat_object(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        stat(&req, payload, &storage)
            .await
            .map(|meta| MinioStat::from(&meta)),
    )
}

#[utoipa::path(post, path = "/imagepic/object/presignedGetObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName, expiry}"),
    responses((status = 200, description = "code \"0\" with data: a time-limited URL, or code \"-1\" with data.err and data.errCode")))]
pub async fn presigned_get_object(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
    links: Links,
) -> HttpResponse {
    reply(
        async {
            let form: ObjectForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            let key = object_key(form.object_name)?;
            ensure_read(&req, &storage, &bucket).await?;
            let expiry = form.expiry.unwrap_or(DEFAULT_EXPIRY_SECS);
            let expiry = u64::try_from(expiry)
                .map_err(|_| ApiError::new(Code::InvalidExpiry, "expiry must be positive"))?;
            let signed = storage
                .signed_link(&bucket, &key, Duration::from_secs(expiry))
                .await?;
            Ok::<_, ApiError>(SignedLinkView::new(&links, &bucket, &key, &signed)?.url)
        }
        .await,
    )
}

/// Multipart `file`, with the token in `authorization` and the target in the `bucket` and
/// `folder` headers; answers the etag.
#[utoipa::path(post, path = "/imagepic/object/putObject", tag = "imagepic (seed-compatible)", request_body(content_type = "multipart/form-data", description = "multipart `file`; headers authorization, bucket, folder"),
    responses((status = 200, description = "code \"0\" with data: etag, or code \"-1\" with data.err and data.errCode")))]
pub async fn put_object(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
    metrics: web::Data<Metrics>,
) -> HttpResponse {
    reply(
        async {
            required(&req).await?;
            let header = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let bucket = bucket_name(header("bucket").unwrap_or_default())?;
            storage.bucket(&bucket)?;
            let payload = Multipart::new(req.headers(), payload);
            let stored =
                upload::multipart(&storage, &metrics, &bucket, header("folder"), payload).await?;
            Ok::<_, ApiError>(stored.first().map(bare_etag).unwrap_or_default())
        }
        .await,
    )
}

#[utoipa::path(post, path = "/imagepic/object/removeObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName} + authorization header"),
    responses((status = 200, description = "code \"0\" with data: {}, or code \"-1\" with data.err and data.errCode")))]
pub async fn remove_object(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            required(&req).await?;
            let form: ObjectForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            let key = object_key(form.object_name)?;
            storage.delete(&bucket, &key).await?;
            Ok::<_, ApiError>(serde_json::json!({}))
        }
        .await,
    )
}
