//! A tiny HTTP/1.1 receiver: records every request (head and body) and answers a settable
//! status, keeping connections alive; it can go down (port refused) and come back on the
//! same port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::AbortHandle;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// Lower-case names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// What it was answered.
    pub status: u16,
    pub at: std::time::Instant,
}

impl Request {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

#[derive(Default)]
struct State {
    status: AtomicU16,
    retry_after: Mutex<Option<String>>,
    requests: Mutex<Vec<Request>>,
    tasks: Mutex<Vec<AbortHandle>>,
}

pub struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Receiver {
    pub async fn start() -> Self {
        let receiver = Self {
            addr: "127.0.0.1:0".parse().expect("address"),
            state: Arc::new(State::default()),
        };
        receiver.state.status.store(200, Ordering::SeqCst);
        receiver.listen().await
    }

    async fn listen(mut self) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket.bind(self.addr).expect("bind the receiver");
        let listener = socket.listen(64).expect("listen");
        self.addr = listener.local_addr().expect("local address");
        let state = self.state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let task = tokio::spawn(serve(stream, state.clone()));
                state.tasks.lock().expect("tasks").push(task.abort_handle());
            }
        });
        self.state
            .tasks
            .lock()
            .expect("tasks")
            .push(accept.abort_handle());
        self
    }

    pub fn url(&self) -> String {
        format!("http://{}/events", self.addr)
    }

    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    pub fn set_retry_after(&self, value: Option<&str>) {
        *self.state.retry_after.lock().expect("retry-after") = value.map(str::to_owned);
    }

    /// Closes the port and every connection.
    pub fn down(&self) {
        for task in self.state.tasks.lock().expect("tasks").drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn up(self) -> Self {
        self.listen().await
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().expect("requests").clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("")
            .to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        let status = state.status.load(Ordering::SeqCst);
        let retry_after = state.retry_after.lock().expect("retry-after").clone();
        state.requests.lock().expect("requests").push(Request {
            path,
            headers,
            body,
            status,
            at: std::time::Instant::now(),
        });
        let mut response = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n");
        if let Some(value) = retry_after {
            response.push_str(&format!("retry-after: {value}\r\n"));
        }
        response.push_str("\r\nok");
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}
