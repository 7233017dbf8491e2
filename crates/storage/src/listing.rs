//! Listing: keyset pages over the byte-wise sorted sequence of objects and folders under a
//! prefix, with an opaque cursor, and seed-style numbered pages over the same sequence.
//!
//! The sequence is read through [`crate::tree::Tree`] (fs: entries in any order) or
//! [`crate::ordered`] (S3, COS: in key order); a [`Window`](crate::window::Window) keeps only the
//! `page size + 1` smallest names after the cursor, so a page costs O(page size) memory, and
//! only the page's objects are stat'ed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{StreamExt, TryStreamExt};

use crate::meta::stat_object;
use crate::object_key::check_prefix;
use crate::ordered;
use crate::storage::Bucket;
use crate::tree::Tree;
use crate::window::Candidate;
use crate::{BucketName, Error, MAX_KEY_BYTES, ObjectMeta, Storage};

/// Largest page `list` returns; bigger requests are cut to it (as S3 does).
pub const MAX_PAGE_SIZE: usize = 1000;

/// How many objects of a page are stat'ed (and sniffed) at once.
const STAT_CONCURRENCY: usize = 8;

/// A cursor-mode listing request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only keys starting with this; it need not end in `/`.
    pub prefix: String,
    /// Group keys below the next `/` after `prefix` into folders (`"a/b/"`).
    pub delimiter: bool,
    /// 1..=[`MAX_PAGE_SIZE`]; 0 counts as 1, larger values as the maximum.
    pub page_size: usize,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub items: Vec<ObjectMeta>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Object(ObjectMeta),
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
            Tree::new(&b.backend.op, bucket)
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
        for entry in resolve(b, bucket, kept).await? {
            match entry {
                Entry::Object(meta) => page.items.push(meta),
                Entry::Folder(folder) => page.folders.push(folder),
            }
        }
        Ok(page)
    }

    /// Seed-style listing: the same sorted sequence as [`Storage::list`], `total` its length,
    /// and the entries of one numbered page (or all of them).
    pub async fn list_numbered(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimiter: bool,
        page: PageNumber,
    ) -> Result<NumberedPage, Error> {
        let b = self.bucket_entry(bucket)?;
        check_prefix(prefix)?;
        let all = if b.backend.ordered_listing {
            ordered::select(&b.backend.op, bucket, prefix, delimiter, None, usize::MAX).await?
        } else {
            let tree = Tree::new(&b.backend.op, bucket);
            let all = tree.select(prefix, delimiter, None, usize::MAX).await?;
            tree.keep_listable(all).await?
        };
        let total = all.len();
        let selected: Vec<Candidate> = match page {
            PageNumber::All => all,
            PageNumber::Page { size, number } => all
                .into_iter()
                .skip(number.max(1).saturating_sub(1).saturating_mul(size))
                .take(size)
                .collect(),
        };
        let entries = resolve(b, bucket, selected).await?;
        Ok(NumberedPage { total, entries })
    }
}

/// Stats the objects among `candidates` (in order, a few at a time); an object removed since it
/// was listed is left out.
async fn resolve(
    b: &Bucket,
    bucket: &BucketName,
    candidates: Vec<Candidate>,
) -> Result<Vec<Entry>, Error> {
    futures::stream::iter(candidates)
        .map(|c| async move {
            match c {
                Candidate::Folder(folder) => Ok(Some(Entry::Folder(folder))),
                Candidate::Object(key) => match stat_object(b, bucket, &key).await {
                    Ok(meta) => Ok(Some(Entry::Object(meta))),
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
    use crate::ObjectKey;
    use crate::window::Window;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn object(name: &str) -> Candidate {
        Candidate::Object(ObjectKey::parse(name).expect("valid key"))
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
