//! Prometheus counters of auth events: logins, sessions ended early, refresh-token reuse and
//! requests let in with a credential. Created unregistered; whoever serves the scrape registers
//! [`AuthMetrics::collectors`]. Every label value comes from a fixed set, never from input.

use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, Opts};

use crate::model::Via;
use crate::scope::Scope;

/// `picgate_auth_logins_total{outcome}`.
pub const LOGINS_TOTAL: &str = "picgate_auth_logins_total";
/// `picgate_auth_session_revocations_total{reason}`.
pub const SESSION_REVOCATIONS_TOTAL: &str = "picgate_auth_session_revocations_total";
/// `picgate_auth_refresh_token_reuse_total`.
pub const REFRESH_TOKEN_REUSE_TOTAL: &str = "picgate_auth_refresh_token_reuse_total";
/// `picgate_auth_token_uses_total{kind,scope}`.
pub const TOKEN_USES_TOTAL: &str = "picgate_auth_token_uses_total";

/// How a password login ended, as far as the `outcome` label tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginOutcome {
    /// The password was right and a session was created.
    Success,
    /// Unknown login or wrong password (`InvalidCredentials`).
    Failure,
    /// Refused by the throttle before the password was checked (`TooManyAttempts`).
    Throttled,
}

impl LoginOutcome {
    const ALL: [Self; 3] = [Self::Success, Self::Failure, Self::Throttled];

    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Throttled => "throttled",
        }
    }
}

/// Why sessions ended before their expiry, as the `reason` label tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// The user logged out of that session.
    Logout,
    /// The user ended one of their sessions through the sessions API.
    Revoked,
    /// A password change ended the user's other sessions.
    PasswordChange,
    /// An administrator disabled or deleted the account.
    Admin,
    /// A new login ended the oldest sessions beyond `max_sessions_per_user`.
    Evicted,
    /// A spent refresh token was presented again, so its session was deleted.
    RefreshTokenReuse,
}

impl Revocation {
    const ALL: [Self; 6] = [
        Self::Logout,
        Self::Revoked,
        Self::PasswordChange,
        Self::Admin,
        Self::Evicted,
        Self::RefreshTokenReuse,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::PasswordChange => "password_change",
            Self::Admin => "admin",
            Self::Evicted => "evicted",
            Self::RefreshTokenReuse => "refresh_token_reuse",
        }
    }
}

/// The `kind` label of a credential.
fn kind_label(via: &Via) -> &'static str {
    match via {
        Via::Session { .. } => "session",
        Via::Token { .. } => "api_token",
    }
}

/// The `scope` label: the scope an operation needed, `none` if it needed no particular one.
fn scope_label(scope: Option<Scope>) -> &'static str {
    scope.map_or("none", Scope::as_str)
}

/// The auth counters; cheap to clone (clones count into the same series). Every series of every
/// label value exists from the start, at 0:
///
/// - `picgate_auth_logins_total{outcome}`: password logins (native, seed and upload-tool
///   logins alike, never password changes); `outcome` is `success` (session created),
///   `failure` (unknown login or wrong password: answered 401 `invalid_credentials`) or
///   `throttled` (refused before the password was checked: 429 `too_many_attempts`). A
///   disabled account or an unreachable store is none of these and is not counted.
/// - `picgate_auth_session_revocations_total{reason}`: sessions ended before their expiry.
///   `logout`, `revoked`, `evicted` and `refresh_token_reuse` count the sessions actually
///   ended; `password_change` and `admin` (account disabled or deleted) end every session of a
///   user at once without the store saying how many, so they count 1 per change.
/// - `picgate_auth_refresh_token_reuse_total`: spent refresh tokens presented again (each
///   ends its session).
/// - `picgate_auth_token_uses_total{kind,scope}`: requests let in with a credential, counted by
///   the caller of [`AuthMetrics::count_token_use`]; `kind` is `session` (a login session's
///   access token) or `api_token`, `scope` the token scope the operation needed (`read`,
///   `upload`, `delete`, `admin`) or `none`.
#[derive(Clone)]
pub struct AuthMetrics {
    logins: IntCounterVec,
    revocations: IntCounterVec,
    refresh_reuse: IntCounter,
    token_uses: IntCounterVec,
}

impl std::fmt::Debug for AuthMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthMetrics").finish_non_exhaustive()
    }
}

