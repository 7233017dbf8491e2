//! Owner records for backends that keep no user metadata (fs): one small JSON document per
//! object in the system area, so it never shows up in a listing, cannot be written through the
//! bucket, and every instance sees it.
//!
//! The record of `key` in bucket `b` is `owners/<b>/<h[..2]>/<h>.owner`, `h` the hex SHA-256 of
//! the key, holding `{"owner": "<id>", "etag": "<ETag>", "key": "<key>"}`. It is written (whole,
//! see `document.rs`) right after the object is complete, with the object's ETag at that point,
//! and trusted only while the object's current ETag is the same: an object replaced behind
//! picgate's back (or after a failed record write) has no owner. fs ETags are size + mtime in
//! nanoseconds, so only a file of the very same size given the very same mtime (a restore that
//! keeps times, or a rewrite within one tick of the file system's clock) matches again.
//!
//! (The key is hashed rather than used as the path: `<key>.owner` files would clash with the
//! directories of keys like `<key>.owner/x.png`, which an fs bucket can hold at the same time.)

use opendal::{ErrorKind, Operator};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::document;
use crate::error::is_unavailable;
use crate::owner::is_valid_owner;
use crate::{BucketName, Error, ObjectKey};

/// Where the system area keeps the records.
const OWNER_DIR: &str = "owners";

#[derive(Debug, Serialize, Deserialize)]
struct OwnerRecord {
    owner: String,
    etag: String,
    key: String,
}

/// The owner records of one bucket.
pub(crate) struct OwnerRecords {
    bucket: BucketName,
    system: Operator,
}

impl OwnerRecords {
    pub(crate) fn new(bucket: &BucketName, system: Operator) -> Self {
        Self {
            bucket: bucket.clone(),
            system,
        }
    }

    /// The record's path in the system area.
    fn path(&self, key: &ObjectKey) -> String {
        let hash = hex::encode(Sha256::digest(key.as_str().as_bytes()));
        format!("{OWNER_DIR}/{}/{}/{hash}.owner", self.bucket, &hash[..2])
    }

    /// Records `owner` for the object under `key` whose ETag is now `etag`.
    pub(crate) async fn write(
        &self,
        key: &ObjectKey,
        owner: &str,
        etag: &str,
    ) -> Result<(), Error> {
        let path = self.path(key);
        let record = OwnerRecord {
            owner: owner.to_owned(),
            etag: etag.to_owned(),
            key: key.to_string(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::internal("serializing an owner record", e))?;
        document::replace(&self.system, &path, bytes)
            .await
            .map_err(system_error)
    }

    /// The recorded owner of the object under `key`, if the record is for the object as it is
    /// now (ETag `etag`). A record that cannot be parsed counts as none (and is logged).
    pub(crate) async fn read(&self, key: &ObjectKey, etag: &str) -> Result<Option<String>, Error> {
        let path = self.path(key);
        let bytes = match self.system.read(&path).await {
            Ok(buf) => buf.to_bytes(),
            // A path running through a file holds no record either.
            Err(e) if e.kind() == ErrorKind::NotFound || is_path_clash(&e) => return Ok(None),
            Err(e) => return Err(system_error(e)),
        };
        let record = match serde_json::from_slice::<OwnerRecord>(&bytes) {
            Ok(record) => record,
            Err(e) => {
                tracing::warn!(bucket = %self.bucket, %key, %path, error = %e, "ignoring a corrupt owner record");
                return Ok(None);
            }
        };
        let current =
            record.etag == etag && record.key == key.as_str() && is_valid_owner(&record.owner);
        Ok(current.then_some(record.owner))
    }

    /// Removes the record of `key`, if there is one.
    pub(crate) async fn remove(&self, key: &ObjectKey) -> Result<(), Error> {
        let path = self.path(key);
        self.system.delete(&path).await.map_err(system_error)
    }
}

/// A failure of the system area while handling a record: never the caller's conflict or a
/// missing object, whatever the record's path ran into; `Unavailable` only for an outage.
fn system_error(e: opendal::Error) -> Error {
    if !is_path_clash(&e) && is_unavailable(&e) {
        Error::Unavailable(e)
    } else {
        Error::Internal(e)
    }
}

/// Whether the record's path ran into a file or directory in the way (the fs backend reports
/// most of these as temporary `Unexpected` errors with the io error as source).
fn is_path_clash(e: &opendal::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::AlreadyExists
            | ErrorKind::IsADirectory
            | ErrorKind::NotADirectory
            | ErrorKind::ConditionNotMatch
    ) || std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::IsADirectory
                    | std::io::ErrorKind::NotADirectory
                    | std::io::ErrorKind::AlreadyExists
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> OwnerRecords {
        let op = Operator::new(opendal::services::Memory::default()).expect("memory operator");
        OwnerRecords::new(&BucketName::parse("images").expect("valid"), op)
    }

    fn key(k: &str) -> ObjectKey {
        ObjectKey::parse(k).expect("valid key")
    }

    #[test]
    fn a_record_path_is_a_hash_under_the_bucket_so_keys_never_clash_with_folders() {
        let r = records();
        let a = r.path(&key("cat"));
        let b = r.path(&key("cat.owner/x.png"));
        assert!(a.starts_with("owners/images/"), "{a}");
        assert!(a.ends_with(".owner"), "{a}");
        assert_eq!(a.len(), "owners/images/".len() + 3 + 64 + ".owner".len());
        assert!(!b.starts_with(&a), "{b} runs through {a}");
        assert_eq!(a, r.path(&key("cat")));
    }

    #[tokio::test]
    async fn a_record_counts_only_for_the_etag_it_was_written_with() {
        let r = records();
        r.write(&key("a/b.png"), "u-1", "\"5-1a\"")
            .await
            .expect("written");

        let now = r.read(&key("a/b.png"), "\"5-1a\"").await.expect("read");
        let replaced = r.read(&key("a/b.png"), "\"5-1b\"").await.expect("read");

        assert_eq!(now.as_deref(), Some("u-1"));
        assert_eq!(replaced, None);
    }

    #[tokio::test]
    async fn a_corrupt_or_missing_record_is_no_owner() {
        let r = records();
        let path = r.path(&key("x"));
        r.system.write(&path, "{not json").await.expect("written");

        assert_eq!(r.read(&key("x"), "\"1-1\"").await.expect("read"), None);
        assert_eq!(r.read(&key("y"), "\"1-1\"").await.expect("read"), None);
    }

    #[tokio::test]
    async fn removing_a_record_forgets_the_owner() {
        let r = records();
        r.write(&key("x"), "u-1", "\"1-1\"").await.expect("written");

        r.remove(&key("x")).await.expect("removed");
        r.remove(&key("x")).await.expect("removing twice is fine");

        assert_eq!(r.read(&key("x"), "\"1-1\"").await.expect("read"), None);
    }
}
