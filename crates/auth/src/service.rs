//! `Auth`: the facade the gateway calls. Sessions, tokens and accounts.

use std::sync::Arc;

use secrecy::ExposeSecret;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::Accounts;
use crate::error::Error;
use crate::jwt::{Claims, JwtKeys};
use crate::memory_store::MemoryStore;
use crate::metrics::{AuthMetrics, Revocation};
use crate::model::{Device, Principal, SessionInfo, TokenPair, User, Via};
use crate::password;
use crate::redis_store::RedisStore;
use crate::refresh;
use crate::scope::Scope;
use crate::session::{Session, SessionCreated, UserState};
use crate::settings::{SessionBackend, Settings};
use crate::store::SessionStore;
use crate::throttle::Throttle;

/// `last_seen` is written at most this often per session.
pub const TOUCH_INTERVAL_SECS: i64 = 60;
const MAX_USER_AGENT_CHARS: usize = 256;
const MAX_IP_CHARS: usize = 64;

/// The facade the gateway calls: accounts, logins, sessions, API tokens, invitations and
/// administration. Cheap to clone (one `Arc`); share one per process.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub settings: Settings,
    pub jwt: JwtKeys,
    pub accounts: Accounts,
    pub store: Arc<dyn SessionStore>,
    pub throttle: Throttle,
    /// Verified against when a login names no account (same cost as a real check); made on
    /// first need, so that starting is fast whatever the cost.
    pub dummy_hash: tokio::sync::OnceCell<String>,
    pub metrics: AuthMetrics,
}

impl Auth {
    /// Builds the service over the account storage (`accounts`, whose system area holds
    /// `users/` and `index/`) and a session backend. Never connects to Redis: that happens on
    /// first use, and again after any failure, so this succeeds while Redis is down and the
    /// service recovers when it comes back. `Internal` if the settings are invalid or the Redis
    /// URL is malformed. Its counters start unregistered: see [`Auth::collectors`].
    pub async fn new(
        settings: &Settings,
        accounts: opendal::Operator,
        sessions: SessionBackend,
    ) -> Result<Self, Error> {
        let store: Arc<dyn SessionStore> = match sessions {
            SessionBackend::Memory => Arc::new(MemoryStore::new()),
            SessionBackend::Redis { url, key_prefix } => {
                Arc::new(RedisStore::new(url.expose_secret(), key_prefix)?)
            }
        };
        Self::with_store(settings, accounts, store).await
    }

