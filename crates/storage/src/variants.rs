//! The variant cache: derived images (and small facts about their originals) kept inside each
//! bucket's own storage, under the reserved folder, so every gateway instance shares them. See
//! `variant_path.rs` for where entries live, `sweep.rs` for how they go away.
//!
//! An entry is addressed by (bucket, original key, original ETag, variant name): a replaced
//! original has a new ETag, so its old variants are never served again, only swept. Where the
//! backend keeps content types (S3, COS) a variant is its bytes, stored with the type as its
//! `Content-Type`; elsewhere (fs) the type travels in the file (`envelope.rs`). Every write is
//! one whole write (S3, COS: a single `PUT`; fs: a temporary file renamed into place), so a
//! reader sees the old entry or the new one; concurrent writes of one entry all succeed, the
//! last one staying. Deleting objects never touches the cache: the caller removes a key's
//! variants with [`Storage::delete_variants`].

use bytes::Bytes;
use opendal::{ErrorKind, Metadata};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::envelope;
use crate::error::from_opendal;
use crate::meta::modified_of;
use crate::storage::Bucket;
use crate::variant_path::{
    FACTS_NAME, check_content_type, check_name, key_dir, normalized_etag, version_dir,
};
use crate::{BucketName, Error, ObjectKey, Storage};

/// How often a write is tried when its directory vanishes before the write's rename (fs: a
/// sweep removed it as empty, or [`Storage::delete_variants`] ran, in between).
const PUT_ATTEMPTS: usize = 3;

/// How often a key's folder is removed when a write lands in it meanwhile (fs).
const DELETE_ATTEMPTS: usize = 3;

/// The type a variant is read back with if a backend that keeps types returned none.
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// A cached variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Exactly the bytes written.
    pub bytes: Bytes,
    /// As given to [`Storage::write_variant`].
    pub content_type: String,
    /// When it was written: the backend's modification time (S3 and COS keep whole seconds).
    /// The sweep's age of the entry.
    pub created: OffsetDateTime,
}

/// A facts record as stored: `{"key": …, "etag": …, "facts": …}`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FactsRecord {
    /// The original's key.
    pub(crate) key: String,
    /// The original's ETag, quoted.
    pub(crate) etag: String,
    pub(crate) facts: serde_json::Value,
}

/// A cache file of an fs bucket, whole, with its modification time; `None` when there is none.
/// As `disk.rs` reads objects: one `open`, `fstat` and `read` (not OpenDAL's stat, open, read
/// and close, each a blocking task, nor its 2 MiB zeroed read buffer): on the calling thread for
/// a file of up to [`FIRST_BYTES`], in the blocking pool for a larger one.
///
/// [`FIRST_BYTES`]: crate::disk::FIRST_BYTES
async fn read_file(path: &std::path::Path) -> Result<Option<(Bytes, OffsetDateTime)>, Error> {
    use std::io::Read;
    let failed = |e| Error::internal("reading a variant from disk failed", e);
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    let m = file.metadata().map_err(failed)?;
    if !m.is_file() {
        return Ok(None);
    }
    let created = crate::meta::disk_time(m.modified().map_err(failed)?)?.1;
    let len = usize::try_from(m.len()).unwrap_or(usize::MAX);
    let read_all = move |file: &mut std::fs::File| {
        let mut buf = Vec::with_capacity(len);
        file.read_to_end(&mut buf).map(|_| Bytes::from(buf))
    };
    let bytes = if len <= crate::disk::FIRST_BYTES {
        read_all(&mut file).map_err(failed)?
    } else {
        tokio::task::spawn_blocking(move || read_all(&mut file))
            .await
            .map_err(|e| Error::internal("reading a variant from disk failed", e))?
            .map_err(failed)?
    };
    Ok(Some((bytes, created)))
}

/// Whether the bucket's backend stores a content type with each object (S3, COS).
fn keeps_types(b: &Bucket) -> bool {
    b.backend.op.info().capability().write_with_content_type
}

