//! Plain data the service takes and returns.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::scope::Scope;

/// What an account may do: `user` or `admin` (serde lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Admin,
}

impl Role {
    /// `"user"` or `"admin"`, as in serde.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account as the rest of the system sees it: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    /// E.164, e.g. `+8613812345678`.
    pub phone: String,
    /// Lowercased.
    pub email: String,
    pub name: String,
    /// Free-form field kept from the seed's register form.
    pub tfs: Option<String>,
    /// The current role; a change applies at once to existing sessions and tokens.
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// A disabled account cannot log in and its sessions and tokens are ended. Absent in
    /// documents written before this field existed: `false`.
    #[serde(default)]
    pub disabled: bool,
}

/// Raw registration input; `Auth::register` parses and validates every field.
#[derive(Clone, Default)]
pub struct NewAccount {
    pub phone: String,
    pub email: String,
    pub password: String,
    /// Defaults to the part of the email before `@`.
    pub name: Option<String>,
    pub tfs: Option<String>,
    pub role: Role,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("phone", &self.phone)
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("name", &self.name)
            .field("tfs", &self.tfs)
            .field("role", &self.role)
            .finish()
    }
}

/// What the client told us about itself at login; shown in the session list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub session_id: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field("session_id", &self.session_id)
            .finish()
    }
}

/// Who is calling: the result of `Auth::authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    /// The user's current role (read at each `authenticate`, so a change applies at once).
    pub role: Role,
    /// The credential the call was made with.
    pub via: Via,
}

impl Principal {
    /// The login session the call was made with; `None` for an API token.
    pub fn session_id(&self) -> Option<&str> {
        match &self.via {
            Via::Session { id } => Some(id),
            Via::Token { .. } => None,
        }
    }
}

/// The kind of credential behind a [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A login session (JWT access token); `id` is the session id (32 lowercase hex digits).
    Session { id: String },
    /// An API token (`pgt_<id>_<secret>`); `scopes` are what it was created with.
    Token { id: String, scopes: Vec<Scope> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    /// The session the listing request was made with.
    pub current: bool,
}
