//! Route modules, one per resource, each with `configure`; this module puts them together and
//! holds what every route shares: extractor error handling and the 404/405 answers.

mod admin;
mod auth;
mod buckets;
pub mod compat;
mod docs;
mod files;
mod health;
mod objects;
mod parse;
mod paths;
mod serve;
mod tokens;
mod upload;

use crate::cors::CorsSettings;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::error::{ApiError, Code};

pub use docs::ApiDoc;
pub use parse::{bucket_name, object_key, page_of};
pub use paths::{BucketPath, ObjectPath};

/// Every route; the API scopes answer browsers on other origins as `cors` says, file links
/// any origin (see `cors.rs`).
pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    cfg.configure(health::configure)
        .configure(docs::configure)
        .configure(files::configure)
        .configure(|cfg| compat::configure(cfg, cors))
        .service(
            web::scope("/api/v1")
                .wrap(cors.api())
                .configure(auth::configure)
                .configure(tokens::configure)
                .configure(admin::configure)
                .configure(buckets::configure)
                .configure(objects::configure),
        )
        .default_service(web::to(route_not_found));
}

/// A resource whose unsupported methods answer 405 in the envelope.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Code::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    ))
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::new(Code::InvalidQuery, format!("bad query string: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        ApiError::new(Code::BadRequest, format!("bad path: {err}")).into()
    })
}
