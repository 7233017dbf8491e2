//! `/imagepic/notification/{getBucketNotification,setBucketNotification}`, named after the MinIO
//! calls the seed wrapped. The configuration goes in and out in the shape the `minio` npm
//! client uses: `setBucketNotification` takes `{bucketName, config}` with `config` a
//! JSON-serialised `NotificationConfig` (`QueueConfiguration` entries with `Queue`, `Event`,
//! `Filter.S3Key.FilterRule`), `getBucketNotification` answers what the client's
//! `getBucketNotification` resolves to. The same rules as
//! `/api/v1/buckets/{bucket}/notifications`; administrators only.

use actix_web::web;
use serde::Deserialize;

use super::{Seed, SeedAnswer, SeedJson, SeedNotificationView, SeedResult};
use crate::error::{ApiError, Code};
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigForm {
    #[serde(default)]
    bucket_name: String,
    /// A `minio` npm `NotificationConfig`, as `JSON.stringify` wrote it (`{}`: no rules).
    #[serde(default)]
    config: Option<serde_json::Value>,
}

#[utoipa::path(post, path = "/imagepic/notification/getBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName}"),
    operation_id = "imagepic_get_bucket_notification",
    responses((status = 200, description = "code \"0\" with data: the configuration as the minio client's getBucketNotification gives it; an administrator's token", body = SeedAnswer<SeedNotificationView>)))]
pub async fn get_notification(
    caller: Caller,
    SeedJson(form): SeedJson<BucketForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    let bucket = bucket_name(form.bucket_name)?;
    let rules = service.bucket_notifications(&caller, &bucket).await?;
    Ok(Seed(rules.to_minio()))
}

#[utoipa::path(post, path = "/imagepic/notification/setBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, config}: config a minio NotificationConfig (QueueConfiguration entries)"),
    operation_id = "imagepic_set_bucket_notification",
    responses((status = 200, description = "code \"0\" with data: the configuration as stored, in getBucketNotification's shape; code \"-1\" (errCode invalid_notification …) when refused", body = SeedAnswer<SeedNotificationView>)))]
pub async fn set_notification(
    caller: Caller,
    SeedJson(form): SeedJson<ConfigForm>,
    service: web::Data<Service>,
) -> SeedResult<serde_json::Value> {
    let bucket = bucket_name(form.bucket_name)?;
    // A missing (or misspelt) `config` is a mistake, not a request to remove every rule.
    let Some(config) = form.config.filter(|c| !c.is_null()) else {
        let missing = "config is missing: send a NotificationConfig ({} removes every rule)";
        return Err(ApiError::new(Code::InvalidNotification, missing).into());
    };
    let rules = notify::BucketRules::from_minio(&config)
        .map_err(|e| ApiError::from(notify::Error::from(e)))?;
    let stored = service
        .set_bucket_notifications(&caller, &bucket, rules)
        .await?;
    Ok(Seed(stored.to_minio()))
}
