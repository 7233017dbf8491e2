//! The access model, decided here and nowhere else (README, "Who may do what"):
//!
//! | operation | anonymous | user | owner | admin | API token scope |
//! |---|---|---|---|---|---|
//! | list buckets, read a bucket's policy | yes | yes | | yes | none |
//! | list, stat, read a `public-read` bucket; sign a link to it | yes | yes | | yes | none |
//! | list, stat, read a `private` bucket; sign a link to it | 401 | yes | | yes | `read` |
//! | upload a new key | 401 | yes | | yes | `upload` |
//! | replace an existing key | 401 | 403 `not_owner` (`shared` bucket: yes) | yes | yes | `upload` |
//! | delete an object | 401 | 403 `not_owner` (`shared` bucket: yes) | yes | yes | `delete` |
//! | delete the version a deletion link names | yes (the signed link is the permission) | yes | | yes | none |
//! | a ShareX configuration | 401 | 403 `api_token_required` | | 403 `api_token_required` | `upload` |
//! | a signed link to a tool upload just stored in a `private` bucket | 401 | yes | | yes | `upload` |
//! | set a bucket policy, manage users and invitations | 401 | 403 `admin_required` | | yes | `admin` |
//! | `/me` | 401 | yes | | yes | any |
//! | the overview: own figures and uploads; everyone's figures per user (`owners`) | 401 | yes (own only) | | yes (with `owners`) | 403 `session_required` |
//! | password, sessions, logout, API tokens | 401 | yes (login session only) | | yes | 403 `session_required` |
//! | mint a token with `admin` scope | | 403 `admin_required` | | yes | |
//! | `/metrics` on the main port | the same host only (403 `metrics_forbidden`), or with the metrics token | | | | |
//! | `/metrics` on `metrics.listen` | yes (with the metrics token when one is set) | | | | |
//!
//! An object with no recorded owner (put there behind picgate's back) is changed by admins
//! only. A token acts for its user, narrowed by its scopes; its user's role and `disabled` flag
//! apply at once.

use auth::{Principal, Role, Scope, Via};
use storage::{BucketName, Current, Policy, Precondition, WriteMode};

use super::{Caller, Service};
use crate::error::{ApiError, Code};

/// What an operation asks of its caller before any object is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading a private bucket (list, stat, get) or signing a link: a signed-in user; an API
    /// token needs `read`.
    Read,
    /// Uploading or replacing: a signed-in user; a token needs `upload`.
    Upload,
    /// Deleting: a signed-in user; a token needs `delete`.
    Delete,
    /// An administrator; a token needs `admin` as well.
    Admin,
    /// Any signed-in user, by session or by a token of any scope.
    Account,
    /// A signed-in user with a login session: API tokens cannot manage the account.
    Session,
}

impl Need {
    /// The token scope this need asks for, if any.
    fn scope(self) -> Option<Scope> {
        match self {
            Need::Read => Some(Scope::Read),
            Need::Upload => Some(Scope::Upload),
            Need::Delete => Some(Scope::Delete),
            Need::Admin => Some(Scope::Admin),
            Need::Account | Need::Session => None,
        }
    }
}

impl Service {
    /// The caller's principal if it meets `need`. Errors: 401 `missing_token` without a
    /// credential (or the token's own 401), 403 `admin_required`, `insufficient_scope`
    /// (naming the scope) or `session_required`.
    pub(crate) async fn require<'c>(
        &self,
        caller: &'c Caller,
        need: Need,
    ) -> Result<&'c Principal, ApiError> {
        let principal = caller.principal(&self.auth).await?.ok_or_else(|| {
            ApiError::new(
                Code::MissingToken,
                "this needs `Authorization: Bearer <token>`",
            )
        })?;
        if need == Need::Admin && principal.role != Role::Admin {
            return Err(ApiError::new(
                Code::AdminRequired,
                "only an administrator may do this",
            ));
        }
        let granted = match &principal.via {
            Via::Session { .. } => Ok(principal),
            Via::Token { .. } if need == Need::Session => Err(ApiError::new(
                Code::SessionRequired,
                "this needs a login session: API tokens cannot manage the account",
            )),
            Via::Token { scopes, .. } => match need.scope() {
                Some(scope) if !scopes.contains(&scope) => Err(ApiError::MissingScope(scope)),
                _ => Ok(principal),
            },
        };
        // `picgate_auth_token_uses_total{kind,scope}`: what was let in, once per request.
        granted.inspect(|p| {
            if caller.first_use() {
                self.auth.count_token_use(&p.via, need.scope());
            }
        })
    }

    /// Lets the caller read `bucket`: anyone for `public-read` (decided before the credential
    /// is even looked at, so public reads never need the session store), else [`Need::Read`].
    pub(crate) async fn require_read(
        &self,
        caller: &Caller,
        bucket: &BucketName,
    ) -> Result<(), ApiError> {
        if self.storage.policy(bucket).await? == Policy::PublicRead {
            return Ok(());
        }
        self.require(caller, Need::Read).await.map(drop)
    }
}

