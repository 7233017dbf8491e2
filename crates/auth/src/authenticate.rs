//! Checking credentials on every request (`authenticate`) and refreshing token pairs.

use crate::api_token::{self, TOKEN_PREFIX};
use crate::error::Error;
use crate::model::{Principal, TokenPair, Via};
use crate::refresh;
use crate::service::{Auth, TOUCH_INTERVAL_SECS, unix_now};
use crate::session::{Rotation, Session, UserState};

impl Auth {
    /// Accepts a JWT access token or an API token (`pgt_<id>_<secret>`).
    ///
    /// A JWT is valid while its signature and `exp` hold, its session exists, the session's
    /// credential epoch is the user's current one and the user is not disabled. An API token is
    /// valid while it exists, its secret matches, it has not expired and its user is not
    /// disabled. The principal carries the user's current role.
    ///
    /// Errors: `InvalidToken` (malformed, forged, wrong secret), `TokenExpired`,
    /// `SessionRevoked` (session or token gone, epoch moved on, user disabled or deleted),
    /// `Unavailable` (store down: fail closed).
    pub async fn authenticate(&self, credential: &str) -> Result<Principal, Error> {
        if credential.starts_with(TOKEN_PREFIX) {
            return self.authenticate_token(credential).await;
        }
        let claims = self.inner.jwt.verify(credential)?;
        if !refresh::is_session_id(&claims.sid) {
            return Err(Error::InvalidToken);
        }
        let (session, state) = self.inner.store.session_with_state(&claims.sid).await?;
        let session = session.ok_or(Error::SessionRevoked)?;
        if session.user_id != claims.sub {
            return Err(Error::InvalidToken);
        }
        let state = self.valid_state(&session, state).await?;
        let now = unix_now();
        if now - session.last_seen >= TOUCH_INTERVAL_SECS {
            self.inner.store.touch(&session.id, now).await?;
        }
        Ok(Principal {
            user_id: session.user_id,
            role: state.role,
            via: Via::Session { id: session.id },
        })
    }

    async fn authenticate_token(&self, credential: &str) -> Result<Principal, Error> {
        let (id, presented) = api_token::parse(credential)?;
        let (token, state) = self.inner.store.token_with_state(id).await?;
        let token = token.ok_or(Error::SessionRevoked)?;
        if token.secret_hash != presented {
            return Err(Error::InvalidToken);
        }
        let now = unix_now();
        if token.expires_at.is_some_and(|exp| exp <= now) {
            return Err(Error::TokenExpired);
        }
        let state = self
            .state_or_load(token.user_id, state)
            .await?
            .ok_or(Error::SessionRevoked)?;
        if state.disabled {
            return Err(Error::SessionRevoked);
        }
        if token
            .last_used
            .is_none_or(|used| now - used >= TOUCH_INTERVAL_SECS)
        {
            self.inner.store.touch_token(&token.id, now).await?;
        }
        Ok(Principal {
            user_id: token.user_id,
            role: state.role,
            via: Via::Token {
                id: token.id,
                scopes: token.scopes,
            },
        })
    }

    /// The user's state if `session` is still valid under it; else the session is deleted and
    /// `SessionRevoked`.
    async fn valid_state(
        &self,
        session: &Session,
        state: Option<UserState>,
    ) -> Result<UserState, Error> {
        match self.state_or_load(session.user_id, state).await? {
            Some(state) if !state.disabled && state.epoch == session.epoch => Ok(state),
            _ => {
                self.inner.store.delete(&session.id).await?;
                Err(Error::SessionRevoked)
            }
        }
    }

    /// Spends `refresh_token` (`<session id>.<secret>`) and returns a new pair for the same
    /// session, whose lifetime starts again. A token that was already spent ends the session:
    /// whoever holds the other copy is logged out too (counted in
    /// `picgate_auth_refresh_token_reuse_total` and as `refresh_token_reuse` in
    /// `picgate_auth_session_revocations_total`). Errors: `InvalidToken` (malformed),
    /// `SessionRevoked` (spent, session gone or no longer valid), `Unavailable`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, Error> {
        let (sid, presented) = refresh::parse(refresh_token)?;
        let (token, new_hash) = refresh::generate(sid);
        let rotation = self
            .inner
            .store
            .rotate(sid, &presented, &new_hash, unix_now())
            .await?;
        match rotation {
            Rotation::Rotated(session) => {
                let state = self.inner.store.user_state(session.user_id).await?;
                self.valid_state(&session, state).await?;
                let ttl = self
                    .inner
                    .settings
                    .access_token_ttl_secs
                    .min(session.ttl_secs);
                let access_token = self.issue_access(session.user_id, &session.id, ttl)?;
                Ok(TokenPair {
                    access_token,
                    refresh_token: token,
                    expires_in: ttl,
                    session_id: session.id,
                })
            }
            Rotation::Reused => {
                self.inner.metrics.count_refresh_reuse();
                tracing::warn!(
                    target: "security",
                    event = "refresh_token_reuse",
                    session_id = sid,
                    "spent refresh token reused: session revoked"
                );
                Err(Error::SessionRevoked)
            }
            Rotation::Missing => Err(Error::SessionRevoked),
        }
    }
}
