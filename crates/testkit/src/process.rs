//! Starting and stopping the server processes.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Spawns `command`; a missing program is a panic carrying `install_hint`.
pub(crate) fn spawn(mut command: Command, program: &str, install_hint: &str) -> Child {
    match command.spawn() {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "{program} is not installed, and these tests need it. Install it: {install_hint}"
            )
        }
        Err(err) => panic!("could not run {program}: {err}"),
    }
}

/// How a freshly spawned server fared.
pub(crate) enum Launch {
    Ready(Child),
    /// It exited at once: most likely its port was taken meanwhile.
    Exited,
    TimedOut,
}

/// Waits until `ready` holds for the child's port, or the child exits, or `limit` passes.
pub(crate) fn wait_ready(mut child: Child, limit: Duration, ready: impl Fn() -> bool) -> Launch {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return Launch::Exited;
        }
        if ready() {
            return Launch::Ready(child);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(&mut child);
    Launch::TimedOut
}

pub(crate) fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

pub(crate) fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Sends `signal` (`STOP`, `CONT`) to a child this crate started.
pub(crate) fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {} failed", child.id());
}

/// `program` on `PATH`, else in cargo's bin directory (where `cargo install` puts it).
pub(crate) fn cargo_installed(program: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()));
    if on_path {
        return PathBuf::from(program);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    match cargo_home.map(|home| home.join("bin").join(program)) {
        Some(path) if path.is_file() => path,
        _ => PathBuf::from(program),
    }
}
