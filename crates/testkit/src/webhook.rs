//! A webhook receiver: a real HTTP/1.1 server on a loopback port that records every request
//! and answers as the test says (`200`, a failure status, or not at all: the port refuses
//! connections until it is brought up again on the same port).
//!
//! It runs on its own thread with its own Tokio runtime, so it keeps answering whatever the
//! test's runtime does. Keep-alive connections, bodies by `Content-Length` (no chunked).

use std::fmt;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// Largest request head accepted, in bytes.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted, in bytes.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `200 OK`.
    Accept,
    /// This status (e.g. 500, 503), no `Retry-After`.
    Fail(u16),
    /// Not listening: connections are refused, open ones are dropped.
    Down,
}

/// One request as it arrived.
#[derive(Clone)]
pub struct ReceivedRequest {
    pub method: String,
    /// The request target as sent (path and query).
    pub path: String,
    /// Header names lower-cased, values as sent, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its body was complete.
    pub at: Instant,
    /// The status it was answered with.
    pub status: u16,
}

impl ReceivedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the request body is not JSON ({e}): {}", self.text()))
    }

    /// Whether it was answered 2xx (acknowledged).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {} {:?} {}",
            self.method,
            self.path,
            self.status,
            self.headers,
            self.text()
        )
    }
}

struct Shared {
    requests: Mutex<Vec<ReceivedRequest>>,
    mode: Mutex<Mode>,
}

impl Shared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

enum Control {
    Down(std_mpsc::Sender<()>),
    Up(std_mpsc::Sender<()>),
}

/// A webhook endpoint on `127.0.0.1:<port>`; stops when dropped (closing the control channel
/// ends the server loop and its thread).
pub struct WebhookReceiver {
    port: u16,
    shared: Arc<Shared>,
    control: mpsc::UnboundedSender<Control>,
}

