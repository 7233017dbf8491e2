//! Who owns an object: the id the gateway passes to [`Storage::write_as`], recorded with the
//! object on every backend and read back by every stat.
//!
//! Where the backend keeps user metadata (S3, COS), the owner travels with the object as the
//! user-metadata entry `owner`, i.e. the `x-amz-meta-owner` header on S3
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata>)
//! and `x-cos-meta-owner` on COS: the write sends it (a multipart upload sends it when the
//! upload is created), the HEAD a stat already makes returns it, and replacing or deleting the
//! object replaces or deletes it. Elsewhere (fs) it is a small record in the system area
//! (`owner_record.rs`).
//!
//! [`Storage::write_as`]: crate::Storage::write_as

use std::collections::HashMap;

use opendal::{Metadata, Operator};

use crate::owner_record::OwnerRecords;
use crate::{BucketName, Error, ObjectKey};

/// Longest owner id, in bytes (a hyphenated UUID has 36).
pub const MAX_OWNER_BYTES: usize = 64;

/// The user-metadata key the owner is stored under (`x-amz-meta-owner` on S3).
const OWNER_METADATA_KEY: &str = "owner";

/// Whether `owner` is a valid owner id: 1..=[`MAX_OWNER_BYTES`] ASCII letters, digits or `-`
/// (so it is safe in an HTTP header and a file).
pub fn is_valid_owner(owner: &str) -> bool {
    (1..=MAX_OWNER_BYTES).contains(&owner.len())
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Why an owner id was refused (the source of the `Error::Internal` a bad id gives: the
/// gateway only ever passes user ids).
#[derive(Debug, thiserror::Error)]
#[error("an owner id is 1 to {MAX_OWNER_BYTES} ASCII letters, digits or '-'")]
pub(crate) struct InvalidOwner;

pub(crate) fn check_owner(owner: &str) -> Result<(), Error> {
    if is_valid_owner(owner) {
        Ok(())
    } else {
        Err(Error::internal("invalid owner id", InvalidOwner))
    }
}

/// Where a bucket's owners are kept.
pub(crate) enum Owners {
    /// In the object's user metadata (S3, COS).
    UserMetadata,
    /// In records in the system area (fs).
    Records(OwnerRecords),
}

impl Owners {
    /// `user_metadata`: whether the backend keeps user metadata with the object and returns it
    /// from a stat. `system`: the system area, for the records otherwise.
    pub(crate) fn new(user_metadata: bool, bucket: &BucketName, system: &Operator) -> Self {
        if user_metadata {
            Owners::UserMetadata
        } else {
            Owners::Records(OwnerRecords::new(bucket, system.clone()))
        }
    }

    /// The user metadata a write sends, if this bucket keeps owners that way.
    pub(crate) fn user_metadata(&self, owner: Option<&str>) -> Option<HashMap<String, String>> {
        match (self, owner) {
            (Owners::UserMetadata, Some(owner)) => Some(HashMap::from([(
                OWNER_METADATA_KEY.to_owned(),
                owner.to_owned(),
            )])),
            _ => None,
        }
    }

    /// Records `owner` for the object just written under `key`, whose ETag is now `etag`;
    /// nothing to do where the owner went along as user metadata. With no owner, a record left
    /// by an earlier writer is removed (if that fails it is logged: its ETag no longer matches).
    pub(crate) async fn record(
        &self,
        key: &ObjectKey,
        owner: Option<&str>,
        etag: &str,
    ) -> Result<(), Error> {
        match (self, owner) {
            (Owners::UserMetadata, _) => Ok(()),
            (Owners::Records(records), Some(owner)) => records.write(key, owner, etag).await,
            (Owners::Records(_), None) => {
                self.forget(key).await;
                Ok(())
            }
        }
    }

    /// The owner of the object under `key`, stat'ed as `m`, whose ETag is `etag`.
    pub(crate) async fn owner_of(
        &self,
        key: &ObjectKey,
        m: &Metadata,
        etag: &str,
    ) -> Result<Option<String>, Error> {
        match self {
            Owners::UserMetadata => Ok(m
                .user_metadata()
                .and_then(|u| u.get(OWNER_METADATA_KEY))
                .filter(|owner| is_valid_owner(owner))
                .map(str::to_owned)),
            Owners::Records(records) => records.read(key, etag).await,
        }
    }

    /// Forgets the owner recorded for `key` (deleted, or replaced without an owner). A record
    /// that cannot be removed is logged and left: it no longer matches the object under `key`
    /// (see `owner_record.rs`).
    pub(crate) async fn forget(&self, key: &ObjectKey) {
        if let Owners::Records(records) = self
            && let Err(e) = records.remove(key).await
        {
            tracing::warn!(%key, error = %e, "could not remove an owner record");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_are_short_ascii_words_and_hyphens() {
        assert!(is_valid_owner("0b9e7c1e-5d0c-4e7a-9a57-1f0d8e0b6a11"));
        assert!(is_valid_owner("A"));
        assert!(is_valid_owner(&"a".repeat(MAX_OWNER_BYTES)));
        for bad in [
            "",
            "a b",
            "a/b",
            "a\nb",
            "ünïcode",
            "a_b",
            &"a".repeat(MAX_OWNER_BYTES + 1),
        ] {
            assert!(!is_valid_owner(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_owner_id_is_an_internal_error() {
        assert!(matches!(check_owner("a/b"), Err(Error::Internal(_))));
        assert!(check_owner("a-b").is_ok());
    }

    #[test]
    fn only_user_metadata_buckets_send_the_owner_with_the_object() {
        let meta = Owners::UserMetadata.user_metadata(Some("u-1"));
        assert_eq!(
            meta,
            Some(HashMap::from([("owner".to_owned(), "u-1".to_owned())]))
        );
        assert_eq!(Owners::UserMetadata.user_metadata(None), None);
    }
}
