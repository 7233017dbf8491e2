//! Listing on backends that list in key order and honour `start_after` and `limit` (S3, COS):
//! one request of about a page, whatever the size of the bucket.

use futures::TryStreamExt;
use opendal::{EntryMode, Operator};

use crate::error::from_opendal;
use crate::object_key::check_prefix;
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
/// valid keys, folder marker objects) still advance the next round's `start_after`.
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
        // without the extra empty request a round after a full response would cost.
        let mut list = op.lister_with(prefix).recursive(!delimiter);
        if let Some(after) = &after {
            list = list.start_after(&resume_after(after));
        }
        let mut lister = list.await.map_err(oops)?;
        let mut all = Vec::new();
        while let Some(entry) = lister.try_next().await.map_err(oops)? {
            if let Some(candidate) = candidate(&entry, prefix, delimiter, after.as_deref())? {
                all.push(candidate);
            }
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
        let (mut read, mut greatest, mut kept) = (0, None::<String>, Vec::new());
        while read < batch {
            let Some(entry) = lister.try_next().await.map_err(oops)? else {
                break;
            };
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
        if read < batch || greatest.is_none() {
            break;
        }
        after = greatest;
    }
    out.truncate(limit);
    Ok(out)
}

/// What a listed entry is in the sequence, if anything.
fn candidate(
    entry: &opendal::Entry,
    prefix: &str,
    delimiter: bool,
    after: Option<&str>,
) -> Result<Option<Candidate>, Error> {
    let name = entry.path();
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
