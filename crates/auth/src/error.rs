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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed: {}", join(.0))]
    Validation(Vec<FieldError>),
    #[error("an account with this phone or email already exists")]
    AccountExists,
    /// Self-service sign-up is switched off (`auth.open_registration = false`).
    #[error("registration is closed: ask an administrator for an account")]
    RegistrationClosed,
    #[error("invalid login or password")]
    InvalidCredentials,
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("invalid token")]
    InvalidToken,
    #[error("token expired")]
    TokenExpired,
    #[error("session revoked")]
    SessionRevoked,
    #[error("session not found")]
    SessionNotFound,
    #[error("user not found")]
    UserNotFound,
    /// The session store (Redis) is unreachable or timed out. Callers fail closed.
    #[error("session store unavailable")]
    Unavailable(#[source] BoxError),
    /// The account documents could not be read or written.
    #[error("account storage failed")]
    Storage(#[source] opendal::Error),
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
