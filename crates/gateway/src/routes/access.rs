//! Who may do what to a bucket: reading (and listing) a `public-read` bucket is open to anyone,
//! a `private` one needs a session; every write needs a session; policy changes need an admin.

use auth::{Principal, Role};
use storage::{BucketName, Policy, Storage};

use crate::error::{ApiError, Code};

pub async fn ensure_read(
    storage: &Storage,
    bucket: &BucketName,
    caller: Option<&Principal>,
) -> Result<(), ApiError> {
    if caller.is_some() || storage.policy(bucket).await? == Policy::PublicRead {
        return Ok(());
    }
    Err(ApiError::new(
        Code::MissingToken,
        format!("bucket '{bucket}' is private: send `Authorization: Bearer <access token>`"),
    ))
}

/// Writes need a session; the bucket must exist.
pub fn ensure_bucket(storage: &Storage, bucket: &BucketName) -> Result<(), ApiError> {
    storage.bucket(bucket)?;
    Ok(())
}

pub fn ensure_admin(principal: &Principal) -> Result<(), ApiError> {
    if principal.role == Role::Admin {
        return Ok(());
    }
    Err(ApiError::new(
        Code::AdminRequired,
        "only an administrator may do this",
    ))
}
