//! The OpenAPI document, generated from the handlers, and a readable page of it at `/docs`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AllOf, AnyOf, ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::envelope::ErrorEnvelope;
use crate::error::Code;
use crate::service::Service;
use crate::views::{self, View};

#[derive(OpenApi)]
#[openapi(
    info(title = "picgate", description = "Self-hosted image and asset host: a backend-for-frontend gateway in front of object storage."),
    paths(
        super::auth::register, super::auth::login, super::auth::refresh, super::auth::logout,
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
    modifiers(&ErrorResponses, &ShapedFields, &KeyRules),
    tags((name = "auth"), (name = "admin"), (name = "buckets"), (name = "objects"), (name = "overview"), (name = "files"), (name = "ops"),
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

/// What can fail where, by the extractor or rule that fails: each operation's error answers are
/// the union of the groups its handler goes through (see [`errors_of`]).
mod fails {
    use crate::error::Code::{self, *};

    /// Anything, anywhere.
    pub const ALWAYS: &[Code] = &[InternalError];
    /// A native JSON body (`crate::body::Json`).
    pub const JSON: &[Code] = &[
        MalformedJson,
        RequestTimeout,
        PayloadTooLarge,
        UnsupportedEncoding,
    ];
    /// A query string (`web::Query`).
    pub const QUERY: &[Code] = &[InvalidQuery];
    /// `?fields=` on a shaped answer.
    pub const FIELDS: &[Code] = &[UnknownField];
    /// `{bucket}` in the path.
    pub const BUCKET: &[Code] = &[BadRequest, InvalidBucketName, BucketNotFound];
    /// `{bucket}` and `{key}` in the path.
    pub const OBJECT: &[Code] = &[
        BadRequest,
        InvalidBucketName,
        InvalidObjectKey,
        BucketNotFound,
        ObjectNotFound,
    ];
    /// An operation that needs a signed-in caller (or checks one's credential).
    pub const SIGNED_IN: &[Code] = &[
        MissingToken,
        InvalidToken,
        TokenExpired,
        SessionRevoked,
        AccountDisabled,
        SessionStoreUnavailable,
    ];
    /// Needs a login session, not an API token.
    pub const SESSION: &[Code] = &[SessionRequired];
    /// Needs an API token scope (or a login session).
    pub const SCOPED: &[Code] = &[InsufficientScope];
    /// Administrators only.
    pub const ADMIN: &[Code] = &[AdminRequired, InsufficientScope];
    /// Reads or writes the object storage.
    pub const STORAGE: &[Code] = &[StorageUnavailable];
    /// Reads or writes the accounts (the system area).
    pub const ACCOUNTS: &[Code] = &[StorageUnavailable, SessionStoreUnavailable];
    /// Checks a password or counts attempts.
    pub const THROTTLED: &[Code] = &[InvalidCredentials, TooManyAttempts];
    /// Writes an object.
    pub const WRITE: &[Code] = &[
        NotOwner,
        ObjectExists,
        ObjectChanged,
        PayloadTooLarge,
        UnsupportedMediaType,
        UploadInterrupted,
        RequestTimeout,
    ];
}

/// The error groups of each operation, by method and path; `None` for the seed's routes, which
/// answer every failure with HTTP 200 in their own envelope.
fn errors_of(method: &str, path: &str) -> Option<Vec<&'static [Code]>> {
    use Code::*;
    use fails::*;
    let groups: Vec<&'static [Code]> = match (method, path) {
        (_, p) if p.starts_with("/imagepic/") => return None,
        ("post", "/api/v1/auth/register") => vec![
            JSON,
            FIELDS,
            ACCOUNTS,
            &[
                ValidationFailed,
                AccountExists,
                RegistrationClosed,
                InvitationRequired,
                InvalidInvitation,
                TooManyAttempts,
            ],
        ],
        ("post", "/api/v1/auth/login") => {
            vec![JSON, FIELDS, ACCOUNTS, THROTTLED, &[AccountDisabled]]
        }
        ("post", "/api/v1/auth/refresh") => vec![
            JSON,
            ACCOUNTS,
            &[InvalidToken, TokenExpired, SessionRevoked, AccountDisabled],
        ],
        ("post", "/api/v1/auth/logout") => vec![SIGNED_IN, SESSION],
        ("put", "/api/v1/auth/password") => {
            vec![
                JSON,
                SIGNED_IN,
                SESSION,
                ACCOUNTS,
                THROTTLED,
                &[ValidationFailed],
            ]
        }
        ("get", "/api/v1/auth/sessions") => vec![SIGNED_IN, SESSION, FIELDS],
        ("delete", "/api/v1/auth/sessions/{id}") => {
            vec![SIGNED_IN, SESSION, &[BadRequest, SessionNotFound]]
        }
        ("get", "/api/v1/me") => vec![SIGNED_IN, ACCOUNTS, FIELDS, &[UserNotFound]],
        ("post", "/api/v1/auth/tokens") => vec![
            JSON,
            SIGNED_IN,
            SESSION,
            FIELDS,
            &[AdminRequired, ValidationFailed],
        ],
        ("get", "/api/v1/auth/tokens") => vec![SIGNED_IN, SESSION, FIELDS],
        ("delete", "/api/v1/auth/tokens/{id}") => {
            vec![SIGNED_IN, SESSION, &[BadRequest, TokenNotFound]]
        }
        ("get", "/api/v1/admin/users") => vec![SIGNED_IN, ADMIN, ACCOUNTS, FIELDS],
        ("patch", "/api/v1/admin/users/{id}") => vec![
            JSON,
            SIGNED_IN,
            ADMIN,
            ACCOUNTS,
            FIELDS,
            &[BadRequest, UserNotFound, ValidationFailed, Forbidden],
        ],
        ("delete", "/api/v1/admin/users/{id}") => vec![
            SIGNED_IN,
            ADMIN,
            ACCOUNTS,
            &[BadRequest, UserNotFound, Forbidden],
        ],
        ("post", "/api/v1/admin/invitations") => {
            vec![
                JSON,
                SIGNED_IN,
                ADMIN,
                ACCOUNTS,
                FIELDS,
                &[ValidationFailed],
            ]
        }
        ("get", "/api/v1/admin/invitations") => vec![SIGNED_IN, ADMIN, ACCOUNTS, FIELDS],
        ("delete", "/api/v1/admin/invitations/{code}") => vec![
            SIGNED_IN,
            ADMIN,
            ACCOUNTS,
            &[BadRequest, InvitationNotFound],
        ],
        ("post", "/api/v1/admin/usage/rebuild") => vec![SIGNED_IN, ADMIN, STORAGE],
        ("get", "/api/v1/overview") => vec![SIGNED_IN, SESSION, FIELDS],
        ("get", "/api/v1/buckets") => vec![QUERY, FIELDS],
        ("get", "/api/v1/buckets/{bucket}/policy") => vec![BUCKET, STORAGE, FIELDS],
        ("put", "/api/v1/buckets/{bucket}/policy") => vec![
            JSON,
            BUCKET,
            SIGNED_IN,
            ADMIN,
            STORAGE,
            FIELDS,
            &[InvalidPolicy],
        ],
        ("get", "/api/v1/buckets/{bucket}/objects") => vec![
            QUERY,
            BUCKET,
            SIGNED_IN,
            SCOPED,
            STORAGE,
            FIELDS,
            &[InvalidCursor, InvalidObjectKey],
        ],
        ("post", "/api/v1/buckets/{bucket}/objects") => vec![
            QUERY,
            BUCKET,
            SIGNED_IN,
            SCOPED,
            STORAGE,
            WRITE,
            FIELDS,
            &[InvalidMultipart, InvalidObjectKey],
        ],
        ("put", "/api/v1/buckets/{bucket}/objects/{key}") => {
            vec![OBJECT, SIGNED_IN, SCOPED, STORAGE, WRITE, FIELDS]
        }
        ("get", "/api/v1/buckets/{bucket}/objects/{key}") => {
            vec![OBJECT, SIGNED_IN, SCOPED, STORAGE, &[RangeNotSatisfiable]]
        }
        ("delete", "/api/v1/buckets/{bucket}/objects/{key}") => {
            vec![OBJECT, SIGNED_IN, SCOPED, STORAGE, &[NotOwner]]
        }
        ("post", "/api/v1/buckets/{bucket}/delete") => {
            vec![JSON, BUCKET, SIGNED_IN, SCOPED, STORAGE, FIELDS]
        }
        ("get", "/api/v1/buckets/{bucket}/info/{key}") => {
            vec![OBJECT, SIGNED_IN, SCOPED, STORAGE, FIELDS]
        }
        ("post", "/api/v1/buckets/{bucket}/sign/{key}") => vec![
            JSON,
            OBJECT,
            SIGNED_IN,
            SCOPED,
            STORAGE,
            FIELDS,
            &[InvalidExpiry],
        ],
        ("get", "/f/{bucket}/{key}") => vec![
            QUERY,
            OBJECT,
            SIGNED_IN,
            SCOPED,
            STORAGE,
            &[InvalidSignature, SignatureExpired, RangeNotSatisfiable],
        ],
        ("get", "/readyz") => vec![&[StorageUnavailable, SessionStoreUnavailable]],
        _ => vec![],
    };
    Some(groups)
}

