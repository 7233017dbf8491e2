//! `/imagepic/object/*`: listObjects, getObject, statObject, presignedGetObject, putObject,
//! removeObject — the seed's MinIO-shaped answers over the native services.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Entry, ObjectMeta, PageNumber, Storage};
use time::format_description::well_known::Rfc3339;

use super::{body, caller, loose, reply, required};
use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::routes::access::ensure_read;
use crate::routes::objects::signed_url;
use crate::routes::{bucket_name, object_key, upload};
use crate::views::Links;

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

async fn list_objects(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            let form: ListForm = body(&raw)?;
            let bucket = bucket_name(form.bucket_name)?;
            ensure_read(&storage, &bucket, caller(&req).await?.as_ref()).await?;
            let page = match form.page_num {
                Some(-1) => PageNumber::All,
                num => PageNumber::Page {
                    size: positive(form.page_size.unwrap_or(DEFAULT_PAGE_SIZE), "pageSize")?,
                    number: positive(num.unwrap_or(1), "pageNum")?,
                },
            };
            let listed = storage
                .list_numbered(&bucket, &form.prefix, true, page)
                .await?;
            let lists: Vec<serde_json::Value> = listed.entries.iter().map(minio_item).collect();
            Ok::<_, ApiError>(serde_json::json!({ "total": listed.total, "lists": lists }))
        }
        .await,
    )
}

fn positive(n: i64, name: &str) -> Result<usize, ApiError> {
    usize::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::new(
            Code::InvalidQuery,
            format!("{name} must be a positive number"),
        )
    })
}

/// An entry as the MinIO client's listObjects gave it.
fn minio_item(entry: &Entry) -> serde_json::Value {
    match entry {
        Entry::Object(meta) => serde_json::json!({
            "name": meta.key.to_string(),
            "size": meta.size,
            "etag": bare_etag(meta),
            "lastModified": rfc3339(meta),
        }),
        Entry::Folder(prefix) => serde_json::json!({ "prefix": prefix, "size": 0 }),
    }
}

fn bare_etag(meta: &ObjectMeta) -> String {
    meta.etag
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned()
}

fn rfc3339(meta: &ObjectMeta) -> String {
    meta.last_modified.format(&Rfc3339).unwrap_or_default()
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
    raw: &web::Bytes,
    storage: &Storage,
) -> Result<ObjectMeta, ApiError> {
    let form: ObjectForm = body(raw)?;
    let bucket = bucket_name(form.bucket_name)?;
    let key = object_key(form.object_name)?;
    ensure_read(storage, &bucket, caller(req).await?.as_ref()).await?;
    Ok(storage.stat(&bucket, &key).await?)
}

/// The seed read the whole object to count its bytes; the size comes from stat here.
async fn get_object(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(stat(&req, &raw, &storage).await.map(|meta| meta.size))
}

async fn stat_object(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(stat(&req, &raw, &storage).await.map(|meta| {
        serde_json::json!({
            "size": meta.size,
            "metaData": { "content-type": meta.content_type },
            "lastModified": rfc3339(&meta),
            "versionId": null,
            "etag": bare_etag(&meta),
        })
    }))
}

async fn presigned_get_object(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
    links: Links,
) -> HttpResponse {
    reply(
        async {
            let form: ObjectForm = body(&raw)?;
            let bucket = bucket_name(form.bucket_name)?;
            let key = object_key(form.object_name)?;
            ensure_read(&storage, &bucket, caller(&req).await?.as_ref()).await?;
            let expiry = form.expiry.unwrap_or(DEFAULT_EXPIRY_SECS);
            let expiry = u64::try_from(expiry)
                .map_err(|_| ApiError::new(Code::InvalidExpiry, "expiry must be positive"))?;
            let (url, _) = signed_url(&storage, &links, &bucket, &key, expiry).await?;
            Ok::<_, ApiError>(url)
        }
        .await,
    )
}

/// Multipart `file`, with the token in `authorization` and the target in the `bucket` and
/// `folder` headers; answers the etag.
async fn put_object(
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

async fn remove_object(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            required(&req).await?;
            let form: ObjectForm = body(&raw)?;
            let bucket = bucket_name(form.bucket_name)?;
            let key = object_key(form.object_name)?;
            storage.delete(&bucket, &key).await?;
            Ok::<_, ApiError>(serde_json::json!({}))
        }
        .await,
    )
}
