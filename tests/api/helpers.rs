//! The test harness: the real app on a free port, a temp data dir, a fresh JWT secret, unless a
//! test asks for the embedded store its own real `redis-server`, and on [`Backend::S3`] its own
//! real S3 server (`s3s-fs`) holding the buckets and the system area.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gateway::{Application, Settings};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
pub use testkit::{Backend, CountingProxy, RedisServer, S3Server};

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xE9, 0xFA, 0xDC, 0xD8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

pub const PASSWORD: &str = "correct horse 42";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The port of `metrics.listen`, when the config sets one.
    pub metrics_port: Option<u16>,
    pub client: Client,
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub redis: Option<RedisServer>,
    /// The S3 server holding the buckets and the system area, on [`Backend::S3`].
    pub s3: Option<S3Server>,
    pub jwt_secret: String,
    /// The TOML layers the app was built from, for other processes over the same data.
    layers: Vec<String>,
    _root: TempDir,
}

/// Which session store the app under test uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    Redis,
    Embedded,
}

/// On S3 the buckets and the system area share one remote bucket under these roots.
const S3_AREAS: [(&str, &str); 3] = [
    ("buckets.images.backend", "images/"),
    ("buckets.files.backend", "files/"),
    ("storage.system", "system/"),
];

pub async fn spawn_app() -> TestApp {
    spawn_app_on_with(Backend::Fs, Sessions::Redis, "").await
}

pub async fn spawn_embedded_app() -> TestApp {
    spawn_app_on_with(Backend::Fs, Sessions::Embedded, "").await
}

/// The app with its objects (and its system area) on `backend`.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_on_with(backend, Sessions::Redis, "").await
}

/// Starts the app with extra TOML layered over the embedded defaults and the test settings.
pub async fn spawn_app_with(sessions: Sessions, extra_toml: &str) -> TestApp {
    spawn_app_on_with(Backend::Fs, sessions, extra_toml).await
}

pub async fn spawn_app_on_with(backend: Backend, sessions: Sessions, extra_toml: &str) -> TestApp {
    let root = tempfile::tempdir().expect("temp dir");
    let data_dir = root.path().join("data");
    let redis = (sessions == Sessions::Redis).then(RedisServer::start);
    let redis_layer = redis
        .as_ref()
        .map(|r| format!("[redis]\nurl = \"{}\"\n", r.url()))
        .unwrap_or_default();
    let s3 = (backend == Backend::S3).then(S3Server::start);
    let s3_layer = s3.as_ref().map(s3_layer).unwrap_or_default();
    let jwt_secret = uuid::Uuid::new_v4().to_string();
    let base = format!(
        "[server]\nport = 0\n[storage]\ndata_dir = \"{}\"\n[auth]\njwt_secret = \"{}\"\nbcrypt_cost = 4\n{redis_layer}{s3_layer}",
        data_dir.display(),
        jwt_secret
    );
    let layers = vec![base, extra_toml.to_owned()];
    let (address, port, metrics_port) = start(&layers).await;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client");
    TestApp {
        address,
        port,
        metrics_port,
        client,
        data_dir,
        backend,
        redis,
        s3,
        jwt_secret,
        layers,
        _root: root,
    }
}

/// Every storage area on `s3`, in its bucket under its own root.
fn s3_layer(s3: &S3Server) -> String {
    S3_AREAS
        .iter()
        .map(|(table, root)| {
            format!(
                "[{table}]\ntype = \"s3\"\nendpoint = \"{}\"\nbucket = \"{}\"\nroot = \"{root}\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
                s3.endpoint(),
                s3.bucket(),
                s3.access_key(),
                s3.secret_key()
            )
        })
        .collect()
}

