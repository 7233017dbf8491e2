//! Walking an fs bucket's directory tree.
//!
//! A directory is read whole and unsorted (see `disk_dir.rs`), with no `start_after`; this walk
//! copes with that and feeds a [`Window`]. A folder is a prefix holding at least one object (as
//! on S3): empty directories left on disk are skipped. The reserved folder (`.picgate/`, the
//! variant cache) is neither listed nor entered.

use std::ops::ControlFlow;
use std::path::Path;

use futures::{StreamExt, TryStreamExt};

use crate::disk_dir::{DirReader, DiskEntry};
use crate::object_key::check_prefix;
use crate::window::{Candidate, Window};
use crate::{BucketName, Error, ListedObject, ObjectKey};

/// How many folders are checked for objects at once.
const FOLDER_CHECK_CONCURRENCY: usize = 8;

pub(crate) struct Tree<'a> {
    /// The bucket's directory.
    root: &'a Path,
    bucket: &'a BucketName,
}

impl<'a> Tree<'a> {
    pub(crate) fn new(root: &'a Path, bucket: &'a BucketName) -> Self {
        Self { root, bucket }
    }

    /// The `limit` smallest entries after `after` under `prefix`, sorted.
    pub(crate) async fn select(
        &self,
        prefix: &str,
        delimiter: bool,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<Candidate>, Error> {
        let mut window = Window::new(after, limit);
        self.walk(prefix, delimiter, |c| {
            window.offer(c);
            ControlFlow::Continue(())
        })
        .await?;
        Ok(window.into_sorted())
    }

    /// The first `target` listable entries after `after`, sorted. Folders that hold no object
    /// are not part of the sequence; dropping one means looking further.
    pub(crate) async fn page(
        &self,
        prefix: &str,
        delimiter: bool,
        mut after: Option<String>,
        target: usize,
    ) -> Result<Vec<Candidate>, Error> {
        let mut kept = Vec::with_capacity(target);
        loop {
            let need = target - kept.len();
            let window = self.select(prefix, delimiter, after.clone(), need).await?;
            let exhausted = window.len() < need;
            if let Some(last) = window.last() {
                after = Some(last.name().to_owned());
            }
            kept.extend(self.keep_listable(window).await?);
            if exhausted || kept.len() >= target {
                return Ok(kept);
            }
        }
    }

    /// `candidates` without the folders that hold no object, order kept.
    pub(crate) async fn keep_listable(
        &self,
        candidates: Vec<Candidate>,
    ) -> Result<Vec<Candidate>, Error> {
        futures::stream::iter(candidates)
            .map(|c| async move {
                let keep = match &c {
                    Candidate::Object(_) => true,
                    Candidate::Folder(folder) => self.holds_object(folder).await?,
                };
                Ok::<_, Error>(keep.then_some(c))
            })
            .buffered(FOLDER_CHECK_CONCURRENCY)
            .try_filter_map(|c| async move { Ok(c) })
            .try_collect()
            .await
    }

    async fn holds_object(&self, folder: &str) -> Result<bool, Error> {
        let mut found = false;
        self.walk(folder, false, |_| {
            found = true;
            ControlFlow::Break(())
        })
        .await?;
        Ok(found)
    }

    /// Visits every object under `prefix` (or, with `delimiter`, every object and folder right
    /// below it) in no particular order, until `visit` breaks. Names that are not valid keys
    /// (files put there by hand) are skipped, and directories that are not valid folders are not
    /// entered: the reserved folder fails [`check_prefix`], so the cache is never walked.
    async fn walk(
        &self,
        prefix: &str,
        delimiter: bool,
        mut visit: impl FnMut(Candidate) -> ControlFlow<()> + Send,
    ) -> Result<(), Error> {
        let start = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
        let mut dirs = vec![start.to_owned()];
        while let Some(dir) = dirs.pop() {
            let mut reader = DirReader::open(self.root, &dir).await?;
            while let Some(batch) = reader.next_batch().await? {
                for entry in batch {
                    let candidate = match entry {
                        DiskEntry::File {
                            name,
                            size,
                            modified,
                        } if name.starts_with(prefix) => match ObjectKey::parse(name.as_str()) {
                            Ok(key) => {
                                Candidate::Object(ListedObject::on_disk(key, size, modified)?)
                            }
                            Err(e) => {
                                tracing::debug!(bucket = %self.bucket, name, error = %e, "skipping a file that is not a valid key");
                                continue;
                            }
                        },
                        DiskEntry::Dir { name }
                            if name.starts_with(prefix) && check_prefix(&name).is_ok() =>
                        {
                            if !delimiter {
                                dirs.push(name);
                                continue;
                            }
                            Candidate::Folder(name)
                        }
                        _ => continue,
                    };
                    if visit(candidate).is_break() {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}
