//! The test harness: the real app on a free port, a temp data dir, a fresh JWT secret and, unless
//! a test asks for the embedded store, its own real `redis-server`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gateway::{Application, Settings};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub const PASSWORD: &str = "correct horse 42";

/// A real `redis-server` on a free loopback port, stopped on drop.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start(dir: &Path) -> Self {
        let mut server = Self {
            port: free_port(),
            dir: dir.to_path_buf(),
            child: None,
        };
        server.resume();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port.
    pub fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}). Install it: apt-get install -y redis-server"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (its data is lost, as in a crash of a non-persistent Redis).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn answers_ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 16];
        stream.write_all(b"PING\r\n").is_ok()
            && stream
                .read(&mut buf)
                .map(|n| buf[..n].starts_with(b"+PONG"))
                .unwrap_or(false)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: Client,
    pub data_dir: PathBuf,
    pub redis: Option<RedisServer>,
    pub jwt_secret: String,
    _root: TempDir,
}

/// Which session store the app under test uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    Redis,
    Embedded,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Sessions::Redis, "").await
}

pub async fn spawn_embedded_app() -> TestApp {
    spawn_app_with(Sessions::Embedded, "").await
}

/// Starts the app with extra TOML layered over the embedded defaults and the test settings.
pub async fn spawn_app_with(sessions: Sessions, extra_toml: &str) -> TestApp {
    let root = tempfile::tempdir().expect("temp dir");
    let data_dir = root.path().join("data");
    let redis = (sessions == Sessions::Redis).then(|| {
        let dir = root.path().join("redis");
        std::fs::create_dir_all(&dir).expect("redis dir");
        RedisServer::start(&dir)
    });
    let redis_layer = redis
        .as_ref()
        .map(|r| format!("[redis]\nurl = \"{}\"\n", r.url()))
        .unwrap_or_default();
    let jwt_secret = uuid::Uuid::new_v4().to_string();
    let base = format!(
        "[server]\nport = 0\n[storage]\ndata_dir = \"{}\"\n[auth]\njwt_secret = \"{}\"\nbcrypt_cost = 4\n{redis_layer}",
        data_dir.display(),
        jwt_secret
    );
    let settings = Settings::from_toml_layers(&[&base, extra_toml]).expect("test settings");
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        data_dir,
        redis,
        jwt_secret,
        _root: root,
    }
}

/// A parsed envelope answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn from(res: Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// Asserts the envelope of a failure with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["success"], false, "{}", self.body);
        assert_eq!(self.code(), code, "{}", self.body);
        assert!(self.body["msg"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(self.body["requestId"].as_str().is_some(), "{}", self.body);
    }

    #[track_caller]
    pub fn assert_ok(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["success"], true, "{}", self.body);
        assert_eq!(self.code(), "0", "{}", self.body);
    }
}

/// A user that has registered and logged in.
pub struct TestUser {
    pub phone: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Answer {
        Answer::from(
            self.client
                .get(self.url(path))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Answer {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        Answer::from(res).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Answer {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Answer::from(req.send().await.expect("request")).await
    }

    pub async fn register(&self, phone: &str, email: &str, password: &str) -> Answer {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"phone": phone, "email": email, "password": password, "name": "Tester"}),
            None,
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Answer {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"login": login, "password": password}),
            None,
        )
        .await
    }

    /// Registers a fresh user and logs in.
    pub async fn user(&self) -> TestUser {
        let n = rand_digits();
        let phone = format!("139{n}");
        let email = format!("u{n}@example.com");
        self.register(&phone, &email, PASSWORD).await.assert_ok(201);
        let login = self.login(&phone, PASSWORD).await;
        login.assert_ok(200);
        TestUser {
            phone,
            email,
            password: PASSWORD.to_owned(),
            access: login.data()["accessToken"]
                .as_str()
                .expect("token")
                .to_owned(),
            refresh: login.data()["refreshToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        }
    }

    /// Creates an administrator through the same service the CLI uses, and logs in.
    pub async fn admin(&self) -> TestUser {
        let n = rand_digits();
        let phone = format!("137{n}");
        let email = format!("admin{n}@example.com");
        let settings = Settings::from_toml_layers(&[&format!(
            "[storage]\ndata_dir = \"{}\"\n[auth]\nbcrypt_cost = 4\n",
            self.data_dir.display()
        )])
        .expect("settings");
        let services = gateway::startup::Services::build(&settings)
            .await
            .expect("services");
        services
            .auth
            .register(auth::NewAccount {
                phone: phone.clone(),
                email: email.clone(),
                password: PASSWORD.to_owned(),
                name: Some("Admin".into()),
                tfs: None,
                role: auth::Role::Admin,
            })
            .await
            .expect("admin created");
        let login = self.login(&phone, PASSWORD).await;
        login.assert_ok(200);
        TestUser {
            phone,
            email,
            password: PASSWORD.to_owned(),
            access: login.data()["accessToken"]
                .as_str()
                .expect("token")
                .to_owned(),
            refresh: login.data()["refreshToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        }
    }

    /// Uploads one file through the native multipart route.
    pub async fn upload(&self, token: &str, bucket: &str, name: &str, bytes: Vec<u8>) -> Answer {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let res = self
            .client
            .post(self.url(&format!("/api/v1/buckets/{bucket}/objects")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request");
        Answer::from(res).await
    }

    /// Stores raw bytes at a key through `PUT`.
    pub async fn put(&self, token: &str, bucket: &str, key: &str, bytes: Vec<u8>) -> Answer {
        let res = self
            .client
            .put(self.url(&format!("/api/v1/buckets/{bucket}/objects/{key}")))
            .bearer_auth(token)
            .body(bytes)
            .send()
            .await
            .expect("request");
        Answer::from(res).await
    }

    /// Every regular file under the data dir (buckets, temp area), relative paths.
    pub fn stored_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.data_dir, &self.data_dir, &mut out);
        out.retain(|p| !p.starts_with(".system"));
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

/// Eight random digits, for unique phones and emails.
pub fn rand_digits() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    format!("{n:08}")
}

/// A second gateway over the same data dir, Redis and JWT secret: another instance behind the
/// same load balancer.
pub async fn spawn_twin(app: &TestApp) -> TestApp {
    let redis = app.redis.as_ref().expect("twin needs redis");
    let root = tempfile::tempdir().expect("temp dir");
    let layer = format!(
        "[server]\nport = 0\n[storage]\ndata_dir = \"{}\"\n[auth]\njwt_secret = \"{}\"\nbcrypt_cost = 4\n[redis]\nurl = \"{}\"\n",
        app.data_dir.display(),
        app.jwt_secret,
        redis.url()
    );
    let settings = Settings::from_toml_layers(&[&layer]).expect("twin settings");
    let twin = Application::build(settings).await.expect("twin builds");
    let port = twin.port();
    tokio::spawn(twin.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: Client::new(),
        data_dir: app.data_dir.clone(),
        redis: None,
        jwt_secret: app.jwt_secret.clone(),
        _root: root,
    }
}
