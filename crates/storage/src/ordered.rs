//! Listing on backends that list in key order and honour `start_after` and `limit` (S3, COS):
//! one request of about a page, whatever the size of the bucket.
//!
//! The reserved folder (`.picgate/`, the variant cache) is never part of the sequence: with a
//! delimiter it is one folder entry, dropped; without one its objects come in a run (`.` sorts
//! before letters and digits, so near the start of a bucket), and the listing jumps past that run
//! with one `start_after` instead of reading it.

use futures::TryStreamExt;
use opendal::{EntryMode, Operator};

use crate::error::from_opendal;
use crate::object_key::{RESERVED_PREFIX, check_prefix, is_reserved};
use crate::window::Candidate;
use crate::{BucketName, Error, ListedObject, ObjectKey};

/// Most keys one list request asks for (S3 and COS answer at most 1000).
const MAX_KEYS: usize = 1000;

/// The `limit` smallest entries after `after` under `prefix` (objects, and with `delimiter`
/// the folders right below it), sorted; `usize::MAX` for all of them.
///
/// Each round reads exactly one response of at most [`MAX_KEYS`] entries: within a response
/// OpenDAL yields the folders before the objects, so the entries are only known to be the
/// smallest once the whole response is read. Entries that are skipped (names that are not
/// valid keys, folder marker objects) still advance the next round's `start_after`. A
/// recursive listing that reaches the reserved folder goes on after it (see [`jumps_over`]).
pub(crate) async fn select(
    op: &Operator,
    bucket: &BucketName,
    prefix: &str,
    delimiter: bool,
    mut after: Option<String>,
    limit: usize,
) -> Result<Vec<Candidate>, Error> {
    let oops = |e| from_opendal(e, bucket.as_str(), prefix);
    if limit == usize::MAX {
        // Everything: one listing read to its end (OpenDAL follows the continuation tokens),
        // without the extra empty request a round after a full response would cost; a second
        // one starts after the reserved folder if the first reaches it.
        let mut from = after.clone();
        let mut all = Vec::new();
        'listing: loop {
            let mut list = op.lister_with(prefix).recursive(!delimiter);
            if let Some(from) = &from {
                list = list.start_after(&resume_after(from));
            }
            let mut lister = list.await.map_err(oops)?;
            while let Some(entry) = lister.try_next().await.map_err(oops)? {
                if jumps_over(&entry, delimiter, from.as_deref()) {
                    from = Some(RESERVED_PREFIX.to_owned());
                    continue 'listing;
                }
                if let Some(candidate) = candidate(&entry, prefix, delimiter, after.as_deref())? {
                    all.push(candidate);
                }
            }
            break;
        }
        all.sort();
        return Ok(all);
    }
    let mut out = Vec::new();
    while out.len() < limit {
        let batch = (limit - out.len()).min(MAX_KEYS);
        let mut list = op.lister_with(prefix).recursive(!delimiter).limit(batch);
        if let Some(after) = &after {
            list = list.start_after(&resume_after(after));
        }
        let mut lister = list.await.map_err(oops)?;
        let (mut read, mut greatest, mut kept, mut jump) = (0, None::<String>, Vec::new(), false);
        while read < batch {
            let Some(entry) = lister.try_next().await.map_err(oops)? else {
                break;
            };
            if jumps_over(&entry, delimiter, after.as_deref()) {
                // Everything read so far sorts before it; the rest of the response is read
                // again from past the folder.
                jump = true;
                break;
            }
            read += 1;
            let name = entry.path();
            if greatest.as_deref().is_none_or(|g| name > g) {
                greatest = Some(name.to_owned());
            }
            if let Some(candidate) = candidate(&entry, prefix, delimiter, after.as_deref())? {
                kept.push(candidate);
            }
        }
        kept.sort();
        out.extend(kept);
        if jump {
            after = Some(RESERVED_PREFIX.to_owned());
            continue;
        }
        if read < batch || greatest.is_none() {
            break;
        }
        after = greatest;
    }
    out.truncate(limit);
    Ok(out)
}

/// Whether a recursive listing resuming after `after` should, on reaching `entry`, start again
/// past the reserved folder: `entry` is in it, and the listing has not jumped yet (it resumes
/// before the folder). Recursive listings hold objects only, in key order, so nothing between
/// `entry` and the folder's end is lost.
fn jumps_over(entry: &opendal::Entry, delimiter: bool, after: Option<&str>) -> bool {
    !delimiter && is_reserved(entry.path()) && after.is_none_or(|a| a < RESERVED_PREFIX)
}

/// What a listed entry is in the sequence, if anything.
fn candidate(
    entry: &opendal::Entry,
    prefix: &str,
    delimiter: bool,
    after: Option<&str>,
) -> Result<Option<Candidate>, Error> {
    let name = entry.path();
    // Objects of the reserved folder fail to parse as keys, and the folder itself fails the
    // prefix check: neither is ever listed.
    if !name.starts_with(prefix) || after.is_some_and(|a| name <= a) {
        return Ok(None);
    }
    Ok(match entry.metadata().mode() {
        EntryMode::FILE => match ObjectKey::parse(name) {
            Ok(key) => Some(Candidate::Object(ListedObject::listed(
                key,
                entry.metadata(),
            )?)),
            Err(_) => None,
        },
        EntryMode::DIR if delimiter && name != prefix && check_prefix(name).is_ok() => {
            Some(Candidate::Folder(name.to_owned()))
        }
        _ => None,
    })
}

/// Where to resume after `name`. After a folder (`a/`) the listing goes on past everything
/// in it: a key can only sort after `a/` + U+10FFFF if it leaves the folder.
fn resume_after(name: &str) -> String {
    if name.ends_with('/') {
        format!("{name}{}", char::MAX)
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::resume_after;

    #[test]
    fn resuming_after_a_folder_skips_what_is_inside() {
        assert_eq!(resume_after("a/b.png"), "a/b.png");
        let after = resume_after("a/");
        assert!(after.as_str() > "a/zzz/deep.png");
        assert!(after.as_str() < "a0");
        assert!(after.as_str() < "b");
    }
}
