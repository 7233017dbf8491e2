//! `ObjectMeta`: what a stat tells about an object, and how it is put together from OpenDAL's
//! metadata (content type sniffed and ETag derived where the backend keeps neither) and the
//! object's owner (`owner.rs`).

use std::time::SystemTime;

use opendal::Metadata;
use time::OffsetDateTime;

use crate::error::from_opendal;
use crate::sniff::{SNIFF_BYTES, sniff};
use crate::storage::Bucket;
use crate::{BucketName, Error, ObjectKey};

/// What a stat tells about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: ObjectKey,
    /// In bytes.
    pub size: u64,
    /// The type stored with the object where the backend keeps one (S3, COS: the one sniffed
    /// at upload), else sniffed from its first bytes (fs).
    pub content_type: String,
    /// Quoted, e.g. `"\"5-1a2b\""`: the backend's ETag, else (fs) size and mtime in
    /// nanoseconds, in hex, so it changes when the object does.
    pub etag: String,
    /// The backend's modification time; the Unix epoch if it keeps none.
    pub last_modified: OffsetDateTime,
    /// The owner id recorded by [`Storage::write_as`]. `None`: no owner was recorded (written
    /// with [`Storage::write`], or put there behind picgate's back), or (fs) the object was
    /// replaced behind picgate's back since.
    ///
    /// [`Storage::write_as`]: crate::Storage::write_as
    /// [`Storage::write`]: crate::Storage::write
    pub owner: Option<String>,
}

impl ObjectMeta {
    /// Combines a backend's metadata with a content type; no owner yet.
    pub(crate) fn new(key: ObjectKey, m: &Metadata, content_type: String) -> Result<Self, Error> {
        let (last_modified, etag) = times_and_etag(m)?;
        Ok(Self {
            key,
            size: m.content_length(),
            content_type,
            etag,
            last_modified,
            owner: None,
        })
    }
}

/// The modification time and the (quoted) ETag of an object stat'ed as `m`: the backend's
/// ETag, else size and mtime in nanoseconds.
fn times_and_etag(m: &Metadata) -> Result<(OffsetDateTime, String), Error> {
    let size = m.content_length();
    let (nanos, last_modified) = modified_of(m)?;
    let etag = match m.etag() {
        Some(tag) => quoted(tag),
        None => derived_etag(size, nanos),
    };
    Ok((last_modified, etag))
}

/// The backend's modification time of `m` in nanoseconds since the Unix epoch, and as a
/// date; the epoch if it keeps none. Errors: `Internal` for a time out of range.
pub(crate) fn modified_of(m: &Metadata) -> Result<(i128, OffsetDateTime), Error> {
    match m.last_modified() {
        Some(ts) => {
            let nanos = ts.into_inner().as_nanosecond();
            let at = OffsetDateTime::from_unix_timestamp_nanos(nanos)
                .map_err(|e| Error::internal("last-modified time out of range", e))?;
            Ok((nanos, at))
        }
        None => Ok((0, OffsetDateTime::UNIX_EPOCH)),
    }
}

/// A backend's ETag, quoted as HTTP wants it (RFC 9110 §8.8.3) unless it already is.
pub(crate) fn quoted(tag: &str) -> String {
    if tag.starts_with('"') || tag.starts_with("W/") {
        tag.to_owned()
    } else {
        format!("\"{tag}\"")
    }
}

/// The ETag of a file that has none of its own: size and modification time in nanoseconds
/// since the Unix epoch, in hex, quoted.
pub(crate) fn derived_etag(size: u64, nanos: i128) -> String {
    format!("\"{size:x}-{nanos:x}\"")
}

/// `t` in nanoseconds since the Unix epoch (negative before it), and as a date. Errors:
/// `Internal` for a time out of range.
pub(crate) fn disk_time(t: SystemTime) -> Result<(i128, OffsetDateTime), Error> {
    let nanos: i128 = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|e| Error::internal("last-modified time out of range", e))?;
    Ok((nanos, at))
}

/// Stats `key` as a file: a folder (fs directory) under that name is `NotFound`, like a
/// missing object, and so is a key below an object (`a.txt/inner.txt` when `a.txt` exists),
/// which fs reports as "not a directory": nothing can be read there.
pub(crate) async fn stat_file(
    b: &Bucket,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<Metadata, Error> {
    let not_found = || Error::NotFound {
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    let m = match b.backend.op.stat(key.as_str()).await {
        Ok(m) => m,
        Err(e) => {
            return Err(match from_opendal(e, bucket.as_str(), key.as_str()) {
                Error::AlreadyExists { .. } => not_found(),
                other => other,
            });
        }
    };
    if !m.is_file() {
        return Err(not_found());
    }
    Ok(m)
}

/// The (quoted) ETag of what is stored under `key` right now, `None` if there is no object:
/// one stat, no owner lookup.
pub(crate) async fn current_etag(
    b: &Bucket,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<Option<String>, Error> {
    match stat_file(b, bucket, key).await {
        Ok(m) => Ok(Some(times_and_etag(&m)?.1)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The (quoted) ETag and the recorded owner of the object stat'ed as `m` (no read of its
/// bytes).
pub(crate) async fn etag_and_owner(
    b: &Bucket,
    key: &ObjectKey,
    m: &Metadata,
) -> Result<(String, Option<String>), Error> {
    let (_, etag) = times_and_etag(m)?;
    let owner = b.owners.owner_of(key, m, &etag).await?;
    Ok((etag, owner))
}

/// Stats `key` and finds its content type (the stored one, or sniffed from its first bytes)
/// and its owner. A folder (fs directory) under that name is `NotFound`, like a missing object.
pub(crate) async fn stat_object(
    b: &Bucket,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<ObjectMeta, Error> {
    let op = &b.backend.op;
    let oops = |e| from_opendal(e, bucket.as_str(), key.as_str());
    let m = stat_file(b, bucket, key).await?;
    let content_type = match m.content_type() {
        Some(ct) => ct.to_owned(),
        None => {
            let len = m.content_length().min(SNIFF_BYTES as u64);
            let head = match len {
                0 => Vec::new(),
                n => op
                    .read_with(key.as_str())
                    .range(0..n)
                    .await
                    .map_err(oops)?
                    .to_vec(),
            };
            sniff(&head).to_owned()
        }
    };
    let mut meta = ObjectMeta::new(key.clone(), &m, content_type)?;
    meta.owner = b.owners.owner_of(key, &m, &meta.etag).await?;
    Ok(meta)
}
