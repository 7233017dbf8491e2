//! Reading, stat'ing and deleting objects; byte ranges.

use std::ops::Range;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::from_opendal;
use crate::meta::{etag_and_owner, stat_file, stat_object};
use crate::storage::Bucket;
use crate::{BucketName, Error, ObjectKey, ObjectMeta, Storage};

/// How often a remote read is tried when the object keeps changing between its `HEAD` and its
/// `GET`.
pub const READ_ATTEMPTS: usize = 3;

/// The OpenDAL error a body stream's io error wraps, to be sorted like any other (a 412 to the
/// `If-Match` is `ConditionNotMatch`); the io error itself when it wraps none.
fn opendal_cause(e: std::io::Error) -> Result<opendal::Error, std::io::Error> {
    if !e
        .get_ref()
        .is_some_and(|inner| inner.is::<opendal::Error>())
    {
        return Err(e);
    }
    let kind = e.kind();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<opendal::Error>())
    {
        Some(Ok(o)) => Ok(*o),
        _ => Err(std::io::Error::from(kind)),
    }
}

/// How many deletes of a `delete_many` run at once.
const DELETE_CONCURRENCY: usize = 8;

/// What is stored under a key at one moment: see [`Storage::current`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// Quoted, as [`ObjectMeta::etag`].
    pub etag: String,
    /// As [`ObjectMeta::owner`].
    pub owner: Option<String>,
    /// Bytes.
    pub size: u64,
}