impl Storage {
    /// The variant `name` of the version `etag` of `key` (quoted or bare, as
    /// [`ObjectMeta::etag`]), or `None` when none is cached for this ETag. One `GET` on S3 and
    /// COS; a stat and a read on fs. A file that is not a variant (damaged) reads as `None`.
    /// Errors: `NoSuchBucket`; `Internal` for an invalid name ([`is_valid_variant_name`]) or
    /// an empty ETag; `Unavailable` when the backend is down.
    ///
    /// [`ObjectMeta::etag`]: crate::ObjectMeta::etag
    /// [`is_valid_variant_name`]: crate::is_valid_variant_name
    pub async fn read_variant(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        etag: &str,
        name: &str,
    ) -> Result<Option<Variant>, Error> {
        let b = self.bucket_entry(bucket)?;
        check_name(name)?;
        let path = format!("{}{name}", version_dir(key, &normalized_etag(etag)?));
        let op = &b.backend.op;
        let oops = |e| from_opendal(e, bucket.as_str(), &path);
        if keeps_types(b) {
            // The GET's response headers carry the type and the time: no HEAD first.
            let reader = match op.reader(&path).await {
                Ok(reader) => reader,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(oops(e)),
            };
            let bytes = match reader.read(..).await {
                Ok(buf) => buf.to_bytes(),
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(oops(e)),
            };
            let meta = match reader.metadata() {
                Some(m) if m.content_type().is_some() && m.last_modified().is_some() => m.clone(),
                _ => match op.stat(&path).await {
                    Ok(m) => m,
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(oops(e)),
                },
            };
            let content_type = meta.content_type().unwrap_or(UNKNOWN_TYPE).to_owned();
            return Ok(Some(Variant {
                bytes,
                content_type,
                created: modified_of(&meta)?.1,
            }));
        }
        let (stored, created) = match &b.backend.disk_root {
            Some(root) => match read_file(&root.join(&path)).await? {
                Some(found) => found,
                None => return Ok(None),
            },
            None => {
                let Some(meta) = stat_entry(b, bucket, &path).await? else {
                    return Ok(None);
                };
                match op.read(&path).await {
                    Ok(buf) => (buf.to_bytes(), modified_of(&meta)?.1),
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(oops(e)),
                }
            }
        };
        let Some((content_type, bytes)) = envelope::open(stored) else {
            tracing::warn!(%bucket, path, "a variant file is damaged; it reads as missing");
            return Ok(None);
        };
        Ok(Some(Variant {
            bytes,
            content_type,
            created,
        }))
    }

    /// Stores `bytes` (whole: variants are small) as the variant `name` of the version `etag`
    /// of `key`, with `content_type` (1..=255 bytes of printable ASCII with a `/`), replacing
    /// what is there. No size or type limit of the bucket applies. Errors: `NoSuchBucket`;
    /// `Internal` for an invalid name, type or ETag; `Unavailable` when the backend is down.
    pub async fn write_variant(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        etag: &str,
        name: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), Error> {
        let b = self.bucket_entry(bucket)?;
        check_name(name)?;
        check_content_type(content_type)?;
        let path = format!("{}{name}", version_dir(key, &normalized_etag(etag)?));
        if keeps_types(b) {
            put(b, bucket, &path, bytes, Some(content_type)).await
        } else {
            put(b, bucket, &path, envelope::seal(content_type, &bytes), None).await
        }
    }

    /// Removes every cached variant and facts record of `key`, of all its ETags, and nothing
    /// else: one prefix delete of `.picgate/variants/<kh[..2]>/<kh>/` (on S3 and COS a listing
    /// of it and batched deletes; on fs one directory removal). Nothing cached is `Ok`.
    /// Errors: `NoSuchBucket`; `Unavailable` when the backend is down.
    pub async fn delete_variants(&self, bucket: &BucketName, key: &ObjectKey) -> Result<(), Error> {
        let b = self.bucket_entry(bucket)?;
        let dir = key_dir(key);
        let mut attempt = 1;
        loop {
            match b.backend.op.delete_with(&dir).recursive(true).await {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
                // fs: a write put a file in the folder while it was being emptied.
                Err(e) if b.backend.disk_root.is_some() && attempt < DELETE_ATTEMPTS => {
                    tracing::debug!(%bucket, dir, error = %e, "removing variants again");
                    attempt += 1;
                }
                Err(e) => return Err(from_opendal(e, bucket.as_str(), &dir)),
            }
        }
    }