    /// Like [`Auth::new`] with any `SessionStore`.
    pub async fn with_store(
        settings: &Settings,
        accounts: opendal::Operator,
        store: Arc<dyn SessionStore>,
    ) -> Result<Self, Error> {
        settings.validate().map_err(Error::internal)?;
        let metrics = AuthMetrics::new().map_err(Error::internal)?;
        let jwt = match &settings.jwt_secret {
            Some(secret) => JwtKeys::new(secret.expose_secret().as_bytes()),
            None => {
                tracing::warn!(
                    "auth.jwt_secret is not set: using a random secret, tokens end with this process"
                );
                JwtKeys::new(&rand::random::<[u8; 32]>())
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                jwt,
                accounts: Accounts::new(accounts),
                store,
                throttle: Throttle::new(settings),
                dummy_hash: tokio::sync::OnceCell::new(),
                metrics,
            }),
        })
    }

    /// Who may sign up (`auth.registration`).
    pub fn registration(&self) -> crate::Registration {
        self.inner.settings.registration
    }

    /// The Prometheus counters of this service, unregistered: register each once with the
    /// registry that serves the scrape. All of them start at 0 with every label value:
    ///
    /// - `picgate_auth_logins_total{outcome}` (`success`, `failure`, `throttled`), each
    ///   [`Auth::login`];
    /// - `picgate_auth_session_revocations_total{reason}`: sessions ended before their expiry;
    ///   `logout` ([`Auth::logout`]), `revoked` ([`Auth::revoke_session`]), `evicted` (a login
    ///   beyond `max_sessions_per_user`) and `refresh_token_reuse` ([`Auth::refresh`]) count
    ///   sessions ended; `password_change` and `admin` ([`Auth::set_disabled`] disabling,
    ///   [`Auth::delete_user`]) end every session of a user and count 1 per change;
    /// - `picgate_auth_refresh_token_reuse_total`: spent refresh tokens presented again;
    /// - `picgate_auth_token_uses_total{kind,scope}`: moved only by [`Auth::count_token_use`].
    pub fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        self.inner.metrics.collectors()
    }

    /// Counts one request let in with the credential `via` (a principal's) for an operation
    /// that needed the token scope `scope` (`None`: no particular scope), in
    /// `picgate_auth_token_uses_total{kind,scope}`: `kind` is `session` or `api_token`, `scope`
    /// `read`, `upload`, `delete`, `admin` or `none`. Call it once per request, when access is
    /// granted.
    pub fn count_token_use(&self, via: &Via, scope: Option<Scope>) {
        self.inner.metrics.count_token_use(via, scope);
    }

    /// Ends the caller's session (at once, on every instance). For an API-token principal:
    /// `Ok`, nothing happens (tokens are revoked with `revoke_token`). A session ended counts
    /// as `logout` in `picgate_auth_session_revocations_total`.
    pub async fn logout(&self, p: &Principal) -> Result<(), Error> {
        let Some(id) = p.session_id() else {
            return Ok(());
        };
        if self.inner.store.delete(id).await? {
            self.inner.metrics.count_revocations(Revocation::Logout, 1);
        }
        Ok(())
    }

    /// The caller's live sessions, newest first; `current` marks the one `p` came with.
    pub async fn sessions(&self, p: &Principal) -> Result<Vec<SessionInfo>, Error> {
        let epoch = self.current_state(p.user_id).await?.map(|s| s.epoch);
        let mut sessions = self.inner.store.list_for_user(p.user_id).await?;
        sessions.retain(|s| Some(s.epoch) == epoch);
        sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: Some(s.id.as_str()) == p.session_id(),
                created_at: from_unix(s.created_at),
                last_seen: from_unix(s.last_seen),
                id: s.id,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect())
    }

    /// `SessionNotFound` unless `session_id` is one of the caller's own sessions. A session
    /// ended counts as `revoked` in `picgate_auth_session_revocations_total`.
    pub async fn revoke_session(&self, p: &Principal, session_id: &str) -> Result<(), Error> {
        if !refresh::is_session_id(session_id) {
            return Err(Error::SessionNotFound);
        }
        match self.inner.store.get(session_id).await? {
            Some(s) if s.user_id == p.user_id => {
                if self.inner.store.delete(session_id).await? {
                    self.inner.metrics.count_revocations(Revocation::Revoked, 1);
                }
                Ok(())
            }
            _ => Err(Error::SessionNotFound),
        }
    }

    /// The account `id`; `UserNotFound`.
    pub async fn user(&self, id: Uuid) -> Result<User, Error> {
        self.inner
            .accounts
            .by_id(id)
            .await?
            .map(|s| s.user)
            .ok_or(Error::UserNotFound)
    }

    /// `Ok` if the session store answers; `Unavailable` otherwise.
    pub async fn ping(&self) -> Result<(), Error> {
        self.inner.store.ping().await
    }

    /// Creates a session for `user` stamped with `epoch` (read before the password was
    /// checked) and its first token pair. The session lives `session_ttl_secs` (restarted by
    /// each refresh). `None` if the epoch moved on meanwhile (nothing stored).
    pub(crate) async fn start_session(
        &self,
        user: &User,
        device: Device,
        epoch: u64,
        access_ttl_secs: u64,
        session_ttl_secs: u64,
    ) -> Result<Option<TokenPair>, Error> {
        let id = refresh::new_session_id();
        let (refresh_token, refresh_hash) = refresh::generate(&id);
        let now = unix_now();
        let session = Session {
            id: id.clone(),
            user_id: user.id,
            epoch,
            refresh_hash,
            user_agent: device.user_agent.map(|s| truncate(s, MAX_USER_AGENT_CHARS)),
            ip: device.ip.map(|s| truncate(s, MAX_IP_CHARS)),
            created_at: now,
            last_seen: now,
            ttl_secs: session_ttl_secs.max(1),
        };
        let max = self.inner.settings.max_sessions_per_user;
        match self.inner.store.create(&session, max).await? {
            SessionCreated::Stale => return Ok(None),
            SessionCreated::Created { evicted } if !evicted.is_empty() => {
                tracing::info!(user_id = %user.id, evicted = evicted.len(), "oldest sessions ended");
                let ended = u64::try_from(evicted.len()).unwrap_or(u64::MAX);
                self.inner
                    .metrics
                    .count_revocations(Revocation::Evicted, ended);
            }
            SessionCreated::Created { .. } => {}
        }
        Ok(Some(TokenPair {
            access_token: self.issue_access(user.id, &id, access_ttl_secs)?,
            refresh_token,
            expires_in: access_ttl_secs,
            session_id: id,
        }))
    }

    /// The hash verified against when there is no account.
    pub(crate) async fn dummy_hash(&self) -> Result<String, Error> {
        let cost = self.inner.settings.bcrypt_cost;
        self.inner
            .dummy_hash
            .get_or_try_init(|| password::dummy_hash(cost))
            .await
            .cloned()
    }

    /// The user's state, loaded from the account document (epoch 0) when the store has none.
    /// `None` if there is neither state nor document (no such user).
    pub(crate) async fn current_state(&self, user_id: Uuid) -> Result<Option<UserState>, Error> {
        let state = self.inner.store.user_state(user_id).await?;
        self.state_or_load(user_id, state).await
    }

    /// `state` if present, else loaded as in [`Auth::current_state`].
    pub(crate) async fn state_or_load(
        &self,
        user_id: Uuid,
        state: Option<UserState>,
    ) -> Result<Option<UserState>, Error> {
        if state.is_some() {
            return Ok(state);
        }
        let Some(stored) = self.inner.accounts.by_id(user_id).await? else {
            return Ok(None);
        };
        let from = UserState {
            epoch: 0,
            role: stored.user.role,
            disabled: stored.user.disabled,
        };
        self.inner
            .store
            .init_user_state(user_id, &from)
            .await
            .map(Some)
    }

    pub(crate) fn issue_access(
        &self,
        user_id: Uuid,
        session_id: &str,
        ttl_secs: u64,
    ) -> Result<String, Error> {
        let iat = unix_now();
        let exp = iat.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        self.inner.jwt.issue(&Claims {
            sub: user_id,
            sid: session_id.to_owned(),
            iat,
            exp,
        })
    }
}

pub(crate) fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn truncate(s: String, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s,
    }
}
