//! `GET /api/v1/overview`: a dashboard's first screen in one answer.

use actix_web::{HttpResponse, web};

use crate::envelope::{self, OkEnvelope};
use crate::error::ApiError;
use crate::service::{Caller, Service};
use crate::views::{Links, OverviewView, Shape};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/overview", get => overview));
}

#[utoipa::path(get, path = "/api/v1/overview", tag = "overview",
    responses((status = 200, description = "the sections; complete = false and data.errors name those that failed", body = OkEnvelope<OverviewView>)))]
pub async fn overview(
    caller: Caller,
    service: web::Data<Service>,
    links: Links,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<OverviewView>()?;
    let overview = service.overview(&caller, shape.overview_recent()).await?;
    let view = OverviewView::new(&overview, &links, &shape)?;
    let mut data = shape.one(&view)?;
    // Whether every section was served is never left out, whatever `fields=` names.
    if let Some(fields) = data.as_object_mut() {
        fields.insert("complete".into(), view.complete.into());
        let errors = serde_json::to_value(&view.errors).map_err(ApiError::internal)?;
        fields.insert("errors".into(), errors);
    }
    Ok(envelope::ok(data))
}
