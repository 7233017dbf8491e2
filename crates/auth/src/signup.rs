//! Creating accounts: self-service sign-up (mode, invitation, throttle) and the operators'
//! unthrottled `register`.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::StoredUser;
use crate::error::Error;
use crate::invitation::{self, Invitation};
use crate::model::{NewAccount, Role, User};
use crate::registration::AccountInput;
use crate::service::Auth;
use crate::settings::Registration;

impl Auth {
    /// Self-service sign-up of a plain user (`a.role` is ignored), from client `ip`.
    ///
    /// In order: `RegistrationClosed` (`registration = "closed"`); `InvitationRequired`
    /// (`"invite"` and no code); `Validation`; `TooManyAttempts` (per-IP counter, reserved
    /// before the uniqueness check, given back on success); `InvalidInvitation` (unknown, used
    /// or expired code); `AccountExists` (checked before the password is hashed). The code is
    /// consumed atomically (single use) only when the account is created. `Unavailable`.
    pub async fn sign_up(
        &self,
        a: NewAccount,
        invitation: Option<&str>,
        ip: Option<&str>,
    ) -> Result<User, Error> {
        let code = match (self.inner.settings.registration, invitation) {
            (Registration::Closed, _) => return Err(Error::RegistrationClosed),
            (Registration::Invite, None) => return Err(Error::InvitationRequired),
            (Registration::Invite, Some(code)) => Some(code),
            (Registration::Open, _) => None,
        };
        let input = AccountInput::parse(NewAccount {
            role: Role::User,
            ..a
        })?;
        let store = self.inner.store.as_ref();
        let counter = self.inner.throttle.reserve_sign_up(store, ip).await?;
        if let Some(code) = code
            && (!invitation::is_code(code) || store.invitation(code).await?.is_none())
        {
            return Err(Error::InvalidInvitation);
        }
        if self
            .inner
            .accounts
            .taken(&input.phone, &input.email)
            .await?
        {
            return Err(Error::AccountExists);
        }
        let hash = input.password.hash(self.inner.settings.bcrypt_cost).await?;
        let taken = match code {
            Some(code) => Some(
                store
                    .take_invitation(code)
                    .await?
                    .ok_or(Error::InvalidInvitation)?,
            ),
            None => None,
        };
        let user = match self.create_account(input, hash).await {
            Ok(user) => user,
            Err(err) => {
                if let Some(invitation) = taken {
                    self.give_back(&invitation).await;
                }
                return Err(err);
            }
        };
        if let Some(key) = counter {
            store.release(&[], &[key]).await?;
        }
        if let Some(invitation) = taken {
            tracing::info!(
                user_id = %user.id,
                invited_by = %invitation.created_by,
                "invitation used"
            );
        }
        Ok(user)
    }

    /// Creates an account with `a.role`, unthrottled, whatever the registration mode (for the
    /// CLI and administrators). Errors: `Validation` with every bad field (`phone`, `email`,
    /// `password`, `name`, `tfs`), `AccountExists`, `Unavailable`.
    pub async fn register(&self, a: NewAccount) -> Result<User, Error> {
        let input = AccountInput::parse(a)?;
        if self
            .inner
            .accounts
            .taken(&input.phone, &input.email)
            .await?
        {
            return Err(Error::AccountExists);
        }
        let hash = input.password.hash(self.inner.settings.bcrypt_cost).await?;
        self.create_account(input, hash).await
    }

    async fn create_account(
        &self,
        input: AccountInput,
        password_hash: String,
    ) -> Result<User, Error> {
        let stored = StoredUser {
            user: User {
                id: Uuid::now_v7(),
                phone: input.phone.to_string(),
                email: input.email.to_string(),
                name: input.name,
                tfs: input.tfs,
                role: input.role,
                created_at: OffsetDateTime::now_utc(),
                disabled: false,
            },
            password_hash,
        };
        self.inner
            .accounts
            .create(&stored, &input.phone, &input.email)
            .await?;
        tracing::info!(user_id = %stored.user.id, "account registered");
        Ok(stored.user)
    }

    /// Puts back an invitation taken for a sign-up that then failed (best effort).
    async fn give_back(&self, invitation: &Invitation) {
        if let Err(err) = self.inner.store.put_invitation(invitation).await {
            tracing::warn!(error = %err, "could not restore an unused invitation");
        }
    }
}
