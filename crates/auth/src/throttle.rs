//! Login throttling: failures are counted per login identifier (and per client IP, with a
//! higher limit since many users can share one address) in the session store, in a window
//! that starts with the first failure. Over the limit, attempts are refused before the password
//! is even checked. Unknown identifiers are counted exactly like known ones, so the throttle
//! does not reveal which accounts exist.

use std::time::Duration;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::email::Email;
use crate::error::Error;
use crate::phone::Phone;
use crate::session::SessionStore;

/// The per-IP limit is this many times the per-identifier limit.
pub const IP_LIMIT_FACTOR: u32 = 10;
/// Longest client address kept in a key.
const MAX_IP_CHARS: usize = 64;

/// What a user typed to log in, in canonical form.
pub(crate) enum LoginId {
    Email(Email),
    Phone(Phone),
    /// Neither: cannot name an account, but is still throttled.
    Other(String),
}

impl LoginId {
    pub fn parse(login: &str) -> Self {
        if login.contains('@') {
            if let Ok(email) = Email::parse(login) {
                return Self::Email(email);
            }
        } else if let Ok(phone) = Phone::parse(login) {
            return Self::Phone(phone);
        }
        Self::Other(login.trim().to_lowercase())
    }

    fn throttle_key(&self) -> String {
        match self {
            Self::Email(e) => format!("email:{e}"),
            Self::Phone(p) => format!("phone:{p}"),
            Self::Other(s) => format!("other:{}", hex::encode(Sha256::digest(s.as_bytes()))),
        }
    }
}

/// The counters one attempt is charged to.
pub(crate) struct Keys {
    subject: String,
    ip: Option<String>,
}

impl Keys {
    pub fn login(login: &LoginId, ip: Option<&str>) -> Self {
        Self {
            subject: login.throttle_key(),
            ip: ip.map(|ip| format!("ip:{}", ip.chars().take(MAX_IP_CHARS).collect::<String>())),
        }
    }

    /// For checks of the current password by a signed-in user (change password).
    pub fn user(user_id: Uuid) -> Self {
        Self {
            subject: format!("user:{user_id}"),
            ip: None,
        }
    }
}

pub(crate) struct Throttle {
    max_failures: u32,
    window: Duration,
}

impl Throttle {
    pub fn new(max_failures: u32, window_secs: u64) -> Self {
        Self {
            max_failures,
            window: Duration::from_secs(window_secs),
        }
    }

    /// `TooManyAttempts` if either counter is at its limit.
    pub async fn check(&self, store: &dyn SessionStore, keys: &Keys) -> Result<(), Error> {
        let subject = store.failures(&keys.subject).await?;
        if subject.count >= self.max_failures {
            return Err(too_many(subject.resets_in_secs));
        }
        if let Some(ip) = &keys.ip {
            let ip = store.failures(ip).await?;
            if ip.count >= self.max_failures.saturating_mul(IP_LIMIT_FACTOR) {
                return Err(too_many(ip.resets_in_secs));
            }
        }
        Ok(())
    }

    pub async fn failed(&self, store: &dyn SessionStore, keys: &Keys) -> Result<(), Error> {
        store.record_failure(&keys.subject, self.window).await?;
        if let Some(ip) = &keys.ip {
            store.record_failure(ip, self.window).await?;
        }
        Ok(())
    }

    /// A success clears the identifier's counter (not the IP's: one good account must not
    /// unlock guessing at others).
    pub async fn succeeded(&self, store: &dyn SessionStore, keys: &Keys) -> Result<(), Error> {
        store.clear_failures(&keys.subject).await
    }
}

fn too_many(resets_in_secs: u64) -> Error {
    Error::TooManyAttempts {
        retry_after_secs: resets_in_secs.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_store::MemoryStore;

    #[test]
    fn logins_are_keyed_by_their_canonical_form() {
        let a = Keys::login(&LoginId::parse("13812345678"), None);
        let b = Keys::login(&LoginId::parse("+86 138-1234-5678"), None);
        assert_eq!(a.subject, b.subject);
        let c = Keys::login(&LoginId::parse("Alice@Example.com"), None);
        let d = Keys::login(&LoginId::parse("alice@example.com "), None);
        assert_eq!(c.subject, d.subject);
    }

    #[tokio::test]
    async fn the_limit_applies_per_identifier_and_success_clears_it() {
        let store = MemoryStore::new();
        let throttle = Throttle::new(2, 60);
        let alice = Keys::login(&LoginId::parse("alice@example.com"), Some("10.0.0.1"));
        let bob = Keys::login(&LoginId::parse("bob@example.com"), Some("10.0.0.1"));
        for _ in 0..2 {
            throttle
                .check(&store, &alice)
                .await
                .expect("under the limit");
            throttle.failed(&store, &alice).await.expect("counted");
        }
        let err = throttle.check(&store, &alice).await.expect_err("over");
        assert!(
            matches!(err, Error::TooManyAttempts { retry_after_secs } if (1..=60).contains(&retry_after_secs))
        );
        throttle
            .check(&store, &bob)
            .await
            .expect("bob is not alice");
        throttle.succeeded(&store, &alice).await.expect("cleared");
        throttle.check(&store, &alice).await.expect("cleared");
    }

    #[tokio::test]
    async fn many_identifiers_from_one_ip_hit_the_ip_limit() {
        let store = MemoryStore::new();
        let throttle = Throttle::new(1, 60);
        for i in 0..IP_LIMIT_FACTOR {
            let keys = Keys::login(
                &LoginId::parse(&format!("u{i}@example.com")),
                Some("10.0.0.9"),
            );
            throttle
                .check(&store, &keys)
                .await
                .expect("under the ip limit");
            throttle.failed(&store, &keys).await.expect("counted");
        }
        let fresh = Keys::login(&LoginId::parse("new@example.com"), Some("10.0.0.9"));
        assert!(matches!(
            throttle.check(&store, &fresh).await,
            Err(Error::TooManyAttempts { .. })
        ));
        let elsewhere = Keys::login(&LoginId::parse("new@example.com"), Some("10.0.0.10"));
        throttle.check(&store, &elsewhere).await.expect("other ip");
    }
}
