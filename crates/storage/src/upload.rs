//! Streaming uploads: the body goes from the caller's stream to the backend chunk by chunk, with
//! the bucket's size and type limits enforced on the way, and nothing left behind on failure.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use opendal::options::WriteOptions;
use opendal::{Metadata, Operator};
use tokio::sync::{mpsc, oneshot};

use crate::error::from_opendal;
use crate::objects::current_in;
use crate::owner::check_owner;
use crate::sniff::{SNIFF_BYTES, is_allowed, sniff};
use crate::storage::Bucket;
use crate::{BucketName, Error, ObjectKey, ObjectMeta, Storage};

impl Storage {
    /// Streams `body` into `key` and records no owner: [`Storage::write_as`] with `None`.
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
        self.write_as(bucket, key, None, body, declared_len).await
    }

    /// [`Storage::write_if`] with no precondition: replaces whatever is there.
    pub async fn write_as<S, E>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: Option<&str>,
        body: S,
        declared_len: Option<u64>,
    ) -> Result<ObjectMeta, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        self.write_if(bucket, key, owner, Precondition::Any, body, declared_len)
            .await
    }

    /// Streams `body` into `key` (the stream need not be `Send`: actix payloads are not) and
    /// records `owner` as the object's owner, also when it replaces another's object; `None`
    /// records none. `owner` must be 1..=[`MAX_OWNER_BYTES`] ASCII letters, digits or `-` (a
    /// UUID), else `Error::Internal` before anything is read.
    ///
    /// Where the owner is kept: see [`ObjectMeta::owner`]. On S3 and COS it is the object's
    /// user metadata `owner` (`x-amz-meta-owner`, `x-cos-meta-owner`), sent with the upload,
    /// multipart ones included: no extra request. On fs it is a record in the system area,
    /// written right after the object is complete; if that fails the error is returned and the
    /// new object stays, with no owner.
    ///
    /// Rejects a `declared_len` over the bucket's limit before reading; holds back the first
    /// ≤ [`SNIFF_BYTES`] to find the content type and checks it against `allowed_types` before
    /// anything is written; stops with `TooLarge` the moment the limit is passed. Memory stays
    /// bounded: the sniffed prefix plus OpenDAL's chunk buffer. On any failure before the object
    /// is complete, a body error (`Error::Body`) or a dropped future included, the writer is
    /// aborted: no object, no temporary file, and an object already under `key` stays as it was.
    ///
    /// `precondition` is checked again when the write commits, under this instance's lock of
    /// the key (which every write and delete of it takes): if it no longer holds — another
    /// upload created the key meanwhile (`AlreadyExists`), or the object was replaced or
    /// deleted (`Changed`) — the writer is aborted and nothing changes. Across instances, a
    /// write through another instance in the few milliseconds between that check and the
    /// commit is not seen.
    ///
    /// [`MAX_OWNER_BYTES`]: crate::MAX_OWNER_BYTES
    pub async fn write_if<S, E>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: Option<&str>,
        precondition: Precondition,
        body: S,
        declared_len: Option<u64>,
    ) -> Result<ObjectMeta, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let b = self.bucket_entry(bucket)?;
        if let Some(owner) = owner {
            check_owner(owner)?;
        }
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
            chunk: Some(b.backend.write_chunk),
            ..WriteOptions::default()
        };
        if b.backend.op.info().capability().write_with_content_type {
            options.content_type = Some(content_type.to_owned());
        }
        options.user_metadata = b.owners.user_metadata(owner);
        let native = b.backend.conditional_writes
            && precondition.apply(&mut options, b.backend.op.info().capability());
        let mut writer =
            DetachedWriter::spawn(b.backend.op.clone(), key.as_str().to_owned(), options);
        let sent = async {
            for chunk in head.chunks {
                writer.send(chunk).await?;
            }
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| body_error(&e))?;
                budget.spend(chunk.len())?;
                if !chunk.is_empty() {
                    writer.send(chunk).await?;
                }
            }
            Ok::<_, WriteFailed>(())
        }
        .await;
        let _held = b.locks.lock(key.as_str()).await;
        let m = match sent {
            Ok(()) => {
                if !native && let Err(e) = precondition.check(b, bucket, key).await {
                    writer.abandon().await;
                    return Err(e);
                }
                writer
                    .finish()
                    .await
                    .map_err(|e| precondition.failed(oops(e)))?
            }
            Err(WriteFailed::Caller(e)) => {
                writer.abandon().await;
                return Err(e);
            }
            Err(WriteFailed::Backend) => return Err(oops(writer.failure().await)),
        };
        let m = match m.last_modified() {
            Some(_) => m,
            None => b.backend.op.stat(key.as_str()).await.map_err(oops)?,
        };
        let mut meta = ObjectMeta::new(key.clone(), &m, content_type.to_owned())?;
        if let Err(e) = b.owners.record(key, owner, &meta.etag).await {
            // An object nobody owns could be changed by administrators only: a new one is
            // taken back (the lock is still held), so the failed write leaves nothing behind.
            // A replaced object keeps its new content, as after any replace.
            if precondition == Precondition::Absent
                && let Err(cleanup) = b.backend.op.delete(key.as_str()).await
            {
                tracing::warn!(%key, error = %cleanup, "could not remove an object whose owner was not recorded");
            }
            return Err(e);
        }
        meta.owner = owner.map(str::to_owned);
        Ok(meta)
    }
}

/// What must still be true of a key when a write commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing: replace whatever is there.
    Any,
    /// No object under the key (S3's `If-None-Match: *` in spirit); else `AlreadyExists`.
    Absent,
    /// The object under the key still has this ETag (S3's `If-Match`); else `Changed`.
    Unchanged { etag: String },
}

