//! The seed-compatible API under `/imagepic`: the Node service's paths, field names and envelope
//! (HTTP 200, `code: "-1"` and `data.err` on failure), as adapters over the same services.
//! Unlike the seed, every failure is answered; `data.errCode` adds the stable native code.

/// A seed route, `method => handler`, as [`endpoint!`] declares native ones: a `get` route
/// answers `HEAD` too; other methods answer 405 with `Allow`, in the seed's envelope
/// (`errCode` `method_not_allowed`), as the seed's Express app refused them with a 4xx.
macro_rules! seed_endpoint {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {{
        let methods: &[&str] = &[$(stringify!($method)),+];
        let allow = $crate::routes::allow_header(methods);
        let mut resource = actix_web::web::resource($path).default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest| $crate::routes::compat::method_not_allowed(req, allow.clone()),
        ));
        $(
            resource = resource.route(actix_web::web::$method().to($handler));
            if stringify!($method) == "get" {
                resource = resource.route(actix_web::web::head().to($handler));
            }
        )+
        resource
    }};
}

pub mod auth;
pub mod bucket;
pub mod notification;
pub mod object;
pub mod policy;

use std::time::Duration;

use crate::cors::CorsSettings;
use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError, web};
use futures::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::future::{Ready, ready};

use crate::body::{self, MediaType};
use crate::client_kind::ClientKind;
use crate::error::{ApiError, Code};
use crate::json_etag::NotRevalidated;
use crate::profiles::Profiles;
use crate::request_id;
use crate::views::{Shape, View};

/// Lifetime of tokens issued to seed clients, which cannot refresh.
#[derive(Debug, Clone, Copy)]
pub struct CompatTokenTtl(pub Duration);

pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    cfg.service(
        web::scope("/imagepic")
            .wrap(cors.api())
            .wrap(actix_web::middleware::from_fn(
                crate::cors::refusals_in_the_envelope,
            ))
            .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                seed_error(ApiError::new(
                    Code::InvalidQuery,
                    format!("bad query string: {err}"),
                ))
            }))
            .default_service(web::to(unknown_route))
            .configure(auth::configure)
            .configure(bucket::configure)
            .configure(notification::configure)
            .configure(object::configure)
            .configure(policy::configure),
    );
}

/// The documented shape of every seed answer (always HTTP 200): `code "0"` with `data`, or
/// `code "-1"` with `data.err` and `data.errCode`. Only the OpenAPI document uses it.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SeedAnswer<T> {
    Ok(SeedOk<T>),
    Failed(SeedFailure),
}

/// A seed success: `{code: "0", data, msg: "成功", success: true}`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SeedOk<T> {
    #[schema(pattern = "^0$")]
    code: String,
    data: T,
    /// `成功`.
    msg: String,
    /// Always `true`.
    success: bool,
}

/// A seed failure: `{code: "-1", data: {err, errCode}, msg: "失败", success: false, requestId}`.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SeedFailure {
    #[schema(pattern = "^-1$")]
    code: String,
    data: SeedErrorData,
    /// `失败`.
    msg: String,
    /// Always `false`.
    success: bool,
    request_id: String,
}

/// `data` of a seed failure.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SeedErrorData {
    /// What went wrong.
    err: String,
    /// The native error code.
    err_code: Code,
}

/// `data` of a seed login.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SeedTokenView {
    /// The access token (`auth.compat_token_ttl_secs`; seed clients cannot refresh).
    token: String,
}

/// `data` of `listObjects`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SeedListView {
    /// Entries under the prefix, in all.
    total: usize,
    lists: Vec<crate::views::compat::MinioItem>,
}

/// `data` of `getBucketNotification`: the configuration as the `minio` npm client's
/// `getBucketNotification` resolves it. picgate's targets are queues, so the other two lists
/// are always empty.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct SeedNotificationView {
    QueueConfiguration: Vec<SeedQueueConfig>,
    #[schema(value_type = Vec<Object>, max_items = 0)]
    TopicConfiguration: Vec<()>,
    #[schema(value_type = Vec<Object>, max_items = 0)]
    CloudFunctionConfiguration: Vec<()>,
}

/// One rule: events of `Event` on keys matching `Filter` go to the target `Queue`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct SeedQueueConfig {
    Id: String,
    /// `arn:minio:sqs::<target id>:<type>`.
    Queue: String,
    Event: Vec<String>,
    Filter: Vec<SeedFilterRule>,
}

/// `{"Name": "prefix" | "suffix", "Value"}`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct SeedFilterRule {
    Name: String,
    Value: String,
}

