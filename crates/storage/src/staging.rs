//! Staging: an upload body written to a file of the upload area (`<data_dir>/.tmp`) while its
//! digests are computed, for uploads whose key or bucket depends on the whole body or on what
//! follows it (`{hash}` keys; upload tools that name the bucket after the file). The file goes
//! when the [`Staged`] is dropped; files a crashed process left behind go at the next start.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::sniff::{SNIFF_BYTES, extension_fits, image_extension};
use crate::upload::body_error;
use crate::{Error, Storage, split_extension};

/// Staging files start with this; nothing else in the upload area does.
const PREFIX: &str = "stage-";
/// Size of the pieces a staged body is read back in.
const READ_CHUNK: usize = 64 * 1024;
/// Files of the upload area untouched this long at start belong to no running upload: one
/// that stalls fails within `server.body_idle_timeout_secs`.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// The hex digests of a staged body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256 (FIPS 180-4), 64 hex digits.
    pub sha256: String,
    /// MD5 (RFC 1321), 32 hex digits: what Lsky Pro's clients show; never used for trust.
    pub md5: String,
    /// SHA-1 (FIPS 180-4), 40 hex digits: as `md5`.
    pub sha1: String,
}

/// A body held in a file of the upload area, with its size and digests. Removed on drop.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    size: u64,
    digests: Digests,
    /// The first ≤ [`SNIFF_BYTES`] bytes.
    head: Vec<u8>,
}

impl Staged {
    /// In bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn digests(&self) -> &Digests {
        &self.digests
    }

    /// `name` with the usual extension of the image staged when its own extension names
    /// another type (`shot.php` holding a PNG → `shot.png`); otherwise, and for anything that
    /// is not an image, `name` as it is. So a key made from it never gives an image an
    /// extension another web server would execute or render as something else.
    pub fn fitting_name(&self, name: &str) -> String {
        let Some(canonical) = image_extension(&self.head) else {
            return name.to_owned();
        };
        let (stem, ext) = split_extension(name);
        match extension_fits(ext, canonical) {
            true => name.to_owned(),
            false => format!("{stem}.{canonical}"),
        }
    }

    /// The body again, from its file, in pieces of 64 KiB. Errors: the file cannot be opened
    /// (`Internal`).
    pub async fn body(&self) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, Error> {
        let file = tokio::fs::File::open(&self.path)
            .await
            .map_err(|e| Error::internal("could not reopen a staged upload", e))?;
        Ok(futures::stream::try_unfold(file, |mut file| async move {
            let mut buf = vec![0; READ_CHUNK];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), file)))
        })
        .boxed())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a staged upload");
        }
    }
}

impl Storage {
    /// Writes `body` to a new file of the upload area, at most `limit` bytes, computing its
    /// SHA-256, MD5 and SHA-1 on the way. Memory stays bounded: one chunk at a time. Errors:
    /// `TooLarge` past `limit` (the file is removed at once), `Body` when the body breaks off,
    /// `Internal` when the file cannot be written.
    pub async fn stage<S, E>(&self, body: S, limit: u64) -> Result<Staged, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let dir = self.staging_dir();
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Error::internal("could not create the upload area", e))?;
        let path = dir.join(format!("{PREFIX}{}", uuid::Uuid::new_v4().simple()));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| Error::internal("could not create a staging file", e))?;
        // From here on the file goes with `staged`, whatever happens.
        let mut staged = Staged {
            path,
            size: 0,
            digests: Digests {
                sha256: String::new(),
                md5: String::new(),
                sha1: String::new(),
            },
            head: Vec::new(),
        };
        // Hashed here, chunk by chunk (a 64 KiB chunk takes a fraction of a millisecond): a
        // thread per upload waiting for a client's next bytes would let stalled clients take
        // every blocking thread, and with them the file I/O of every other request.
        let (mut md5, mut sha1) = (<Md5 as md5::Digest>::new(), <Sha1 as sha1::Digest>::new());
        let mut sha256 = Sha256::new();
        let mut body = body.fuse();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| body_error(&e))?;
            staged.size = staged.size.saturating_add(chunk.len() as u64);
            if staged.size > limit {
                return Err(Error::TooLarge { limit });
            }
            if staged.head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - staged.head.len()).min(chunk.len());
                staged.head.extend_from_slice(&chunk[..take]);
            }
            sha256.update(&chunk);
            md5::Digest::update(&mut md5, &chunk);
            sha1::Digest::update(&mut sha1, &chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| Error::internal("could not write a staging file", e))?;
        }
        file.flush()
            .await
            .map_err(|e| Error::internal("could not write a staging file", e))?;
        staged.digests = Digests {
            sha256: hex::encode(sha256.finalize()),
            md5: hex::encode(md5::Digest::finalize(md5)),
            sha1: hex::encode(sha1::Digest::finalize(sha1)),
        };
        Ok(staged)
    }
}

/// Removes files untouched for an hour from the upload area `dir`, staged bodies and fs
/// uploads alike: a process killed mid-upload left them. Newer ones may belong to another
/// instance sharing the data directory.
pub(crate) fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age > STALE_AFTER));
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_untouched_for_an_hour_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("stage-old");
        let partial = dir.path().join("shot.png.AbCdEfGh");
        let fresh = dir.path().join("stage-fresh");
        for path in [&old, &partial, &fresh] {
            std::fs::write(path, b"x").unwrap();
        }
        let long_ago = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        for path in [&old, &partial] {
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(long_ago).unwrap();
        }
        remove_stale(dir.path());
        assert!(!old.exists() && !partial.exists());
        assert!(fresh.exists());
    }
}
