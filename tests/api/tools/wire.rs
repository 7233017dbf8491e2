//! The raw wire: captured requests read from `clients/captures/`, retargeted, and replayed as
//! `replay_raw.py` does, byte for byte; the answer read back, unchunked and decoded.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

/// PicList's Lsky Pro V2 upload with every option set.
pub(super) const LSKY_V2_FULL: &str = "piclist-lsky-v2-full.req";

/// The answer to a replayed request, read off the wire.
pub(super) struct Reply {
    pub(super) status: u16,
    /// Names in lowercase, in order.
    headers: Vec<(String, String)>,
    /// Unchunked and decompressed, as the client's HTTP library hands it over.
    body: Vec<u8>,
}

impl Reply {
    fn parse(mut raw: &[u8]) -> Self {
        loop {
            let head_end = find(raw, b"\r\n\r\n")
                .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
            let head = std::str::from_utf8(&raw[..head_end]).expect("an ASCII head");
            let rest = &raw[head_end + 4..];
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status: u16 = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
            if (100..200).contains(&status) {
                raw = rest;
                continue;
            }
            let headers: Vec<(String, String)> = lines
                .map(|l| {
                    let (name, value) = l.split_once(':').expect("a header line");
                    (name.trim().to_ascii_lowercase(), value.trim().to_owned())
                })
                .collect();
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.to_ascii_lowercase())
            };
            let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
                dechunk(rest)
            } else if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok())
            {
                rest[..len.min(rest.len())].to_vec()
            } else {
                rest.to_vec()
            };
            let body = decoded(header("content-encoding").as_deref(), body);
            return Self {
                status,
                headers,
                body,
            };
        }
    }

    pub(super) fn text(&self) -> String {
        let head: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "{}\n{}\n\n{}",
            self.status,
            head.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }

    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

/// Sends a captured request as `replay_raw.py` does, over a raw connection: the request line,
/// header order and casing, boundary and body exactly as captured; only `Host` is rewritten,
/// `Connection` set to `close`, and, given a `token`, the `Authorization` or `token:` value
/// replaced by it in the captured form (`Bearer ` kept if the client sent it, raw otherwise).
/// Reads the answer to the end of the connection.
pub(super) async fn replay(app: &TestApp, request: &[u8], token: Option<&str>) -> Reply {
    let head_end = find(request, b"\r\n\r\n").expect("a captured head");
    let head = std::str::from_utf8(&request[..head_end]).expect("an ASCII head");
    let body = &request[head_end + 4..];
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // An absolute-form target (a proxy's) goes to origin form.
    let target = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let mut out = format!("{method} {target} {version}\r\n");
    let mut closes = false;
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        let lname = name.trim().to_ascii_lowercase();
        let replaced = match lname.as_str() {
            "host" => Some(format!("127.0.0.1:{}", app.port)),
            "connection" => {
                closes = true;
                Some("close".to_owned())
            }
            "authorization" | "token" => token.map(|t| {
                let value = value.trim();
                let bearer = value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer ");
                if bearer {
                    format!("{} {t}", &value[..6])
                } else {
                    t.to_owned()
                }
            }),
            _ => None,
        };
        match replaced {
            Some(value) => out.push_str(&format!("{name}: {value}\r\n")),
            None => out.push_str(&format!("{line}\r\n")),
        }
    }
    if !closes {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let message = [out.as_bytes(), body].concat();

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(&message).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection within 30 s")
        .unwrap();
    Reply::parse(&answer)
}

/// A capture's bytes, from `clients/captures/`.
pub(super) fn capture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("api/clients/captures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `request` with `from` replaced by `to` in its request line (nowhere else).
pub(super) fn with_target(request: &[u8], from: &str, to: &str) -> Vec<u8> {
    let line_end = find(request, b"\r\n").expect("a request line");
    let line = std::str::from_utf8(&request[..line_end]).unwrap();
    assert!(line.contains(from), "{line:?} has no {from}");
    [line.replacen(from, to, 1).as_bytes(), &request[line_end..]].concat()
}

/// `request` with the file name `from` in its body changed to `to`, and its `Content-Length`
/// changed to match.
pub(super) fn with_file_name(request: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(request).into_owned();
    let at = find(request, b"\r\n\r\n").expect("a head") + 4;
    let (head, body) = request.split_at(at);
    let old = format!("filename=\"{from}\"");
    let new = format!("filename=\"{to}\"");
    let i = find(body, old.as_bytes()).unwrap_or_else(|| panic!("no {old} in {text}"));
    let body = [&body[..i], new.as_bytes(), &body[i + old.len()..]].concat();
    let head = String::from_utf8_lossy(head)
        .lines()
        .map(
            |line| match line.to_ascii_lowercase().starts_with("content-length:") {
                true => format!("Content-Length: {}", body.len()),
                false => line.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("\r\n");
    [head.as_bytes(), b"\r\n\r\n", &body].concat()
}

/// The picture a capture carries: from the PNG signature to the end of its `IEND` chunk.
pub(super) fn capture_png(request: &[u8]) -> Vec<u8> {
    let start = find(request, b"\x89PNG\r\n\x1a\n").expect("a PNG in the capture");
    let end = start + find(&request[start..], b"IEND\xaeB`\x82").expect("an IEND chunk") + 8;
    request[start..end].to_vec()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A chunked body (RFC 9112 §7.1), joined.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = find(raw, b"\r\n").expect("a chunk size line");
        let line = std::str::from_utf8(&raw[..line_end]).expect("an ASCII chunk size");
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).expect("a hex chunk size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// The body under its `Content-Encoding` (the clients send `Accept-Encoding: gzip, compress,
/// deflate, br`, and axios decodes it).
fn decoded(encoding: Option<&str>, body: Vec<u8>) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let read = match encoding.map(str::trim) {
        None | Some("identity") => return body,
        Some("br") => brotli::Decompressor::new(&body[..], 4096).read_to_end(&mut out),
        Some("gzip") => flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out),
        Some("deflate") => flate2::read::ZlibDecoder::new(&body[..]).read_to_end(&mut out),
        Some(other) => panic!("a content coding the client never asked for: {other}"),
    };
    read.expect("a well-formed compressed body");
    out
}
