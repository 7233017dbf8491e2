//! A `picgate` process over a temporary data directory, with one account, for the tests that
//! need a real process (signals, stderr).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::free_port;

pub const PASSWORD: &str = "process password 1";
pub const EMAIL: &str = "process@example.com";

pub struct Instance {
    pub child: Child,
    pub port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `picgate` over `data`, with cheap bcrypt, one worker and `env` on top.
pub fn picgate(data: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_picgate"));
    cmd.env("PICGATE__STORAGE__DATA_DIR", data)
        .env("PICGATE__AUTH__BCRYPT_COST", "4")
        .env("PICGATE__SERVER__WORKERS", "1")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Creates the account ([`EMAIL`], [`PASSWORD`]) in `data`.
pub fn create_user(data: &Path, env: &[(&str, &str)]) {
    let created = picgate(data, env)
        .args(["user", "create", "--phone", "13700000009"])
        .args(["--email", EMAIL, "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(created.success());
}

/// Serves on a free port once `/healthz` answers; `stderr` receives the log.
pub async fn serve(data: &Path, env: &[(&str, &str)], stderr: Stdio) -> Instance {
    let port = free_port();
    let child = picgate(data, env)
        .env("PICGATE__SERVER__PORT", port.to_string())
        .stderr(stderr)
        .arg("serve")
        .spawn()
        .expect("the picgate binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "picgate did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Instance { child, port }
}

/// Creates the account, then serves.
pub async fn start(data: &Path, env: &[(&str, &str)], stderr: Stdio) -> Instance {
    create_user(data, env);
    serve(data, env, stderr).await
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The login: `(access token, user id)`.
    pub async fn login(&self) -> (String, String) {
        self.try_login().await.expect("a login")
    }

    /// The login, or `None` when it is refused (the session store is away).
    pub async fn try_login(&self) -> Option<(String, String)> {
        let res: Value = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"login": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = &res["data"];
        Some((
            data["accessToken"].as_str()?.to_owned(),
            data["user"]["id"].as_str()?.to_owned(),
        ))
    }

    /// Sends `signal` (`TERM`, `INT`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    pub fn exit_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "picgate still runs {limit:?} after the signal"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
