//! Invitation codes (for `registration = "invite"`): created, listed and revoked by
//! administrators; consumed by `sign_up`.

use std::time::Duration;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Error, FieldError};
use crate::invitation::{self, Invitation, MAX_INVITATION_TTL_SECS};
use crate::service::Auth;

impl Auth {
    /// A new single-use code from user `by`, valid for `ttl` (default `invitation_ttl_secs`).
    /// Errors: `Validation` (field `expiresIn`) unless 1 s ≤ ttl ≤ 30 days; `Unavailable`.
    pub async fn create_invitation(
        &self,
        by: Uuid,
        ttl: Option<Duration>,
    ) -> Result<Invitation, Error> {
        let ttl = ttl.unwrap_or(Duration::from_secs(self.inner.settings.invitation_ttl_secs));
        if ttl < Duration::from_secs(1) || ttl > Duration::from_secs(MAX_INVITATION_TTL_SECS) {
            return Err(Error::Validation(vec![FieldError::new(
                "expiresIn",
                format!("must be between 1 and {MAX_INVITATION_TTL_SECS} seconds"),
            )]));
        }
        let created_at = OffsetDateTime::now_utc();
        let invitation = Invitation {
            code: invitation::new_code(),
            created_by: by,
            created_at,
            expires_at: created_at + ttl,
        };
        self.inner.store.put_invitation(&invitation).await?;
        tracing::warn!(
            target: "security",
            event = "invitation_created",
            user_id = %by,
            expires_at = %invitation.expires_at,
            "invitation created"
        );
        Ok(invitation)
    }

    /// Unexpired, unused invitations, newest first. `Unavailable`.
    pub async fn invitations(&self) -> Result<Vec<Invitation>, Error> {
        let now = OffsetDateTime::now_utc();
        let mut all = self.inner.store.invitations().await?;
        all.retain(|i| i.expires_at > now);
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.code.cmp(&b.code)));
        Ok(all)
    }

    /// Revokes an unused code. Errors: `InvitationNotFound` (unknown, used or expired),
    /// `Unavailable`.
    pub async fn revoke_invitation(&self, code: &str) -> Result<(), Error> {
        if !invitation::is_code(code) || !self.inner.store.delete_invitation(code).await? {
            return Err(Error::InvitationNotFound);
        }
        tracing::warn!(target: "security", event = "invitation_revoked", "invitation revoked");
        Ok(())
    }
}
