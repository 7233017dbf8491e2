//! Test support: a real `redis-server` per test on a free loopback port, and an `Auth` over a
//! fresh temporary storage directory with either session backend.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth::{Auth, Device, NewAccount, Principal, Role, SessionBackend, Settings, TokenPair, User};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";
pub const MAX_FAILURES: u32 = 3;
pub const WINDOW_SECS: u64 = 60;

const MISSING: &str = "redis-server is not installed; the Redis tests need it. \
                       install redis-server: apt-get install -y redis-server";

/// A `redis-server` child process without persistence, killed on drop.
pub struct RedisServer {
    port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port. Panics (never skips) if `redis-server` is missing.
    pub fn start() -> Self {
        for _ in 0..5 {
            let mut server = Self {
                port: free_port(),
                dir: TempDir::new().expect("temp dir for redis"),
                child: None,
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start after 5 attempts");
    }

    /// A port that nothing listens on, for a server started later with [`RedisServer::on_port`].
    pub fn reserve_port() -> u16 {
        free_port()
    }

    pub fn on_port(port: u16) -> Self {
        let mut server = Self {
            port,
            dir: TempDir::new().expect("temp dir for redis"),
            child: None,
        };
        assert!(server.launch(), "redis-server did not start on port {port}");
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn url_for(port: u16) -> String {
        format!("redis://127.0.0.1:{port}/")
    }

    /// Kills the server (an outage); its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.launch() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one inline command and returns the raw reply (for checks on keys and TTLs).
    pub fn command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).expect("read");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    fn launch(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!("{MISSING}"),
            Err(err) => panic!("could not run redis-server: {err}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false; // exited: most likely the port was taken
            }
            if ping(self.port) {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("addr").port()
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 16];
    stream.write_all(b"PING\r\n").is_ok()
        && stream
            .read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}

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