/// Whether `principal` may replace or delete an object whose recorded owner is `owner` in a
/// bucket with `write` mode: admins always; everyone in a `shared` bucket; else only the owner.
/// Errors: 403 `not_owner`.
pub(crate) fn may_change(
    principal: &Principal,
    write: WriteMode,
    owner: Option<&str>,
) -> Result<(), ApiError> {
    let own = owner.is_some_and(|o| o == principal.user_id.to_string());
    if principal.role == Role::Admin || write == WriteMode::Shared || own {
        return Ok(());
    }
    Err(ApiError::new(
        Code::NotOwner,
        match owner {
            Some(_) => "this object belongs to another user",
            None => "this object has no recorded owner: only an administrator may change it",
        },
    ))
}

/// Whether the overview shows everyone's figures per user (`owners`), not only the caller's.
pub(crate) fn sees_all_usage(principal: &Principal) -> bool {
    principal.role == Role::Admin
}

/// Under which precondition `principal` may write over `current` (what the key holds now, if
/// anything), so that the decision still holds when the write commits: a new key must still be
/// free (`Absent`); an object changed by its owner must still be the version checked
/// (`Unchanged`); admins and `shared` buckets overwrite whatever is there (`Any`). Errors: 403
/// `not_owner`, as [`may_change`].
pub(crate) fn write_precondition(
    principal: &Principal,
    write: WriteMode,
    current: Option<Current>,
) -> Result<Precondition, ApiError> {
    let Some(current) = current else {
        return Ok(Precondition::Absent);
    };
    may_change(principal, write, current.owner.as_deref())?;
    if principal.role == Role::Admin || write == WriteMode::Shared {
        return Ok(Precondition::Any);
    }
    Ok(Precondition::Unchanged { etag: current.etag })
}

/// Whether a deletion link made for the version `etag` may delete what the key holds `now`:
/// only that very version; a replaced object stays. Errors: `object_changed`.
pub(crate) fn ticket_allows(
    etag: &str,
    now: &Current,
    bucket: &BucketName,
    key: &storage::ObjectKey,
) -> Result<(), ApiError> {
    if now.etag == etag {
        return Ok(());
    }
    Err(storage::Error::Changed {
        bucket: bucket.to_string(),
        key: key.to_string(),
    }
    .into())
}

/// Whether `principal` holds an API token: what a tool configuration may embed (it is kept in
/// plain text; a login session's token is short-lived and tied to the session). Errors: 403
/// `api_token_required`.
pub(crate) fn is_api_token(principal: &Principal) -> Result<(), ApiError> {
    match principal.via {
        Via::Token { .. } => Ok(()),
        Via::Session { .. } => Err(ApiError::new(
            Code::ApiTokenRequired,
            "a ShareX configuration holds an API token: create one with the `upload` scope (POST /api/v1/auth/tokens) and call this with it",
        )),
    }
}

/// Who asks for `/metrics`, as the handler saw it.
#[derive(Debug, Clone, Copy)]
pub struct MetricsReader<'a> {
    /// The TCP peer's address (not a forwarded one).
    pub peer: Option<std::net::IpAddr>,
    /// Whether the request carries `Forwarded`, `X-Forwarded-For` or `X-Real-IP`: a proxy on
    /// the same host forwards outside clients from a loopback address.
    pub forwarded: bool,
    /// The `Authorization: Bearer` token, if any.
    pub bearer: Option<&'a str>,
    /// The configured `metrics.token`.
    pub token: Option<&'a secrecy::SecretString>,
    /// Whether the request came to the dedicated `metrics.listen` address.
    pub dedicated: bool,
}

