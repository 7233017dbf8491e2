//! `/imagepic/notification/{getBucketNotification,setBucketNotification}`, named after the MinIO
//! calls the seed wrapped. picgate sends no bucket notifications: the configuration reads back
//! empty (MinIO's shape), and setting one is refused with `not_implemented` rather than
//! accepted and silently ignored.

use actix_web::web;
use serde::Deserialize;

use super::{Seed, SeedAnswer, SeedFailure, SeedJson, SeedNotificationView, SeedResult};
use crate::routes::bucket_name;
use crate::service::{Caller, Service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(seed_endpoint!("/notification/getBucketNotification", post => get_notification));
    cfg.service(seed_endpoint!("/notification/setBucketNotification", post => set_notification));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketForm {
    #[serde(default)]
    bucket_name: String,
}

#[utoipa::path(post, path = "/imagepic/notification/getBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName}"),
    operation_id = "imagepic_get_bucket_notification",
    responses((status = 200, description = "code \"0\" with data: MinIO's empty notification configuration", body = SeedAnswer<SeedNotificationView>)))]
pub async fn get_notification(
    SeedJson(form): SeedJson<BucketForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    let bucket = bucket_name(form.bucket_name)?;
    service.bucket(&bucket)?;
    Ok(Seed(serde_json::json!({
        "QueueConfiguration": [],
        "TopicConfiguration": [],
        "CloudFunctionConfiguration": [],
    })))
}

#[utoipa::path(post, path = "/imagepic/notification/setBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, ...}"),
    operation_id = "imagepic_set_bucket_notification",
    responses((status = 200, description = "always code \"-1\": errCode not_implemented, or why the request was refused before that", body = SeedFailure)))]
pub async fn set_notification(
    caller: Caller,
    SeedJson(form): SeedJson<BucketForm>,
    service: web::Data<Service>,
) -> SeedResult<()> {
    let bucket = bucket_name(form.bucket_name)?;
    service.set_notification(&caller, &bucket).await?;
    Ok(Seed(()))
}
