//! Listing: keyset pages over the byte-wise sorted sequence of objects and folders under a
//! prefix, with an opaque cursor, and seed-style numbered pages over the same sequence.
//!
//! The sequence is read through [`crate::tree::Tree`] (fs: entries in any order) or
//! [`crate::ordered`] (S3, COS: in key order); a [`Window`](crate::window::Window) keeps only the
//! `page size + 1` smallest names after the cursor, so a page costs O(page size) memory. An
//! object's size, ETag and modification time come with the list response itself; only a
//! listing that asks for [`Detail::Stat`] stats the page's objects, one request each.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{StreamExt, TryStreamExt};

use std::time::SystemTime;

use time::OffsetDateTime;

use crate::meta::{derived_etag, disk_time, modified_of, quoted, stat_object};
use crate::object_key::check_prefix;
use crate::ordered;
use crate::storage::Bucket;
use crate::tree::Tree;
use crate::window::Candidate;
use crate::{BucketName, Error, MAX_KEY_BYTES, ObjectKey, ObjectMeta, Storage};

/// Largest page `list` returns; bigger requests are cut to it (as S3 does).
pub const MAX_PAGE_SIZE: usize = 1000;

/// How many objects of a page are stat'ed (and sniffed) at once.
const STAT_CONCURRENCY: usize = 8;

/// A cursor-mode listing request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListQuery {
    /// Only keys starting with this; it need not end in `/`.
    pub prefix: String,
    /// Group keys below the next `/` after `prefix` into folders (`"a/b/"`).
    pub delimiter: bool,
    /// 1..=[`MAX_PAGE_SIZE`]; 0 counts as 1, larger values as the maximum.
    pub page_size: usize,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// How much each listed object tells.
    pub detail: Detail,
}

/// How much a listing tells about each object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Detail {
    /// What the backend's list response carries (key, size, ETag, last modified): no request
    /// per object.
    #[default]
    Listed,
    /// Also the content type and the owner, which only a stat gives: one request per object
    /// (a `HEAD` on S3/COS; on fs a read of the first bytes and of the owner record).
    Stat,
}

/// An object as a listing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: ObjectKey,
    /// In bytes.
    pub size: u64,
    /// Quoted, as [`ObjectMeta::etag`]; `None` when the backend's list response carries none
    /// (S3 and COS always do; some S3-compatible servers do not) and no stat was asked for.
    pub etag: Option<String>,
    /// The backend's modification time (S3 lists it in milliseconds, a stat in seconds); the
    /// Unix epoch if it keeps none.
    pub last_modified: OffsetDateTime,
    /// With [`Detail::Stat`] only.
    pub detail: Option<ObjectDetail>,
}

/// What only a stat tells about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDetail {
    /// As [`ObjectMeta::content_type`].
    pub content_type: String,
    /// As [`ObjectMeta::owner`].
    pub owner: Option<String>,
}

impl ListedObject {
    /// An object from a remote list response's metadata for it (`m`).
    pub(crate) fn listed(key: ObjectKey, m: &opendal::Metadata) -> Result<Self, Error> {
        let (_, last_modified) = modified_of(m)?;
        Ok(Self {
            key,
            size: m.content_length(),
            etag: m.etag().map(quoted),
            last_modified,
            detail: None,
        })
    }

    /// A file of an fs bucket, with the ETag a stat derives for it.
    pub(crate) fn on_disk(key: ObjectKey, size: u64, modified: SystemTime) -> Result<Self, Error> {
        let (nanos, last_modified) = disk_time(modified)?;
        Ok(Self {
            key,
            size,
            etag: Some(derived_etag(size, nanos)),
            last_modified,
            detail: None,
        })
    }

