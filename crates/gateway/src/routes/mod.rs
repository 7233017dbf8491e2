//! Route modules, one per resource, each with `configure`; this module puts them together and
//! holds what every route shares: extractor error handling and the 404/405 answers.

/// A resource with its routes, `method => handler` (`get`, `post`, `put`, `patch`, `delete`,
/// `head`). A `get` route answers `HEAD` too, unless a `head` route is given (RFC 9110 §9.1:
/// the server sends the headers and drops the body). Other methods answer 405
/// `method_not_allowed` in the envelope with `Allow` listing the methods (§15.5.6).
macro_rules! endpoint {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {{
        let methods: &[&str] = &[$(stringify!($method)),+];
        let own_head = methods.contains(&"head");
        let allow = $crate::routes::allow_header(methods);
        let mut resource = actix_web::web::resource($path).default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest| $crate::routes::method_not_allowed(req, allow.clone()),
        ));
        $(
            resource = resource.route(actix_web::web::$method().to($handler));
            if stringify!($method) == "get" && !own_head {
                resource = resource.route(actix_web::web::head().to($handler));
            }
        )+
        resource
    }};
}

mod admin;
mod auth;
mod buckets;
pub mod compat;
mod console;
mod docs;
mod files;
mod health;
mod notify;
mod objects;
mod overview;
mod parse;
mod paths;
mod serve;
mod serve_variant;
mod tokens;
mod tools;
mod upload;

use crate::cors::CorsSettings;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::{ApiError, Code};

pub use docs::ApiDoc;
pub use health::{MetricsDoor, configure_metrics};
pub use parse::{bucket_name, object_key, page_of};
pub use paths::{BucketPath, ObjectPath};
pub use tools::DELETION_PATH;

/// Every route (`/metrics` only `with_metrics`: unless `metrics.listen` serves it); the API
/// scopes answer browsers on other origins as `cors` says, file links any origin (see
/// `cors.rs`); the web console at `/` and `/console/…`.
pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings, with_metrics: bool) {
    cfg.configure(|cfg| health::configure(cfg, with_metrics))
        .configure(docs::configure)
        .configure(files::configure)
        .configure(|cfg| compat::configure(cfg, cors))
        .configure(|cfg| tools::configure(cfg, cors))
        .service(
            web::scope("/api/v1")
                .wrap(cors.api())
                .wrap(actix_web::middleware::from_fn(
                    crate::cors::refusals_in_the_envelope,
                ))
                .configure(auth::configure)
                .configure(tokens::configure)
                .configure(admin::configure)
                .configure(buckets::configure)
                .configure(notify::configure)
                .configure(objects::configure)
                .configure(overview::configure),
        )
        .configure(console::configure)
        .default_service(web::to(route_not_found));
}

pub async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// The `Allow` value for a resource's routes: their methods upper-cased, `HEAD` with `GET`.
pub(crate) fn allow_header(methods: &[&str]) -> String {
    let mut allow: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
    if allow.iter().any(|m| m == "GET") && !allow.iter().any(|m| m == "HEAD") {
        allow.push("HEAD".into());
    }
    allow.join(", ")
}

/// 405 in the envelope, with `Allow` (RFC 9110 §15.5.6).
pub(crate) async fn method_not_allowed(req: HttpRequest, allow: String) -> HttpResponse {
    let mut res = ApiError::new(
        Code::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    res
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
