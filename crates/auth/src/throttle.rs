//! Throttling of password checks and sign-ups, counted BEFORE the password is checked.
//!
//! Each login attempt atomically reserves one attempt on three counters (see
//! [`SessionStore::reserve`]): `account` (the user id when the identifier names an account, so
//! phone and email share it; else the canonical identifier, hashed), `pair` (account + client
//! IP) and `ip`. The first `login_max_failures` attempts are free; each further one must come
//! `min(2^(n - free) s, login_max_delay_secs)` after the previous one. The account delay only
//! applies to IPs that have attempted this account already (`pair` > 0), so the owner on a
//! clean IP is never locked out by others. The `ip` counter allows `login_max_failures ×
//! IP_LIMIT_FACTOR` free attempts, then delays capped at `login_window_secs`. Counters expire
//! `login_window_secs` after their last attempt. A success clears `pair` and `account` and
//! gives the `ip` attempt back. Unknown identifiers are counted exactly like known ones.

use std::time::Duration;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::email::Email;
use crate::error::Error;
use crate::phone::Phone;
use crate::settings::Settings;
use crate::store::{Counter, Reservation, SessionStore};

/// The per-IP allowance is this many times the per-account one.
pub const IP_LIMIT_FACTOR: u32 = 10;
/// Longest client address kept in a key.
const MAX_IP_CHARS: usize = 64;
/// Beyond this many extra attempts the delay stops doubling (it is capped long before).
const MAX_DOUBLINGS: u32 = 40;

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

    /// The account counter of an identifier that names no account.
    fn unknown_account_key(&self) -> String {
        let canonical = match self {
            Self::Email(e) => format!("email:{e}"),
            Self::Phone(p) => format!("phone:{p}"),
            Self::Other(s) => format!("other:{s}"),
        };
        format!("x{}", hex::encode(Sha256::digest(canonical.as_bytes())))
    }
}

/// The delay (ms) an attempt must keep after the previous one when `n` attempts are counted.
pub(crate) fn delay_ms(n: u32, free: u32, max_delay_secs: u64) -> u64 {
    if n < free {
        return 0;
    }
    let doubling = (n - free).min(MAX_DOUBLINGS);
    1000u64
        .saturating_mul(1u64 << doubling)
        .min(max_delay_secs.saturating_mul(1000))
}

/// The counters of one password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attempt {
    /// `account:<user id>` or `account:x<hash>`.
    account: String,
    /// `pair:…` and `ip:…`, when the client IP is known.
    ip: Option<(String, String)>,
    /// For security events.
    pub user_id: Option<Uuid>,
    pub client_ip: Option<String>,
}

impl Attempt {
    /// A login (or a password change by login) of `id`, which names `user_id` if known.
    pub fn login(id: &LoginId, user_id: Option<Uuid>, ip: Option<&str>) -> Self {
        let account = match user_id {
            Some(uid) => format!("account:{uid}"),
            None => format!("account:{}", id.unknown_account_key()),
        };
        Self::new(account, user_id, ip)
    }

    /// A check of a signed-in user's current password (change password).
    pub fn user(user_id: Uuid, ip: Option<&str>) -> Self {
        Self::new(format!("account:{user_id}"), Some(user_id), ip)
    }

    fn new(account: String, user_id: Option<Uuid>, ip: Option<&str>) -> Self {
        let ip = ip.map(|ip| ip.chars().take(MAX_IP_CHARS).collect::<String>());
        Self {
            ip: ip.as_ref().map(|ip| {
                let client = client_key(ip);
                (format!("pair:{account}:{client}"), format!("ip:{client}"))
            }),
            account,
            user_id,
            client_ip: ip,
        }
    }
}

/// The throttling identity of a client address: an IPv4 address as it is, an IPv6 address by
/// its /64 network, since one subscriber usually gets a whole /64 (RFC 6177) and could
/// otherwise take a fresh address for every guess.
fn client_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_canonical().to_string(),
        _ => ip.to_owned(),
    }
}

/// The throttle policy, from the settings.
pub(crate) struct Throttle {
    free: u32,
    max_delay_secs: u64,
    window: Duration,
}

impl Throttle {
    pub fn new(settings: &Settings) -> Self {
        Self {
            free: settings.login_max_failures,
            max_delay_secs: settings.login_max_delay_secs,
            window: Duration::from_secs(settings.login_window_secs),
        }
    }