    /// Everything a stat gave.
    fn stated(meta: ObjectMeta) -> Self {
        Self {
            key: meta.key,
            size: meta.size,
            etag: Some(meta.etag),
            last_modified: meta.last_modified,
            detail: Some(ObjectDetail {
                content_type: meta.content_type,
                owner: meta.owner,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub items: Vec<ListedObject>,
    /// Folder prefixes ending in `/`, e.g. `"a/b/"`.
    pub folders: Vec<String>,
    /// Present when more entries follow.
    pub next_cursor: Option<String>,
}

/// Seed-style page selection; `number` is 1-based (0 counts as 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumber {
    All,
    Page { size: usize, number: usize },
}

impl PageNumber {
    /// The positions this page covers in a sequence of `len` entries (empty past its end).
    pub fn positions(self, len: usize) -> std::ops::Range<usize> {
        match self {
            PageNumber::All => 0..len,
            PageNumber::Page { size, number } => {
                let start = number
                    .max(1)
                    .saturating_sub(1)
                    .saturating_mul(size)
                    .min(len);
                start..start.saturating_add(size).min(len)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Object(ListedObject),
    Folder(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedPage {
    /// Length of the whole sequence.
    pub total: usize,
    pub entries: Vec<Entry>,
}

pub(crate) fn encode_cursor(last_name: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_name)
}

/// The name a cursor continues after. It must have come from a listing under `prefix`.
pub(crate) fn decode_cursor(cursor: &str, prefix: &str) -> Result<String, Error> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| Error::InvalidCursor)?;
    let name = String::from_utf8(bytes).map_err(|_| Error::InvalidCursor)?;
    // A folder name is a key prefix plus its trailing '/'.
    if name.is_empty() || name.len() > MAX_KEY_BYTES + 1 || !name.starts_with(prefix) {
        return Err(Error::InvalidCursor);
    }
    Ok(name)
}

impl Storage {
    /// One keyset page of the sorted sequence under `q.prefix`. Stable and gap-free: objects
    /// added or removed between pages never make another one be skipped or repeated.
    pub async fn list(&self, bucket: &BucketName, q: &ListQuery) -> Result<ListPage, Error> {
        let b = self.bucket_entry(bucket)?;
        check_prefix(&q.prefix)?;
        let page_size = q.page_size.clamp(1, MAX_PAGE_SIZE);
        let after = match &q.cursor {
            Some(cursor) => Some(decode_cursor(cursor, &q.prefix)?),
            None => None,
        };
        // One more than the page, to know whether another page follows.
        let target = page_size + 1;
        let mut kept = if b.backend.ordered_listing {
            ordered::select(&b.backend.op, bucket, &q.prefix, q.delimiter, after, target).await?
        } else {
            Tree::new(disk_root(b, bucket)?, bucket)
                .page(&q.prefix, q.delimiter, after, target)
                .await?
        };
        let more = kept.len() > page_size;
        kept.truncate(page_size);
        let next_cursor = match kept.last() {
            Some(last) if more => Some(encode_cursor(last.name())),
            _ => None,
        };
        let mut page = ListPage {
            items: Vec::new(),
            folders: Vec::new(),
            next_cursor,
        };
        for entry in resolve(b, bucket, kept, q.detail).await? {
            match entry {
                Entry::Object(meta) => page.items.push(meta),
                Entry::Folder(folder) => page.folders.push(folder),
            }
        }
        Ok(page)
    }

    /// Seed-style listing: the same sorted sequence as [`Storage::list`], `total` its length,
    /// and the entries of one numbered page (or all of them). The whole sequence is read (one
    /// list request per 1000 entries on S3/COS); only the page's objects are stat'ed, and only
    /// with [`Detail::Stat`].
    pub async fn list_numbered(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimiter: bool,
        page: PageNumber,
        detail: Detail,
    ) -> Result<NumberedPage, Error> {
        let b = self.bucket_entry(bucket)?;
        check_prefix(prefix)?;
        let mut all = if b.backend.ordered_listing {
            ordered::select(&b.backend.op, bucket, prefix, delimiter, None, usize::MAX).await?
        } else {
            let tree = Tree::new(disk_root(b, bucket)?, bucket);
            let all = tree.select(prefix, delimiter, None, usize::MAX).await?;
            tree.keep_listable(all).await?
        };
        let total = all.len();
        let selected: Vec<Candidate> = all.drain(page.positions(total)).collect();
        let entries = resolve(b, bucket, selected, detail).await?;
        Ok(NumberedPage { total, entries })
    }
}

/// The directory of a bucket that does not list in order: fs is the only such backend.
fn disk_root<'a>(b: &'a Bucket, bucket: &BucketName) -> Result<&'a std::path::Path, Error> {
    b.backend.disk_root.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "bucket '{bucket}': its backend neither lists in key order nor is on disk"
        ))
    })
}

