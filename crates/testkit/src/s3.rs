//! A real S3 server: `s3s-fs`, which checks SigV4 signatures (headers and presigned URLs) and
//! keeps each bucket as a directory of plain files.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::process::{
    Launch, accepts_connections, cargo_installed, free_port, kill, signal, spawn, wait_ready,
};

const PROGRAM: &str = "s3s-fs";
const INSTALL: &str = "cargo install s3s-fs --version 0.14.1 --features binary --locked";

/// An `s3s-fs` on a loopback port with random credentials, serving a data directory inside its
/// own temporary directory; killed on drop.
pub struct S3Server {
    port: u16,
    root: TempDir,
    access_key: String,
    secret_key: String,
    bucket: String,
    child: Option<Child>,
}

impl S3Server {
    /// Starts a server on a free port with one empty bucket, [`S3Server::bucket`]. Panics
    /// (never skips) if `s3s-fs` is missing.
    pub fn start() -> Self {
        let root = TempDir::new().expect("temporary directory for s3s-fs");
        let mut server = Self {
            port: 0,
            root,
            access_key: format!("AK{}", uuid::Uuid::new_v4().simple()),
            secret_key: uuid::Uuid::new_v4().simple().to_string(),
            bucket: "picgate".to_owned(),
            child: None,
        };
        std::fs::create_dir_all(server.data_dir()).expect("s3s-fs data directory");
        server.create_bucket(&server.bucket.clone());
        for _ in 0..5 {
            server.port = free_port();
            if server.launch() {
                return server;
            }
        }
        panic!(
            "{PROGRAM} did not start after 5 attempts (see {})",
            server.log().display()
        );
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The bucket created at start.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates another (empty) bucket: to s3s-fs a bucket is a directory of the data dir.
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir_all(self.data_dir().join(name)).expect("bucket directory");
    }

    /// Where s3s-fs keeps everything: one directory per bucket, plus its own bookkeeping files.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The keys stored in `bucket` (under `prefix`, which is cut off), sorted.
    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let dir = self.data_dir().join(bucket).join(prefix);
        let mut keys = Vec::new();
        collect_files(&dir, &dir, &mut keys);
        keys.sort();
        keys
    }

    /// What unfinished uploads leave in the data dir: multipart uploads that were neither
    /// completed nor aborted (`.upload-<id>.json`, `.upload_id-<id>.part-<n>`, their metadata),
    /// and single-request uploads still being received (`.tmp.<n>.internal.part`).
    pub fn dangling_uploads(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir()) else {
            return Vec::new();
        };
        let mut found: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| {
                name.starts_with(".upload")
                    || (name.starts_with(".bucket-") && name.contains(".upload-"))
                    || (name.starts_with(".tmp.") && name.ends_with(".internal.part"))
            })
            .collect();
        found.sort();
        found
    }

    /// Kills the server (an outage). Its data stays on disk for [`S3Server::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
    }

    /// Starts it again on the same port over the same data.
    pub fn resume(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.launch() {
            assert!(
                Instant::now() < deadline,
                "{PROGRAM} did not come back on port {} (see {})",
                self.port,
                self.log().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Freezes the process (`SIGSTOP`): connections are accepted by the kernel but never
    /// answered, as with a backend that hangs.
    pub fn freeze(&mut self) {
        let child = self.child.as_ref().expect("s3s-fs is running");
        signal(child, "STOP");
    }

    /// Lets a frozen process run again (`SIGCONT`).
    pub fn thaw(&mut self) {
        let child = self.child.as_ref().expect("s3s-fs is running");
        signal(child, "CONT");
    }

    fn log(&self) -> PathBuf {
        self.root.path().join("s3s-fs.log")
    }

    fn launch(&mut self) -> bool {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .expect("s3s-fs log file");
        let mut command = Command::new(cargo_installed(PROGRAM));
        command
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", &self.access_key])
            .args(["--secret-key", &self.secret_key])
            .arg(self.data_dir())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_or_else(|_| Stdio::null(), Stdio::from))
            .stderr(Stdio::from(log));
        let child = spawn(command, PROGRAM, INSTALL);
        let port = self.port;
        match wait_ready(child, Duration::from_secs(5), || accepts_connections(port)) {
            Launch::Ready(child) => {
                self.child = Some(child);
                true
            }
            Launch::Exited | Launch::TimedOut => false,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // SIGKILL ends a frozen process too.
        self.stop();
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let key: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(key.join("/"));
        }
    }
}