    /// Reserves one attempt, or `TooManyAttempts` (nothing charged).
    pub async fn reserve(&self, store: &dyn SessionStore, a: &Attempt) -> Result<(), Error> {
        let account = |gated_by| Counter {
            key: a.account.clone(),
            free: self.free,
            max_delay_secs: self.max_delay_secs,
            gated_by,
        };
        let counters = match &a.ip {
            None => vec![account(None)],
            Some((pair, ip)) => vec![
                Counter {
                    key: pair.clone(),
                    free: self.free,
                    max_delay_secs: self.max_delay_secs,
                    gated_by: None,
                },
                account(Some(0)),
                Counter {
                    key: ip.clone(),
                    free: self.free.saturating_mul(IP_LIMIT_FACTOR),
                    max_delay_secs: self.window.as_secs(),
                    gated_by: None,
                },
            ],
        };
        match store.reserve(&counters, self.window).await? {
            Reservation::Reserved => Ok(()),
            Reservation::Refused { retry_after_secs } => {
                tracing::warn!(
                    target: "security",
                    event = "lockout",
                    ip = a.client_ip.as_deref(),
                    user_id = a.user_id.map(|u| u.to_string()),
                    retry_after_secs,
                    "attempt refused by the throttle"
                );
                Err(Error::TooManyAttempts { retry_after_secs })
            }
        }
    }

    /// After a right password: clears `pair` and `account`, gives the `ip` attempt back.
    pub async fn succeeded(&self, store: &dyn SessionStore, a: &Attempt) -> Result<(), Error> {
        let mut clear = vec![a.account.clone()];
        let mut give_back = Vec::new();
        if let Some((pair, ip)) = &a.ip {
            clear.push(pair.clone());
            give_back.push(ip.clone());
        }
        store.release(&clear, &give_back).await
    }

    /// Reserves a sign-up from `ip` (free: 2 × `login_max_failures`, then delays capped at
    /// `login_window_secs`). Without an IP nothing is counted. Returns the key to give back.
    pub async fn reserve_sign_up(
        &self,
        store: &dyn SessionStore,
        ip: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let Some(ip) = ip else {
            return Ok(None);
        };
        let key = format!(
            "register:{}",
            ip.chars().take(MAX_IP_CHARS).collect::<String>()
        );
        let counter = Counter {
            key: key.clone(),
            free: self.free.saturating_mul(2),
            max_delay_secs: self.window.as_secs(),
            gated_by: None,
        };
        match store.reserve(&[counter], self.window).await? {
            Reservation::Reserved => Ok(Some(key)),
            Reservation::Refused { retry_after_secs } => {
                tracing::warn!(
                    target: "security",
                    event = "lockout",
                    ip,
                    retry_after_secs,
                    "sign-up refused by the throttle"
                );
                Err(Error::TooManyAttempts { retry_after_secs })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() {
        assert_eq!(
            client_key("2001:db8:1:2::1"),
            client_key("2001:db8:1:2:ffff::9")
        );
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("::ffff:10.0.0.1"), "10.0.0.1");
        assert_eq!(client_key("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn unknown_logins_are_keyed_by_their_canonical_form() {
        let a = Attempt::login(&LoginId::parse("13812345678"), None, None);
        let b = Attempt::login(&LoginId::parse("+86 138-1234-5678"), None, None);
        assert_eq!(a.account, b.account);
        let c = Attempt::login(&LoginId::parse("Alice@Example.com"), None, None);
        let d = Attempt::login(&LoginId::parse("alice@example.com "), None, None);
        assert_eq!(c.account, d.account);
        assert_ne!(a.account, c.account);
    }

    #[test]
    fn a_known_account_is_keyed_by_its_user_id_whatever_the_identifier() {
        let uid = Uuid::new_v4();
        let by_phone = Attempt::login(&LoginId::parse("13812345678"), Some(uid), Some("::1"));
        let by_email = Attempt::login(&LoginId::parse("a@example.com"), Some(uid), Some("::1"));
        assert_eq!(by_phone, by_email);
        assert_eq!(by_phone, Attempt::user(uid, Some("::1")));
    }

    #[test]
    fn the_delay_doubles_after_the_free_attempts_up_to_the_cap() {
        let delays: Vec<u64> = (0..8).map(|n| delay_ms(n, 3, 10)).collect();
        assert_eq!(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 10_000]);
        assert_eq!(delay_ms(u32::MAX, 0, u64::MAX), 1000 << MAX_DOUBLINGS);
    }
}
