//! Sign-up, login, sessions and the caller's own account.

use std::time::Duration;

use auth::{NewAccount, Role, SessionInfo, TokenPair, User};

use super::{Caller, Need, Service};
use crate::error::ApiError;

impl Service {
    /// Who may sign up (`auth.registration`); anyone may ask.
    pub fn registration(&self) -> auth::Registration {
        self.auth.registration()
    }

    /// Self-service sign-up as a plain user, as `auth.registration` allows (`invitation` for
    /// `invite`). Errors: `registration_closed`, `invitation_required`, `invalid_invitation`,
    /// `too_many_attempts` (per client IP, before uniqueness is checked), `account_exists`,
    /// `validation_failed`.
    pub async fn register(
        &self,
        caller: &Caller,
        account: NewAccount,
        invitation: Option<&str>,
    ) -> Result<User, ApiError> {
        let account = NewAccount {
            role: Role::User,
            ..account
        };
        Ok(self.auth.sign_up(account, invitation, caller.ip()).await?)
    }

    /// Logs in with a phone or email and a password. `session_ttl` (seed clients, which cannot
    /// refresh) makes the session end with its access token. Errors: `invalid_credentials`,
    /// `too_many_attempts`, `account_disabled`.
    pub async fn login(
        &self,
        caller: &Caller,
        login: &str,
        password: &str,
        session_ttl: Option<Duration>,
    ) -> Result<(User, TokenPair), ApiError> {
        Ok(self
            .auth
            .login(login, password, caller.device().clone(), session_ttl)
            .await?)
    }

    /// Spends a refresh token for a new pair; reusing a spent one ends the session.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ApiError> {
        Ok(self.auth.refresh(refresh_token).await?)
    }

    /// Ends the caller's session at once, on every instance. Needs [`Need::Session`].
    pub async fn logout(&self, caller: &Caller) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self.auth.logout(principal).await?)
    }

    /// Changes the caller's password; every other session ends. Throttled per account and per
    /// client IP like a login. Needs [`Need::Session`].
    pub async fn change_password(
        &self,
        caller: &Caller,
        old: &str,
        new: &str,
    ) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self
            .auth
            .change_password(principal, old, new, caller.ip())
            .await?)
    }

    /// The seed's password change, by login and old password; every session ends.
    pub async fn change_password_by_login(
        &self,
        caller: &Caller,
        login: &str,
        old: &str,
        new: &str,
    ) -> Result<(), ApiError> {
        Ok(self
            .auth
            .change_password_by_login(login, old, new, caller.ip())
            .await?)
    }

    /// The caller's sessions, newest first. Needs [`Need::Session`].
    pub async fn sessions(&self, caller: &Caller) -> Result<Vec<SessionInfo>, ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self.auth.sessions(principal).await?)
    }

    /// Ends one of the caller's sessions. Errors: `session_not_found`.
    pub async fn revoke_session(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self.auth.revoke_session(principal, id).await?)
    }

    /// The caller's account. Needs [`Need::Account`].
    pub async fn me(&self, caller: &Caller) -> Result<User, ApiError> {
        let principal = self.require(caller, Need::Account).await?;
        Ok(self.auth.user(principal.user_id).await?)
    }
}
