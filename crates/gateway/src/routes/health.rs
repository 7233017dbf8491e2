//! `/healthz` (alive), `/readyz` (storage and session store reachable), `/metrics`.

use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;

use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::service::Service;
use crate::service::access::MetricsReader;
use crate::views::{AliveView, ReadyView};

/// Headers a forwarding proxy adds (RFC 7239 and the de facto ones).
const FORWARDING_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// Where this app serves `/metrics` and the token it takes (`[metrics]`).
#[derive(Debug, Clone)]
pub struct MetricsDoor {
    pub token: Option<SecretString>,
    /// Served on `metrics.listen`, not on the main port.
    pub dedicated: bool,
}

/// The main app's health routes; `/metrics` too unless `metrics.listen` serves it.
pub fn configure(cfg: &mut web::ServiceConfig, with_metrics: bool) {
    cfg.service(endpoint!("/healthz", get => healthz))
        .service(endpoint!("/readyz", get => readyz));
    if with_metrics {
        configure_metrics(cfg);
    }
}

/// `/metrics` alone: the app on `metrics.listen`.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/metrics", get => metrics));
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
pub async fn metrics(
    req: HttpRequest,
    service: web::Data<Service>,
    door: web::Data<MetricsDoor>,
) -> Result<HttpResponse, ApiError> {
    let credential = crate::service::credential(&req);
    let reader = MetricsReader {
        peer: req.peer_addr().map(|a| a.ip().to_canonical()),
        forwarded: FORWARDING_HEADERS
            .iter()
            .any(|h| req.headers().contains_key(*h)),
        bearer: credential.as_deref(),
        token: door.token.as_ref(),
        dedicated: door.dedicated,
    };
    let text = service.scrape(&reader).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
