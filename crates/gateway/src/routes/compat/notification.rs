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

async fn get_notification(raw: web::Bytes, storage: web::Data<Storage>) -> HttpResponse {
    reply(
        async {
            let form: BucketForm = body(&raw)?;
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

async fn set_notification(
    req: HttpRequest,
    raw: web::Bytes,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            required(&req).await?;
            let form: BucketForm = body(&raw)?;
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
