//! `[auth]` settings and the choice of session backend.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::invitation::MAX_INVITATION_TTL_SECS;

/// Shortest accepted JWT secret: HS256 wants a key at least as long as its 32-byte output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
pub const MIN_BCRYPT_COST: u32 = 4;
pub const MAX_BCRYPT_COST: u32 = 31;

/// Who may create an account through the API (`Auth::sign_up`). Operators can always create
/// accounts (`Auth::register`, the CLI). Serde: `open`, `invite`, `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone.
    #[default]
    Open,
    /// Only with an invitation code from an administrator.
    Invite,
    /// Nobody (`RegistrationClosed`).
    Closed,
}

/// The `[auth]` section. Durations are in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Required in production; `None` → a random secret per process (tokens die on restart).
    pub jwt_secret: Option<SecretString>,
    pub access_token_ttl_secs: u64,
    /// Lifetime of tokens for seed (`/imagepic`) clients, which cannot refresh.
    pub compat_token_ttl_secs: u64,
    /// Lifetime of a session and its refresh token; each refresh starts it again.
    pub refresh_token_ttl_secs: u64,
    pub bcrypt_cost: u32,
    /// Free login attempts per account (and ×[`crate::IP_LIMIT_FACTOR`] per IP) before
    /// progressive delays start.
    pub login_max_failures: u32,
    /// How long throttle counters are kept after the last attempt.
    pub login_window_secs: u64,
    /// Cap of the progressive delay between attempts on one account.
    pub login_max_delay_secs: u64,
    /// Who may sign up; see [`Registration`].
    pub registration: Registration,
    /// Sessions kept per user (≥ 1); a login ends the oldest beyond it.
    pub max_sessions_per_user: u32,
    /// Default lifetime of an invitation code (at most 30 days).
    pub invitation_ttl_secs: u64,
    /// Live API tokens per user.
    pub max_tokens_per_user: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_token_ttl_secs: 900,
            compat_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            bcrypt_cost: 12,
            login_max_failures: 5,
            login_window_secs: 900,
            login_max_delay_secs: 60,
            registration: Registration::Open,
            max_sessions_per_user: 20,
            invitation_ttl_secs: 7 * 24 * 3600,
            max_tokens_per_user: 50,
        }
    }
}

/// A setting out of range; `key` names it as it appears in the config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting `auth.{key}`: {reason}")]
pub struct SettingsError {
    pub key: &'static str,
    pub reason: String,
}

impl Settings {
    /// Checks every value (`jwt_secret` ≥ 32 bytes, `bcrypt_cost` in 4..=31, every TTL and
    /// limit > 0, `invitation_ttl_secs` ≤ 30 days); `Auth::new` calls it, and the gateway may call it at config load.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let err = |key, reason: String| Err(SettingsError { key, reason });
        if let Some(secret) = &self.jwt_secret
            && secret.expose_secret().len() < MIN_JWT_SECRET_BYTES
        {
            return err(
                "jwt_secret",
                format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
            );
        }
        if !(MIN_BCRYPT_COST..=MAX_BCRYPT_COST).contains(&self.bcrypt_cost) {
            return err(
                "bcrypt_cost",
                format!("must be in {MIN_BCRYPT_COST}..={MAX_BCRYPT_COST}"),
            );
        }
        for (key, value) in [
            ("access_token_ttl_secs", self.access_token_ttl_secs),
            ("compat_token_ttl_secs", self.compat_token_ttl_secs),
            ("refresh_token_ttl_secs", self.refresh_token_ttl_secs),
            ("login_window_secs", self.login_window_secs),
            ("login_max_failures", u64::from(self.login_max_failures)),
            ("login_max_delay_secs", self.login_max_delay_secs),
            (
                "max_sessions_per_user",
                u64::from(self.max_sessions_per_user),
            ),
            ("invitation_ttl_secs", self.invitation_ttl_secs),
            ("max_tokens_per_user", u64::from(self.max_tokens_per_user)),
        ] {
            if value == 0 {
                return err(key, "must be greater than 0".into());
            }
        }
        if self.invitation_ttl_secs > MAX_INVITATION_TTL_SECS {
            return err(
                "invitation_ttl_secs",
                format!("must be at most {MAX_INVITATION_TTL_SECS} (30 days)"),
            );
        }
        Ok(())
    }
}

/// Where sessions, API tokens, invitations, user state and throttle counters live.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    /// In this process only: fine for one instance; everyone is logged out on restart.
    Memory,
    /// Shared by every instance. Keys start with `key_prefix` (e.g. `picgate:`).
    Redis {
        url: SecretString,
        key_prefix: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(Settings::default().validate(), Ok(()));
    }

    #[test]
    fn a_short_jwt_secret_is_rejected_naming_the_key() {
        let settings = Settings {
            jwt_secret: Some("short".into()),
            ..Settings::default()
        };
        let err = settings.validate().expect_err("short secret");
        assert_eq!(err.key, "jwt_secret");
        assert!(err.to_string().contains("auth.jwt_secret"));
    }

    #[test]
    fn a_bcrypt_cost_out_of_range_is_rejected() {
        for cost in [3, 32] {
            let settings = Settings {
                bcrypt_cost: cost,
                ..Settings::default()
            };
            assert_eq!(settings.validate().expect_err("cost").key, "bcrypt_cost");
        }
    }

    #[test]
    fn zero_limits_and_a_too_long_invitation_ttl_are_rejected() {
        let zero_sessions = Settings {
            max_sessions_per_user: 0,
            ..Settings::default()
        };
        assert_eq!(
            zero_sessions.validate().expect_err("zero").key,
            "max_sessions_per_user"
        );
        let long_invites = Settings {
            invitation_ttl_secs: MAX_INVITATION_TTL_SECS + 1,
            ..Settings::default()
        };
        assert_eq!(
            long_invites.validate().expect_err("long").key,
            "invitation_ttl_secs"
        );
    }

    #[test]
    fn registration_modes_deserialize_from_lowercase_names() {
        for (name, mode) in [
            ("open", Registration::Open),
            ("invite", Registration::Invite),
            ("closed", Registration::Closed),
        ] {
            let parsed: Registration = serde_json::from_str(&format!("\"{name}\"")).expect("mode");
            assert_eq!(parsed, mode);
        }
    }
}