async fn start(layers: &[String]) -> (String, u16, Option<u16>) {
    let layers: Vec<&str> = layers.iter().map(String::as_str).collect();
    let settings = Settings::from_toml_layers(&layers).expect("test settings");
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    let metrics_port = app.metrics_port();
    tokio::spawn(app.run_until_stopped());
    (format!("http://127.0.0.1:{port}"), port, metrics_port)
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

    /// The `key` of each of `data.items`, in order.
    pub fn item_keys(&self) -> Vec<String> {
        self.data()["items"]
            .as_array()
            .expect("data.items")
            .iter()
            .map(|i| i["key"].as_str().expect("a key").to_owned())
            .collect()
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

    pub async fn patch_auth(&self, path: &str, body: &Value, token: &str) -> Answer {
        let req = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body);
        Answer::from(req.send().await.expect("request")).await
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> Answer {
        let req = self.client.delete(self.url(path)).bearer_auth(token);
        Answer::from(req.send().await.expect("request")).await
    }

    /// The id of the user behind `token`, from `/me`.
    pub async fn user_id(&self, token: &str) -> String {
        let me = self.get_auth("/api/v1/me", token).await;
        me.data()["id"].as_str().expect("user id").to_owned()
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

    /// The services over the same config and data, as a CLI command builds them (another
    /// process would).
    pub async fn cli_service(&self) -> gateway::service::Service {
        let layers: Vec<&str> = self.layers.iter().map(String::as_str).collect();
        let settings = Settings::from_toml_layers(&layers).expect("settings");
        gateway::startup::build_service(&settings)
            .await
            .expect("services")
    }

    /// Creates an administrator through the same service the CLI uses, and logs in.
    pub async fn admin(&self) -> TestUser {
        let n = rand_digits();
        let phone = format!("137{n}");
        let email = format!("admin{n}@example.com");
        self.cli_service()
            .await
            .auth()
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

    /// The `/metrics` text.
    pub async fn scrape(&self) -> String {
        let res = self.client.get(self.url("/metrics")).send().await.unwrap();
        res.text().await.unwrap()
    }

    /// What the storage holds besides the system area and the buckets' variant caches: on fs
    /// every regular file under the data dir (buckets, temp area); on S3 every object of the
    /// remote bucket, the uploads never completed or aborted, and anything written to the data
    /// dir. Paths like `images/a.png`.
    pub fn stored_files(&self) -> Vec<String> {
        let mut out = self.all_files();
        out.retain(|p| !p.contains("/.picgate/"));
        out
    }

    /// The files of the buckets' variant caches (`<bucket>/.picgate/…`), as [`Self::stored_files`]
    /// names them.
    pub fn cache_files(&self) -> Vec<String> {
        let mut out = self.all_files();
        out.retain(|p| p.contains("/.picgate/"));
        out
    }

    fn all_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.data_dir, &self.data_dir, &mut out);
        out.retain(|p| !p.starts_with(".system"));
        if let Some(s3) = &self.s3 {
            // The buckets' roots are `images/` and `files/`: keys read as on fs. Anything else
            // in the remote bucket (but the system area) would be an object written outside.
            let objects = s3.objects(s3.bucket(), "");
            out.extend(objects.into_iter().filter(|k| !k.starts_with("system/")));
            out.extend(s3.dangling_uploads());
        }
        out.sort();
        out
    }

    /// Waits (up to 5 s) until [`TestApp::stored_files`] satisfies `done`; returns the last look.
    pub async fn stored_files_eventually(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        self.eventually(Self::stored_files, done).await
    }

    /// As [`TestApp::stored_files_eventually`], of [`TestApp::cache_files`].
    pub async fn cache_files_eventually(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        self.eventually(Self::cache_files, done).await
    }

    async fn eventually(
        &self,
        look: fn(&Self) -> Vec<String>,
        done: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let files = look(self);
            if done(&files) || Instant::now() > deadline {
                return files;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where a link points: the gateway's `/f` route, or (signed on S3) the S3 server itself.
    pub fn s3_endpoint(&self) -> Option<String> {
        self.s3.as_ref().map(S3Server::endpoint)
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

/// A second gateway over the same storage, Redis and JWT secret: another instance behind the
/// same load balancer.
pub async fn spawn_twin(app: &TestApp) -> TestApp {
    spawn_twin_with(app, "").await
}

/// [`spawn_twin`] with one more TOML layer over the app's (another endpoint, a setting).
pub async fn spawn_twin_with(app: &TestApp, extra_toml: &str) -> TestApp {
    assert!(app.redis.is_some(), "a twin needs a shared session store");
    let mut layers = app.layers.clone();
    layers.push(extra_toml.to_owned());
    let (address, port, metrics_port) = start(&layers).await;
    TestApp {
        address,
        port,
        metrics_port,
        client: Client::new(),
        data_dir: app.data_dir.clone(),
        backend: app.backend,
        redis: None,
        s3: None,
        jwt_secret: app.jwt_secret.clone(),
        layers,
        _root: tempfile::tempdir().expect("temp dir"),
    }
}

/// Where an external tool the tests need is: `$<env>`, else `<workspace>/<vendored>` (where
/// `.ci/run` installs it), else `name` on `PATH`; panics saying how to install it.
pub fn find_tool(env: &str, vendored: &str, name: &str, install: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(vendored);
    if local.is_file() {
        return local;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    on_path
        .unwrap_or_else(|| panic!("{name} is missing: install it with `{install}` (or set {env})"))
}
