//! Administration of accounts. The gateway decides who may call these; auth just does them.

use std::time::Duration;

use uuid::Uuid;

use crate::error::Error;
use crate::metrics::Revocation;
use crate::model::{Role, User};
use crate::service::Auth;

impl Auth {
    /// Every account, sorted by `created_at`, then id. `Unavailable`/`Internal` if the
    /// account storage fails.
    pub async fn users(&self) -> Result<Vec<User>, Error> {
        let mut users = self.inner.accounts.all().await?;
        users.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(users)
    }

    /// Disables or re-enables an account. Disabling ends every session and API token of the
    /// user at once, on every instance, and refuses logins (`AccountDisabled`); re-enabling
    /// allows logins again (old sessions and tokens stay dead). Returns the account as now
    /// stored. Each disabling counts 1 `admin` in `picgate_auth_session_revocations_total`
    /// (however many sessions it ended). Errors: `UserNotFound`, `Unavailable`.
    pub async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<User, Error> {
        let store = self.inner.store.as_ref();
        let user = if disabled {
            // The store first: whatever happens next, nothing of theirs works any more.
            self.user(id).await?;
            store.set_disabled(id, true).await?;
            // The store does not say how many sessions ended: one per disabling.
            self.inner.metrics.count_revocations(Revocation::Admin, 1);
            self.inner
                .accounts
                .update(id, |s| s.user.disabled = true)
                .await?
        } else {
            let stored = self
                .inner
                .accounts
                .update(id, |s| s.user.disabled = false)
                .await?;
            store.set_disabled(id, false).await?;
            stored
        };
        let event = if disabled {
            "user_disabled"
        } else {
            "user_enabled"
        };
        tracing::warn!(target: "security", event, user_id = %id, "account state changed");
        Ok(user.user)
    }

    /// Changes the role; it applies at once to the user's sessions and tokens. Returns the
    /// account as now stored. Errors: `UserNotFound`, `Unavailable`.
    pub async fn set_role(&self, id: Uuid, role: Role) -> Result<User, Error> {
        let stored = self
            .inner
            .accounts
            .update(id, |s| s.user.role = role)
            .await?;
        self.inner.store.set_role(id, role).await?;
        tracing::warn!(
            target: "security",
            event = "role_changed",
            user_id = %id,
            role = role.as_str(),
            "role changed"
        );
        Ok(stored.user)
    }

    /// Deletes the account: ends its sessions and tokens at once, removes the document and its
    /// phone/email index entries (so they can register again). Counts 1 `admin` in
    /// `picgate_auth_session_revocations_total` (however many sessions it ended). Errors:
    /// `UserNotFound`, `Unavailable`.
    pub async fn delete_user(&self, id: Uuid) -> Result<(), Error> {
        let user = self.user(id).await?;
        let keep_for = Duration::from_secs(self.inner.settings.refresh_token_ttl_secs);
        self.inner.store.remove_user(id, keep_for).await?;
        self.inner.metrics.count_revocations(Revocation::Admin, 1);
        self.inner.accounts.delete(&user).await?;
        tracing::warn!(target: "security", event = "user_deleted", user_id = %id, "account deleted");
        Ok(())
    }
}
