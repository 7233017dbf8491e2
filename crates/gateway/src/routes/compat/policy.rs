//! `/imagepic/policy/{getBucketPolicy,setBucketPolicy}`, named after the MinIO calls the seed
//! wrapped. Policies are picgate's: `public-read` or `private` (MinIO's canned `download` and
//! `readonly` mean public-read, `none` private).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storage::{Policy, Storage};

use super::{body, reply, required};
use crate::error::ApiError;
use crate::routes::access::ensure_admin;
use crate::routes::bucket_name;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/policy/getBucketPolicy", web::post().to(get_policy))
        .route("/policy/getBucketPolicy", web::get().to(get_policy_query))
        .route("/policy/setBucketPolicy", web::post().to(set_policy));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketForm {
    #[serde(default)]
    bucket_name: String,
}

#[utoipa::path(post, path = "/imagepic/policy/getBucketPolicy", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName}"),
    responses((status = 200, description = "code \"0\" with data: public-read or private, or code \"-1\" with data.err and data.errCode")))]
pub async fn get_policy(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            let form: BucketForm = body(&req, payload).await?;
            policy_of(&storage, form.bucket_name).await
        }
        .await,
    )
}

async fn get_policy_query(
    query: web::Query<BucketForm>,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(policy_of(&storage, query.into_inner().bucket_name).await)
}

async fn policy_of(storage: &Storage, bucket: String) -> Result<String, ApiError> {
    let bucket = bucket_name(bucket)?;
    Ok(storage.policy(&bucket).await?.to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetForm {
    #[serde(default)]
    bucket_name: String,
    #[serde(default)]
    policy: String,
}

#[utoipa::path(post, path = "/imagepic/policy/setBucketPolicy", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, policy} + admin authorization"),
    responses((status = 200, description = "code \"0\" with data: the new policy, or code \"-1\" with data.err and data.errCode")))]
pub async fn set_policy(
    req: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Storage>,
) -> HttpResponse {
    reply(
        async {
            let principal = required(&req).await?;
            ensure_admin(&principal)?;
            let form: SetForm = body(&req, payload).await?;
            let bucket = bucket_name(form.bucket_name)?;
            let policy = match form.policy.as_str() {
                "download" | "readonly" => Policy::PublicRead,
                "none" => Policy::Private,
                other => other.parse()?,
            };
            let info = storage.set_policy(&bucket, policy).await?;
            Ok::<_, ApiError>(info.policy.to_string())
        }
        .await,
    )
}
