//! Reading an fs bucket's directories: up to [`BATCH`] entries, each with its size and
//! modification time, per trip to the blocking pool.
//!
//! OpenDAL's fs lister takes two blocking tasks per entry (file type, then metadata) and trims
//! whitespace from the names it reports, so a file `" a"` would be listed as `"a"`, a key that
//! reads nothing. Here names are exactly the file names, and those that are not valid keys are
//! left to the caller to skip.

use std::fs::ReadDir;
use std::io::ErrorKind;
use std::path::Path;
use std::time::SystemTime;

use crate::Error;

/// Most entries one blocking trip reads.
const BATCH: usize = 1000;

/// One entry of a directory, named by its path below the bucket's root.
#[derive(Debug)]
pub(crate) enum DiskEntry {
    File {
        /// E.g. `"a/b.png"`.
        name: String,
        size: u64,
        modified: SystemTime,
    },
    /// E.g. `"a/b/"`.
    Dir { name: String },
}

/// A directory being read, batch by batch.
pub(crate) struct DirReader {
    /// The directory's path below the root, `""` or ending in `/`.
    dir: String,
    entries: Option<ReadDir>,
}

impl DirReader {
    /// Opens `dir` (`""` or ending in `/`) under `root`; a directory that does not exist (or is
    /// a file) has no entries.
    pub(crate) async fn open(root: &Path, dir: &str) -> Result<Self, Error> {
        let path = root.join(dir);
        let entries = tokio::task::spawn_blocking(move || match std::fs::read_dir(&path) {
            Ok(entries) => Ok(Some(entries)),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(None)
            }
            Err(e) => Err(Error::internal("listing a directory failed", e)),
        })
        .await
        .map_err(|e| Error::internal("the blocking list task failed", e))??;
        Ok(Self {
            dir: dir.to_owned(),
            entries,
        })
    }

    /// The next entries (files and directories; symbolic links and others are left out, as
    /// OpenDAL leaves them out), or `None` at the end. Names that are not UTF-8 are skipped.
    pub(crate) async fn next_batch(&mut self) -> Result<Option<Vec<DiskEntry>>, Error> {
        let Some(mut entries) = self.entries.take() else {
            return Ok(None);
        };
        let dir = self.dir.clone();
        let (batch, entries) = tokio::task::spawn_blocking(move || {
            let batch = read_batch(&mut entries, &dir);
            (batch, entries)
        })
        .await
        .map_err(|e| Error::internal("the blocking list task failed", e))?;
        let batch = batch?;
        if batch.is_empty() {
            return Ok(None);
        }
        self.entries = Some(entries);
        Ok(Some(batch))
    }
}

fn read_batch(entries: &mut ReadDir, dir: &str) -> Result<Vec<DiskEntry>, Error> {
    let mut batch = Vec::new();
    for entry in entries.by_ref() {
        let entry = entry.map_err(|e| Error::internal("listing a directory failed", e))?;
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            batch.push(DiskEntry::Dir {
                name: format!("{dir}{file_name}/"),
            });
        } else if kind.is_file() {
            // Removed since the directory was read: not listed.
            let Ok(m) = entry.metadata() else {
                continue;
            };
            let Ok(modified) = m.modified() else {
                continue;
            };
            batch.push(DiskEntry::File {
                name: format!("{dir}{file_name}"),
                size: m.len(),
                modified,
            });
        }
        if batch.len() == BATCH {
            break;
        }
    }
    Ok(batch)
}
