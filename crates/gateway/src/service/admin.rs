//! Administration: users and invitations. Every method needs [`Need::Admin`].

use std::time::Duration;

use auth::{Invitation, Role, User};
use uuid::Uuid;

use super::{Caller, Need, Service};
use crate::error::{ApiError, Code};

/// A change to a user; absent fields stay as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserUpdate {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
}

impl Service {
    /// Every account, oldest first.
    pub async fn users(&self, caller: &Caller) -> Result<Vec<User>, ApiError> {
        self.require(caller, Need::Admin).await?;
        Ok(self.auth.users().await?)
    }

    /// Disables, re-enables or changes the role of a user. Disabling ends every session and
    /// API token of theirs at once. Administrators cannot disable or demote themselves (so an
    /// instance always keeps the admin who is acting). Errors: `user_not_found`, `forbidden`.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: Uuid,
        update: UserUpdate,
    ) -> Result<User, ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        let own = principal.user_id == id;
        if own && (update.disabled == Some(true) || update.role == Some(Role::User)) {
            return Err(ApiError::new(
                Code::Forbidden,
                "administrators cannot disable or demote themselves",
            ));
        }
        let mut user = self.auth.user(id).await?;
        if let Some(role) = update.role {
            user = self.auth.set_role(id, role).await?;
        }
        if let Some(disabled) = update.disabled {
            user = self.auth.set_disabled(id, disabled).await?;
        }
        tracing::info!(
            target: "security",
            event = "user_updated",
            admin_id = %principal.user_id,
            user_id = %id,
            disabled = update.disabled,
            role = update.role.map(|r| r.as_str()),
            "user updated"
        );
        Ok(user)
    }

    /// Deletes a user: sessions and tokens end at once, the phone and email are free again.
    /// Their objects stay, owned by nobody that exists: administrators may remove them.
    /// Errors: `user_not_found`, `forbidden` (one's own account).
    pub async fn delete_user(&self, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        if principal.user_id == id {
            return Err(ApiError::new(
                Code::Forbidden,
                "administrators cannot delete themselves",
            ));
        }
        Ok(self.auth.delete_user(id).await?)
    }

    /// A single-use invitation code for `auth.registration = "invite"`.
    pub async fn create_invitation(
        &self,
        caller: &Caller,
        expires_in: Option<Duration>,
    ) -> Result<Invitation, ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        Ok(self
            .auth
            .create_invitation(principal.user_id, expires_in)
            .await?)
    }

    /// Open invitations, newest first.
    pub async fn invitations(&self, caller: &Caller) -> Result<Vec<Invitation>, ApiError> {
        self.require(caller, Need::Admin).await?;
        Ok(self.auth.invitations().await?)
    }

    /// Withdraws an invitation. Errors: `invitation_not_found`.
    pub async fn revoke_invitation(&self, caller: &Caller, code: &str) -> Result<(), ApiError> {
        self.require(caller, Need::Admin).await?;
        Ok(self.auth.revoke_invitation(code).await?)
    }
}
