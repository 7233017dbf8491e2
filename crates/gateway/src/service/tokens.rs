//! The caller's API tokens.

use std::time::Duration;

use auth::{ApiToken, NewToken, Scope};

use super::access::may_mint;
use super::{Caller, Need, Service};
use crate::error::ApiError;

impl Service {
    /// Mints an API token for the caller, shown once. Needs [`Need::Session`]; the `admin`
    /// scope only for administrators. Errors: `validation_failed` (name, scopes, expiresIn,
    /// too many tokens), `admin_required`.
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        scopes: Vec<Scope>,
        expires_in: Option<Duration>,
    ) -> Result<NewToken, ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        may_mint(principal, &scopes)?;
        Ok(self
            .auth
            .create_token(principal, name, scopes, expires_in)
            .await?)
    }

    /// The caller's live tokens, newest first (never their secrets). Needs [`Need::Session`].
    pub async fn tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self.auth.tokens(principal.user_id).await?)
    }

    /// Revokes one of the caller's tokens at once, on every instance. Errors: `token_not_found`.
    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        Ok(self.auth.revoke_token(principal.user_id, id).await?)
    }
}
