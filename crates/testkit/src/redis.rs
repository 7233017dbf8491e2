//! A real `redis-server` without persistence.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::process::{Launch, free_port, kill, spawn, wait_ready};

const PROGRAM: &str = "redis-server";
const INSTALL: &str = "apt-get install -y redis-server";

/// A `redis-server` on a loopback port, in its own temporary directory, killed on drop.
pub struct RedisServer {
    port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port. Panics (never skips) if `redis-server` is missing.
    pub fn start() -> Self {
        for _ in 0..5 {
            let mut server = Self::unstarted(free_port());
            if server.launch() {
                return server;
            }
        }
        panic!("{PROGRAM} did not start after 5 attempts");
    }

    /// Starts a server on `port` (one reserved with [`crate::free_port`]).
    pub fn on_port(port: u16) -> Self {
        let mut server = Self::unstarted(port);
        assert!(server.launch(), "{PROGRAM} did not start on port {port}");
        server
    }

    fn unstarted(port: u16) -> Self {
        Self {
            port,
            dir: TempDir::new().expect("temporary directory for redis"),
            child: None,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        Self::url_for(self.port)
    }

    pub fn url_for(port: u16) -> String {
        format!("redis://127.0.0.1:{port}/")
    }

    /// Kills the server (an outage); its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.launch() {
            assert!(
                Instant::now() < deadline,
                "{PROGRAM} did not restart on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends one inline command and returns the raw reply (for checks on keys and TTLs).
    pub fn command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("read timeout");
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write to redis");
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).expect("read from redis");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    fn launch(&mut self) -> bool {
        let mut command = Command::new(PROGRAM);
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = spawn(command, PROGRAM, INSTALL);
        let port = self.port;
        match wait_ready(child, Duration::from_secs(5), || ping(port)) {
            Launch::Ready(child) => {
                self.child = Some(child);
                true
            }
            Launch::Exited | Launch::TimedOut => false,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
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
