//! Reading JSON request bodies with bounded memory and time, for every API surface.
//!
//! actix-web's own `Json` extractor inflates a compressed body whole before its size limit
//! applies, so a 2 KB brotli body can make the process allocate hundreds of MiB. Here a
//! `Content-Encoding` (RFC 9110 §8.4: `gzip`, `deflate`, `br`; `identity` or none) is decoded
//! into a buffer that refuses to grow past `server.json_limit`, so the limit is on the *decoded*
//! size and decoding stops the moment it is passed (413). The whole body must arrive within
//! `server.body_timeout_secs` (408), so a client that dribbles a body cannot hold a worker.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code};

mod budget;

use budget::{BrotliDecoder, Budget, brotli_decoder};

/// Limits of JSON bodies, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct BodyConfig {
    /// Largest decoded body, in bytes.
    pub limit: usize,
    /// Longest time the whole body may take to arrive.
    pub timeout: Duration,
}

impl Default for BodyConfig {
    fn default() -> Self {
        Self {
            limit: 64 * 1024,
            timeout: Duration::from_secs(15),
        }
    }
}

/// How `read` treats the `Content-Type` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json` or `…+json` is required (the native API).
    Json,
    /// Any type, and an empty body means `{}` (the seed's `express.json()` clients).
    Lenient,
}

/// Reads the body of `req` and parses it as `T`, within the limits of [`BodyConfig`].
///
/// Errors: `payload_too_large` (413) past the decoded limit, `request_timeout` (408) when the
/// body is too slow, `unsupported_encoding` (415) for a coding other than the three above,
/// `malformed_json` (400) for a wrong `Content-Type`, bad compressed data or bad JSON.
pub async fn read<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
    media: MediaType,
) -> Result<T, ApiError> {
    let config = req
        .app_data::<web::Data<BodyConfig>>()
        .map(|c| *c.get_ref())
        .unwrap_or_default();
    if media == MediaType::Json && !is_json(req) {
        return Err(ApiError::new(
            Code::MalformedJson,
            "expected Content-Type: application/json",
        ));
    }
    let coding = Coding::of(req)?;
    let raw = tokio::time::timeout(config.timeout, collect(payload, coding, config.limit))
        .await
        .map_err(|_| {
            ApiError::new(
                Code::RequestTimeout,
                format!(
                    "the body did not arrive within {} s",
                    config.timeout.as_secs()
                ),
            )
        })??;
    let raw: &[u8] = if raw.is_empty() && media == MediaType::Lenient {
        b"{}"
    } else {
        &raw
    };
    serde_json::from_slice(raw)
        .map_err(|e| ApiError::new(Code::MalformedJson, format!("malformed JSON body: {e}")))
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

/// A request body's content coding.
enum Coding {
    Identity,
    Gzip,
    /// HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2).
    Deflate,
    Brotli,
}

impl Coding {
    fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(value) = req.headers().get(CONTENT_ENCODING) else {
            return Ok(Self::Identity);
        };
        let value = value.to_str().unwrap_or_default().trim();
        match value.to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip),
            "deflate" => Ok(Self::Deflate),
            "br" => Ok(Self::Brotli),
            _ => Err(ApiError::new(
                Code::UnsupportedEncoding,
                format!(
                    "Content-Encoding '{value}' is not accepted: send one of gzip, deflate, br or none"
                ),
            )),
        }
    }

    fn decoder(self, sink: Capped) -> Decoder {
        match self {
            Self::Identity => Decoder::Identity(sink),
            Self::Gzip => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(sink))),
            Self::Deflate => Decoder::Deflate(Box::new(flate2::write::ZlibDecoder::new(sink))),
            Self::Brotli => {
                let budget = Budget::new(brotli_budget(sink.limit));
                let decoder = brotli_decoder(sink, &budget);
                Decoder::Brotli(Box::new(decoder), budget)
            }
        }
    }
}

/// What the brotli decoder may allocate for a body of at most `limit` bytes: a ring buffer
/// that can hold the whole body (twice, while it grows) and its Huffman tables (about 1 MiB
/// at most).
fn brotli_budget(limit: usize) -> usize {
    limit.saturating_mul(2).saturating_add(1 << 20)
}

