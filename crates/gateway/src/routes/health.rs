//! `/healthz` (alive), `/readyz` (storage and session store reachable), `/metrics`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::resource;
use crate::envelope::{self, Envelope};
use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::service::Service;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(healthz)))
        .service(resource("/readyz").route(web::get().to(readyz)))
        .service(resource("/metrics").route(web::get().to(metrics)));
}

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
pub async fn healthz() -> HttpResponse {
    envelope::ok(serde_json::json!({ "status": "alive" }))
}

#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "every dependency answers"), (status = 503, description = "data.failing names what does not")))]
pub async fn readyz(service: web::Data<Service>) -> HttpResponse {
    let (storage, auth) = (service.storage(), service.auth());
    let mut checks = serde_json::Map::new();
    let mut failing = Vec::new();
    for (name, result) in storage.check().await {
        let ok = result.is_ok();
        if let Err(e) = result {
            tracing::warn!(backend = %name, error = %e, "readiness check failed");
            failing.push(format!("storage:{name}"));
        }
        checks.insert(format!("storage:{name}"), ok.into());
    }
    let sessions_ok = match auth.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "session store is not reachable");
            failing.push("sessions".to_owned());
            false
        }
    };
    checks.insert("sessions".to_owned(), sessions_ok.into());
    if failing.is_empty() {
        return envelope::ok(serde_json::json!({ "status": "ready", "checks": checks }));
    }
    let code = if failing.iter().any(|f| f == "sessions") {
        Code::SessionStoreUnavailable
    } else {
        Code::StorageUnavailable
    };
    HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(Envelope::failure(
        code.name(),
        format!("not ready: {}", failing.join(", ")),
        Some(serde_json::json!({ "failing": failing, "checks": checks })),
        crate::request_id::current(),
    ))
}

#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
