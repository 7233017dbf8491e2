//! The journal queue (no Redis), on a file system and on S3.

use tempfile::TempDir;
use testkit::S3Server;

use crate::scenarios::{self, Place};
use crate::support::fs;

fn place(dir: &TempDir) -> Place {
    Place {
        system: fs(dir.path()),
        redis: None,
    }
}

fn s3(server: &S3Server) -> Place {
    // The process-wide HTTP transport of S3 (the storage crate installs it in picgate).
    opendal::install_default();
    let builder = opendal::services::S3::default()
        .endpoint(&server.endpoint())
        .bucket(server.bucket())
        .region("us-east-1")
        .access_key_id(server.access_key())
        .secret_access_key(server.secret_key())
        .root("system/")
        .disable_config_load()
        .disable_ec2_metadata();
    Place {
        system: opendal::Operator::new(builder).unwrap(),
        redis: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_delivers_in_order_per_key_signed() {
    let dir = TempDir::new().unwrap();
    scenarios::in_order_and_signed(place(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_failures_dead_letter_then_replay_delivers() {
    let dir = TempDir::new().unwrap();
    scenarios::dead_letters_then_replay(place(&dir)).await;
    // Nothing left behind: no queue files, no dead letters.
    let files: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.contains("notify/queue/") || p.contains("notify/dead/"))
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_receiver_down_then_up_delivers_each_once() {
    let dir = TempDir::new().unwrap();
    scenarios::down_then_up(place(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_stopped_instance_hands_its_queue_to_a_new_one() {
    let dir = TempDir::new().unwrap();
    scenarios::handover(place(&dir), place(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_on_s3_delivers_dead_letters_and_replays() {
    let server = S3Server::start();
    scenarios::in_order_and_signed(s3(&server)).await;
    scenarios::dead_letters_then_replay(s3(&server)).await;
    scenarios::handover(s3(&server), s3(&server)).await;
}

/// Every file below `root`, as paths with `/`.
fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}
