//! A TCP proxy in front of a server that counts the HTTP requests going through it by method,
//! so a test can tell how many backend requests an operation cost.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

const METHODS: [&str; 5] = ["GET", "HEAD", "PUT", "POST", "DELETE"];

/// Forwards every connection on its own loopback port to `upstream`; runs until the test
/// process ends.
pub struct CountingProxy {
    port: u16,
    counts: Arc<Mutex<HashMap<&'static str, usize>>>,
}

impl CountingProxy {
    /// Starts forwarding to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let shared = counts.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                let counts = shared.clone();
                let (c2, s2) = match (client.try_clone(), server.try_clone()) {
                    (Ok(c), Ok(s)) => (c, s),
                    _ => continue,
                };
                thread::spawn(move || pipe(client, server, Some(counts)));
                thread::spawn(move || pipe(s2, c2, None));
            }
        });
        Self { port, counts }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests seen with `method` since the start or the last [`CountingProxy::reset`].
    pub fn count(&self, method: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(method).copied().unwrap_or(0)
    }

    pub fn reset(&self) {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Copies `from` to `to`; with `counts`, counts the request lines it sees (a line starting
/// with a method and ` /`, at the start of a read or right after a CRLF).
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    counts: Option<Arc<Mutex<HashMap<&'static str, usize>>>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(counts) = &counts {
            let chunk = &buf[..n];
            let mut counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
            for method in METHODS {
                let line = format!("{method} /");
                let at_start = chunk.starts_with(line.as_bytes()) as usize;
                let after_crlf = format!("\r\n{line}");
                let inside = chunk
                    .windows(after_crlf.len())
                    .filter(|w| *w == after_crlf.as_bytes())
                    .count();
                if at_start + inside > 0 {
                    *counts.entry(method).or_default() += at_start + inside;
                }
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
