//! The one error type of the crate. Variants name outcomes a caller can act on; none carries HTTP.

use std::fmt;

/// Why one input field was rejected (`field` is the API field name, e.g. `phone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Why a value could not be parsed into one of the domain newtypes (`Email`, `Phone`, `Password`).
/// The message never contains the rejected value, so it is safe to show for passwords too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every failure of the crate. No HTTP here: the gateway maps variants to statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input; one entry per rejected field (API field names, e.g. `phone`, `expiresIn`).
    #[error("validation failed: {}", join(.0))]
    Validation(Vec<FieldError>),
    #[error("an account with this phone or email already exists")]
    AccountExists,
    /// Self-service sign-up is switched off (`auth.registration = "closed"`).
    #[error("registration is closed: ask an administrator for an account")]
    RegistrationClosed,
    /// `registration = "invite"` and no invitation code was given.
    #[error("an invitation is required to register")]
    InvitationRequired,
    /// The invitation code is unknown, already used or expired.
    #[error("invalid or expired invitation")]
    InvalidInvitation,
    /// Revoking an invitation code that does not exist (or was used or expired).
    #[error("invitation not found")]
    InvitationNotFound,
    /// Unknown login, wrong password (the same error for both).
    #[error("invalid login or password")]
    InvalidCredentials,
    /// The right password for a disabled account.
    #[error("this account is disabled")]
    AccountDisabled,
    /// Throttled: try again in `retry_after_secs` seconds (≥ 1).
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Malformed, forged or wrongly signed token, or a wrong API-token secret.
    #[error("invalid token")]
    InvalidToken,
    #[error("token expired")]
    TokenExpired,
    /// The session or API token was ended (logout, revocation, password change, disabled or
    /// deleted user, expiry of the session).
    #[error("the session or API token has ended (logged out, revoked, or its user disabled)")]
    SessionRevoked,
    /// Revoking a session that is not one of the caller's.
    #[error("session not found")]
    SessionNotFound,
    /// Revoking an API token that is not one of the user's.
    #[error("token not found")]
    TokenNotFound,
    #[error("user not found")]
    UserNotFound,
    /// The session store (Redis) is unreachable or timed out. Callers fail closed and may retry.
    #[error("the session store is unavailable")]
    Unavailable(#[source] BoxError),
    /// The storage holding the account documents is unreachable, timed out or failed
    /// temporarily. Callers fail closed and may retry.
    #[error("the account storage is unavailable")]
    AccountsUnavailable(#[source] BoxError),
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl Error {
    pub(crate) fn internal(err: impl Into<BoxError>) -> Self {
        Self::Internal(err.into())
    }

    pub(crate) fn unavailable(err: impl Into<BoxError>) -> Self {
        Self::Unavailable(err.into())
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
