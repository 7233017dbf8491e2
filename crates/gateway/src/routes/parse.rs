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

/// An optional count of seconds as JSON has it: an integer, or a number with no fraction
/// (`60.0`, which JSON Schema counts as an integer).
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::Deserialize;
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("{n} is not a whole number of seconds"))
            }),
    }
}
