//! The listing cache across instances: two `picgate` processes over the same storage and the
//! same Redis, each caching listings. A write or delete through either one shows in the very
//! next listing of the other (the per-bucket version in Redis), while a file put straight into
//! the bucket, behind picgate's back, shows once `storage.list_cache_secs` has passed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::{RedisServer, S3Server, free_port};

const PASSWORD: &str = "list cache password 1";
const CACHE_SECS: u64 = 2;
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Where the `images` bucket lives.
enum Place {
    Disk,
    S3(S3Server),
}

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment both instances share: data dir, Redis, JWT secret, the bucket's backend.
fn shared_env(data: &Path, redis: &RedisServer, place: &Place) -> Vec<(String, String)> {
    let mut env = vec![
        ("STORAGE__DATA_DIR", data.display().to_string()),
        ("STORAGE__LIST_CACHE_SECS", CACHE_SECS.to_string()),
        ("REDIS__URL", redis.url()),
        (
            "AUTH__JWT_SECRET",
            "list-cache-test-secret-0123456789".into(),
        ),
        ("AUTH__BCRYPT_COST", "4".into()),
        ("SERVER__WORKERS", "1".into()),
    ];
    if let Place::S3(s3) = place {
        env.extend([
            ("BUCKETS__IMAGES__BACKEND__TYPE", "s3".to_owned()),
            ("BUCKETS__IMAGES__BACKEND__ENDPOINT", s3.endpoint()),
            ("BUCKETS__IMAGES__BACKEND__BUCKET", s3.bucket().to_owned()),
            ("BUCKETS__IMAGES__BACKEND__ROOT", "images/".to_owned()),
            (
                "BUCKETS__IMAGES__BACKEND__ACCESS_KEY_ID",
                s3.access_key().to_owned(),
            ),
            (
                "BUCKETS__IMAGES__BACKEND__SECRET_ACCESS_KEY",
                s3.secret_key().to_owned(),
            ),
        ]);
    }
    env.into_iter()
        .map(|(k, v)| (format!("PICGATE__{k}"), v))
        .chain([("RUST_LOG".to_owned(), "warn".to_owned())])
        .collect()
}

fn picgate(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_picgate"));
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

async fn start(env: &[(String, String)]) -> Instance {
    let port = free_port();
    let child = picgate(env)
        .env("PICGATE__SERVER__PORT", port.to_string())
        .arg("serve")
        .spawn()
        .expect("the picgate binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "picgate did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Instance { child, base }
}

impl Instance {
    /// The keys of `images` under `p/`, by a cursor page and by a seed-style numbered page
    /// (with its total): both listings must agree.
    async fn keys(&self) -> Vec<String> {
        let page: Value = reqwest::get(format!(
            "{}/api/v1/buckets/images/objects?prefix=p/&pageSize=50",
            self.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let keys: Vec<String> = page["data"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_owned())
            .collect();
        let numbered: Value = reqwest::Client::new()
            .post(format!("{}/imagepic/object/listObjects", self.base))
            .json(&json!({"bucketName": "images", "prefix": "p/", "pageSize": 50, "pageNum": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<String> = numbered["data"]["lists"]
            .as_array()
            .expect("lists")
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names, keys,
            "the numbered listing agrees with the cursor page"
        );
        assert_eq!(numbered["data"]["total"], keys.len());
        keys
    }

    async fn token(&self) -> String {
        self.try_token().await.expect("a token")
    }

    async fn try_token(&self) -> Option<String> {
        let res: Value = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"login": "cache@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["data"]["accessToken"].as_str().map(str::to_owned)
    }

    async fn put(&self, token: &str, key: &str) {
        let res = reqwest::Client::new()
            .put(format!("{}/api/v1/buckets/images/objects/{key}", self.base))
            .bearer_auth(token)
            .body(PNG.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }

    async fn delete(&self, token: &str, key: &str) {
        let res = reqwest::Client::new()
            .delete(format!("{}/api/v1/buckets/images/objects/{key}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
}

/// `data` is the instances' data dir; `behind_the_back` where a file shows up in the bucket
/// as `p/3.png` without picgate.
async fn read_after_write_in(data: TempDir, place: Place, behind_the_back: PathBuf) {
    let redis = RedisServer::start();
    let env = shared_env(data.path(), &redis, &place);
    let created = picgate(&env)
        .args(["user", "create", "--phone", "13700000001"])
        .args(["--email", "cache@example.com", "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(created.success());
    let (a, b) = (start(&env).await, start(&env).await);
    let token = a.token().await;
    a.put(&token, "p/1.png").await;
    // Both instances now hold the listing in their caches.
    assert_eq!(a.keys().await, ["p/1.png"]);
    assert_eq!(b.keys().await, ["p/1.png"]);

    b.put(&token, "p/2.png").await;
    assert_eq!(a.keys().await, ["p/1.png", "p/2.png"], "a write through b");
    a.delete(&token, "p/1.png").await;
    assert_eq!(b.keys().await, ["p/2.png"], "a delete through a");
    assert_eq!(a.keys().await, ["p/2.png"]);

    // Straight into the bucket: picgate cannot know, so the cached listing stands until it
    // expires.
    std::fs::create_dir_all(behind_the_back.parent().unwrap()).unwrap();
    std::fs::write(&behind_the_back, PNG).unwrap();
    let written = Instant::now();
    let seen = a.keys().await;
    if written.elapsed() < Duration::from_secs(CACHE_SECS) {
        assert_eq!(seen, ["p/2.png"], "served from the cache");
    }
    tokio::time::sleep(Duration::from_secs(CACHE_SECS) + Duration::from_millis(200)).await;
    assert_eq!(
        a.keys().await,
        ["p/2.png", "p/3.png"],
        "after list_cache_secs"
    );
    assert_eq!(b.keys().await, ["p/2.png", "p/3.png"]);
    drop(place);
}

#[tokio::test]
async fn listings_are_current_across_instances_on_fs() {
    let data = tempfile::tempdir().unwrap();
    let target = data.path().join("images/p/3.png");
    read_after_write_in(data, Place::Disk, target).await;
}

#[tokio::test]
async fn listings_are_current_across_instances_on_s3() {
    let s3 = S3Server::start();
    let target = s3.data_dir().join(s3.bucket()).join("images/p/3.png");
    let data = tempfile::tempdir().unwrap();
    read_after_write_in(data, Place::S3(s3), target).await;
}

/// Redis restarting empty (or from an older snapshot) forgets the bucket versions: the next
/// change must still make the listings current, never match a version cached before.
#[tokio::test]
async fn a_redis_restart_never_revives_a_cached_listing() {
    let data = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start();
    let env = shared_env(data.path(), &redis, &Place::Disk);
    let created = picgate(&env)
        .args(["user", "create", "--phone", "13700000002"])
        .args(["--email", "cache@example.com", "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(created.success());
    let (a, b) = (start(&env).await, start(&env).await);
    let token = a.token().await;
    // One change: the bucket's first version.
    a.put(&token, "p/1.png").await;
    assert_eq!(b.keys().await, ["p/1.png"]);

    redis.restart();
    // The first call after the outage finds the old connection gone and reconnects.
    let mut token = String::new();
    for _ in 0..50 {
        if let Some(t) = a.try_token().await {
            token = t;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!token.is_empty(), "logged in again after the restart");
    // Again the bucket's first change as far as Redis knows.
    a.put(&token, "p/2.png").await;
    assert_eq!(b.keys().await, ["p/1.png", "p/2.png"]);
}
