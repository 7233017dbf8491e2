//! The sweep of a bucket's variant cache: old variants go, then the oldest until the cache fits
//! its size cap, then old facts records whose original is gone or replaced.
//!
//! The cache is listed once, whole (S3, COS: one recursive listing, 1000 entries a request;
//! fs: its directories read in batches), and held in memory as one small record per file for
//! the sort by age. An entry written again between the listing and its deletion is deleted
//! all the same: a cache miss, written again on next use. On fs the directories left empty are
//! removed at the end.

use std::path::Path;

use futures::{StreamExt, TryStreamExt};
use opendal::{EntryMode, ErrorKind, Operator};
use time::OffsetDateTime;

use crate::disk_dir::{DirReader, DiskEntry};
use crate::error::from_opendal;
use crate::meta::{current_etag, disk_time, modified_of};
use crate::storage::Bucket;
use crate::variant_path::{CachePath, VARIANTS_PREFIX, etag_hash, key_hash};
use crate::variants::read_record;
use crate::{BucketName, Error, ObjectKey, Storage};

/// How many facts records are checked against their originals at once.
const FACTS_CONCURRENCY: usize = 8;

/// The `/`s in the path of a key's folder, `.picgate/variants/<kh[..2]>/<kh>/`; a version's
/// folder has one more.
const KEY_DIR_SLASHES: usize = 4;

/// What a sweep did ([`Storage::sweep_variants`]). Bytes are as stored (on fs each variant
/// file also holds a header line naming its type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Variant files deleted, for their age or for the size cap.
    pub variants_deleted: u64,
    /// Their bytes.
    pub bytes_deleted: u64,
    /// Variant files left.
    pub variants_kept: u64,
    /// Their bytes: at most the size cap, when one was given.
    pub bytes_kept: u64,
    /// Facts records deleted.
    pub facts_deleted: u64,
}

/// A file of the cache, as the listing found it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// Relative to the bucket's root.
    path: String,
    size: u64,
    /// The backend's modification time.
    modified: OffsetDateTime,
}

/// The cache's files, and on fs its directories (for the removal of empty ones).
#[derive(Debug, Default)]
struct Listing {
    files: Vec<Stored>,
    dirs: Vec<String>,
}

impl Storage {
    /// Sweeps the variant cache of `bucket`:
    ///
    /// 1. deletes the variant files (not facts records) stored before `older_than`;
    /// 2. if `max_bytes` is given, deletes the oldest remaining variant files until the rest
    ///    take at most `max_bytes` bytes;
    /// 3. deletes the facts records stored before `older_than` whose original no longer exists
    ///    with that ETag (the key and ETag inside each record are stat'ed: a missing original or
    ///    another ETag deletes the record; a failed stat, e.g. an unavailable backend, keeps it;
    ///    a damaged record is deleted).
    ///
    /// Files in the cache folder that are neither variants nor facts records are left alone and
    /// not counted. Errors: `NoSuchBucket`; `Unavailable` when the backend is down while the
    /// cache is listed or files are deleted (what was deleted before stays deleted).
    pub async fn sweep_variants(
        &self,
        bucket: &BucketName,
        older_than: OffsetDateTime,
        max_bytes: Option<u64>,
    ) -> Result<SweepReport, Error> {
        let b = self.bucket_entry(bucket)?;
        let listing = match &b.backend.disk_root {
            Some(root) => walk_disk(root).await?,
            None => list_remote(&b.backend.op, bucket).await?,
        };
        let mut variants = Vec::new();
        let mut facts = Vec::new();
        for file in listing.files {
            match CachePath::parse(&file.path).map(|p| p.variant.is_some()) {
                Some(true) => variants.push(file),
                Some(false) => facts.push(file),
                None => {}
            }
        }
        let mut report = SweepReport::default();

        let (old, mut young): (Vec<Stored>, Vec<Stored>) =
            variants.into_iter().partition(|v| v.modified < older_than);
        if let Some(max) = max_bytes {
            young.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));
            let mut total: u64 = young.iter().map(|v| v.size).sum();
            let mut cut = 0;
            while total > max && cut < young.len() {
                total -= young[cut].size;
                cut += 1;
            }
            let over: Vec<Stored> = young.drain(..cut).collect();
            delete_all(b, bucket, paths(old.iter().chain(&over))).await?;
            report.variants_deleted = count(&old) + count(&over);
            report.bytes_deleted = bytes(&old) + bytes(&over);
        } else {
            delete_all(b, bucket, paths(&old)).await?;
            report.variants_deleted = count(&old);
            report.bytes_deleted = bytes(&old);
        }
        report.variants_kept = count(&young);
        report.bytes_kept = bytes(&young);

        let old_facts = facts.into_iter().filter(|f| f.modified < older_than);
        let stale: Vec<Stored> = futures::stream::iter(old_facts)
            .map(|file| async move { is_stale(b, bucket, &file).await.then_some(file) })
            .buffered(FACTS_CONCURRENCY)
            .filter_map(|file| async move { file })
            .collect()
            .await;
        delete_all(b, bucket, paths(&stale)).await?;
        report.facts_deleted = count(&stale);

        if let Some(root) = &b.backend.disk_root {
            remove_empty_dirs(root, listing.dirs).await;
        }
        Ok(report)
    }
}

fn count(files: &[Stored]) -> u64 {
    u64::try_from(files.len()).unwrap_or(u64::MAX)
}

