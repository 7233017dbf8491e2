//! Who may do what to a bucket: reading (and listing) a `public-read` bucket is open to anyone,
//! a `private` one needs a session; every write needs a session; policy changes need an admin.

use actix_web::HttpRequest;
use auth::{Principal, Role};
use storage::{BucketName, Policy, Storage};

use crate::error::{ApiError, Code};
use crate::identity;

/// Lets the request read `bucket`. The policy is checked first, so a public read never
/// depends on the session store, whatever token the client happens to send.
pub async fn ensure_read(
    req: &HttpRequest,
    storage: &Storage,
    bucket: &BucketName,
) -> Result<(), ApiError> {
    if storage.policy(bucket).await? == Policy::PublicRead {
        return Ok(());
    }
    match identity::principal(req).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            Code::MissingToken,
            format!("bucket '{bucket}' is private: send `Authorization: Bearer <access token>`"),
        )),
    }
}

/// Answers 404 for an unknown bucket before an upload body is read.
pub fn ensure_bucket_exists(storage: &Storage, bucket: &BucketName) -> Result<(), ApiError> {
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
