//! The Lsky Pro API shapes: 2.x (`POST /api/v1/upload`, `DELETE /api/v1/images/{key}`,
//! `POST /api/v1/tokens`, `GET /api/v1/strategies`; lsky-org/lsky-pro `routes/api.php`) and
//! 1.x's upload (`POST /api/upload`). Failures are HTTP 200 with `status: false` and a
//! `message` ([`Flavor::Lsky`](super::Flavor)), the only answer PicList shows the reason of.

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::{ToolError, ToolMultipart, answered, image, store};
use crate::body::{self, MediaType};
use crate::cors::CorsSettings;
use crate::error::{ApiError, Code};
use crate::service::{Caller, Service};
use crate::views::Links;
use crate::views::tools::object_of_lsky_key;

/// The name of tokens minted by `POST /api/v1/tokens`.
const TOKEN_NAME: &str = "Lsky Pro client";

pub fn configure(cfg: &mut web::ServiceConfig, cors: &CorsSettings) {
    cfg.service(endpoint!("/api/v1/upload", post => upload).wrap(cors.api()));
    cfg.service(endpoint!("/api/v1/images/{key}", delete => delete).wrap(cors.api()));
    // PicList strips a trailing `/` from the server address when it uploads, not when it
    // deletes: `https://img.example.com/` + `/api/v1/images/…`.
    cfg.service(endpoint!("//api/v1/images/{key}", delete => delete).wrap(cors.api()));
    cfg.service(endpoint!("/api/v1/tokens", post => token).wrap(cors.api()));
    cfg.service(endpoint!("/api/v1/strategies", get => strategies).wrap(cors.api()));
    cfg.service(endpoint!("/api/upload", post => upload_v1).wrap(cors.api()));
}

/// Lsky Pro 2.x upload: multipart `file`, then `strategy_id` (bucket name or strategy id),
/// `folder`; `album_id`, `permission`, `ssl` are accepted and ignored (visibility is the
/// bucket's policy, links follow `server.public_url`). Token: `Authorization` (Bearer or
/// bare) or a `token` header.
pub async fn upload(
    req: HttpRequest,
    payload: Multipart,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ToolError> {
    let form = ToolMultipart::new(&req, payload, "file");
    answered(&req, form, &service, &links)
        .await
        .map_err(ToolError::lsky)
}

/// Lsky Pro 1.x upload: multipart `image`, token in a `token` header; success is
/// `code: 200` with `data.url`.
pub async fn upload_v1(
    req: HttpRequest,
    payload: Multipart,
    service: web::Data<Service>,
    links: Links,
) -> Result<HttpResponse, ToolError> {
    let form = ToolMultipart::new(&req, payload, "image");
    let image = async { image(&store(&req, form, &service).await?, &links) }
        .await
        .map_err(ToolError::lsky_v1)?;
    Ok(HttpResponse::Ok().json(json!({
        "code": 200, "msg": "success", "message": "success", "data": image,
    })))
}

/// Deletes the object a Lsky key (`data.key` of an upload) stands for, as the caller: the
/// owner or an administrator, with a token that has the `delete` scope.
pub async fn delete(
    req: HttpRequest,
    key: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ToolError> {
    let caller = Caller::of_tool(&req);
    let deleted = async {
        let (bucket, key) = object_of_lsky_key(&key)?;
        service.delete(&caller, &bucket, &key).await
    };
    deleted.await.map_err(ToolError::lsky)?;
    Ok(HttpResponse::Ok().json(json!({"status": true, "message": "deleted", "data": {}})))
}

/// `{email, password}` (an email or a phone), as JSON or a form.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Reads [`Credentials`] from a form (`application/x-www-form-urlencoded`) or JSON body.
pub struct CredentialsBody(Credentials);

impl FromRequest for CredentialsBody {
    type Error = ToolError;
    type Future = LocalBoxFuture<'static, Result<Self, ToolError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let form = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let read = match form {
                true => web::Form::<Credentials>::from_request(&req, &mut payload)
                    .await
                    .map(web::Form::into_inner)
                    .map_err(|e| {
                        ApiError::new(Code::BadRequest, format!("malformed form body: {e}"))
                    }),
                false => body::read(&req, payload, MediaType::Lenient).await,
            };
            read.map(CredentialsBody).map_err(ToolError::lsky)
        })
    }
}

/// Lsky Pro's token route: logs in (throttled as any login) and answers a new API token for
/// the tool (`read`, `upload`, `delete`; no expiry) in `data.token`.
pub async fn token(
    req: HttpRequest,
    CredentialsBody(credentials): CredentialsBody,
    service: web::Data<Service>,
) -> Result<HttpResponse, ToolError> {
    let caller = Caller::of_tool(&req);
    let minted = service
        .tool_token(
            &caller,
            &credentials.email,
            &credentials.password,
            TOKEN_NAME,
        )
        .await
        .map_err(ToolError::lsky)?;
    Ok(HttpResponse::Ok().json(json!({
        "status": true, "message": "success", "data": {"token": minted.secret},
    })))
}

/// The buckets as Lsky Pro storage strategies: `data.strategies` `[{id, name}]`, id 1 the
/// tools' default bucket. Needs no token, as in Lsky Pro.
pub async fn strategies(service: web::Data<Service>) -> HttpResponse {
    let strategies: Vec<_> = service
        .strategies()
        .into_iter()
        .map(|(id, name)| json!({"id": id, "name": name.as_str()}))
        .collect();
    HttpResponse::Ok().json(json!({
        "status": true, "message": "success", "data": {"strategies": strategies},
    }))
}