fn bytes(files: &[Stored]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

/// Whether the facts record `file` should go: it is damaged or misplaced, or its original is
/// missing or has another ETag. Anything that cannot be told (a failed read or stat) keeps it.
async fn is_stale(b: &Bucket, bucket: &BucketName, file: &Stored) -> bool {
    let Some(place) = CachePath::parse(&file.path) else {
        return false;
    };
    let record = match read_record(b, bucket, &file.path).await {
        Ok(Some(record)) => record,
        // Damaged (logged), or deleted meanwhile: deleting again is harmless.
        Ok(None) => return true,
        Err(e) => {
            tracing::debug!(%bucket, path = file.path, error = %e, "keeping a facts record that could not be read");
            return false;
        }
    };
    let Ok(key) = ObjectKey::parse(record.key.as_str()) else {
        return true;
    };
    if key_hash(key.as_str()) != place.key_hash || etag_hash(&record.etag) != place.etag_hash {
        return true;
    }
    match current_etag(b, bucket, &key).await {
        Ok(None) => true,
        Ok(Some(etag)) => etag != record.etag,
        Err(e) => {
            tracing::debug!(%bucket, %key, error = %e, "keeping facts whose original could not be stat'ed");
            false
        }
    }
}

/// The paths of `files`, owned: a future holding borrowed iterators across awaits is not
/// `Send` for every lifetime, which a spawned sweep needs.
fn paths<'a>(files: impl IntoIterator<Item = &'a Stored>) -> Vec<String> {
    files.into_iter().map(|f| f.path.clone()).collect()
}

/// Deletes the files at `paths` (batched where the backend deletes in batches: S3 and COS,
/// 1000 a request).
async fn delete_all(b: &Bucket, bucket: &BucketName, paths: Vec<String>) -> Result<(), Error> {
    if paths.is_empty() {
        return Ok(());
    }
    let oops = |e| from_opendal(e, bucket.as_str(), VARIANTS_PREFIX);
    let mut deleter = b.backend.op.deleter().await.map_err(oops)?;
    for path in paths {
        deleter.delete(path.as_str()).await.map_err(oops)?;
    }
    deleter.close().await.map_err(oops)
}

/// Every file of the cache on an S3 or COS bucket, with the size and time its listing gives
/// (a stat where the listing gives no time).
async fn list_remote(op: &Operator, bucket: &BucketName) -> Result<Listing, Error> {
    let oops = |e| from_opendal(e, bucket.as_str(), VARIANTS_PREFIX);
    let mut lister = op
        .lister_with(VARIANTS_PREFIX)
        .recursive(true)
        .await
        .map_err(oops)?;
    let mut listing = Listing::default();
    while let Some(entry) = lister.try_next().await.map_err(oops)? {
        if entry.metadata().mode() != EntryMode::FILE {
            continue;
        }
        let meta = if entry.metadata().last_modified().is_some() {
            entry.metadata().clone()
        } else {
            match op.stat(entry.path()).await {
                Ok(m) => m,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(oops(e)),
            }
        };
        listing.files.push(Stored {
            path: entry.path().to_owned(),
            size: meta.content_length(),
            modified: modified_of(&meta)?.1,
        });
    }
    Ok(listing)
}

/// Every file and directory of the cache of an fs bucket whose directory is `root`.
async fn walk_disk(root: &Path) -> Result<Listing, Error> {
    let mut listing = Listing::default();
    let mut pending = vec![VARIANTS_PREFIX.to_owned()];
    while let Some(dir) = pending.pop() {
        let mut reader = DirReader::open(root, &dir).await?;
        while let Some(batch) = reader.next_batch().await? {
            for entry in batch {
                match entry {
                    DiskEntry::File {
                        name,
                        size,
                        modified,
                    } => listing.files.push(Stored {
                        path: name,
                        size,
                        modified: disk_time(modified)?.1,
                    }),
                    DiskEntry::Dir { name } => {
                        listing.dirs.push(name.clone());
                        pending.push(name);
                    }
                }
            }
        }
    }
    Ok(listing)
}

/// Removes those of `dirs` (fs, below `root`) that are now empty, deepest first, down to a
/// key's folder (the 256 fan-out folders stay). Failures, a directory not empty among them,
/// are ignored: a write that loses its directory this way tries again.
async fn remove_empty_dirs(root: &Path, mut dirs: Vec<String>) {
    let depth = |d: &String| d.matches('/').count();
    dirs.retain(|d| depth(d) >= KEY_DIR_SLASHES);
    if dirs.is_empty() {
        return;
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(depth(d)));
    let root = root.to_owned();
    let removed = tokio::task::spawn_blocking(move || {
        for dir in dirs {
            let _ = std::fs::remove_dir(root.join(&dir));
        }
    })
    .await;
    if let Err(e) = removed {
        tracing::debug!(error = %e, "removing empty variant folders failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_folder_has_five_slashes() {
        let key = ObjectKey::parse("a/b.png").expect("valid key");
        let dir = crate::variant_path::key_dir(&key);
        assert_eq!(dir.matches('/').count(), KEY_DIR_SLASHES, "{dir}");
        let version = crate::variant_path::version_dir(&key, "\"e\"");
        assert_eq!(
            version.matches('/').count(),
            KEY_DIR_SLASHES + 1,
            "{version}"
        );
    }
}
