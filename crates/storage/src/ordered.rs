//! Listing on backends that list in key order and honour `start_after` and `limit` (S3, COS):
//! one request of about a page, whatever the size of the bucket.

use futures::TryStreamExt;
use opendal::{EntryMode, Operator};

use crate::error::from_opendal;
use crate::listing::Candidate;
use crate::{BucketName, Error, ObjectKey};

/// The `limit` smallest entries after `after` under `prefix` (objects, and with `delimiter`
/// the folders right below it), sorted.
pub(crate) async fn select(
    op: &Operator,
    bucket: &BucketName,
    prefix: &str,
    delimiter: bool,
    after: Option<String>,
    limit: usize,
) -> Result<Vec<Candidate>, Error> {
    let oops = |e| from_opendal(e, bucket.as_str(), prefix);
    let mut list = op.lister_with(prefix).recursive(!delimiter);
    if let Some(after) = &after {
        list = list.start_after(&resume_after(after));
    }
    if limit < usize::MAX {
        list = list.limit(limit);
    }
    let mut lister = list.await.map_err(oops)?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(entry) = lister.try_next().await.map_err(oops)? else {
            break;
        };
        let name = entry.path();
        if !name.starts_with(prefix) || after.as_deref().is_some_and(|a| name <= a) {
            continue;
        }
        let candidate = match entry.metadata().mode() {
            EntryMode::FILE => match ObjectKey::parse(name) {
                Ok(key) => Candidate::Object(key),
                Err(_) => continue,
            },
            EntryMode::DIR if delimiter && name != prefix => Candidate::Folder(name.to_owned()),
            _ => continue,
        };
        out.push(candidate);
    }
    // A page of an ordered listing may give its folders before its objects.
    out.sort();
    Ok(out)
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