#[derive(Serialize)]
struct SeedEnvelope<T: Serialize> {
    code: &'static str,
    data: T,
    msg: &'static str,
    success: bool,
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// A success in the seed's envelope: HTTP 200, `{code: "0", data, msg: "成功", success: true}`.
pub struct Seed<T>(pub T);

impl<T: Serialize> Responder for Seed<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(SeedEnvelope {
            code: "0",
            data: self.0,
            msg: "成功",
            success: true,
            request_id: None,
        })
    }
}

/// A failure in the seed's envelope: HTTP 200, `{code: "-1", data: {err, errCode}, msg:
/// "失败", success: false, requestId}`, where `errCode` is the native code.
#[derive(Debug)]
pub struct SeedError(pub ApiError);

/// What a seed route answers.
pub type SeedResult<T> = Result<Seed<T>, SeedError>;

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<storage::Error> for SeedError {
    fn from(e: storage::Error) -> Self {
        Self(e.into())
    }
}

impl From<::auth::Error> for SeedError {
    fn from(e: ::auth::Error) -> Self {
        Self(e.into())
    }
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl ResponseError for SeedError {
    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }

    fn error_response(&self) -> HttpResponse {
        failure(&self.0)
    }
}

fn failure(err: &ApiError) -> HttpResponse {
    let code = err.code();
    let request_id = request_id::current();
    if code.status().is_server_error() {
        tracing::error!(code = code.name(), request_id = %request_id, error = ?err, "compat request failed");
    }
    let mut res = HttpResponse::Ok().json(SeedEnvelope {
        code: "-1",
        data: serde_json::json!({ "err": err.public_message(), "errCode": code.name() }),
        msg: "失败",
        success: false,
        request_id: Some(request_id),
    });
    res.extensions_mut().insert(NotRevalidated);
    res
}

/// An extractor failure, answered the seed's way.
fn seed_error(err: ApiError) -> actix_web::Error {
    SeedError(err).into()
}

/// 405 in the seed's envelope, with `Allow` (RFC 9110 §15.5.6).
pub(crate) async fn method_not_allowed(req: HttpRequest, allow: String) -> HttpResponse {
    let err = ApiError::new(
        Code::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    );
    let mut res = failure(&err);
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    res
}

async fn unknown_route(req: HttpRequest) -> SeedResult<()> {
    Err(ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
    .into())
}

/// A JSON body as the seed's `express.json()` took it: any `Content-Type`, empty means `{}`;
/// the limits of [`crate::body`] apply.
pub struct SeedJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for SeedJson<T> {
    type Error = SeedError;
    type Future = LocalBoxFuture<'static, Result<Self, SeedError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            body::read(&req, payload, MediaType::Lenient)
                .await
                .map(SeedJson)
                .map_err(SeedError)
        })
    }
}

/// How a seed answer is shaped: as the seed gave it, unless the client names itself `h5`
/// (`X-Client: h5` or `?client=h5`); then as the `h5` profile's `seedObject` and `seedBucket`
/// fields say. A mobile `User-Agent` alone keeps the seed's shape, so the seed's own pages
/// see no change.
pub struct SeedShape(Option<Shape>);

impl SeedShape {
    /// `view` as the client gets it.
    pub fn one<V: View>(&self, view: &V) -> Result<serde_json::Value, ApiError> {
        match &self.0 {
            Some(shape) => shape.one(view),
            None => serde_json::to_value(view).map_err(ApiError::internal),
        }
    }
}

impl FromRequest for SeedShape {
    type Error = SeedError;
    type Future = Ready<Result<Self, SeedError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let asked = ClientKind::asked(req.headers(), req.query_string());
        let profiles = req.app_data::<web::Data<Profiles>>();
        ready(match (asked, profiles) {
            (Some(ClientKind::H5), Some(profiles)) => Ok(SeedShape(Some(Shape::new(
                profiles.get(ClientKind::H5).clone(),
                None,
            )))),
            (Some(ClientKind::H5), None) => Err(SeedError(ApiError::internal(anyhow::anyhow!(
                "profiles are not registered"
            )))),
            _ => Ok(SeedShape(None)),
        })
    }
}

/// Numbers the seed's clients send as numbers or strings.
pub mod loose {
    use serde::{Deserialize, Deserializer};

    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Loose {
            Int(i64),
            Float(f64),
            Text(String),
        }
        Ok(match Option::<Loose>::deserialize(d)? {
            None => None,
            Some(Loose::Int(n)) => Some(n),
            Some(Loose::Float(f)) => Some(f as i64),
            Some(Loose::Text(s)) if s.trim().is_empty() => None,
            Some(Loose::Text(s)) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a number")))?,
            ),
        })
    }
}