impl Precondition {
    /// Hands the precondition to a backend that can hold it itself, atomically with the write
    /// and across instances: S3's `If-None-Match: *` and `If-Match` on `PutObject` and
    /// `CompleteMultipartUpload` (S3 API reference, "Conditional writes"); COS's
    /// `If-None-Match`. Returns whether the backend holds it; where it cannot, the write
    /// rechecks it under the key's lock ([`Self::check`]).
    fn apply(&self, options: &mut WriteOptions, capability: opendal::Capability) -> bool {
        match self {
            Precondition::Absent if capability.write_with_if_not_exists => {
                options.if_not_exists = true;
                true
            }
            Precondition::Unchanged { etag } if capability.write_with_if_match => {
                options.if_match = Some(etag.clone());
                true
            }
            _ => false,
        }
    }

    /// A write refused by the backend's own check (412, seen as `AlreadyExists`, or a missing
    /// object for `If-Match`) reads as this precondition's failure.
    fn failed(&self, e: Error) -> Error {
        match (self, e) {
            (
                Precondition::Unchanged { .. },
                Error::AlreadyExists { bucket, key } | Error::NotFound { bucket, key },
            ) => Error::Changed { bucket, key },
            (_, e) => e,
        }
    }

    async fn check(&self, b: &Bucket, bucket: &BucketName, key: &ObjectKey) -> Result<(), Error> {
        let now = match self {
            Precondition::Any => return Ok(()),
            _ => current_in(b, bucket, key).await?,
        };
        let (bucket, key) = (bucket.to_string(), key.to_string());
        match (self, now) {
            (Precondition::Absent, Some(_)) => Err(Error::AlreadyExists { bucket, key }),
            (Precondition::Unchanged { etag }, Some(now)) if now.etag == *etag => Ok(()),
            (Precondition::Unchanged { .. }, _) => Err(Error::Changed { bucket, key }),
            _ => Ok(()),
        }
    }
}

/// The body stream's error, kept as text: callers' streams (actix payloads) carry errors that
/// may not cross threads.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BodyError(String);

/// The error of a caller's body stream as a storage error: `BodyTimedOut` when an I/O error of
/// kind `TimedOut` is among its sources (the client stopped sending), else `Body` with the
/// whole chain as text.
pub fn body_error(e: &dyn std::error::Error) -> Error {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return Error::BodyTimedOut(io.to_string());
        }
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

/// Why feeding the writer stopped: the caller's side (body, limits) or the backend's.
enum WriteFailed {
    Caller(Error),
    Backend,
}

impl From<Error> for WriteFailed {
    fn from(e: Error) -> Self {
        WriteFailed::Caller(e)
    }
}

enum Piece {
    Data(Bytes),
    Finish,
}

/// A backend writer driven by a task of its own, fed through a one-slot channel (memory stays
/// bounded). Whatever happens to the caller — an error, or its future dropped because the client
/// went away — the task sees the channel close without `Finish` and aborts the writer, even when
/// the backend was still opening the upload: no temporary file, no dangling multipart upload.
struct DetachedWriter {
    pieces: Option<mpsc::Sender<Piece>>,
    outcome: Option<oneshot::Receiver<Result<Metadata, opendal::Error>>>,
}

impl DetachedWriter {
    fn spawn(op: Operator, path: String, options: WriteOptions) -> Self {
        let (pieces, mut rx) = mpsc::channel::<Piece>(1);
        let (done, outcome) = oneshot::channel();
        tokio::spawn(async move {
            let result = async {
                let mut w = op.writer_options(&path, options).await?;
                loop {
                    let step = match rx.recv().await {
                        Some(Piece::Data(chunk)) => w.write(chunk).await.map(|()| None),
                        Some(Piece::Finish) => w.close().await.map(Some),
                        None => Err(opendal::Error::new(
                            opendal::ErrorKind::Unexpected,
                            "the upload was abandoned",
                        )),
                    };
                    match step {
                        Ok(None) => {}
                        Ok(Some(meta)) => return Ok(meta),
                        Err(e) => {
                            if let Err(abort) = w.abort().await {
                                tracing::warn!(%path, error = %abort, "aborting an upload failed; a temporary file or multipart upload may be left behind");
                            }
                            return Err(e);
                        }
                    }
                }
            }
            .await;
            let _ = done.send(result);
        });
        Self {
            pieces: Some(pieces),
            outcome: Some(outcome),
        }
    }

    async fn send(&mut self, chunk: Bytes) -> Result<(), WriteFailed> {
        match &self.pieces {
            Some(tx) => tx
                .send(Piece::Data(chunk))
                .await
                .map_err(|_| WriteFailed::Backend),
            None => Err(WriteFailed::Backend),
        }
    }

    async fn finish(mut self) -> Result<Metadata, opendal::Error> {
        if let Some(tx) = self.pieces.take() {
            // A closed channel means the task already failed; its outcome says why.
            let _ = tx.send(Piece::Finish).await;
        }
        self.outcome().await
    }

    /// Stops the upload and waits until the backend has discarded it.
    async fn abandon(mut self) {
        self.pieces = None;
        let _ = self.outcome().await;
    }

    /// The backend error that ended the upload.
    async fn failure(mut self) -> opendal::Error {
        self.pieces = None;
        match self.outcome().await {
            Err(e) => e,
            Ok(_) => opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                "the upload finished without being asked to",
            ),
        }
    }

    async fn outcome(&mut self) -> Result<Metadata, opendal::Error> {
        let lost = || opendal::Error::new(opendal::ErrorKind::Unexpected, "the upload task ended");
        match self.outcome.take() {
            Some(rx) => rx.await.unwrap_or_else(|_| Err(lost())),
            None => Err(lost()),
        }
    }
}
