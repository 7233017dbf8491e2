//! `/imagepic/policy/{getBucketPolicy,setBucketPolicy}`, named after the MinIO calls the seed
//! wrapped. Policies are picgate's: `public-read` or `private` (MinIO's canned `download` and
//! `readonly` mean public-read, `none` private).

use actix_web::web;
use serde::Deserialize;
use storage::Policy;

use super::{Seed, SeedAnswer, SeedJson, SeedResult};
use crate::routes::bucket_name;
use crate::routes::buckets::PolicyName;
use crate::service::{Caller, Service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        seed_endpoint!("/policy/getBucketPolicy", post => get_policy, get => get_policy_query),
    );
    cfg.service(seed_endpoint!("/policy/setBucketPolicy", post => set_policy));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketForm {
    #[serde(default)]
    bucket_name: String,
}

#[utoipa::path(post, path = "/imagepic/policy/getBucketPolicy", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName}"),
    operation_id = "imagepic_get_bucket_policy",
    responses((status = 200, description = "code \"0\" with data: public-read or private", body = SeedAnswer<PolicyName>)))]
pub async fn get_policy(
    SeedJson(form): SeedJson<BucketForm>,
    service: web::Data<Service>,
) -> SeedResult<String> {
    policy_of(&service, form.bucket_name).await
}

/// `getBucketPolicy` with the bucket in the query, as the seed also took it.
#[utoipa::path(get, path = "/imagepic/policy/getBucketPolicy", tag = "imagepic (seed-compatible)",
    operation_id = "imagepic_get_bucket_policy_by_query",
    params(("bucketName" = Option<String>, Query, description = "the bucket")),
    responses((status = 200, description = "code \"0\" with data: public-read or private", body = SeedAnswer<PolicyName>)))]
pub async fn get_policy_query(
    query: web::Query<BucketForm>,
    service: web::Data<Service>,
) -> SeedResult<String> {
    policy_of(&service, query.into_inner().bucket_name).await
}

async fn policy_of(service: &Service, bucket: String) -> SeedResult<String> {
    let bucket = bucket_name(bucket)?;
    Ok(Seed(service.policy(&bucket).await?.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetForm {
    #[serde(default)]
    bucket_name: String,
    #[serde(default)]
    policy: String,
}

#[utoipa::path(post, path = "/imagepic/policy/setBucketPolicy", tag = "imagepic (seed-compatible)", request_body(content_type = "application/json", description = "{bucketName, policy} + admin authorization"),
    operation_id = "imagepic_set_bucket_policy",
    responses((status = 200, description = "code \"0\" with data: the new policy", body = SeedAnswer<PolicyName>)))]
pub async fn set_policy(
    caller: Caller,
    SeedJson(form): SeedJson<SetForm>,
    service: web::Data<Service>,
) -> SeedResult<String> {
    let bucket = bucket_name(form.bucket_name)?;
    let policy = match form.policy.as_str() {
        "download" | "readonly" => Policy::PublicRead,
        "none" => Policy::Private,
        other => other.parse().map_err(crate::error::ApiError::from)?,
    };
    let info = service.set_policy(&caller, &bucket, policy).await?;
    Ok(Seed(info.policy.to_string()))
}