/// Adds to every native operation a response per error status it can answer, each an
/// [`ErrorEnvelope`] whose `code` is one of the codes that status carries there; 500
/// `internal_error` everywhere.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        for (path, item) in spec.paths.paths.iter_mut() {
            for (method, op) in operations_mut(item) {
                if let Some(groups) = errors_of(method, path) {
                    add_errors(op, groups);
                }
            }
        }
    }
}

fn add_errors(op: &mut Operation, groups: Vec<&'static [Code]>) {
    let mut by_status: BTreeMap<u16, Vec<Code>> = BTreeMap::new();
    for code in groups.into_iter().chain([fails::ALWAYS]).flatten() {
        let codes = by_status.entry(code.status().as_u16()).or_default();
        if !codes.contains(code) {
            codes.push(*code);
        }
    }
    for (status, codes) in by_status {
        let key = status.to_string();
        if status < 300 || op.responses.responses.contains_key(&key) {
            continue;
        }
        let names: Vec<&str> = codes.iter().map(|c| c.name()).collect();
        let narrowed = ObjectBuilder::new().property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names.clone())),
        );
        let mut all_of = AllOf::new();
        all_of.items = vec![
            RefOr::Ref(Ref::from_schema_name(ErrorEnvelope::name())),
            narrowed.into(),
        ];
        let response = ResponseBuilder::new()
            .description(names.join(", "))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Schema::AllOf(all_of)))
                    .build(),
            )
            .build();
        op.responses.responses.insert(key, response.into());
    }
}