impl WebhookReceiver {
    /// Starts listening on a free loopback port, answering `200`.
    pub fn start() -> Self {
        let listener = StdListener::bind("127.0.0.1:0").expect("a loopback port for the receiver");
        let port = listener.local_addr().expect("its address").port();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Accept),
        });
        let (control, commands) = mpsc::unbounded_channel();
        let server_shared = shared.clone();
        thread::Builder::new()
            .name(format!("webhook-receiver-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the receiver");
                runtime.block_on(serve(port, listener, server_shared, commands));
            })
            .expect("the receiver's thread");
        Self {
            port,
            shared,
            control,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    /// Switches how the receiver answers. Into [`Mode::Down`]: returns once the port refuses
    /// connections and open ones are closed. Out of it: once the port listens again.
    pub fn set_mode(&self, mode: Mode) {
        let was = {
            let mut current = self
                .shared
                .mode
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *current, mode)
        };
        match (was == Mode::Down, mode == Mode::Down) {
            (false, true) => self.command(Control::Down),
            (true, false) => self.command(Control::Up),
            _ => {}
        }
    }

    /// [`Mode::Accept`].
    pub fn accept(&self) {
        self.set_mode(Mode::Accept);
    }

    /// [`Mode::Fail`] with `status`.
    pub fn fail(&self, status: u16) {
        self.set_mode(Mode::Fail(status));
    }

    /// [`Mode::Down`]: nothing listens on the port.
    pub fn down(&self) {
        self.set_mode(Mode::Down);
    }

    /// Listens again on the same port, answering `200`.
    pub fn up(&self) {
        self.set_mode(Mode::Accept);
    }

    fn command(&self, make: fn(std_mpsc::Sender<()>) -> Control) {
        let (ack, acked) = std_mpsc::channel();
        self.control
            .send(make(ack))
            .expect("the receiver's thread runs");
        acked
            .recv_timeout(Duration::from_secs(10))
            .expect("the receiver switched modes");
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests answered 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<ReceivedRequest> {
        let mut all = self.requests();
        all.retain(ReceivedRequest::accepted);
        all
    }

    /// The body of every request, as JSON.
    pub fn bodies_json(&self) -> Vec<serde_json::Value> {
        self.requests().iter().map(ReceivedRequest::json).collect()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Waits until at least `n` requests arrived and answers all of them; panics with what
    /// arrived when `timeout` passes first.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        self.wait_until(timeout, &format!("{n} requests"), |r| r.len() >= n)
            .await
    }

    /// Waits until `done` holds for the requests so far and answers them; panics naming
    /// `what` and listing what arrived when `timeout` passes first.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[ReceivedRequest]) -> bool,
    ) -> Vec<ReceivedRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the webhook receiver waited {timeout:?} for {what}; {} arrived:\n{}",
                    requests.len(),
                    listing(&requests)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// [`WebhookReceiver::wait_for`] for code outside a Tokio runtime (blocks the thread).
    pub fn wait_for_blocking(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the webhook receiver waited {timeout:?} for {n} requests; {} arrived:\n{}",
                    requests.len(),
                    listing(&requests)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asserts that no request arrives within `window` (for "nothing is sent" checks, after
    /// the thing that would have sent it); answers what arrived before.
    pub async fn assert_quiet_for(&self, window: Duration) {
        let deadline = Instant::now() + window;
        while Instant::now() < deadline {
            let requests = self.requests();
            assert!(
                requests.is_empty(),
                "the webhook receiver expected nothing, got:\n{}",
                listing(&requests)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn listing(requests: &[ReceivedRequest]) -> String {
    requests
        .iter()
        .map(|r| format!("  {r:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The accept loop, until the [`WebhookReceiver`] is dropped.
async fn serve(
    port: u16,
    first: StdListener,
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Control>,
) {
    let mut listener = Some(TcpListener::from_std(first).expect("a Tokio listener"));
    // Bumped on every `Down`: open connections end.
    let (generation, _) = watch::channel(0u64);
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return,
                Some(Control::Down(ack)) => {
                    listener = None;
                    generation.send_modify(|g| *g += 1);
                    let _ = ack.send(());
                }
                Some(Control::Up(ack)) => {
                    if listener.is_none() {
                        listener = Some(rebind(port).await);
                    }
                    let _ = ack.send(());
                }
            },
            accepted = accept(listener.as_ref()) => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                let mut ended = generation.subscribe();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = ended.changed() => {}
                        _ = connection(stream, &shared) => {}
                    }
                });
            }
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Listens on `port` again (retrying briefly while the system still holds it).
async fn rebind(port: u16) -> TcpListener {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(e) if Instant::now() >= deadline => {
                panic!("the webhook receiver could not listen on port {port} again: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Serves the requests of one connection until the client closes it (or sends
/// `Connection: close`, or something malformed).
async fn connection(mut stream: TcpStream, shared: &Shared) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let head_end = loop {
            if let Some(at) = find(&buf, b"\r\n\r\n") {
                break at;
            }
            if buf.len() > MAX_HEAD || !read_more(&mut stream, &mut buf).await {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let path = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let Ok(length) = header("content-length").unwrap_or("0").parse::<usize>() else {
            return;
        };
        if length > MAX_BODY {
            return;
        }
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let body_start = head_end + 4;
        while buf.len() < body_start + length {
            if !read_more(&mut stream, &mut buf).await {
                return;
            }
        }
        let body = buf[body_start..body_start + length].to_vec();
        buf.drain(..body_start + length);

        let status = match shared.mode() {
            Mode::Accept => 200,
            Mode::Fail(status) => status,
            // Switched while this request arrived: treat as gone.
            Mode::Down => return,
        };
        shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ReceivedRequest {
                method,
                path,
                headers,
                body,
                at: Instant::now(),
                status,
            });
        let text = if (200..300).contains(&status) {
            "ok"
        } else {
            "the receiver was told to fail"
        };
        let answer = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{}\r\n{text}",
            reason(status),
            text.len(),
            if close { "connection: close\r\n" } else { "" },
        );
        if stream.write_all(answer.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

/// Reads what is there into `buf`; `false` at the end of the stream or on an error.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    /// Sends one request on `stream` and reads the status of its answer.
    fn post(stream: &mut TcpStream, body: &str) -> u16 {
        let request = format!(
            "POST /hook?x=1 HTTP/1.1\r\nHost: x\r\nWebhook-Id: abc\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1, "the answer broke off");
            got.push(byte[0]);
        }
        let head = String::from_utf8(got).unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut rest = vec![0u8; length];
        stream.read_exact(&mut rest).unwrap();
        head[9..12].parse().unwrap()
    }

    #[test]
    fn records_answers_and_goes_down_and_up_on_the_same_port() {
        let receiver = WebhookReceiver::start();
        let mut stream = TcpStream::connect(("127.0.0.1", receiver.port())).unwrap();
        assert_eq!(post(&mut stream, r#"{"a":1}"#), 200);
        receiver.fail(503);
        assert_eq!(post(&mut stream, r#"{"a":2}"#), 503, "same connection");
        let seen = receiver.wait_for_blocking(2, Duration::from_secs(2));
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path, "/hook?x=1");
        assert_eq!(seen[0].header("webhook-id"), Some("abc"));
        assert!(seen[0].accepted() && !seen[1].accepted());
        assert_eq!(
            receiver.bodies_json(),
            [serde_json::json!({"a": 1}), serde_json::json!({"a": 2})]
        );

        receiver.down();
        assert!(TcpStream::connect(("127.0.0.1", receiver.port())).is_err());
        let mut buf = [0u8; 1];
        let dropped = stream.write_all(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert!(
            dropped.is_err() || matches!(stream.read(&mut buf), Ok(0) | Err(_)),
            "an open connection is closed"
        );

        receiver.up();
        receiver.clear();
        let mut stream = TcpStream::connect(("127.0.0.1", receiver.port())).unwrap();
        assert_eq!(post(&mut stream, "{}"), 200);
        assert_eq!(receiver.requests().len(), 1);
    }
}
