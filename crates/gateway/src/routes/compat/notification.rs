//! `/imagepic/notification/{getBucketNotification,setBucketNotification}`, named after the MinIO
//! calls the seed wrapped. picgate sends no bucket notifications: the configuration reads back
//! empty (MinIO's shape), and setting one is refused with `not_implemented` rather than
//! accepted and silently ignored.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::Storage;

use super::{body, reply, required};
use crate::error::{ApiError, Code};
use crate::routes::bucket_name;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/notification/getBucketNotification",
        web::post().to(get_notification),
    )
    .route(
        "/notification/setBucketNotification",
        web::post().to(set_notification),
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketForm {
    #[serde(default)]
    bucket_name: String,
}

#[utoipa::path(post, path = "/imagepic/notification/getBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName}"),
    responses((status = 200, description = "code \"0\" with data: MinIO's empty notification configuration, or code \"-1\" with data.err and data.errCode")))]
pub async fn get_notification(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            let form: BucketForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            storage.bucket(&bucket)?;
            Ok::<_, ApiError>(serde_json::json!({
                "QueueConfiguration": [],
                "TopicConfiguration": [],
                "CloudFunctionConfiguration": [],
            }))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/imagepic/notification/setBucketNotification", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, ...}"),
    responses((status = 200, description = "code \"0\" with always code -1, errCode not_implemented, or code \"-1\" with data.err and data.errCode")))]
pub async fn set_notification(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            required(&req).await?;
            let form: BucketForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            storage.bucket(&bucket)?;
            Err::<(), _>(ApiError::new(
                Code::NotImplemented,
                "picgate does not send bucket notifications",
            ))
        }
        .await,
    )
}
