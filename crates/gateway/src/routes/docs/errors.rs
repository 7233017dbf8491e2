//! The error answers of each native operation, added to the generated document.

use std::collections::BTreeMap;

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AllOf, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, ToSchema};

use super::operations_mut;
use crate::envelope::ErrorEnvelope;
use crate::error::Code;

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
            &[InvalidExpiry, InvalidQuery],
        ],
        ("get", "/f/{bucket}/{key}") => vec![
            QUERY,
            OBJECT,
            SIGNED_IN,
            SCOPED,
            STORAGE,
            &[InvalidSignature, SignatureExpired, RangeNotSatisfiable],
            &[
                UnsupportedImage,
                ImageTooLarge,
                ImageMalformed,
                TransformsBusy,
            ],
        ],
        ("get", "/api/v1/notify/targets") => vec![SIGNED_IN, ADMIN, FIELDS],
        ("get", "/api/v1/buckets/{bucket}/notifications") => {
            vec![BUCKET, SIGNED_IN, ADMIN, STORAGE, FIELDS]
        }
        ("put", "/api/v1/buckets/{bucket}/notifications") => vec![
            JSON,
            BUCKET,
            SIGNED_IN,
            ADMIN,
            STORAGE,
            FIELDS,
            &[InvalidNotification],
        ],
        ("get", "/api/v1/notify/dead") => vec![
            QUERY,
            SIGNED_IN,
            ADMIN,
            STORAGE,
            FIELDS,
            &[InvalidCursor, TargetNotFound, EventQueueUnavailable],
        ],
        ("post", "/api/v1/notify/dead/replay") => vec![
            JSON,
            SIGNED_IN,
            ADMIN,
            STORAGE,
            FIELDS,
            &[TargetNotFound, EventQueueUnavailable],
        ],
        ("get", "/readyz") => vec![&[StorageUnavailable, SessionStoreUnavailable]],
        _ => vec![],
    };
    Some(groups)
}

/// Adds to every native operation a response per error status it can answer, each an
/// [`ErrorEnvelope`] whose `code` is one of the codes that status carries there; 500
/// `internal_error` everywhere.
pub(super) struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            BEARER.to_owned(),
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (path, item) in spec.paths.paths.iter_mut() {
            for (method, op) in operations_mut(item) {
                if let Some(groups) = errors_of(method, path) {
                    op.security = security_of(method, path, &groups);
                    add_not_modified(method, path, op);
                    add_errors(op, groups);
                }
            }
        }
    }
}

/// The name of the bearer-token security scheme (`Authorization: Bearer <token>`: a login
/// session's access token or an API token).
const BEARER: &str = "bearer";

/// Who may call: the token is needed where a signed-in caller is (writes, account, admin),
/// optional where public buckets are read without one, not asked for elsewhere.
fn security_of(
    method: &str,
    path: &str,
    groups: &[&'static [Code]],
) -> Option<Vec<SecurityRequirement>> {
    let signed_in = groups.iter().any(|g| g.contains(&Code::MissingToken));
    if !signed_in {
        return None;
    }
    let bearer = SecurityRequirement::new::<&str, [&str; 0], &str>(BEARER, []);
    let public_read = method == "get"
        && (path.starts_with("/f/") || path.starts_with("/api/v1/buckets/{bucket}/"));
    Some(match public_read {
        true => vec![SecurityRequirement::default(), bearer],
        false => vec![bearer],
    })
}

/// JSON answers to `GET` carry an `ETag` and answer `If-None-Match` with 304, no body.
fn add_not_modified(method: &str, path: &str, op: &mut Operation) {
    let json =
        op.responses.responses.get("200").is_some_and(
            |r| matches!(r, RefOr::T(r) if r.content.contains_key("application/json")),
        );
    if method == "get" && path.starts_with("/api/v1/") && json {
        op.responses.responses.insert(
            "304".to_owned(),
            ResponseBuilder::new()
                .description("Not Modified: `If-None-Match` names the answer's current `ETag`")
                .build()
                .into(),
        );
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
        // Errors are described here whatever the handler's attribute said of them: every one
        // is the envelope, with the codes that status carries on this operation.
        if status < 400 {
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