impl AuthMetrics {
    /// New counters, registered nowhere. Fails only on an invalid metric or label name.
    pub(crate) fn new() -> Result<Self, prometheus::Error> {
        let logins = IntCounterVec::new(
            Opts::new(
                LOGINS_TOTAL,
                "Password logins, by outcome (success, failure, throttled)",
            ),
            &["outcome"],
        )?;
        let revocations = IntCounterVec::new(
            Opts::new(
                SESSION_REVOCATIONS_TOTAL,
                "Login sessions ended before their expiry, by reason (password_change and admin count 1 per change, however many sessions it ended)",
            ),
            &["reason"],
        )?;
        let refresh_reuse = IntCounter::new(
            REFRESH_TOKEN_REUSE_TOTAL,
            "Spent refresh tokens presented again (each ends its session)",
        )?;
        let token_uses = IntCounterVec::new(
            Opts::new(
                TOKEN_USES_TOTAL,
                "Requests let in with a credential, by kind (session, api_token) and the scope the operation needed (read, upload, delete, admin, none)",
            ),
            &["kind", "scope"],
        )?;
        for outcome in LoginOutcome::ALL {
            logins.with_label_values(&[outcome.as_str()]);
        }
        for reason in Revocation::ALL {
            revocations.with_label_values(&[reason.as_str()]);
        }
        let scopes = Scope::ALL.map(Some).into_iter().chain([None]);
        for scope in scopes {
            for kind in ["session", "api_token"] {
                token_uses.with_label_values(&[kind, scope_label(scope)]);
            }
        }
        Ok(Self {
            logins,
            revocations,
            refresh_reuse,
            token_uses,
        })
    }

    /// The counters, to register with the registry that serves the scrape (each once).
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.logins.clone()),
            Box::new(self.revocations.clone()),
            Box::new(self.refresh_reuse.clone()),
            Box::new(self.token_uses.clone()),
        ]
    }

    /// Counts one request let in with the credential `via` for an operation that needed
    /// `scope` (`None`: no particular scope).
    pub fn count_token_use(&self, via: &Via, scope: Option<Scope>) {
        self.token_uses
            .with_label_values(&[kind_label(via), scope_label(scope)])
            .inc();
    }

    pub(crate) fn count_login(&self, outcome: LoginOutcome) {
        self.logins.with_label_values(&[outcome.as_str()]).inc();
    }

    /// Counts `sessions` sessions ended for `reason`.
    pub(crate) fn count_revocations(&self, reason: Revocation, sessions: u64) {
        if sessions > 0 {
            self.revocations
                .with_label_values(&[reason.as_str()])
                .inc_by(sessions);
        }
    }

    /// Counts a reused refresh token and the session it ended.
    pub(crate) fn count_refresh_reuse(&self) {
        self.refresh_reuse.inc();
        self.count_revocations(Revocation::RefreshTokenReuse, 1);
    }
}

#[cfg(test)]
mod tests {
    use prometheus::Registry;

    use super::*;

    fn scrape(registry: &Registry) -> String {
        let mut buf = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut buf,
        )
        .expect("encode");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn every_series_is_exposed_at_zero_once_registered() {
        let metrics = AuthMetrics::new().expect("metrics");
        let registry = Registry::new();
        for collector in metrics.collectors() {
            registry.register(collector).expect("register");
        }
        let text = scrape(&registry);
        for line in [
            "picgate_auth_logins_total{outcome=\"throttled\"} 0",
            "picgate_auth_session_revocations_total{reason=\"refresh_token_reuse\"} 0",
            "picgate_auth_refresh_token_reuse_total 0",
            "picgate_auth_token_uses_total{kind=\"api_token\",scope=\"none\"} 0",
            "picgate_auth_token_uses_total{kind=\"session\",scope=\"admin\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        let series = text.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(series, 3 + 6 + 1 + 2 * 5, "{text}");
    }

    #[test]
    fn counts_land_on_their_labels() {
        let metrics = AuthMetrics::new().expect("metrics");
        let registry = Registry::new();
        for collector in metrics.clone().collectors() {
            registry.register(collector).expect("register");
        }
        metrics.count_login(LoginOutcome::Failure);
        metrics.count_revocations(Revocation::Evicted, 3);
        metrics.count_refresh_reuse();
        let token = Via::Token {
            id: "t".into(),
            scopes: vec![Scope::Upload],
        };
        metrics.count_token_use(&token, Some(Scope::Upload));
        let text = scrape(&registry);
        for line in [
            "picgate_auth_logins_total{outcome=\"failure\"} 1",
            "picgate_auth_session_revocations_total{reason=\"evicted\"} 3",
            "picgate_auth_session_revocations_total{reason=\"refresh_token_reuse\"} 1",
            "picgate_auth_refresh_token_reuse_total 1",
            "picgate_auth_token_uses_total{kind=\"api_token\",scope=\"upload\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
