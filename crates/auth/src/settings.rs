//! `[auth]` settings and the choice of session backend.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Shortest accepted JWT secret: HS256 wants a key at least as long as its 32-byte output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
pub const MIN_BCRYPT_COST: u32 = 4;
pub const MAX_BCRYPT_COST: u32 = 31;

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
    /// Failed logins per identifier (and ×[`crate::throttle::IP_LIMIT_FACTOR`] per IP) per window.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Whether anyone may create an account through the API (`Auth::sign_up`). Operators can
    /// always create accounts (`Auth::register`, the CLI).
    pub open_registration: bool,
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
            open_registration: true,
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
    /// Checks every value; `Auth::new` calls it, and the gateway may call it at config load.
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
        ] {
            if value == 0 {
                return err(key, "must be greater than 0".into());
            }
        }
        Ok(())
    }
}

/// Where sessions, refresh-token hashes and login-failure counters live.
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
}
