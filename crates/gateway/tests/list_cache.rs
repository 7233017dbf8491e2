//! The listing cache across instances: two `picgate` processes over the same storage and the
//! same Redis, each caching listings. A write or delete through either one shows in the very
//! next listing of the other (the per-bucket version in Redis), while a file put straight into
//! the bucket, behind picgate's back, shows once `storage.list_cache_secs` has passed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::{RedisServer, S3Server};

mod common;

use common::Instance;

const CACHE_SECS: u64 = 2;
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Where the `images` bucket lives.
enum Place {
    Disk,
    S3(S3Server),
}

/// An instance over `data` with `env`, its log discarded.
async fn serve(data: &Path, env: &[(&str, &str)]) -> Instance {
    common::serve(data, env, Stdio::null()).await
}

/// `env` as the process helpers take it.
fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The environment both instances share (beside the data dir): Redis, JWT secret, the
/// bucket's backend.
fn shared_env(redis: &RedisServer, place: &Place) -> Vec<(String, String)> {
    let mut env = vec![
        ("STORAGE__LIST_CACHE_SECS", CACHE_SECS.to_string()),
        ("REDIS__URL", redis.url()),
        (
            "AUTH__JWT_SECRET",
            "list-cache-test-secret-0123456789".into(),
        ),
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
        .collect()
}

/// The keys of `images` under `p/`, by a cursor page and by a seed-style numbered page
/// (with its total): both listings must agree.
async fn keys(app: &Instance) -> Vec<String> {
    let page: Value = reqwest::get(app.url("/api/v1/buckets/images/objects?prefix=p/&pageSize=50"))
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
        .post(app.url("/imagepic/object/listObjects"))
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

async fn put(app: &Instance, token: &str, key: &str) {
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/buckets/images/objects/{key}")))
        .bearer_auth(token)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

async fn delete(app: &Instance, token: &str, key: &str) {
    let res = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/buckets/images/objects/{key}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// `data` is the instances' data dir; `behind_the_back` where a file shows up in the bucket
/// as `p/3.png` without picgate.
async fn read_after_write_in(data: TempDir, place: Place, behind_the_back: PathBuf) {
    let redis = RedisServer::start();
    let env = shared_env(&redis, &place);
    let env = borrowed(&env);
    common::create_user(data.path(), &env);
    let (a, b) = (
        serve(data.path(), &env).await,
        serve(data.path(), &env).await,
    );
    let (token, _) = a.login().await;
    put(&a, &token, "p/1.png").await;
    // Both instances now hold the listing in their caches.
    assert_eq!(keys(&a).await, ["p/1.png"]);
    assert_eq!(keys(&b).await, ["p/1.png"]);

    put(&b, &token, "p/2.png").await;
    assert_eq!(keys(&a).await, ["p/1.png", "p/2.png"], "a write through b");
    delete(&a, &token, "p/1.png").await;
    assert_eq!(keys(&b).await, ["p/2.png"], "a delete through a");
    assert_eq!(keys(&a).await, ["p/2.png"]);

    // Straight into the bucket: picgate cannot know, so the cached listing stands until it
    // expires.
    std::fs::create_dir_all(behind_the_back.parent().unwrap()).unwrap();
    std::fs::write(&behind_the_back, PNG).unwrap();
    let written = Instant::now();
    let seen = keys(&a).await;
    if written.elapsed() < Duration::from_secs(CACHE_SECS) {
        assert_eq!(seen, ["p/2.png"], "served from the cache");
    }
    tokio::time::sleep(Duration::from_secs(CACHE_SECS) + Duration::from_millis(200)).await;
    assert_eq!(
        keys(&a).await,
        ["p/2.png", "p/3.png"],
        "after list_cache_secs"
    );
    assert_eq!(keys(&b).await, ["p/2.png", "p/3.png"]);
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
    let env = shared_env(&redis, &Place::Disk);
    let env = borrowed(&env);
    common::create_user(data.path(), &env);
    let (a, b) = (
        serve(data.path(), &env).await,
        serve(data.path(), &env).await,
    );
    let (token, _) = a.login().await;
    // One change: the bucket's first version.
    put(&a, &token, "p/1.png").await;
    assert_eq!(keys(&b).await, ["p/1.png"]);

    redis.restart();
    // The first call after the outage finds the old connection gone and reconnects.
    let mut token = String::new();
    for _ in 0..50 {
        if let Some((t, _)) = a.try_login().await {
            token = t;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!token.is_empty(), "logged in again after the restart");
    // Again the bucket's first change as far as Redis knows.
    put(&a, &token, "p/2.png").await;
    assert_eq!(keys(&b).await, ["p/1.png", "p/2.png"]);
}