/// Every field of a shaped resource can be left out (`?fields=`, the client's profile), so
/// none is required; untagged unions of such resources become `anyOf` (an answer may match
/// more than one branch).
struct ShapedFields;

impl ShapedFields {
    fn shaped() -> Vec<String> {
        fn name<V: View + ToSchema>() -> String {
            V::name().into_owned()
        }
        vec![
            name::<views::ObjectView>(),
            name::<views::ListedObjectView>(),
            name::<views::UploadView>(),
            name::<views::UserView>(),
            name::<views::BucketView>(),
            name::<views::SessionView>(),
            name::<views::SignedLinkView>(),
            name::<views::DeletionView>(),
            name::<views::PolicyView>(),
            name::<views::ApiTokenView>(),
            name::<views::InvitationView>(),
            name::<views::OverviewView>(),
            name::<views::OverviewBucketView>(),
            name::<views::RecentUploadView>(),
            name::<views::compat::MinioObject>(),
            name::<views::compat::MinioBucket>(),
            "UploadItemView".to_owned(),
        ]
    }
}

fn clear_required(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => object.required.clear(),
        Schema::AllOf(all_of) => {
            for item in &mut all_of.items {
                if let RefOr::T(inner) = item {
                    clear_required(inner);
                }
            }
        }
        _ => {}
    }
}

impl Modify for ShapedFields {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        let Some(components) = spec.components.as_mut() else {
            return;
        };
        let shaped = Self::shaped();
        for (name, schema) in components.schemas.iter_mut() {
            let RefOr::T(schema) = schema else { continue };
            if shaped.contains(name) {
                clear_required(schema);
            }
            if let Schema::OneOf(one_of) = schema {
                let mut any_of = AnyOf::new();
                any_of.items = std::mem::take(&mut one_of.items);
                any_of.description = one_of.description.take();
                *schema = Schema::AnyOf(any_of);
            }
        }
    }
}

/// One segment of an object key: not empty, `.` or `..`, no `/`, backslash or control
/// character, at most 60 characters (240 bytes), no whitespace at either end.
const KEY_SEGMENT: &str = r"(?!\.\.?(?:/|$))[^\s/\\\x00-\x1f\x7f-\x9f](?:[^/\\\x00-\x1f\x7f-\x9f]{0,58}[^\s/\\\x00-\x1f\x7f-\x9f])?";

/// The rules of `{key}` and `prefix`, as patterns.
struct KeyRules;

impl Modify for KeyRules {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        let key = format!("^{KEY_SEGMENT}(?:/{KEY_SEGMENT}){{0,3}}$");
        let folder = format!("^(?:{KEY_SEGMENT}(?:/{KEY_SEGMENT}){{0,2}}/?)?$");
        if let Some(RefOr::T(Schema::Object(form))) = spec
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("UploadForm"))
        {
            // Other fields are skipped; their names are header parameters, without control characters.
            form.property_names = Some(Box::new(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^[^\x00-\x1f\x7f]*$"))
                    .into(),
            ));
        }
        for item in spec.paths.paths.values_mut() {
            for (_, op) in operations_mut(item) {
                for param in op.parameters.iter_mut().flatten() {
                    let pattern = match param.name.as_str() {
                        "key" => key.clone(),
                        "prefix" => r"^[^\\\x00-\x1f\x7f-\x9f]{0,255}$".to_owned(),
                        "folder" => folder.clone(),
                        _ => continue,
                    };
                    param.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(pattern))
                            .into(),
                    );
                }
            }
        }
    }
}
