//! Streaming uploads: the body goes from the caller's stream to the backend chunk by chunk, with
//! the bucket's size and type limits enforced on the way, and nothing left behind on failure.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use opendal::Writer;
use opendal::options::WriteOptions;

use crate::error::from_opendal;
use crate::sniff::{SNIFF_BYTES, is_allowed, sniff};
use crate::{BucketName, Error, ObjectKey, ObjectMeta, Storage};

impl Storage {
    /// Streams `body` into `key` (the stream need not be `Send`: actix payloads are not).
    ///
    /// Rejects a `declared_len` over the bucket's limit before reading; holds back the first
    /// ≤ [`SNIFF_BYTES`] to find the content type and checks it against `allowed_types` before
    /// anything is written; stops with `TooLarge` the moment the limit is passed. Memory stays
    /// bounded: the sniffed prefix plus OpenDAL's chunk buffer. On any failure, a body error
    /// (`Error::Body`) or a dropped future included, the writer is aborted: no object, no
    /// temporary file, and an object already under `key` stays as it was.
    pub async fn write<S, E>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        body: S,
        declared_len: Option<u64>,
    ) -> Result<ObjectMeta, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let b = self.bucket_entry(bucket)?;
        let mut budget = Budget {
            limit: b.settings.max_object_bytes,
            used: 0,
        };
        if declared_len.is_some_and(|len| len > budget.limit) {
            return Err(budget.exceeded());
        }
        // Fused: the head may already have seen the end, and some streams (actix multipart
        // fields) must not be polled after it.
        let mut body = body.fuse();
        let head = Head::read(&mut body, &mut budget).await?;
        let content_type = sniff(&head.prefix);
        if !is_allowed(&b.settings.allowed_types, content_type) {
            return Err(Error::UnsupportedType {
                content_type: content_type.to_owned(),
                allowed: b.settings.allowed_types.clone(),
            });
        }

        let oops = |e| from_opendal(e, bucket.as_str(), key.as_str());
        let mut options = WriteOptions {
            chunk: Some(b.write_chunk),
            ..WriteOptions::default()
        };
        if b.op.info().capability().write_with_content_type {
            options.content_type = Some(content_type.to_owned());
        }
        let writer =
            b.op.writer_options(key.as_str(), options)
                .await
                .map_err(oops)?;
        let mut guard = AbortOnDrop(Some(writer));
        let written = async {
            let w = guard.writer()?;
            for chunk in head.chunks {
                w.write(chunk).await.map_err(oops)?;
            }
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| body_error(&e))?;
                budget.spend(chunk.len())?;
                if !chunk.is_empty() {
                    w.write(chunk).await.map_err(oops)?;
                }
            }
            w.close().await.map_err(oops)
        }
        .await;
        let m = match written {
            Ok(m) => {
                guard.disarm();
                m
            }
            Err(e) => {
                guard.abort().await;
                return Err(e);
            }
        };
        let m = match m.last_modified() {
            Some(_) => m,
            None => b.op.stat(key.as_str()).await.map_err(oops)?,
        };
        ObjectMeta::new(key.clone(), &m, content_type.to_owned())
    }
}

/// The body stream's error, kept as text: callers' streams (actix payloads) carry errors that
/// may not cross threads.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BodyError(String);

fn body_error(e: &dyn std::error::Error) -> Error {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    Error::Body(Box::new(BodyError(text)))
}

/// Bytes allowed and bytes seen so far.
struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    fn spend(&mut self, n: usize) -> Result<(), Error> {
        self.used = self.used.saturating_add(n as u64);
        if self.used > self.limit {
            return Err(self.exceeded());
        }
        Ok(())
    }

    fn exceeded(&self) -> Error {
        Error::TooLarge { limit: self.limit }
    }
}

/// The chunks received before the content type is known, and a copy of their first
/// ≤ [`SNIFF_BYTES`] bytes to sniff.
struct Head {
    chunks: Vec<Bytes>,
    prefix: Vec<u8>,
}

impl Head {
    async fn read<S, E>(body: &mut S, budget: &mut Budget) -> Result<Self, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let mut head = Head {
            chunks: Vec::new(),
            prefix: Vec::with_capacity(SNIFF_BYTES),
        };
        while head.prefix.len() < SNIFF_BYTES {
            let Some(chunk) = body.next().await else {
                break;
            };
            let chunk = chunk.map_err(|e| body_error(&e))?;
            budget.spend(chunk.len())?;
            let take = (SNIFF_BYTES - head.prefix.len()).min(chunk.len());
            head.prefix.extend_from_slice(&chunk[..take]);
            head.chunks.push(chunk);
        }
        Ok(head)
    }
}

/// Owns an unfinished writer: aborts it when the upload fails, and also when the upload's
/// future is dropped half way (the abort then runs as a task of its own).
struct AbortOnDrop(Option<Writer>);

impl AbortOnDrop {
    fn writer(&mut self) -> Result<&mut Writer, Error> {
        self.0.as_mut().ok_or_else(|| {
            Error::Internal(opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                "upload writer already finished",
            ))
        })
    }

    /// The writer closed successfully: nothing to clean up.
    fn disarm(&mut self) {
        self.0 = None;
    }

    async fn abort(&mut self) {
        if let Some(mut writer) = self.0.take() {
            abort(&mut writer).await;
        }
    }
}

async fn abort(writer: &mut Writer) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(error = %e, "aborting an upload failed; a temporary file may be left behind");
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(mut writer) = self.0.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { abort(&mut writer).await });
            }
            Err(_) => {
                tracing::warn!(
                    "an upload was dropped outside a runtime; a temporary file may be left behind"
                );
            }
        }
    }
}