/// Whether `reader` may scrape `/metrics`: anyone holding `metrics.token`; without it, anyone
/// on the dedicated listener when no token is set, and on the main port a client on the same
/// host (a loopback peer, not forwarded by a proxy). The token is compared in constant time.
/// Errors: 403 `metrics_forbidden`.
pub(crate) fn may_read_metrics(reader: &MetricsReader<'_>) -> Result<(), ApiError> {
    use secrecy::ExposeSecret;
    let holds_token = match (reader.token, reader.bearer) {
        (Some(token), Some(bearer)) => {
            constant_time_eq(token.expose_secret().as_bytes(), bearer.as_bytes())
        }
        _ => false,
    };
    let allowed = holds_token
        || if reader.dedicated {
            reader.token.is_none()
        } else {
            !reader.forwarded && reader.peer.is_some_and(|ip| ip.is_loopback())
        };
    if allowed {
        return Ok(());
    }
    Err(ApiError::new(
        Code::MetricsForbidden,
        if reader.dedicated {
            "this metrics listener needs the metrics token (Authorization: Bearer)"
        } else {
            "metrics are served to clients on the same host, to the metrics token (Authorization: Bearer), or on metrics.listen"
        },
    ))
}

/// Equal contents, in a time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `principal` may mint a token with `scopes`: `admin` only by an administrator.
pub(crate) fn may_mint(principal: &Principal, scopes: &[Scope]) -> Result<(), ApiError> {
    if scopes.contains(&Scope::Admin) && principal.role != Role::Admin {
        return Err(ApiError::new(
            Code::AdminRequired,
            "only an administrator may mint a token with the `admin` scope",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_for_the_same_host_the_token_or_the_dedicated_listener() {
        let token = secrecy::SecretString::from("scrape-me");
        let local = Some(std::net::IpAddr::from([127, 0, 0, 1]));
        let remote = Some(std::net::IpAddr::from([10, 0, 0, 7]));
        let reader = |peer, forwarded, bearer, token, dedicated| MetricsReader {
            peer,
            forwarded,
            bearer,
            token,
            dedicated,
        };
        assert!(may_read_metrics(&reader(local, false, None, None, false)).is_ok());
        assert!(may_read_metrics(&reader(local, true, None, None, false)).is_err());
        assert!(may_read_metrics(&reader(remote, false, None, None, false)).is_err());
        let with_token = Some(&token);
        assert!(
            may_read_metrics(&reader(remote, true, Some("scrape-me"), with_token, false)).is_ok()
        );
        assert!(
            may_read_metrics(&reader(remote, false, Some("scrape-mf"), with_token, false)).is_err()
        );
        assert!(may_read_metrics(&reader(remote, false, None, None, true)).is_ok());
        assert!(may_read_metrics(&reader(remote, false, None, with_token, true)).is_err());
        assert!(
            may_read_metrics(&reader(remote, false, Some("scrape-me"), with_token, true)).is_ok()
        );
    }
    use uuid::Uuid;

    fn user(role: Role) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            role,
            via: Via::Session { id: "s".into() },
        }
    }

    #[test]
    fn only_owners_admins_and_shared_buckets_may_change_an_object() {
        let alice = user(Role::User);
        let admin = user(Role::Admin);
        let alices = alice.user_id.to_string();
        let bobs = Uuid::now_v7().to_string();
        assert!(may_change(&alice, WriteMode::Owner, Some(&alices)).is_ok());
        assert!(may_change(&alice, WriteMode::Owner, Some(&bobs)).is_err());
        assert!(may_change(&alice, WriteMode::Owner, None).is_err());
        assert!(may_change(&alice, WriteMode::Shared, Some(&bobs)).is_ok());
        assert!(may_change(&admin, WriteMode::Owner, Some(&bobs)).is_ok());
        assert!(may_change(&admin, WriteMode::Owner, None).is_ok());
    }

    #[test]
    fn only_admins_mint_admin_tokens() {
        assert!(may_mint(&user(Role::User), &[Scope::Read, Scope::Upload]).is_ok());
        assert!(may_mint(&user(Role::User), &[Scope::Admin]).is_err());
        assert!(may_mint(&user(Role::Admin), &[Scope::Admin]).is_ok());
    }
}
