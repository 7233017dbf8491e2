//! `ObjectMeta`: what a stat tells about an object, and how it is put together from OpenDAL's
//! metadata (content type sniffed and ETag derived where the backend keeps neither).

use opendal::{Metadata, Operator};
use time::OffsetDateTime;

use crate::error::from_opendal;
use crate::sniff::{SNIFF_BYTES, sniff};
use crate::{BucketName, Error, ObjectKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: ObjectKey,
    pub size: u64,
    pub content_type: String,
    /// Quoted, e.g. `"\"5-1a2b\""`.
    pub etag: String,
    pub last_modified: OffsetDateTime,
}

impl ObjectMeta {
    /// Combines a backend's metadata with a content type.
    pub(crate) fn new(key: ObjectKey, m: &Metadata, content_type: String) -> Result<Self, Error> {
        let size = m.content_length();
        let (last_modified, nanos) = match m.last_modified() {
            Some(ts) => {
                let nanos = ts.into_inner().as_nanosecond();
                let at = OffsetDateTime::from_unix_timestamp_nanos(nanos)
                    .map_err(|e| Error::internal("last-modified time out of range", e))?;
                (at, nanos)
            }
            None => (OffsetDateTime::UNIX_EPOCH, 0),
        };
        let etag = match m.etag() {
            Some(tag) if tag.starts_with('"') || tag.starts_with("W/") => tag.to_owned(),
            Some(tag) => format!("\"{tag}\""),
            None => format!("\"{size:x}-{nanos:x}\""),
        };
        Ok(Self {
            key,
            size,
            content_type,
            etag,
            last_modified,
        })
    }
}

/// Stats `key` and finds its content type: the stored one, or sniffed from its first bytes.
/// A folder (fs directory) under that name is `NotFound`, like a missing object.
pub(crate) async fn stat_object(
    op: &Operator,
    bucket: &BucketName,
    key: &ObjectKey,
) -> Result<ObjectMeta, Error> {
    let oops = |e| from_opendal(e, bucket.as_str(), key.as_str());
    let m = op.stat(key.as_str()).await.map_err(oops)?;
    if !m.is_file() {
        return Err(Error::NotFound {
            bucket: bucket.to_string(),
            key: key.to_string(),
        });
    }
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
    ObjectMeta::new(key.clone(), &m, content_type)
}
