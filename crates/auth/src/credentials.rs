//! Password checks: login and password changes, throttled, with the same cost and the same
//! error whether or not the account exists.

use std::time::Duration;

use crate::accounts::StoredUser;
use crate::error::{Error, FieldError};
use crate::model::{Device, Principal, TokenPair, User};
use crate::password::{self, Password};
use crate::service::Auth;
use crate::throttle::{Keys, LoginId};

impl Auth {
    /// `login` is a phone number or an email. `access_ttl` overrides the access-token lifetime
    /// (seed clients, which cannot refresh, get `compat_token_ttl_secs`).
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        device: Device,
        access_ttl: Option<Duration>,
    ) -> Result<(User, TokenPair), Error> {
        let id = LoginId::parse(login);
        let keys = Keys::login(&id, device.ip.as_deref());
        let stored = self.checked_login(&id, &keys, password).await?;
        let ttl = access_ttl.map_or(self.inner.settings.access_token_ttl_secs, |d| {
            d.as_secs().max(1)
        });
        let pair = self.start_session(&stored.user, device, ttl).await?;
        tracing::info!(user_id = %stored.user.id, session_id = %pair.session_id, "login");
        Ok((stored.user, pair))
    }

    /// Changes the caller's password and ends every other session of theirs.
    pub async fn change_password(&self, p: &Principal, old: &str, new: &str) -> Result<(), Error> {
        let new = parse_new_password(new)?;
        let keys = Keys::user(p.user_id);
        let store = self.inner.store.as_ref();
        self.inner.throttle.check(store, &keys).await?;
        let stored = self
            .inner
            .accounts
            .by_id(p.user_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let stored = self.verified(&keys, Some(stored), old).await?;
        self.set_password(stored, &new).await?;
        store.delete_for_user(p.user_id, Some(&p.session_id)).await
    }

    /// The seed's `/auth/change`: identified by login and old password; ends every session.
    pub async fn change_password_by_login(
        &self,
        login: &str,
        old: &str,
        new: &str,
    ) -> Result<(), Error> {
        let new = parse_new_password(new)?;
        let id = LoginId::parse(login);
        let keys = Keys::login(&id, None);
        let stored = self.checked_login(&id, &keys, old).await?;
        let user_id = stored.user.id;
        self.set_password(stored, &new).await?;
        self.inner.store.delete_for_user(user_id, None).await
    }

    /// Throttle check, account lookup and password check.
    async fn checked_login(
        &self,
        id: &LoginId,
        keys: &Keys,
        password: &str,
    ) -> Result<StoredUser, Error> {
        self.inner
            .throttle
            .check(self.inner.store.as_ref(), keys)
            .await?;
        let stored = match id {
            LoginId::Email(email) => self.inner.accounts.by_email(email).await?,
            LoginId::Phone(phone) => self.inner.accounts.by_phone(phone).await?,
            LoginId::Other(_) => None,
        };
        self.verified(keys, stored, password).await
    }

    /// Runs bcrypt whether or not there is an account (against a dummy hash if not), counts a
    /// failure or clears the counter, and returns the account only if the password matched.
    async fn verified(
        &self,
        keys: &Keys,
        stored: Option<StoredUser>,
        password: &str,
    ) -> Result<StoredUser, Error> {
        let hash = stored.as_ref().map_or_else(
            || self.inner.dummy_hash.clone(),
            |s| s.password_hash.clone(),
        );
        let matches = password::verify(password, hash).await?;
        let store = self.inner.store.as_ref();
        match stored {
            Some(stored) if matches => {
                self.inner.throttle.succeeded(store, keys).await?;
                Ok(stored)
            }
            _ => {
                self.inner.throttle.failed(store, keys).await?;
                Err(Error::InvalidCredentials)
            }
        }
    }

    async fn set_password(&self, mut stored: StoredUser, new: &Password) -> Result<(), Error> {
        stored.password_hash = new.hash(self.inner.settings.bcrypt_cost).await?;
        self.inner.accounts.put(&stored).await?;
        tracing::info!(user_id = %stored.user.id, "password changed");
        Ok(())
    }
}

fn parse_new_password(new: &str) -> Result<Password, Error> {
    Password::parse(new).map_err(|e| Error::Validation(vec![FieldError::new("newPassword", e.0)]))
}
