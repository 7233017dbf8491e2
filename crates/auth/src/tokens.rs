//! API tokens of a user: created (secret shown once), listed, revoked. Which scopes a
//! principal may mint is the gateway's decision.

use std::time::Duration;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::api_token::{self, ApiToken, MAX_TOKEN_NAME_CHARS, NewToken};
use crate::error::{Error, FieldError};
use crate::model::Principal;
use crate::scope::Scope;
use crate::service::{Auth, unix_now};
use crate::store::StoredToken;

/// Longest token lifetime: 10 years, in seconds.
pub const MAX_TOKEN_TTL_SECS: u64 = 10 * 365 * 24 * 3600;
/// An expired token is kept this long (seconds) so that it is reported as `TokenExpired`
/// rather than as revoked.
const EXPIRED_KEPT_SECS: u64 = 7 * 24 * 3600;

impl Auth {
    /// Creates an API token for `p`'s user. `name`: 1..=64 characters after trimming, no
    /// control characters; `scopes`: non-empty (duplicates dropped); `expires_in`: 1 s..=10
    /// years, `None` = until revoked. Only the SHA-256 of the secret is stored; the returned
    /// `secret` (the whole `pgt_…` token) is shown this once.
    ///
    /// Errors: `Validation` with fields `name` (also when `max_tokens_per_user` live tokens
    /// exist), `scopes`, `expiresIn`; `Unavailable`.
    pub async fn create_token(
        &self,
        p: &Principal,
        name: &str,
        scopes: Vec<Scope>,
        expires_in: Option<Duration>,
    ) -> Result<NewToken, Error> {
        let (name, scopes) = check_token_input(name, scopes, expires_in)?;
        let (id, secret, secret_hash) = api_token::generate();
        let now = unix_now();
        let ttl_secs = expires_in.map(|d| d.as_secs().max(1));
        let stored = StoredToken {
            id,
            user_id: p.user_id,
            name,
            scopes,
            secret_hash,
            created_at: now,
            last_used: None,
            expires_at: ttl_secs.map(|s| now.saturating_add(i64::try_from(s).unwrap_or(i64::MAX))),
        };
        let keep_for = ttl_secs.map(|s| Duration::from_secs(s.saturating_add(EXPIRED_KEPT_SECS)));
        let max = self.inner.settings.max_tokens_per_user;
        if !self
            .inner
            .store
            .create_token(&stored, max, now, keep_for)
            .await?
        {
            return Err(Error::Validation(vec![FieldError::new(
                "name",
                format!("the limit of {max} tokens is reached: revoke one first"),
            )]));
        }
        tracing::warn!(
            target: "security",
            event = "token_created",
            user_id = %p.user_id,
            token_id = %stored.id,
            scopes = ?stored.scopes,
            "API token created"
        );
        Ok(NewToken {
            token: listed(stored),
            secret,
        })
    }

    /// The user's unexpired tokens, newest first. `Unavailable`.
    pub async fn tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>, Error> {
        let now = unix_now();
        let mut tokens = self.inner.store.tokens_for_user(user_id).await?;
        tokens.retain(|t| t.expires_at.is_none_or(|exp| exp > now));
        // Ids are v7 UUIDs: their order is the creation order.
        tokens.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(tokens.into_iter().map(listed).collect())
    }

    /// Revokes a token at once, on every instance. Errors: `TokenNotFound` unless it is one of
    /// the user's; `Unavailable`.
    pub async fn revoke_token(&self, user_id: Uuid, token_id: &str) -> Result<(), Error> {
        if !api_token::is_token_id(token_id)
            || !self.inner.store.delete_token(user_id, token_id).await?
        {
            return Err(Error::TokenNotFound);
        }
        tracing::warn!(
            target: "security",
            event = "token_revoked",
            user_id = %user_id,
            token_id,
            "API token revoked"
        );
        Ok(())
    }
}

fn check_token_input(
    name: &str,
    scopes: Vec<Scope>,
    expires_in: Option<Duration>,
) -> Result<(String, Vec<Scope>), Error> {
    let mut errors = Vec::new();
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_TOKEN_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            format!("must be 1 to {MAX_TOKEN_NAME_CHARS} characters"),
        ));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "must not contain control characters",
        ));
    }
    let mut unique = Vec::new();
    for scope in scopes {
        if !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    if unique.is_empty() {
        errors.push(FieldError::new("scopes", "must name at least one scope"));
    }
    if let Some(ttl) = expires_in
        && (ttl < Duration::from_secs(1) || ttl > Duration::from_secs(MAX_TOKEN_TTL_SECS))
    {
        errors.push(FieldError::new(
            "expiresIn",
            format!("must be between 1 and {MAX_TOKEN_TTL_SECS} seconds"),
        ));
    }
    if errors.is_empty() {
        Ok((name.to_owned(), unique))
    } else {
        Err(Error::Validation(errors))
    }
}

fn listed(t: StoredToken) -> ApiToken {
    let at =
        |secs: i64| OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    ApiToken {
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        created_at: at(t.created_at),
        last_used: t.last_used.map(at),
        expires_at: t.expires_at.map(at),
    }
}
