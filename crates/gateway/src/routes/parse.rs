//! Parsing raw request values into the storage newtypes, shared by every route module.

use crate::error::ApiError;

/// Page `number` (1-based) of `size` items.
pub fn page_of<T>(items: impl IntoIterator<Item = T>, size: usize, number: usize) -> Vec<T> {
    items
        .into_iter()
        .skip(number.saturating_sub(1).saturating_mul(size))
        .take(size)
        .collect()
}

/// Parses a bucket name from the path.
pub fn bucket_name(raw: impl Into<String>) -> Result<storage::BucketName, ApiError> {
    storage::BucketName::parse(raw).map_err(|e| storage::Error::from(e).into())
}

/// Parses an object key from the path or body.
pub fn object_key(raw: impl Into<String>) -> Result<storage::ObjectKey, ApiError> {
    storage::ObjectKey::parse(raw).map_err(|e| storage::Error::from(e).into())
}
