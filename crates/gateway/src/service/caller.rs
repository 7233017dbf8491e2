//! Who is calling: the credential a request carried, resolved into a [`Principal`] only when an
//! operation needs one, so that reading a public bucket never depends on the session store.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, USER_AGENT};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth::{Auth, Device, Principal};
use tokio::sync::OnceCell;

use crate::error::ApiError;

/// Longest `User-Agent` kept for the session list.
const MAX_AGENT_CHARS: usize = 256;

/// The caller of one request: its credential (a login access token or an API token, sent as
/// `Authorization: Bearer <t>` or bare, as upload tools and the seed's clients do) and the
/// device it calls from. Extracting it does no I/O.
pub struct Caller {
    credential: Option<String>,
    device: Device,
    principal: OnceCell<Principal>,
    /// Shared with the request's extensions, so the request log line can name the user.
    seen: SeenUser,
    /// Whether a granted use has been counted: one per request, however often access is
    /// checked on the way (`picgate_auth_token_uses_total`).
    use_counted: std::sync::atomic::AtomicBool,
    /// The request's client profile and id, for the events it causes.
    origin: Origin,
}

/// Where a request came from beyond its device: its client profile (`pc`, `h5`) and its
/// request id, as the middlewares decided them. Empty outside a request (tests, CLI).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub client: Option<crate::client_kind::ClientKind>,
    pub request_id: Option<String>,
}

impl Origin {
    fn of(req: &HttpRequest) -> Self {
        let extensions = req.extensions();
        Self {
            client: extensions.get::<crate::client_kind::ClientKind>().copied(),
            request_id: extensions
                .get::<crate::request_id::RequestId>()
                .map(|id| id.0.clone()),
        }
    }
}

/// The id of the user a request turned out to act for, once its credential was checked (in
/// the request's extensions; read by the request log line).
#[derive(Debug, Clone, Default)]
pub struct SeenUser(Option<std::sync::Arc<std::sync::OnceLock<uuid::Uuid>>>);

impl SeenUser {
    /// The user, if a credential of the request was checked and held.
    pub fn get(&self) -> Option<uuid::Uuid> {
        self.0.as_ref().and_then(|seen| seen.get().copied())
    }

    /// The one for `req`, created on first use; a request without a credential has no user
    /// to name, and keeps none.
    fn of(req: &HttpRequest, credential: bool) -> Self {
        if !credential {
            return SeenUser::default();
        }
        if let Some(seen) = req.extensions().get::<SeenUser>() {
            return seen.clone();
        }
        let seen = SeenUser(Some(Default::default()));
        req.extensions_mut().insert(seen.clone());
        seen
    }
}

impl Caller {
    /// A caller with no credential (tests, CLI).
    pub fn anonymous(device: Device) -> Self {
        Self {
            credential: None,
            device,
            principal: OnceCell::new(),
            seen: SeenUser::default(),
            use_counted: Default::default(),
            origin: Origin::default(),
        }
    }

    /// The request's client profile and id.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Where the caller calls from: client IP (behind trusted proxies, the forwarded one) and
    /// user agent.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The client IP, as text, for throttling.
    pub fn ip(&self) -> Option<&str> {
        self.device.ip.as_deref()
    }

    /// The token the request carried, as sent.
    pub(crate) fn credential(&self) -> Option<&str> {
        self.credential.as_deref()
    }

    /// True the first time only: whether this request's use of its credential is still to be
    /// counted.
    pub(crate) fn first_use(&self) -> bool {
        !self
            .use_counted
            .swap(true, std::sync::atomic::Ordering::Relaxed)
    }

    /// The principal, if [`Caller::principal`] has already resolved it (no I/O).
    pub fn known_principal(&self) -> Option<&Principal> {
        self.principal.get()
    }

    /// Whether the request carried a credential at all.
    pub fn has_credential(&self) -> bool {
        self.credential.is_some()
    }

    /// The principal behind the credential, checked against the session store once per
    /// request; `None` without a credential. A bad credential is an error (401), a session
    /// store that cannot be reached a 503: callers fail closed.
    pub async fn principal(&self, auth: &Auth) -> Result<Option<&Principal>, ApiError> {
        let Some(credential) = &self.credential else {
            return Ok(None);
        };
        let principal = self
            .principal
            .get_or_try_init(|| auth.authenticate(credential))
            .await?;
        // Set once per request: a second call finds it set to the same user.
        if let Some(seen) = &self.seen.0 {
            let _ = seen.set(principal.user_id);
        }
        Ok(Some(principal))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credential = credential(req);
        ready(Ok(Self {
            seen: SeenUser::of(req, credential.is_some()),
            credential,
            device: device(req),
            principal: OnceCell::new(),
            use_counted: Default::default(),
            origin: Origin::of(req),
        }))
    }
}

/// The caller of an upload tool's request: its token as [`credential`] finds it, else in a
/// `token` header (Lsky Pro 1.x clients), else in the query as `key` (PicList's server
/// uploader) or `token` (a ShareX configuration link).
impl Caller {
    pub fn of_tool(req: &HttpRequest) -> Caller {
        let header = || {
            let value = req.headers().get("token")?.to_str().ok()?.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        let query = || {
            let pairs =
                actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
                    .ok()?;
            pairs
                .into_inner()
                .into_iter()
                .find(|(name, value)| (name == "key" || name == "token") && !value.is_empty())
                .map(|(_, value)| value)
        };
        let credential = credential(req).or_else(header).or_else(query);
        Caller {
            seen: SeenUser::of(req, credential.is_some()),
            credential,
            device: device(req),
            principal: OnceCell::new(),
            use_counted: Default::default(),
            origin: Origin::of(req),
        }
    }
}

/// The token in `Authorization`, with or without the `Bearer ` scheme (RFC 6750 §2.1; the
/// seed's clients and some upload tools send it bare). Another scheme (`Basic …`) is no token.
pub fn credential(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None => value,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

/// The device a request comes from, as shown in the session list and used for throttling.
pub fn device(req: &HttpRequest) -> Device {
    Device {
        user_agent: req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_AGENT_CHARS).collect()),
        ip: crate::proxies::client_ip(req).map(|ip| ip.to_string()),
    }
}