/// A buffer that refuses to grow past its limit.
struct Capped {
    buf: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("body limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl brotli::CustomWrite<std::io::Error> for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        Write::write(self, data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    Identity(Capped),
    Gzip(Box<flate2::write::GzDecoder<Capped>>),
    Deflate(Box<flate2::write::ZlibDecoder<Capped>>),
    Brotli(Box<BrotliDecoder<Capped>>, Budget),
}

impl Decoder {
    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Identity(w) => w.write_all(data),
            Self::Gzip(w) => w.write_all(data),
            Self::Deflate(w) => w.write_all(data),
            Self::Brotli(w, _) => {
                brotli::CustomWrite::write(w.as_mut(), data).and_then(|n| match n == data.len() {
                    true => Ok(()),
                    false => Err(std::io::Error::other("short brotli write")),
                })
            }
        }
    }

    /// Whether decoding stopped because the body would pass the limit, in bytes out or in
    /// memory the stream asks for.
    fn too_large(&self) -> bool {
        match self {
            Self::Brotli(_, budget) => budget.exceeded() || self.sink().overflowed,
            _ => self.sink().overflowed,
        }
    }

    fn sink(&self) -> &Capped {
        match self {
            Self::Identity(w) => w,
            Self::Gzip(w) => w.get_ref(),
            Self::Deflate(w) => w.get_ref(),
            Self::Brotli(w, _) => w.get_ref(),
        }
    }

    /// Ends the stream and returns the decoded bytes.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        let sink = match self {
            Self::Identity(w) => w,
            Self::Gzip(w) => w.finish()?,
            Self::Deflate(w) => w.finish()?,
            Self::Brotli(w, _) => w.into_inner().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "truncated brotli stream")
            })?,
        };
        Ok(sink.buf)
    }
}

async fn collect(mut payload: Payload, coding: Coding, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut decoder = coding.decoder(Capped {
        buf: Vec::new(),
        limit,
        overflowed: false,
    });
    let too_large = || {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("JSON bodies are limited to {limit} bytes (decoded)"),
        )
    };
    let bad_coding = |e: std::io::Error| {
        ApiError::new(
            Code::MalformedJson,
            format!("the body is not valid for its Content-Encoding: {e}"),
        )
    };
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(Code::MalformedJson, format!("cannot read the body: {e}"))
        })?;
        if let Err(e) = decoder.write_all(&chunk) {
            return Err(if decoder.too_large() {
                too_large()
            } else {
                bad_coding(e)
            });
        }
    }
    let overflowed = decoder.too_large();
    decoder.finish().map_err(|e| {
        if overflowed {
            too_large()
        } else {
            bad_coding(e)
        }
    })
}

/// A JSON body for the native API: `Content-Type: application/json` required; limits as
/// [`read`].
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let value: serde_json::Value = read(&req, payload, MediaType::Json).await?;
            // Every native body is an object; serde would also fill a struct from an array.
            if !value.is_object() {
                return Err(ApiError::new(
                    Code::MalformedJson,
                    "malformed JSON body: expected a JSON object",
                ));
            }
            serde_json::from_value(value).map(Json).map_err(|e| {
                ApiError::new(Code::MalformedJson, format!("malformed JSON body: {e}"))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    async fn decode(encoding: &str, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, ApiError> {
        let (req, _) = TestRequest::default()
            .insert_header((CONTENT_ENCODING, encoding))
            .to_http_parts();
        let coding = Coding::of(&req)?;
        let (_, payload) = TestRequest::default().set_payload(body).to_http_parts();
        collect(payload, coding, limit).await
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).expect("gzip");
        enc.finish().expect("gzip")
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
            enc.write_all(data).expect("brotli");
        }
        out
    }

    #[actix_web::test]
    async fn small_compressed_bodies_decode_to_what_was_sent() {
        let json = br#"{"login":"a@example.com"}"#.to_vec();
        assert_eq!(
            decode("gzip", gzip(&json), 1024).await.ok(),
            Some(json.clone())
        );
        assert_eq!(
            decode("br", brotli(&json), 1024).await.ok(),
            Some(json.clone())
        );
        assert_eq!(
            decode("identity", json.clone(), 1024).await.ok(),
            Some(json)
        );
    }

    #[actix_web::test]
    async fn a_body_just_under_the_limit_decodes_whatever_window_its_encoder_chose() {
        let pattern = br#"{"key": "value", "n": 12345}"#;
        let body: Vec<u8> = (0..60_000usize)
            .map(|i| pattern[(i * 7 + i / 977) % pattern.len()])
            .collect();
        for window in [16, 22, 24] {
            let mut out = Vec::new();
            {
                let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 11, window);
                enc.write_all(&body).expect("brotli");
            }
            let decoded = decode("br", out, 64 * 1024).await;
            assert_eq!(
                decoded.ok().as_deref(),
                Some(body.as_slice()),
                "window {window}"
            );
        }
    }

    #[actix_web::test]
    async fn a_bomb_stops_at_the_decoded_limit() {
        let zeros = vec![b' '; 64 * 1024 * 1024];
        for (name, bomb) in [("gzip", gzip(&zeros)), ("br", brotli(&zeros))] {
            assert!(bomb.len() < 200_000, "{name} bomb is {} bytes", bomb.len());
            let err = decode(name, bomb, 64 * 1024).await.expect_err(name);
            assert_eq!(err.code(), Code::PayloadTooLarge, "{name}");
        }
    }

    #[actix_web::test]
    async fn garbage_and_unknown_codings_are_refused() {
        let err = decode("gzip", b"not gzip at all".to_vec(), 1024)
            .await
            .expect_err("garbage");
        assert_eq!(err.code(), Code::MalformedJson);
        let err = decode("zstd", Vec::new(), 1024).await.expect_err("zstd");
        assert_eq!(err.code(), Code::UnsupportedEncoding);
    }
}
