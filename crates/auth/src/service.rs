//! `Auth`: the facade the gateway calls. Sessions, tokens and accounts.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::{Accounts, StoredUser};
use crate::error::Error;
use crate::jwt::{Claims, JwtKeys};
use crate::memory_store::MemoryStore;
use crate::model::{Device, NewAccount, Principal, Role, SessionInfo, TokenPair, User};
use crate::password;
use crate::redis_store::RedisStore;
use crate::refresh;
use crate::registration::Registration;
use crate::session::{Rotation, Session, SessionStore};
use crate::settings::{SessionBackend, Settings};
use crate::throttle::Throttle;

/// `last_seen` is written at most this often per session.
pub const TOUCH_INTERVAL_SECS: i64 = 60;
const MAX_USER_AGENT_CHARS: usize = 256;
const MAX_IP_CHARS: usize = 64;

/// Cheap to clone (one `Arc`).
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
    /// Verified against when a login names no account (same cost as a real check).
    pub dummy_hash: String,
}

impl Auth {
    /// Never connects to Redis: that happens on first use, and again after any failure, so this
    /// succeeds while Redis is down and the service recovers when it comes back.
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
        let jwt = match &settings.jwt_secret {
            Some(secret) => JwtKeys::new(secret.expose_secret().as_bytes()),
            None => {
                tracing::warn!(
                    "auth.jwt_secret is not set: using a random secret, tokens end with this process"
                );
                JwtKeys::new(&rand::random::<[u8; 32]>())
            }
        };
        let dummy_hash = password::dummy_hash(settings.bcrypt_cost).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                jwt,
                accounts: Accounts::new(accounts),
                store,
                throttle: Throttle::new(settings.login_max_failures, settings.login_window_secs),
                dummy_hash,
            }),
        })
    }

    /// Self-service sign-up: `register` for a plain user, refused with `RegistrationClosed`
    /// when `open_registration` is off.
    pub async fn sign_up(&self, account: NewAccount) -> Result<User, Error> {
        if !self.inner.settings.open_registration {
            return Err(Error::RegistrationClosed);
        }
        self.register(NewAccount {
            role: Role::User,
            ..account
        })
        .await
    }

    /// `Validation` with every bad field, or `AccountExists` if the phone or email is taken.
    pub async fn register(&self, account: NewAccount) -> Result<User, Error> {
        let r = Registration::parse(account)?;
        let password_hash = r.password.hash(self.inner.settings.bcrypt_cost).await?;
        let stored = StoredUser {
            user: User {
                id: Uuid::now_v7(),
                phone: r.phone.to_string(),
                email: r.email.to_string(),
                name: r.name,
                tfs: r.tfs,
                role: r.role,
                created_at: OffsetDateTime::now_utc(),
            },
            password_hash,
        };
        self.inner
            .accounts
            .create(&stored, &r.phone, &r.email)
            .await?;
        tracing::info!(user_id = %stored.user.id, "account registered");
        Ok(stored.user)
    }

    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, Error> {
        let claims = self.inner.jwt.verify(access_token)?;
        if !refresh::is_session_id(&claims.sid) {
            return Err(Error::InvalidToken);
        }
        let session = self
            .inner
            .store
            .get(&claims.sid)
            .await?
            .ok_or(Error::SessionRevoked)?;
        if session.user_id != claims.sub {
            return Err(Error::InvalidToken);
        }
        let now = unix_now();
        if now - session.last_seen >= TOUCH_INTERVAL_SECS {
            self.inner.store.touch(&session.id, now).await?;
        }
        Ok(Principal {
            user_id: session.user_id,
            session_id: session.id,
            role: session.role,
        })
    }

    /// Spends `refresh_token` and returns a new pair for the same session. A token that was
    /// already spent ends the session: whoever holds the other copy is logged out too.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, Error> {
        let (sid, presented) = refresh::parse(refresh_token)?;
        let (token, new_hash) = refresh::generate(sid);
        let ttl = Duration::from_secs(self.inner.settings.refresh_token_ttl_secs);
        let rotation = self
            .inner
            .store
            .rotate(sid, &presented, &new_hash, unix_now(), ttl)
            .await?;
        match rotation {
            Rotation::Rotated(session) => {
                let ttl = self.inner.settings.access_token_ttl_secs;
                let access_token = self.issue_access(session.user_id, &session.id, ttl)?;
                Ok(TokenPair {
                    access_token,
                    refresh_token: token,
                    expires_in: ttl,
                    session_id: session.id,
                })
            }
            Rotation::Reused => {
                tracing::warn!(
                    session_id = sid,
                    "spent refresh token reused: session revoked"
                );
                Err(Error::SessionRevoked)
            }
            Rotation::Missing => Err(Error::SessionRevoked),
        }
    }

    pub async fn logout(&self, p: &Principal) -> Result<(), Error> {
        self.inner.store.delete(&p.session_id).await.map(drop)
    }

    /// The caller's sessions, newest first.
    pub async fn sessions(&self, p: &Principal) -> Result<Vec<SessionInfo>, Error> {
        let mut sessions = self.inner.store.list_for_user(p.user_id).await?;
        sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == p.session_id,
                created_at: from_unix(s.created_at),
                last_seen: from_unix(s.last_seen),
                id: s.id,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect())
    }

    /// `SessionNotFound` unless `session_id` is one of the caller's own sessions.
    pub async fn revoke_session(&self, p: &Principal, session_id: &str) -> Result<(), Error> {
        if !refresh::is_session_id(session_id) {
            return Err(Error::SessionNotFound);
        }
        match self.inner.store.get(session_id).await? {
            Some(s) if s.user_id == p.user_id => {
                self.inner.store.delete(session_id).await.map(drop)
            }
            _ => Err(Error::SessionNotFound),
        }
    }

    pub async fn user(&self, id: Uuid) -> Result<User, Error> {
        self.inner
            .accounts
            .by_id(id)
            .await?
            .map(|s| s.user)
            .ok_or(Error::UserNotFound)
    }

    /// `Ok` if the session store answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.inner.store.ping().await
    }

    /// Creates a session for `user` and its first token pair.
    pub(crate) async fn start_session(
        &self,
        user: &User,
        device: Device,
        access_ttl_secs: u64,
    ) -> Result<TokenPair, Error> {
        let id = refresh::new_session_id();
        let (refresh_token, refresh_hash) = refresh::generate(&id);
        let now = unix_now();
        let session = Session {
            id: id.clone(),
            user_id: user.id,
            role: user.role,
            refresh_hash,
            user_agent: device.user_agent.map(|s| truncate(s, MAX_USER_AGENT_CHARS)),
            ip: device.ip.map(|s| truncate(s, MAX_IP_CHARS)),
            created_at: now,
            last_seen: now,
        };
        let ttl = Duration::from_secs(self.inner.settings.refresh_token_ttl_secs);
        self.inner.store.create(&session, ttl).await?;
        Ok(TokenPair {
            access_token: self.issue_access(user.id, &id, access_ttl_secs)?,
            refresh_token,
            expires_in: access_ttl_secs,
            session_id: id,
        })
    }

    fn issue_access(
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
