//! `/healthz` (alive), `/readyz` (storage and session store reachable), `/metrics`.

use actix_web::{HttpResponse, web};

use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::service::Service;
use crate::views::{AliveView, ReadyView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/healthz", get => healthz))
        .service(endpoint!("/readyz", get => readyz))
        .service(endpoint!("/metrics", get => metrics));
}

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive", body = OkEnvelope<AliveView>)))]
pub async fn healthz() -> HttpResponse {
    envelope::ok(AliveView { status: "alive" })
}

#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "every dependency answers", body = OkEnvelope<ReadyView>)))]
pub async fn readyz(service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    let checks = service.readiness().await?;
    Ok(envelope::ok(ReadyView {
        status: "ready",
        checks,
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
