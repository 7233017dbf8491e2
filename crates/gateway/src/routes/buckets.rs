//! `/api/v1/buckets` and bucket policies.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use storage::Policy;
use utoipa::{IntoParams, ToSchema};

use super::{BucketPath, page_of};
use crate::body::Json;
use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::{BucketView, PageView, PolicyView, Shape};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/buckets", get => list_buckets))
        .service(endpoint!("/buckets/{bucket}/policy", get => get_policy, put => set_policy));
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    /// Items per page (the profile's default when absent; at most its maximum).
    #[param(minimum = 0)]
    page_size: Option<usize>,
    /// 1-based page number.
    #[param(minimum = 0)]
    page_num: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/buckets", tag = "buckets", params(PageQuery),
    responses((status = 200, description = "one page of the buckets and how many there are", body = OkEnvelope<PageView<BucketView>>)))]
pub async fn list_buckets(
    query: web::Query<PageQuery>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let buckets = service.buckets();
    let size = shape.page_size(query.page_size);
    let page = query.page_num.unwrap_or(1).max(1);
    let views: Vec<BucketView> = page_of(buckets.iter().map(BucketView::from), size, page);
    Ok(envelope::ok(PageView {
        items: shape.many(&views)?,
        total: buckets.len(),
    }))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/policy", tag = "buckets",
    params(("bucket" = String, Path)), responses((status = 200, description = "the bucket's policy", body = OkEnvelope<PolicyView>)))]
pub async fn get_policy(
    BucketPath(bucket): BucketPath,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let policy = service.policy(&bucket).await?;
    Ok(envelope::ok(shape.one(&PolicyView::new(&bucket, policy))?))
}

/// A bucket policy (the schema of `policy`; the form takes a string and refuses others with
/// `invalid_policy`).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum PolicyName {
    Private,
    PublicRead,
}

#[derive(Deserialize, ToSchema)]
pub struct PolicyForm {
    /// `private` or `public-read`.
    #[schema(value_type = PolicyName)]
    policy: String,
}

#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/policy", tag = "buckets", request_body = PolicyForm,
    params(("bucket" = String, Path)),
    responses((status = 200, description = "the bucket with its new policy", body = OkEnvelope<BucketView>)))]
pub async fn set_policy(
    caller: Caller,
    BucketPath(bucket): BucketPath,
    form: Json<PolicyForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<BucketView>()?;
    let policy: Policy = form.policy.parse()?;
    let info = service.set_policy(&caller, &bucket, policy).await?;
    Ok(envelope::ok(shape.one(&BucketView::from(&info))?))
}
