//! The one table from failure to HTTP status and stable error code, and the envelope every
//! error is written in. 5xx answers carry a generic message; the cause chain goes to the log.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::envelope::Envelope;
use crate::request_id;

macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $name:literal, $doc:literal),)*) => {
        /// Every error code the API answers with. Codes are part of the public contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

error_codes! {
    SomeFilesFailed => (MULTI_STATUS, "some_files_failed", "not every file of a multi-file upload was stored; data.items has each file's outcome"),
    BadRequest => (BAD_REQUEST, "bad_request", "the request cannot be understood"),
    MalformedJson => (BAD_REQUEST, "malformed_json", "the body is not the JSON this route takes"),
    InvalidQuery => (BAD_REQUEST, "invalid_query", "a query parameter is missing or malformed"),
    UnknownField => (BAD_REQUEST, "unknown_field", "`fields` names a field the resource does not have"),
    InvalidObjectKey => (BAD_REQUEST, "invalid_object_key", "the object key breaks the key rules"),
    InvalidBucketName => (BAD_REQUEST, "invalid_bucket_name", "the bucket name breaks the naming rules"),
    InvalidCursor => (BAD_REQUEST, "invalid_cursor", "the paging cursor was not issued by this server"),
    InvalidExpiry => (BAD_REQUEST, "invalid_expiry", "the requested link lifetime is out of range"),
    InvalidPolicy => (BAD_REQUEST, "invalid_policy", "a policy is `private` or `public-read`"),
    InvalidNotification => (BAD_REQUEST, "invalid_notification", "a bucket notification configuration names an unknown event, target or filter; the message says which rule"),
    InvalidMultipart => (BAD_REQUEST, "invalid_multipart", "the multipart body is malformed or has no `file` field"),
    CorsRejected => (BAD_REQUEST, "cors_rejected", "the page's origin, method or headers may not call this route (server.cors)"),
    UploadInterrupted => (BAD_REQUEST, "upload_interrupted", "the upload body ended or failed midway; nothing was stored"),
    MissingToken => (UNAUTHORIZED, "missing_token", "this route needs `Authorization: Bearer <token>`"),
    InvalidToken => (UNAUTHORIZED, "invalid_token", "the token is malformed, forged or of the wrong kind"),
    TokenExpired => (UNAUTHORIZED, "token_expired", "the access token has expired; refresh it"),
    SessionRevoked => (UNAUTHORIZED, "session_revoked", "the session or API token has ended (logged out, revoked, user disabled)"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials", "login or password is wrong"),
    Forbidden => (FORBIDDEN, "forbidden", "the caller may not do this"),
    AdminRequired => (FORBIDDEN, "admin_required", "only an administrator may do this"),
    NotOwner => (FORBIDDEN, "not_owner", "only the object's owner (or an administrator) may change it"),
    InsufficientScope => (FORBIDDEN, "insufficient_scope", "the API token lacks the scope this needs; data.scope names it"),
    MetricsForbidden => (FORBIDDEN, "metrics_forbidden", "`/metrics` is served to clients on the same host, to the metrics token, or on `metrics.listen`"),
    SessionRequired => (FORBIDDEN, "session_required", "this needs a login session, not an API token"),
    ApiTokenRequired => (FORBIDDEN, "api_token_required", "this needs an API token, not a login session's access token"),
    AccountDisabled => (FORBIDDEN, "account_disabled", "an administrator has disabled this account"),
    RegistrationClosed => (FORBIDDEN, "registration_closed", "self-service sign-up is switched off"),
    InvitationRequired => (FORBIDDEN, "invitation_required", "sign-up needs an invitation code from an administrator"),
    InvalidInvitation => (FORBIDDEN, "invalid_invitation", "the invitation code is unknown, used or expired"),
    InvalidSignature => (FORBIDDEN, "invalid_signature", "the signed link is not valid for this object"),
    SignatureExpired => (FORBIDDEN, "signature_expired", "the signed link has expired"),
    RouteNotFound => (NOT_FOUND, "route_not_found", "no route has this path"),
    BucketNotFound => (NOT_FOUND, "bucket_not_found", "no bucket has this name"),
    ObjectNotFound => (NOT_FOUND, "object_not_found", "no object has this key"),
    UserNotFound => (NOT_FOUND, "user_not_found", "no user has this id"),
    SessionNotFound => (NOT_FOUND, "session_not_found", "the caller has no session with this id"),
    TokenNotFound => (NOT_FOUND, "token_not_found", "the caller has no API token with this id"),
    TargetNotFound => (NOT_FOUND, "target_not_found", "no notification target has this id (GET /api/v1/notify/targets lists them)"),
    InvitationNotFound => (NOT_FOUND, "invitation_not_found", "no open invitation has this code"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method_not_allowed", "the route does not take this method"),
    RequestTimeout => (REQUEST_TIMEOUT, "request_timeout", "the request body did not arrive in time, or stopped arriving"),
    AccountExists => (CONFLICT, "account_exists", "an account with this phone or email exists"),
    ObjectExists => (CONFLICT, "object_exists", "an object with this key exists"),
    ObjectChanged => (CONFLICT, "object_changed", "the object was replaced or deleted while this upload ran; nothing was stored"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than the bucket or route allows"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the content (sniffed from its bytes) is not a type the bucket takes"),
    UnsupportedImage => (UNSUPPORTED_MEDIA_TYPE, "unsupported_image", "variants (`?w=`, `?v=` …) are made of JPEG, PNG, WebP and GIF images, as JPEG, PNG or WebP; the object or the asked format is not one of them"),
    UnsupportedEncoding => (UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding", "the body's Content-Encoding is not gzip, deflate, br or identity"),
    RangeNotSatisfiable => (RANGE_NOT_SATISFIABLE, "range_not_satisfiable", "the byte range lies outside the object"),
    ValidationFailed => (UNPROCESSABLE_ENTITY, "validation_failed", "fields failed validation; see data.fields"),
    ImageTooLarge => (UNPROCESSABLE_ENTITY, "image_too_large", "the image is over a variant limit (bytes, pixels, memory or time: `[variants]`); the original is still served without variant parameters"),
    ImageMalformed => (UNPROCESSABLE_ENTITY, "image_malformed", "the image's data is corrupt or truncated, so no variant can be made of it"),
    TooManyAttempts => (TOO_MANY_REQUESTS, "too_many_attempts", "too many attempts; `Retry-After` says when to retry"),
    InternalError => (INTERNAL_SERVER_ERROR, "internal_error", "an unexpected failure; the log has the cause"),
    UpstreamTimeout => (GATEWAY_TIMEOUT, "upstream_timeout", "a backend did not answer in time (an overview section in data.errors)"),
    StorageUnavailable => (SERVICE_UNAVAILABLE, "storage_unavailable", "the storage backend cannot be reached"),
    TransformsBusy => (SERVICE_UNAVAILABLE, "transforms_busy", "too many variants are being made right now; `Retry-After` says when to retry"),
    EventQueueUnavailable => (SERVICE_UNAVAILABLE, "event_queue_unavailable", "the notification queue (Redis) cannot be reached"),
    SessionStoreUnavailable => (SERVICE_UNAVAILABLE, "session_store_unavailable", "the session store cannot be reached"),
}

/// Everything a handler can fail with.
#[derive(thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Storage(#[from] storage::Error),
    #[error(transparent)]
    Auth(#[from] auth::Error),
    #[error("{message}")]
    Request { code: Code, message: String },
    /// A dependency does not answer (`/readyz`): `failing` names it, `checks` has every check.
    #[error("not ready: {}", failing.join(", "))]
    NotReady {
        code: Code,
        failing: Vec<String>,
        checks: serde_json::Map<String, serde_json::Value>,
    },
    /// A bucket notification operation failed.
    #[error(transparent)]
    Notify(#[from] notify::Error),
    /// A variant could not be made.
    #[error(transparent)]
    Transform(#[from] crate::variants::TransformError),
    /// An API token without the scope an operation needs.
    #[error("this needs an API token with the `{0}` scope")]
    MissingScope(auth::Scope),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<crate::service::usage::UsageError> for ApiError {
    fn from(e: crate::service::usage::UsageError) -> Self {
        use crate::service::usage::UsageError as E;
        match e {
            E::Redis(e) => e.into(),
            E::Storage(e) => e.into(),
            E::Corrupt(_) => ApiError::internal(e),
        }
    }
}

impl From<storage::UnknownPolicy> for ApiError {
    fn from(e: storage::UnknownPolicy) -> Self {
        Self::new(Code::InvalidPolicy, e.to_string())
    }
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self::Request {
            code,
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Storage(e) => storage_code(e),
            Self::Auth(e) => auth_code(e),
            Self::Request { code, .. } => *code,
            Self::MissingScope(_) => Code::InsufficientScope,
            Self::NotReady { code, .. } => *code,
            Self::Transform(e) => transform_code(e),
            Self::Notify(e) => notify_code(e),
            Self::Internal(_) => Code::InternalError,
        }
    }

    /// The message a client sees: the error's own text, or a generic one for a 5xx.
    pub fn public_message(&self) -> String {
        let code = self.code();
        if code.status().is_server_error() {
            return code.description().to_owned();
        }
        self.to_string()
    }

    /// Extra data a client can act on (per-field reasons, retry hints).
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::Auth(auth::Error::Validation(fields)) => Some(serde_json::json!({
                "fields": fields
                    .iter()
                    .map(|f| serde_json::json!({"field": f.field, "reason": f.reason}))
                    .collect::<Vec<_>>()
            })),
            Self::Auth(auth::Error::TooManyAttempts { retry_after_secs })
            | Self::Transform(crate::variants::TransformError::Busy { retry_after_secs }) => {
                Some(serde_json::json!({"retryAfter": retry_after_secs}))
            }
            Self::MissingScope(scope) => Some(serde_json::json!({"scope": scope.as_str()})),
            Self::NotReady {
                failing, checks, ..
            } => Some(serde_json::json!({"failing": failing, "checks": checks})),
            _ => None,
        }
    }
}

fn storage_code(e: &storage::Error) -> Code {
    use storage::Error as E;
    match e {
        E::NoSuchBucket(_) => Code::BucketNotFound,
        E::NotFound { .. } => Code::ObjectNotFound,
        E::AlreadyExists { .. } => Code::ObjectExists,
        E::Changed { .. } => Code::ObjectChanged,
        E::InvalidKey(_) => Code::InvalidObjectKey,
        E::InvalidBucketName(_) => Code::InvalidBucketName,
        E::TooLarge { .. } => Code::PayloadTooLarge,
        E::UnsupportedType { .. } => Code::UnsupportedMediaType,
        E::RangeNotSatisfiable { .. } => Code::RangeNotSatisfiable,
        E::InvalidCursor => Code::InvalidCursor,
        E::InvalidExpiry { .. } => Code::InvalidExpiry,
        E::InvalidSignature => Code::InvalidSignature,
        E::SignatureExpired => Code::SignatureExpired,
        E::Body(_) => Code::UploadInterrupted,
        E::BodyTimedOut(_) => Code::RequestTimeout,
        E::Unavailable(_) => Code::StorageUnavailable,
        E::Config(_) | E::Internal(_) => Code::InternalError,
    }
}

fn auth_code(e: &auth::Error) -> Code {
    use auth::Error as E;
    match e {
        E::Validation(_) => Code::ValidationFailed,
        E::AccountExists => Code::AccountExists,
        E::RegistrationClosed => Code::RegistrationClosed,
        E::InvitationRequired => Code::InvitationRequired,
        E::InvalidInvitation => Code::InvalidInvitation,
        E::InvitationNotFound => Code::InvitationNotFound,
        E::TokenNotFound => Code::TokenNotFound,
        E::AccountDisabled => Code::AccountDisabled,
        E::InvalidCredentials => Code::InvalidCredentials,
        E::TooManyAttempts { .. } => Code::TooManyAttempts,
        E::InvalidToken => Code::InvalidToken,
        E::TokenExpired => Code::TokenExpired,
        E::SessionRevoked => Code::SessionRevoked,
        E::SessionNotFound => Code::SessionNotFound,
        E::UserNotFound => Code::UserNotFound,
        E::Unavailable(_) => Code::SessionStoreUnavailable,
        E::AccountsUnavailable(_) => Code::StorageUnavailable,
        E::Internal(_) => Code::InternalError,
    }
}

fn notify_code(e: &notify::Error) -> Code {
    use notify::Error as E;
    match e {
        E::Rules(_) => Code::InvalidNotification,
        E::UnknownTarget(_) => Code::TargetNotFound,
        E::InvalidCursor => Code::InvalidCursor,
        E::QueueUnavailable(_) => Code::EventQueueUnavailable,
        E::StorageUnavailable(_) => Code::StorageUnavailable,
        E::Internal(_) => Code::InternalError,
    }
}

fn transform_code(e: &crate::variants::TransformError) -> Code {
    use crate::variants::TransformError as E;
    match e {
        E::Busy { .. } => Code::TransformsBusy,
        E::TooLarge(_) | E::TimedOut(_) => Code::ImageTooLarge,
        E::Unsupported(_) => Code::UnsupportedImage,
        E::Malformed(_) => Code::ImageMalformed,
        E::Failed => Code::InternalError,
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// Writes an error and every `source()` below it, one per line.
pub fn error_chain_fmt(e: &impl std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{e}")?;
    let mut current = e.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        let code = self.code();
        let request_id = request_id::current();
        if code.status().is_server_error() {
            tracing::error!(code = code.name(), request_id = %request_id, error = ?self, "request failed");
        }
        let mut builder = HttpResponse::build(code.status());
        match self {
            Self::Auth(auth::Error::TooManyAttempts { retry_after_secs })
            | Self::Transform(crate::variants::TransformError::Busy { retry_after_secs }) => {
                builder.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            Self::Storage(storage::Error::RangeNotSatisfiable { size }) => {
                builder.insert_header(("Content-Range", format!("bytes */{size}")));
            }
            _ => {}
        }
        builder.json(Envelope::failure(
            code.name(),
            self.public_message(),
            self.details(),
            request_id,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_used_once() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.name()), "duplicate code {}", code.name());
        }
    }

    #[test]
    fn codes_are_snake_case_and_statuses_are_errors() {
        for code in Code::ALL {
            assert!(
                code.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                code.name()
            );
            // A partial outcome of several parts is not an error; everything else is.
            let partial =
                *code == Code::SomeFilesFailed && code.status() == StatusCode::MULTI_STATUS;
            assert!(
                partial || code.status().is_client_error() || code.status().is_server_error(),
                "{}",
                code.name()
            );
        }
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../../README.md");
        for code in Code::ALL {
            assert!(
                readme.contains(&format!("`{}`", code.name())),
                "README lacks `{}`",
                code.name()
            );
        }
    }

    #[test]
    fn the_log_gets_the_whole_cause_chain_of_a_crate_error() {
        let cause = std::io::Error::other("users/42.json: expected value at line 1");
        let err = ApiError::from(auth::Error::Internal(Box::new(cause)));
        let logged = format!("{err:?}");
        assert!(logged.contains("Caused by"), "{logged}");
        assert!(logged.contains("expected value at line 1"), "{logged}");
        assert!(!err.public_message().contains("line 1"));
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("disk /secret/path exploded"));
        assert!(!err.public_message().contains("secret"));
        assert_eq!(err.code().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
