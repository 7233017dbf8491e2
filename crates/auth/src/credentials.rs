//! Password checks: login and password changes, throttled before the password is checked, with
//! the same cost and the same error whether or not the account exists.

use std::time::Duration;

use uuid::Uuid;

use crate::accounts::StoredUser;
use crate::error::{Error, FieldError};
use crate::metrics::{LoginOutcome, Revocation};
use crate::model::{Device, Principal, TokenPair, User};
use crate::password::{self, Password};
use crate::service::Auth;
use crate::throttle::{Attempt, LoginId};

impl Auth {
    /// Logs in with a phone number or an email and the password; returns the account and a new
    /// session's token pair. `device.ip` is the client IP used for throttling (and shown in the
    /// session list). `access_ttl`: for seed clients, which cannot refresh: the access token AND
    /// the session live that long (at least 1 s); `None`: `access_token_ttl_secs`, and the
    /// session `refresh_token_ttl_secs`. Keeps at most `max_sessions_per_user` sessions (the
    /// oldest are ended).
    ///
    /// Errors: `InvalidCredentials` (unknown login or wrong password, or the password changed
    /// while this login ran), `AccountDisabled` (right password, disabled account),
    /// `TooManyAttempts`, `Unavailable`.
    ///
    /// Counted in `picgate_auth_logins_total`: `success`, `failure` (`InvalidCredentials`) or
    /// `throttled` (`TooManyAttempts`); other errors are not counted.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        device: Device,
        access_ttl: Option<Duration>,
    ) -> Result<(User, TokenPair), Error> {
        let result = self.try_login(login, password, device, access_ttl).await;
        let outcome = match &result {
            Ok(_) => Some(LoginOutcome::Success),
            Err(Error::InvalidCredentials) => Some(LoginOutcome::Failure),
            Err(Error::TooManyAttempts { .. }) => Some(LoginOutcome::Throttled),
            Err(_) => None,
        };
        if let Some(outcome) = outcome {
            self.inner.metrics.count_login(outcome);
        }
        result
    }

    async fn try_login(
        &self,
        login: &str,
        password: &str,
        device: Device,
        access_ttl: Option<Duration>,
    ) -> Result<(User, TokenPair), Error> {
        let id = LoginId::parse(login);
        let user_id = self.user_id_of(&id).await?;
        let attempt = Attempt::login(&id, user_id, device.ip.as_deref());
        self.inner
            .throttle
            .reserve(self.inner.store.as_ref(), &attempt)
            .await?;
        // The epoch is read BEFORE the password hash: a password change that lands after this
        // moves the epoch on, and the session below is refused or dies with it.
        let state = match user_id {
            Some(uid) => self.current_state(uid).await?,
            None => None,
        };
        let stored = match (user_id, state) {
            (Some(uid), Some(_)) => self.inner.accounts.by_id(uid).await?,
            _ => None,
        };
        let stored = self.verified(&attempt, stored, password).await?;
        let state = state.ok_or(Error::InvalidCredentials)?;
        if state.disabled || stored.user.disabled {
            return Err(self.disabled_login(&attempt));
        }
        let settings = &self.inner.settings;
        let (access_ttl, session_ttl) = match access_ttl {
            Some(ttl) => (ttl.as_secs().max(1), ttl.as_secs().max(1)),
            None => (
                settings.access_token_ttl_secs,
                settings.refresh_token_ttl_secs,
            ),
        };
        let started = self
            .start_session(&stored.user, device, state.epoch, access_ttl, session_ttl)
            .await?;
        let Some(pair) = started else {
            // The epoch moved on while the password was checked.
            let now = self.current_state(stored.user.id).await?;
            return Err(if now.is_some_and(|s| s.disabled) {
                self.disabled_login(&attempt)
            } else {
                Error::InvalidCredentials
            });
        };
        tracing::info!(user_id = %stored.user.id, session_id = %pair.session_id, "login");
        Ok((stored.user, pair))
    }

    /// Changes the caller's password, throttled per account and per `ip` like a login. Every
    /// other session of the user ends, including one whose login is racing this change; the
    /// caller's own session (if `p` came with one) stays valid. API tokens survive. Not a
    /// login for `picgate_auth_logins_total`; a change counts 1 `password_change` in
    /// `picgate_auth_session_revocations_total` (however many sessions it ended).
    ///
    /// Errors: `Validation` (field `newPassword`), `InvalidCredentials` (wrong `old`),
    /// `TooManyAttempts`, `UserNotFound`, `Unavailable`.
    pub async fn change_password(
        &self,
        p: &Principal,
        old: &str,
        new: &str,
        ip: Option<&str>,
    ) -> Result<(), Error> {
        let new = parse_new_password(new)?;
        let attempt = Attempt::user(p.user_id, ip);
        self.inner
            .throttle
            .reserve(self.inner.store.as_ref(), &attempt)
            .await?;
        let stored = self
            .inner
            .accounts
            .by_id(p.user_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        self.verified(&attempt, Some(stored), old).await?;
        self.set_password(p.user_id, &new, p.session_id(), ip).await
    }

    /// The seed's `/auth/change`: identified by login and old password; ends every session
    /// (counted as [`Auth::change_password`] is).
    /// Same errors as [`Auth::change_password`], and `AccountDisabled` for a disabled account
    /// (it cannot log in, so it cannot change its password either).
    pub async fn change_password_by_login(
        &self,
        login: &str,
        old: &str,
        new: &str,
        ip: Option<&str>,
    ) -> Result<(), Error> {
        let new = parse_new_password(new)?;
        let id = LoginId::parse(login);
        let user_id = self.user_id_of(&id).await?;
        let attempt = Attempt::login(&id, user_id, ip);
        self.inner
            .throttle
            .reserve(self.inner.store.as_ref(), &attempt)
            .await?;
        let stored = match user_id {
            Some(uid) => self.inner.accounts.by_id(uid).await?,
            None => None,
        };
        let stored = self.verified(&attempt, stored, old).await?;
        let disabled = self
            .current_state(stored.user.id)
            .await?
            .is_some_and(|s| s.disabled);
        if disabled || stored.user.disabled {
            return Err(self.disabled_login(&attempt));
        }
        self.set_password(stored.user.id, &new, None, ip).await
    }

    async fn user_id_of(&self, id: &LoginId) -> Result<Option<Uuid>, Error> {
        match id {
            LoginId::Email(email) => self.inner.accounts.id_by_email(email).await,
            LoginId::Phone(phone) => self.inner.accounts.id_by_phone(phone).await,
            LoginId::Other(_) => Ok(None),
        }
    }

    /// Runs bcrypt whether or not there is an account (against a dummy hash if not). The
    /// attempt was counted when reserved; a match releases it. Returns the account only if the
    /// password matched.
    async fn verified(
        &self,
        attempt: &Attempt,
        stored: Option<StoredUser>,
        password: &str,
    ) -> Result<StoredUser, Error> {
        let hash = match &stored {
            Some(s) => s.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let matches = password::verify(password, hash).await?;
        match stored {
            Some(stored) if matches => {
                self.inner
                    .throttle
                    .succeeded(self.inner.store.as_ref(), attempt)
                    .await?;
                Ok(stored)
            }
            _ => {
                tracing::warn!(
                    target: "security",
                    event = "login_failed",
                    ip = attempt.client_ip.as_deref(),
                    user_id = attempt.user_id.map(|u| u.to_string()),
                    "wrong login or password"
                );
                Err(Error::InvalidCredentials)
            }
        }
    }

    fn disabled_login(&self, attempt: &Attempt) -> Error {
        tracing::warn!(
            target: "security",
            event = "login_failed",
            reason = "disabled",
            ip = attempt.client_ip.as_deref(),
            user_id = attempt.user_id.map(|u| u.to_string()),
            "login to a disabled account"
        );
        Error::AccountDisabled
    }

    /// Writes the new hash, then moves the epoch on (ending every session but `keep`).
    async fn set_password(
        &self,
        user_id: Uuid,
        new: &Password,
        keep: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), Error> {
        let hash = new.hash(self.inner.settings.bcrypt_cost).await?;
        self.inner
            .accounts
            .update(user_id, |s| s.password_hash = hash)
            .await?;
        self.inner.store.end_sessions(user_id, keep).await?;
        // The store does not say how many sessions ended: one per change.
        self.inner
            .metrics
            .count_revocations(Revocation::PasswordChange, 1);
        tracing::warn!(
            target: "security",
            event = "password_changed",
            user_id = %user_id,
            ip,
            "password changed; other sessions ended"
        );
        Ok(())
    }
}

fn parse_new_password(new: &str) -> Result<Password, Error> {
    Password::parse(new).map_err(|e| Error::Validation(vec![FieldError::new("newPassword", e.0)]))
}
