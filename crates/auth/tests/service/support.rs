//! Test support: an `Auth` over a fresh temporary storage directory with either session backend;
//! for Redis a real `redis-server` per test (from `testkit`) on a free loopback port.

use auth::{Auth, Device, NewAccount, Principal, Role, SessionBackend, Settings, TokenPair, User};
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
        let dir = TempDir::new().expect("temp dir");
        let settings = settings();
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
