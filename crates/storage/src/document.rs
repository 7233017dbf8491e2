//! Small documents in the system area (policies, owner records, usage figures), replaced
//! whole: a reader never sees half of one.

use std::sync::atomic::{AtomicU64, Ordering};

use opendal::Operator;

use crate::error::from_opendal;
use crate::{Error, Storage};

impl Storage {
    /// The system-area document at `path` (`a/b.json`), or `None` when there is none.
    pub async fn read_document(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.system_operator().read(path).await {
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(from_opendal(e, "system", path)),
        }
    }

    /// Replaces the system-area document at `path` whole (see [`replace`]).
    pub async fn write_document(&self, path: &str, bytes: Vec<u8>) -> Result<(), Error> {
        replace(&self.system_operator(), path, bytes)
            .await
            .map_err(|e| from_opendal(e, "system", path))
    }
}

/// Writes `bytes` to `path` in one piece. Where the operator can rename (fs), the document is
/// written under a temporary name next to `path` and renamed over it; elsewhere (S3, COS) it
/// is written in place, as a PUT there replaces an object whole.
pub(crate) async fn replace(
    op: &Operator,
    path: &str,
    bytes: Vec<u8>,
) -> Result<(), opendal::Error> {
    if !op.info().capability().rename {
        return op.write(path, bytes).await.map(|_| ());
    }
    let tmp = temporary_path(path);
    op.write(&tmp, bytes).await?;
    if let Err(e) = op.rename(&tmp, path).await {
        if let Err(cleanup) = op.delete(&tmp).await {
            tracing::warn!(path = %tmp, error = %cleanup, "could not remove a temporary document");
        }
        return Err(e);
    }
    Ok(())
}

/// A name next to `path` that no other writer (in this or another process) uses at the same
/// time: `dir/.<name>.<pid>-<nanos>-<n>.tmp`.
fn temporary_path(path: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    format!("{dir}.{name}.{}-{nanos}-{n}.tmp", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::temporary_path;

    #[test]
    fn a_temporary_name_is_hidden_next_to_its_document_and_never_repeats() {
        let a = temporary_path("policies/images.json");
        let b = temporary_path("policies/images.json");
        assert!(a.starts_with("policies/.images.json."), "{a}");
        assert!(a.ends_with(".tmp"), "{a}");
        assert_ne!(a, b);
        assert!(temporary_path("top.json").starts_with(".top.json."));
    }
}
