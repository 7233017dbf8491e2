//! Test support: an `Auth` over a fresh temporary storage directory with either session backend;
//! for Redis a real `redis-server` per test (from `testkit`) on a free loopback port.

use auth::{
    Auth, Device, Error, NewAccount, Principal, Role, SessionBackend, Settings, TokenPair, User,
};
use tempfile::TempDir;
pub use testkit::RedisServer;

pub const PASSWORD: &str = "correct horse battery";
pub const MAX_FAILURES: u32 = 3;
pub const WINDOW_SECS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Redis,
}

pub fn settings() -> Settings {
    Settings {
        jwt_secret: Some(uuid::Uuid::new_v4().simple().to_string().into()),
        bcrypt_cost: 4,
        login_max_failures: MAX_FAILURES,
        login_window_secs: WINDOW_SECS,
        ..Settings::default()
    }
}

pub fn operator(dir: &TempDir) -> opendal::Operator {
    let root = dir.path().to_str().expect("utf-8 temp path");
    opendal::Operator::new(opendal::services::Fs::default().root(root)).expect("fs operator")
}

/// One `Auth` with its storage directory and, for Redis, its server.
pub struct TestAuth {
    pub auth: Auth,
    pub dir: TempDir,
    pub settings: Settings,
    pub redis: Option<RedisServer>,
    pub key_prefix: String,
}

impl TestAuth {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, settings()).await
    }

    /// Like `spawn` with other settings.
    pub async fn spawn_with(backend: Backend, settings: Settings) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let key_prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
        let (redis, sessions) = match backend {
            Backend::Memory => (None, SessionBackend::Memory),
            Backend::Redis => {
                let server = RedisServer::start();
                let sessions = SessionBackend::Redis {
                    url: server.url().into(),
                    key_prefix: key_prefix.clone(),
                };
                (Some(server), sessions)
            }
        };
        let auth = Auth::new(&settings, operator(&dir), sessions)
            .await
            .expect("auth");
        Self {
            auth,
            dir,
            settings,
            redis,
            key_prefix,
        }
    }

    /// Another instance over the same storage and (for Redis) the same session store.
    pub async fn sibling(&self) -> Auth {
        let sessions = match &self.redis {
            None => SessionBackend::Memory,
            Some(server) => SessionBackend::Redis {
                url: server.url().into(),
                key_prefix: self.key_prefix.clone(),
            },
        };
        Auth::new(&self.settings, operator(&self.dir), sessions)
            .await
            .expect("auth")
    }

    pub async fn register(&self, phone: &str, email: &str) -> User {
        self.auth
            .register(account(phone, email))
            .await
            .expect("register")
    }

    pub async fn login(&self, login: &str) -> TokenPair {
        self.login_from(login, "test-agent").await
    }

    pub async fn login_from(&self, login: &str, user_agent: &str) -> TokenPair {
        let device = Device {
            user_agent: Some(user_agent.into()),
            ip: Some("127.0.0.1".into()),
        };
        let (_, pair) = self
            .auth
            .login(login, PASSWORD, device, None)
            .await
            .expect("login");
        pair
    }

    /// A login from `ip` with `password`, as it turns out.
    pub async fn try_login(
        &self,
        login: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<(User, TokenPair), Error> {
        let device = Device {
            user_agent: None,
            ip: ip.map(Into::into),
        };
        self.auth.login(login, password, device, None).await
    }

    /// Every key under the prefix with its value, as text (Redis only; empty for Memory).
    pub async fn redis_dump(&self) -> String {
        let Some(server) = &self.redis else {
            return String::new();
        };
        let client = redis::Client::open(server.url()).expect("client");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("connection");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut con)
            .await
            .expect("keys");
        let mut dump = String::new();
        for key in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut con)
                .await
                .expect("type");
            let command = match kind.as_str() {
                "hash" => "HGETALL",
                "set" => "SMEMBERS",
                "zset" => "ZRANGE",
                _ => "GET",
            };
            let mut cmd = redis::cmd(command);
            cmd.arg(&key);
            if command == "ZRANGE" {
                cmd.arg(0).arg(-1);
            }
            let values: redis::Value = cmd.query_async(&mut con).await.expect("value");
            dump.push_str(&format!("{key} => {values:?}\n"));
        }
        dump
    }

    /// Seconds until `key` (under the prefix) expires in Redis; -2 if missing, -1 if none.
    pub fn redis_ttl(&self, key: &str) -> i64 {
        let server = self.redis.as_ref().expect("redis");
        server
            .command(&format!("TTL {}{key}", self.key_prefix))
            .trim()
            .trim_start_matches(':')
            .parse()
            .expect("integer reply")
    }

    pub async fn principal(&self, pair: &TokenPair) -> Principal {
        self.auth
            .authenticate(&pair.access_token)
            .await
            .expect("authenticate")
    }
}

pub fn account(phone: &str, email: &str) -> NewAccount {
    NewAccount {
        phone: phone.into(),
        email: email.into(),
        password: PASSWORD.into(),
        name: Some("Test User".into()),
        tfs: None,
        role: Role::User,
    }
}

pub fn no_device() -> Device {
    Device::default()
}

pub fn from_ip(ip: &str) -> Device {
    Device {
        user_agent: None,
        ip: Some(ip.into()),
    }
}

/// Asserts `r` is `TooManyAttempts` and returns its `retry_after_secs`.
pub fn refused<T: std::fmt::Debug>(r: Result<T, Error>) -> u64 {
    match r {
        Err(Error::TooManyAttempts { retry_after_secs }) => retry_after_secs,
        other => panic!("expected TooManyAttempts, got {other:?}"),
    }
}
