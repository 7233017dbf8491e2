//! The OpenAPI document, generated from the handlers, and a readable page of it at `/docs`.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::envelope::ErrorEnvelope;
use crate::error::Code;
use crate::service::Service;

mod errors;
mod schemas;

use errors::ErrorResponses;
use schemas::{ClientProfile, KeyRules, ShapedFields};

#[derive(OpenApi)]
#[openapi(
    info(title = "picgate", description = "Self-hosted image and asset host: a backend-for-frontend gateway in front of object storage."),
    paths(
        super::auth::registration, super::auth::register, super::auth::login, super::auth::refresh, super::auth::logout,
        super::auth::change_password, super::auth::list_sessions, super::auth::revoke_session, super::auth::me,
        super::tokens::create_token, super::tokens::list_tokens, super::tokens::revoke_token,
        super::admin::list_users, super::admin::update_user, super::admin::delete_user,
        super::admin::create_invitation, super::admin::list_invitations, super::admin::revoke_invitation,
        super::admin::rebuild_usage,
        super::buckets::list_buckets, super::buckets::get_policy, super::buckets::set_policy,
        super::objects::list, super::objects::upload_multipart, super::objects::put_object,
        super::objects::get_object, super::objects::delete_object, super::objects::delete_many,
        super::objects::info, super::objects::sign,
        super::overview::overview,
        super::notify::list_targets, super::notify::get_rules, super::notify::set_rules,
        super::notify::list_dead, super::notify::replay,
        super::files::file,
        super::health::healthz, super::health::readyz, super::health::metrics,
        super::compat::auth::register, super::compat::auth::login, super::compat::auth::change,
        super::compat::bucket::list_buckets,
        super::compat::object::list_objects, super::compat::object::get_object,
        super::compat::object::stat_object, super::compat::object::presigned_get_object,
        super::compat::object::put_object, super::compat::object::remove_object,
        super::compat::policy::get_policy, super::compat::policy::get_policy_query, super::compat::policy::set_policy,
        super::compat::notification::get_notification, super::compat::notification::set_notification,
    ),
    components(schemas(ErrorEnvelope, super::objects::Delimiter)),
    modifiers(&ErrorResponses, &ShapedFields, &KeyRules, &ClientProfile),
    tags((name = "auth"), (name = "admin"), (name = "buckets"), (name = "objects"), (name = "overview"), (name = "notifications"), (name = "files"), (name = "ops"),
         (name = "imagepic (seed-compatible)", description = "the Node service's API, kept working"))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/api/v1/openapi.json", get => openapi))
        .service(endpoint!("/docs", get => docs));
}

/// The document, with the names of this server's buckets as the only values of `bucket`.
async fn openapi(service: web::Data<Service>) -> HttpResponse {
    let mut spec = ApiDoc::openapi();
    let names: Vec<String> = service
        .buckets()
        .iter()
        .map(|b| b.name.to_string())
        .collect();
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for param in op.parameters.iter_mut().flatten() {
                if param.name == "bucket" {
                    param.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(names.clone()))
                            .into(),
                    );
                }
            }
        }
    }
    HttpResponse::Ok().json(spec)
}

/// A self-contained HTML page listing every route and error code (no scripts, works offline).
async fn docs() -> HttpResponse {
    let spec = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &spec.paths.paths {
        for (method, op) in operations(item) {
            let summary = op
                .summary
                .clone()
                .or_else(|| op.description.clone())
                .unwrap_or_default();
            rows.push_str(&format!(
                "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                escape(path),
                escape(&summary)
            ));
        }
    }
    let mut codes = String::new();
    for code in Code::ALL {
        codes.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            code.name(),
            code.status().as_u16(),
            escape(code.description())
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>picgate API</title>\
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
td{{padding:.2rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}}</style></head><body>\
<h1>picgate API</h1><p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>. \
Every JSON answer is <code>{{success, code, msg, data}}</code>; errors add <code>requestId</code>.</p>\
<h2>Routes</h2><table>{rows}</table><h2>Error codes</h2><table>{codes}</table></body></html>"
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html)
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("HEAD", &item.head),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Each operation of a path item with its method, lower-case.
fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<(&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
        ("head", &mut item.head),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
    .collect()
}