/// The entries of `candidates`, in order. With [`Detail::Stat`] each object is stat'ed (a few
/// at a time), and one removed since it was listed is left out.
async fn resolve(
    b: &Bucket,
    bucket: &BucketName,
    candidates: Vec<Candidate>,
    detail: Detail,
) -> Result<Vec<Entry>, Error> {
    if detail == Detail::Listed {
        return Ok(candidates
            .into_iter()
            .map(|c| match c {
                Candidate::Folder(folder) => Entry::Folder(folder),
                Candidate::Object(listed) => Entry::Object(listed),
            })
            .collect());
    }
    futures::stream::iter(candidates)
        .map(|c| async move {
            match c {
                Candidate::Folder(folder) => Ok(Some(Entry::Folder(folder))),
                Candidate::Object(listed) => match stat_object(b, bucket, &listed.key).await {
                    Ok(meta) => Ok(Some(Entry::Object(ListedObject::stated(meta)))),
                    Err(Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                },
            }
        })
        .buffered(STAT_CONCURRENCY)
        .try_filter_map(|entry| async move { Ok(entry) })
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Window;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn object(name: &str) -> Candidate {
        crate::window::tests::object(name)
    }

    /// One page over an in-memory set, the way `list` builds it from a window.
    fn page(
        set: &BTreeSet<String>,
        after: Option<String>,
        size: usize,
    ) -> (Vec<String>, Option<String>) {
        let mut window = Window::new(after, size + 1);
        // Offer in an order unrelated to the sort order, as fs listings are.
        for name in set.iter().rev().chain(set.iter()) {
            window.offer(object(name));
        }
        let mut names: Vec<String> = window
            .into_sorted()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let more = names.len() > size;
        names.truncate(size);
        let next = if more { names.last().cloned() } else { None };
        (names, next)
    }

    #[test]
    fn numbered_pages_cover_their_positions_and_nothing_past_the_end() {
        let page = |size, number| PageNumber::Page { size, number };
        assert_eq!(page(3, 1).positions(7), 0..3);
        assert_eq!(page(3, 0).positions(7), 0..3);
        assert_eq!(page(3, 3).positions(7), 6..7);
        assert_eq!(page(3, 9).positions(7), 7..7);
        assert_eq!(page(usize::MAX, usize::MAX).positions(7), 7..7);
        assert_eq!(PageNumber::All.positions(7), 0..7);
    }

    #[test]
    fn cursors_roundtrip_and_reject_garbage() {
        let c = encode_cursor("a/猫.png");
        assert_eq!(decode_cursor(&c, "a/").ok(), Some("a/猫.png".to_owned()));
        assert!(matches!(decode_cursor("!!", ""), Err(Error::InvalidCursor)));
        assert!(matches!(decode_cursor("", ""), Err(Error::InvalidCursor)));
        assert!(matches!(
            decode_cursor(&encode_cursor("b/x"), "a/"),
            Err(Error::InvalidCursor)
        ));
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xFFu8, 0xFE]);
        assert!(matches!(
            decode_cursor(&not_utf8, ""),
            Err(Error::InvalidCursor)
        ));
    }

    fn names() -> impl Strategy<Value = BTreeSet<String>> {
        prop::collection::btree_set("[a-c]{1,3}(/[a-c]{1,2})?", 0..60)
    }

    proptest! {
        #[test]
        fn pages_concatenate_to_the_sorted_listing(set in names(), size in 1usize..7) {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let (names, next) = page(&set, cursor.clone(), size);
                prop_assert!(names.len() <= size);
                seen.extend(names);
                match next { Some(n) => cursor = Some(n), None => break }
            }
            prop_assert_eq!(seen, set.into_iter().collect::<Vec<_>>());
        }

        #[test]
        fn changes_between_pages_never_skip_or_repeat_a_survivor(
            set in names(),
            inserts in prop::collection::vec("[a-c]{1,3}", 0..20),
            deletes in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
            size in 1usize..5,
        ) {
            let original = set.clone();
            let mut set = set;
            let mut deleted = BTreeSet::new();
            let mut seen: Vec<String> = Vec::new();
            let mut cursor = None;
            let mut round = 0;
            loop {
                let (names, next) = page(&set, cursor.clone(), size);
                seen.extend(names);
                // Between pages: one insert and one delete.
                if let Some(name) = inserts.get(round) { set.insert(name.clone()); }
                if let Some(ix) = deletes.get(round) && !set.is_empty() {
                    let victim = set.iter().nth(ix.index(set.len())).cloned();
                    if let Some(v) = victim { set.remove(&v); deleted.insert(v); }
                }
                round += 1;
                match next { Some(n) => cursor = Some(n), None => break }
            }
            // Strictly increasing: nothing repeated, and in order.
            prop_assert!(seen.windows(2).all(|w| w[0] < w[1]));
            // Every name present from start to end, never deleted in between, was seen.
            for name in original.difference(&deleted) {
                prop_assert!(seen.contains(name), "skipped {}", name);
            }
        }
    }
}
