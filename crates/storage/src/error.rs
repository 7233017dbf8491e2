//! The storage crate's one error type, and the one place OpenDAL errors are sorted into it.

use opendal::ErrorKind;

use crate::{BucketNameError, ObjectKeyError};

/// Outcomes a caller can act on. No HTTP here: the gateway maps variants to statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no bucket '{0}'")]
    NoSuchBucket(String),
    #[error("no object '{key}' in bucket '{bucket}'")]
    NotFound { bucket: String, key: String },
    /// The key is taken, or (on fs) clashes with a folder of the same name or runs through an
    /// object as if it were a folder.
    #[error("'{key}' in bucket '{bucket}' conflicts with an existing object or folder")]
    AlreadyExists { bucket: String, key: String },
    /// A conditional write found the object changed (replaced or deleted) since its
    /// precondition was taken; nothing was stored.
    #[error("'{key}' in bucket '{bucket}' changed while it was being written")]
    Changed { bucket: String, key: String },
    #[error(transparent)]
    InvalidKey(#[from] ObjectKeyError),
    #[error(transparent)]
    InvalidBucketName(#[from] BucketNameError),
    #[error("the object is larger than this bucket's limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("content type '{content_type}' is not allowed in this bucket (allowed: {})", .allowed.join(", "))]
    UnsupportedType {
        content_type: String,
        allowed: Vec<String>,
    },
    #[error("the range is not satisfiable for an object of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    #[error("the listing cursor is not valid for this listing")]
    InvalidCursor,
    #[error("a link expires after 1 to {max_secs} seconds")]
    InvalidExpiry { max_secs: u64 },
    #[error("the signature does not match")]
    InvalidSignature,
    #[error("the signed link has expired")]
    SignatureExpired,
    #[error("reading the upload body failed")]
    Body(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The client stopped sending the body, or sent it too slowly (the text says which).
    #[error("the upload body stopped arriving: {0}")]
    BodyTimedOut(String),
    #[error("invalid storage configuration: {0}")]
    Config(String),
    #[error("the storage backend is unavailable")]
    Unavailable(#[source] opendal::Error),
    #[error("internal storage error")]
    Internal(#[source] opendal::Error),
}

impl Error {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }

    /// An internal error that did not come from OpenDAL (a corrupt document, a bad timestamp).
    pub(crate) fn internal(
        message: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Internal(opendal::Error::new(ErrorKind::Unexpected, message).set_source(source))
    }
}

/// Sorts an OpenDAL error from an operation on `key` in `bucket` into an [`Error`].
pub(crate) fn from_opendal(err: opendal::Error, bucket: &str, key: &str) -> Error {
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    match err.kind() {
        ErrorKind::NotFound => return Error::NotFound { bucket, key },
        ErrorKind::AlreadyExists
        | ErrorKind::ConditionNotMatch
        | ErrorKind::IsADirectory
        | ErrorKind::NotADirectory => return Error::AlreadyExists { bucket, key },
        _ => {}
    }
    // The fs backend reports most io errors as `Unexpected` and temporary; a name clash
    // between an object and a folder is the caller's conflict, not a retryable outage.
    let io_kind = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    match io_kind {
        Some(
            std::io::ErrorKind::IsADirectory
            | std::io::ErrorKind::NotADirectory
            | std::io::ErrorKind::DirectoryNotEmpty,
        ) => Error::AlreadyExists { bucket, key },
        _ if is_unavailable(&err) => Error::Unavailable(err),
        _ => Error::Internal(err),
    }
}

/// Whether an OpenDAL error means the backend cannot be reached or keeps failing (worth a 503
/// and a later retry) rather than a broken request or configuration. Temporary: worth retrying;
/// persistent: was temporary and the retry layer gave up. Configuration, permission and
/// capability errors never count, whatever status the retry layer gave them.
pub fn is_unavailable(err: &opendal::Error) -> bool {
    match err.kind() {
        ErrorKind::RateLimited => true,
        ErrorKind::ConfigInvalid | ErrorKind::PermissionDenied | ErrorKind::Unsupported => false,
        _ => err.is_temporary() || err.is_persistent(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: std::io::ErrorKind) -> opendal::Error {
        opendal::Error::new(ErrorKind::Unexpected, "io")
            .set_source(std::io::Error::from(kind))
            .set_temporary()
    }

    #[test]
    fn opendal_kinds_are_sorted_into_outcomes() {
        let sort = |e| from_opendal(e, "images", "a.png");
        let e = |k| opendal::Error::new(k, "x");
        assert!(matches!(
            sort(e(ErrorKind::NotFound)),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            sort(e(ErrorKind::ConditionNotMatch)),
            Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            sort(e(ErrorKind::RateLimited)),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            sort(e(ErrorKind::PermissionDenied)),
            Error::Internal(_)
        ));
        let temporary = e(ErrorKind::Unexpected).set_temporary();
        assert!(sort(temporary).is_retryable());
        let given_up = e(ErrorKind::Unexpected).set_persistent();
        assert!(matches!(sort(given_up), Error::Unavailable(_)));
        let misconfigured = e(ErrorKind::ConfigInvalid).set_persistent();
        assert!(matches!(sort(misconfigured), Error::Internal(_)));
        let refused = e(ErrorKind::PermissionDenied).set_persistent();
        assert!(!is_unavailable(&refused));
        assert!(matches!(
            sort(io(std::io::ErrorKind::IsADirectory)),
            Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            sort(io(std::io::ErrorKind::StorageFull)),
            Error::Unavailable(_)
        ));
    }

    #[test]
    fn messages_name_the_object() {
        let err = from_opendal(
            opendal::Error::new(ErrorKind::NotFound, "x"),
            "images",
            "a/b.png",
        );
        assert_eq!(err.to_string(), "no object 'a/b.png' in bucket 'images'");
    }
}