/// [`Storage::current`] in bucket `b`.
pub(crate) async fn current_in(
    b: &Bucket,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<Option<Current>, Error> {
    match stat_file(b, bucket, key).await {
        Ok(m) => {
            let (etag, owner) = etag_and_owner(b, key, &m).await?;
            Ok(Some(Current {
                etag,
                owner,
                size: m.content_length(),
            }))
        }
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A requested byte range (HTTP `Range: bytes=…` semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=start-`
    From(u64),
    /// `bytes=start-end`, `end` inclusive (cut to the object's end).
    FromTo(u64, u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// The half-open range this selects in an object of `size` bytes.
    pub fn resolve(self, size: u64) -> Result<Range<u64>, Error> {
        let unsatisfiable = Error::RangeNotSatisfiable { size };
        let range = match self {
            ByteRange::From(start) => start..size,
            ByteRange::FromTo(start, end) if start <= end => start..end.saturating_add(1).min(size),
            ByteRange::FromTo(..) => return Err(unsatisfiable),
            ByteRange::Suffix(n) => size.saturating_sub(n)..size,
        };
        if range.start >= size || range.is_empty() {
            return Err(unsatisfiable);
        }
        Ok(range)
    }
}

/// An object's bytes (or those of the range asked for).
pub struct ObjectBody {
    pub meta: ObjectMeta,
    /// The range served, when one was asked for; `None` means the whole object.
    pub range: Option<Range<u64>>,
    pub payload: Payload,
}

/// The bytes of an [`ObjectBody`]: already read, or to be streamed.
pub enum Payload {
    /// Every byte, read with the metadata (small objects and ranges on fs).
    Whole(Bytes),
    /// Read as the consumer polls.
    Stream(BoxStream<'static, Result<Bytes, std::io::Error>>),
}

impl ObjectBody {
    /// The bytes as one stream, whichever way they were read.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
        match self.payload {
            Payload::Whole(bytes) => futures::stream::once(async move { Ok(bytes) }).boxed(),
            Payload::Stream(stream) => stream,
        }
    }
}

impl std::fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBody")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// The one-trip fs read of `disk.rs`, counted as a `read` of the bucket.
    async fn read_disk(
        &self,
        b: &Bucket,
        root: &std::path::Path,
        bucket: &BucketName,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectBody, Error> {
        let started = std::time::Instant::now();
        let result = crate::disk::read(root, bucket, key, range).await;
        let failed = match &result {
            Ok(_) => {
                b.disk_reads.observe(started.elapsed().as_secs_f64());
                return result;
            }
            Err(Error::NotFound { .. }) => "not_found",
            Err(Error::RangeNotSatisfiable { .. }) => "range_not_satisfied",
            Err(_) => "unexpected",
        };
        self.metrics()
            .record(bucket.as_str(), "fs", "read", Err(failed));
        result
    }

    /// The object's metadata; `NotFound` if there is no such object.
    pub async fn stat(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectMeta, Error> {
        let b = self.bucket_entry(bucket)?;
        stat_object(b, bucket, key).await
    }

    /// The metadata a read would send, without the bytes: as [`Storage::stat`], but on fs
    /// taken the way [`Storage::read`] takes it (one open, no owner lookup: `owner` is `None`).
    /// For HEAD and conditional requests, which need no owner.
    pub async fn head(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectMeta, Error> {
        let b = self.bucket_entry(bucket)?;
        match &b.backend.disk_root {
            Some(root) => Ok(self.read_disk(b, root, bucket, key, None).await?.meta),
            None => stat_object(b, bucket, key).await,
        }
    }

    /// The object's bytes, or those of `range` (`RangeNotSatisfiable` if it selects nothing),
    /// with the metadata of the very version the bytes belong to: on fs the bytes stream from
    /// the file opened for the metadata; on S3/COS the `GET` carries `If-Match` with the ETag
    /// of the `HEAD` before it (RFC 9110 §13.1.1), and an object replaced in between is read
    /// again (up to [`READ_ATTEMPTS`] times, then `Changed`). An overwrite during the transfer
    /// never splices two versions together. On fs the owner is not looked up (`meta.owner` is
    /// `None`; [`Storage::stat`] has it), and a body of up to 64 KiB comes back
    /// [`Payload::Whole`], read with the metadata (see `disk.rs`).
    pub async fn read(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectBody, Error> {
        let b = self.bucket_entry(bucket)?;
        if let Some(root) = &b.backend.disk_root {
            return self.read_disk(b, root, bucket, key, range).await;
        }
        let oops = |e| from_opendal(e, bucket.as_str(), key.as_str());
        for _ in 0..READ_ATTEMPTS {
            let meta = stat_object(b, bucket, key).await?;
            let resolved = range.map(|r| r.resolve(meta.size)).transpose()?;
            let span = resolved.clone().unwrap_or(0..meta.size);
            if span.is_empty() {
                return Ok(ObjectBody {
                    meta,
                    range: resolved,
                    payload: Payload::Whole(Bytes::new()),
                });
            }
            let reader = b
                .backend
                .op
                .reader_with(key.as_str())
                .if_match(&meta.etag)
                .await
                .map_err(oops)?;
            let mut stream = reader.into_bytes_stream(span).await.map_err(oops)?;
            // The GET goes out with the first poll: a 412 shows here, before any header is sent.
            let first = match stream.next().await {
                Some(Ok(first)) => first,
                None => Bytes::new(),
                Some(Err(e)) => match opendal_cause(e) {
                    Ok(o) if o.kind() == opendal::ErrorKind::ConditionNotMatch => continue,
                    Ok(o) => return Err(oops(o)),
                    Err(e) => return Err(Error::internal("reading an object failed", e)),
                },
            };
            let stream = futures::stream::once(async move { Ok(first) }).chain(stream);
            return Ok(ObjectBody {
                meta,
                range: resolved,
                payload: Payload::Stream(stream.boxed()),
            });
        }
        Err(Error::Changed {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// What is stored under `key` right now (its ETag and recorded owner), without reading the
    /// object: one `HEAD` on S3/COS, a stat and a small record read on fs. `None` if there is
    /// no object. Pass the ETag to [`Precondition::Unchanged`] to write only over this version.
    ///
    /// [`Precondition::Unchanged`]: crate::Precondition::Unchanged
    pub async fn current(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<Current>, Error> {
        let b = self.bucket_entry(bucket)?;
        current_in(b, bucket, key).await
    }

    /// Deletes the object, then (fs) its owner record; `NotFound` if there is no object
    /// (backends themselves report success). A record that cannot be removed is logged, not
    /// returned: the object is gone, and the record matches no later object.
    pub async fn delete(&self, bucket: &BucketName, key: &ObjectKey) -> Result<(), Error> {
        self.delete_checked(bucket, key, |_| Ok::<(), Error>(()))
            .await
            .map(|_| ())
    }

    /// Like [`Storage::delete`], but first hands what is stored (ETag, recorded owner, size)
    /// to `check`, from the same stat that finds the object (no extra request), and deletes
    /// only if it agrees; answers what was deleted. This is how the gateway applies its
    /// ownership rule without a second `HEAD`, removes only the very version it wrote itself,
    /// and keeps its usage figures.
    pub async fn delete_checked<E: From<Error>>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        check: impl FnOnce(&Current) -> Result<(), E>,
    ) -> Result<Current, E> {
        let b = self.bucket_entry(bucket)?;
        let _held = b.locks.lock(key.as_str()).await;
        let m = stat_file(b, bucket, key).await?;
        let (etag, owner) = etag_and_owner(b, key, &m).await?;
        let current = Current {
            etag,
            owner,
            size: m.content_length(),
        };
        check(&current)?;
        b.backend
            .op
            .delete(key.as_str())
            .await
            .map_err(|e| from_opendal(e, bucket.as_str(), key.as_str()))?;
        b.owners.forget(key).await;
        Ok(current)
    }

    /// Deletes each key, reporting each outcome in order; the outer error is for the bucket.
    pub async fn delete_many(
        &self,
        bucket: &BucketName,
        keys: Vec<ObjectKey>,
    ) -> Result<Vec<(ObjectKey, Result<(), Error>)>, Error> {
        self.bucket_entry(bucket)?;
        let results = futures::stream::iter(keys)
            .map(|key| async move {
                let result = self.delete(bucket, &key).await;
                (key, result)
            })
            .buffered(DELETE_CONCURRENCY)
            .collect()
            .await;
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_http() {
        assert_eq!(ByteRange::From(2).resolve(10).ok(), Some(2..10));
        assert_eq!(ByteRange::FromTo(2, 4).resolve(10).ok(), Some(2..5));
        assert_eq!(ByteRange::FromTo(2, 400).resolve(10).ok(), Some(2..10));
        assert_eq!(ByteRange::FromTo(9, 9).resolve(10).ok(), Some(9..10));
        assert_eq!(ByteRange::Suffix(3).resolve(10).ok(), Some(7..10));
        assert_eq!(ByteRange::Suffix(30).resolve(10).ok(), Some(0..10));
        assert_eq!(ByteRange::FromTo(0, u64::MAX).resolve(10).ok(), Some(0..10));
    }

    #[test]
    fn ranges_selecting_nothing_are_unsatisfiable() {
        let bad = |r: ByteRange, size| matches!(r.resolve(size), Err(Error::RangeNotSatisfiable { size: s }) if s == size);
        assert!(bad(ByteRange::From(10), 10));
        assert!(bad(ByteRange::FromTo(10, 12), 10));
        assert!(bad(ByteRange::FromTo(5, 4), 10));
        assert!(bad(ByteRange::Suffix(0), 10));
        assert!(bad(ByteRange::From(0), 0));
        assert!(bad(ByteRange::Suffix(5), 0));
    }
}
