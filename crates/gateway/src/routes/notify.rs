//! Bucket notifications: `/api/v1/buckets/{bucket}/notifications` (rules),
//! `/api/v1/notify/targets` and the dead letters (`/api/v1/notify/dead`, `…/replay`).
//! Administrators only (decided in the service).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::BucketPath;
use crate::body::Json;
use crate::envelope::{self, OkEnvelope};
use crate::error::{ApiError, Code};
use crate::service::{Caller, MAX_DEAD_PAGE, Service};
use crate::views::{
    DeadLetterView, DeadPageView, ItemsView, ReplayedView, RuleView, RulesView, Shape, TargetView,
};

/// Dead letters a page lists when `pageSize` is absent.
const DEFAULT_DEAD_PAGE: usize = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/buckets/{bucket}/notifications", get => get_rules, put => set_rules))
        .service(endpoint!("/notify/targets", get => list_targets))
        .service(endpoint!("/notify/dead", get => list_dead))
        .service(endpoint!("/notify/dead/replay", post => replay));
}

#[utoipa::path(get, path = "/api/v1/notify/targets", tag = "notifications",
    responses((status = 200, description = "every configured target with its ARN and queue depth", body = OkEnvelope<ItemsView<TargetView>>)))]
pub async fn list_targets(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<TargetView>()?;
    let targets = service.notification_targets(&caller).await?;
    let views: Vec<TargetView> = targets.into_iter().map(TargetView::from).collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&views)?,
    }))
}

#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/notifications", tag = "notifications",
    params(("bucket" = String, Path)),
    responses((status = 200, description = "the bucket's notification rules", body = OkEnvelope<RulesView>)))]
pub async fn get_rules(
    caller: Caller,
    BucketPath(bucket): BucketPath,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<RulesView>()?;
    let rules = service.bucket_notifications(&caller, &bucket).await?;
    Ok(envelope::ok(shape.one(&RulesView::from(rules))?))
}

/// A bucket's whole notification configuration; `{"rules": []}` sends no events.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesForm {
    #[schema(max_items = 100)]
    rules: Vec<RuleView>,
}

#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/notifications", tag = "notifications", request_body = RulesForm,
    params(("bucket" = String, Path)),
    responses((status = 200, description = "the rules as stored (ids given); this instance applies them at once, others within notify.rules_refresh_secs", body = OkEnvelope<RulesView>)))]
pub async fn set_rules(
    caller: Caller,
    BucketPath(bucket): BucketPath,
    form: Json<RulesForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<RulesView>()?;
    let rules = notify::BucketRules {
        rules: form
            .into_inner()
            .rules
            .into_iter()
            .map(Into::into)
            .collect(),
    };
    let stored = service
        .set_bucket_notifications(&caller, &bucket, rules)
        .await?;
    Ok(envelope::ok(shape.one(&RulesView::from(stored))?))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct DeadQuery {
    /// Only this target's dead letters.
    target: Option<String>,
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Items per page: 50 when absent; more than 500 is 500.
    #[param(minimum = 1)]
    page_size: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/notify/dead", tag = "notifications", params(DeadQuery),
    responses((status = 200, description = "dead letters, oldest first", body = OkEnvelope<DeadPageView<DeadLetterView>>)))]
pub async fn list_dead(
    caller: Caller,
    query: web::Query<DeadQuery>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<DeadLetterView>()?;
    let query = query.into_inner();
    let size = match query.page_size.unwrap_or(DEFAULT_DEAD_PAGE) {
        0 => {
            return Err(ApiError::new(
                Code::InvalidQuery,
                format!("pageSize must be 1 to {MAX_DEAD_PAGE}"),
            ));
        }
        size => size.min(MAX_DEAD_PAGE),
    };
    let page = service
        .dead_letters(
            &caller,
            query.target.as_deref(),
            query.cursor.as_deref(),
            size,
        )
        .await?;
    let views: Vec<DeadLetterView> = page.items.into_iter().map(DeadLetterView::from).collect();
    Ok(envelope::ok(DeadPageView {
        items: shape.many(&views)?,
        next_cursor: page.next_cursor,
    }))
}

/// Which dead letters to replay: `{}` for all.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayForm {
    /// These dead letters only (their `id`s).
    #[serde(default)]
    #[schema(max_items = 1000)]
    ids: Option<Vec<String>>,
    /// This target's only.
    #[serde(default)]
    target: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/notify/dead/replay", tag = "notifications", request_body = ReplayForm,
    responses((status = 200, description = "how many went back to their queues, and the ids that were not dead letters", body = OkEnvelope<ReplayedView>)))]
pub async fn replay(
    caller: Caller,
    form: Json<ReplayForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<ReplayedView>()?;
    let form = form.into_inner();
    let done = service
        .replay_dead_letters(&caller, form.ids, form.target.as_deref())
        .await?;
    Ok(envelope::ok(shape.one(&ReplayedView {
        replayed: done.replayed,
        missing: done.missing,
    })?))
}
