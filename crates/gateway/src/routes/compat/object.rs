//! `/imagepic/object/*`: listObjects, getObject, statObject, presignedGetObject, putObject,
//! removeObject — the seed's MinIO-shaped answers over the native services.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, web};
use serde::Deserialize;
use storage::{Detail, ObjectMeta, PageNumber};

use super::{Seed, SeedAnswer, SeedJson, SeedListView, SeedResult, SeedShape, loose};
use crate::error::{ApiError, Code};
use crate::routes::upload::{MultipartFiles, OneFile};
use crate::routes::{bucket_name, object_key};
use crate::service::{Caller, Naming, Service};
use crate::views::compat::{MinioItem, MinioStat, bare_etag};
use crate::views::{EmptyView, Links, SignedLinkView};

/// The seed's default presign lifetime: 7 days.
const DEFAULT_EXPIRY_SECS: i64 = 7 * 24 * 60 * 60;
/// The seed's default page size.
const DEFAULT_PAGE_SIZE: i64 = 10;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(seed_endpoint!("/object/listObjects", post => list_objects));
    cfg.service(seed_endpoint!("/object/getObject", post => get_object));
    cfg.service(seed_endpoint!("/object/statObject", post => stat_object));
    cfg.service(seed_endpoint!("/object/presignedGetObject", post => presigned_get_object));
    cfg.service(seed_endpoint!("/object/putObject", post => put_object));
    cfg.service(seed_endpoint!("/object/removeObject", post => remove_object));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListForm {
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
    operation_id = "imagepic_list_objects",
    responses((status = 200, description = "code \"0\" with data: {total, lists}", body = SeedAnswer<SeedListView>)))]
pub async fn list_objects(
    caller: Caller,
    SeedJson(form): SeedJson<ListForm>,
    service: web::Data<Service>,
    shape: SeedShape,
) -> SeedResult<serde_json::Value> {
    let bucket = bucket_name(form.bucket_name)?;
    // As the seed: `pageSize || 10`, `pageNum || 1`, and -1 for everything.
    let page = match form.page_num {
        Some(-1) => PageNumber::All,
        num => PageNumber::Page {
            size: positive(or_default(form.page_size, DEFAULT_PAGE_SIZE), "pageSize")?,
            number: positive(or_default(num, 1), "pageNum")?,
        },
    };
    let listed = service
        .list_numbered(&caller, &bucket, &form.prefix, true, page, Detail::Listed)
        .await?;
    let lists = listed
        .entries
        .iter()
        .map(|entry| match MinioItem::from(entry) {
            MinioItem::Object(object) => shape.one(&object),
            folder => serde_json::to_value(folder).map_err(ApiError::internal),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Seed(
        serde_json::json!({ "total": listed.total, "lists": lists }),
    ))
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
pub struct ObjectForm {
    #[serde(default)]
    bucket_name: String,
    #[serde(default)]
    object_name: String,
    #[serde(default, deserialize_with = "loose::number")]
    expiry: Option<i64>,
}

async fn stat(
    caller: &Caller,
    form: ObjectForm,
    service: &Service,
) -> Result<ObjectMeta, ApiError> {
    let bucket = bucket_name(form.bucket_name)?;
    let key = object_key(form.object_name)?;
    service.stat(caller, &bucket, &key).await
}

/// The seed read the whole object to count its bytes; the size comes from stat here.
#[utoipa::path(post, path = "/imagepic/object/getObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName}"),
    operation_id = "imagepic_get_object",
    responses((status = 200, description = "code \"0\" with data: size in bytes", body = SeedAnswer<u64>)))]
pub async fn get_object(
    caller: Caller,
    SeedJson(form): SeedJson<ObjectForm>,
    service: web::Data<Service>,
) -> SeedResult<u64> {
    Ok(Seed(stat(&caller, form, &service).await?.size))
}

#[utoipa::path(post, path = "/imagepic/object/statObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName}"),
    operation_id = "imagepic_stat_object",
    responses((status = 200, description = "code \"0\" with data: {size, metaData, lastModified, versionId, etag}", body = SeedAnswer<MinioStat>)))]
pub async fn stat_object(
    caller: Caller,
    SeedJson(form): SeedJson<ObjectForm>,
    service: web::Data<Service>,
) -> SeedResult<MinioStat> {
    let meta = stat(&caller, form, &service).await?;
    Ok(Seed(MinioStat::from(&meta)))
}

#[utoipa::path(post, path = "/imagepic/object/presignedGetObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName, expiry}"),
    operation_id = "imagepic_presigned_get_object",
    responses((status = 200, description = "code \"0\" with data: a time-limited URL", body = SeedAnswer<String>)))]
pub async fn presigned_get_object(
    caller: Caller,
    SeedJson(form): SeedJson<ObjectForm>,
    service: web::Data<Service>,
    links: Links,
) -> SeedResult<String> {
    let bucket = bucket_name(form.bucket_name)?;
    let key = object_key(form.object_name)?;
    let expiry = form.expiry.unwrap_or(DEFAULT_EXPIRY_SECS);
    let expiry = u64::try_from(expiry)
        .map_err(|_| ApiError::new(Code::InvalidExpiry, "expiry must be positive"))?;
    let signed = service
        .sign(&caller, &bucket, &key, Duration::from_secs(expiry))
        .await?;
    Ok(Seed(
        SignedLinkView::new(&links, &bucket, &key, &signed)?.url,
    ))
}

/// Multipart `file`, with the token in `authorization` and the target in the `bucket` and
/// `folder` headers; answers the etag.
#[utoipa::path(post, path = "/imagepic/object/putObject", tag = "imagepic (seed-compatible)", request_body(content_type = "multipart/form-data", description = "multipart `file`; headers authorization, bucket, folder"),
    operation_id = "imagepic_put_object",
    responses((status = 200, description = "code \"0\" with data: etag", body = SeedAnswer<String>)))]
pub async fn put_object(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    service: web::Data<Service>,
) -> SeedResult<String> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let bucket = bucket_name(header("bucket").unwrap_or_default())?;
    let payload = Multipart::new(req.headers(), payload);
    let template = service.bucket(&bucket)?.key_template;
    let mut files = OneFile::new(MultipartFiles::new(payload, header("folder"), template));
    // As the seed: the same name replaces the caller's own object.
    let outcomes = service
        .upload(&caller, &bucket, &mut files, Naming::Replace)
        .await?;
    // The seed stored one file: its outcome is the answer.
    match outcomes.into_iter().next() {
        Some(first) => Ok(Seed(bare_etag(&first.stored?.etag))),
        None => Ok(Seed(String::new())),
    }
}

#[utoipa::path(post, path = "/imagepic/object/removeObject", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, objectName} + authorization header"),
    operation_id = "imagepic_remove_object",
    responses((status = 200, description = "code \"0\" with data: {}", body = SeedAnswer<EmptyView>)))]
pub async fn remove_object(
    caller: Caller,
    SeedJson(form): SeedJson<ObjectForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    let bucket = bucket_name(form.bucket_name)?;
    let key = object_key(form.object_name)?;
    service.delete(&caller, &bucket, &key).await?;
    Ok(Seed(serde_json::json!({})))
}