    /// Stores facts about the version `etag` of `key` (a small JSON value the caller defines)
    /// next to its variants, as `…/<eh>/facts.json` holding
    /// `{"key": <key>, "etag": <quoted etag>, "facts": <facts>}`, replacing what is there. The
    /// sweep removes it once it is old and the original no longer has this ETag. Errors:
    /// `NoSuchBucket`; `Internal` for an empty ETag; `Unavailable` when the backend is down.
    pub async fn write_facts(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        etag: &str,
        facts: &serde_json::Value,
    ) -> Result<(), Error> {
        let b = self.bucket_entry(bucket)?;
        let etag = normalized_etag(etag)?;
        let path = format!("{}{FACTS_NAME}", version_dir(key, &etag));
        let record = FactsRecord {
            key: key.as_str().to_owned(),
            etag,
            facts: facts.clone(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::internal("encoding a facts record failed", e))?;
        let content_type = keeps_types(b).then_some("application/json");
        put(b, bucket, &path, Bytes::from(bytes), content_type).await
    }

    /// The facts [`Storage::write_facts`] stored for the version `etag` of `key`, or `None`
    /// when there are none (or the record is damaged). Errors: `NoSuchBucket`; `Internal` for
    /// an empty ETag; `Unavailable` when the backend is down.
    pub async fn read_facts(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        etag: &str,
    ) -> Result<Option<serde_json::Value>, Error> {
        let b = self.bucket_entry(bucket)?;
        let etag = normalized_etag(etag)?;
        let path = format!("{}{FACTS_NAME}", version_dir(key, &etag));
        let Some(record) = read_record(b, bucket, &path).await? else {
            return Ok(None);
        };
        // Another key or ETag under the same hashes is not this entry.
        if record.key != key.as_str() || record.etag != etag {
            return Ok(None);
        }
        Ok(Some(record.facts))
    }
}

/// The facts record at `path`: `None` if there is none or it does not parse (logged).
pub(crate) async fn read_record(
    b: &Bucket,
    bucket: &BucketName,
    path: &str,
) -> Result<Option<FactsRecord>, Error> {
    let raw = match b.backend.op.read(path).await {
        Ok(buf) => buf.to_vec(),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(from_opendal(e, bucket.as_str(), path)),
    };
    match serde_json::from_slice(&raw) {
        Ok(record) => Ok(Some(record)),
        Err(e) => {
            tracing::warn!(%bucket, path, error = %e, "a facts record is damaged; it reads as missing");
            Ok(None)
        }
    }
}

/// The metadata of the cache file at `path`, `None` if there is none.
async fn stat_entry(
    b: &Bucket,
    bucket: &BucketName,
    path: &str,
) -> Result<Option<Metadata>, Error> {
    match b.backend.op.stat(path).await {
        Ok(m) if m.is_file() => Ok(Some(m)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(from_opendal(e, bucket.as_str(), path)),
    }
}

/// Writes `body` to `path` whole (one `PUT` on S3 and COS; on fs a temporary file in the upload
/// area renamed over `path`), with `content_type` where given. On fs the write is tried again
/// if its directory vanished before the rename (see [`PUT_ATTEMPTS`]).
async fn put(
    b: &Bucket,
    bucket: &BucketName,
    path: &str,
    body: Bytes,
    content_type: Option<&str>,
) -> Result<(), Error> {
    let mut attempt = 1;
    loop {
        let mut write = b.backend.op.write_with(path, body.clone());
        if let Some(content_type) = content_type {
            write = write.content_type(content_type);
        }
        match write.await {
            Ok(_) => return Ok(()),
            Err(e)
                if e.kind() == ErrorKind::NotFound
                    && b.backend.disk_root.is_some()
                    && attempt < PUT_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(e) => return Err(from_opendal(e, bucket.as_str(), path)),
        }
    }
}
