//! The entries of a listing before they are stat'ed ([`Candidate`]), in byte-wise name order,
//! and the [`Window`] that keeps the smallest of them after a cursor. Shared by the listing
//! operations (`listing.rs`) and the two ways of reading a backend (`tree.rs`, `ordered.rs`).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::ListedObject;

/// An entry of the sequence before it is stat'ed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// With what the list response told about it.
    Object(ListedObject),
    Folder(String),
}

impl Candidate {
    pub(crate) fn name(&self) -> &str {
        match self {
            Candidate::Object(listed) => listed.key.as_str(),
            Candidate::Folder(folder) => folder,
        }
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        let kind = |c: &Candidate| matches!(c, Candidate::Folder(_));
        (self.name().as_bytes(), kind(self)).cmp(&(other.name().as_bytes(), kind(other)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the `limit` smallest candidates whose names sort after `after`.
pub(crate) struct Window {
    after: Option<String>,
    limit: usize,
    kept: BTreeSet<Candidate>,
}

impl Window {
    pub(crate) fn new(after: Option<String>, limit: usize) -> Self {
        Self {
            after,
            limit,
            kept: BTreeSet::new(),
        }
    }

    pub(crate) fn offer(&mut self, candidate: Candidate) {
        if self.limit == 0
            || self
                .after
                .as_deref()
                .is_some_and(|after| candidate.name() <= after)
        {
            return;
        }
        if self.kept.len() == self.limit && self.kept.last().is_some_and(|max| &candidate >= max) {
            return;
        }
        self.kept.insert(candidate);
        if self.kept.len() > self.limit {
            self.kept.pop_last();
        }
    }

    pub(crate) fn into_sorted(self) -> Vec<Candidate> {
        self.kept.into_iter().collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ObjectKey;

    /// An object candidate of one byte.
    pub(crate) fn object(name: &str) -> Candidate {
        Candidate::Object(ListedObject {
            key: ObjectKey::parse(name).expect("valid key"),
            size: 1,
            etag: None,
            last_modified: time::OffsetDateTime::UNIX_EPOCH,
            detail: None,
        })
    }

    #[test]
    fn a_window_keeps_the_smallest_names_after_the_cursor_in_byte_order() {
        let mut w = Window::new(Some("b".into()), 3);
        for name in ["z", "a", "b", "c", "B", "é", "ba", "b/c", "bb"] {
            w.offer(object(name));
        }
        w.offer(Candidate::Folder("b/".into()));
        let names: Vec<_> = w
            .into_sorted()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        assert_eq!(names, vec!["b/", "b/c", "ba"]);
    }

    #[test]
    fn a_window_of_zero_keeps_nothing() {
        let mut w = Window::new(None, 0);
        w.offer(object("a"));
        assert!(w.into_sorted().is_empty());
    }

    #[test]
    fn folders_sort_among_objects_by_their_slash() {
        let mut w = Window::new(None, 10);
        for c in [
            object("a/b0"),
            Candidate::Folder("a/b/".into()),
            object("a/b.png"),
        ] {
            w.offer(c);
        }
        let names: Vec<_> = w
            .into_sorted()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        assert_eq!(names, vec!["a/b.png", "a/b/", "a/b0"]);
    }
}
