//! `ObjectKey`: the name of an object inside a bucket, checked so that it can never resolve
//! outside the bucket's root on any backend, nor inside the folder picgate keeps for itself
//! there ([`RESERVED_FOLDER`]).

use std::fmt;

/// Longest key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// Longest `/`-separated segment, in bytes. A segment is a file or directory name on the fs
/// backend: this fits `NAME_MAX` (255) together with the 9-byte suffix OpenDAL's fs backend
/// appends to the name of its temporary file.
pub const MAX_SEGMENT_BYTES: usize = 240;

/// The top-level folder of every bucket that picgate keeps for itself (the variant cache,
/// `.picgate/variants/…`; see `variants.rs`). No object key and no listing prefix may have it
/// as its first segment, and listings never show what is inside.
pub const RESERVED_FOLDER: &str = ".picgate";

/// [`RESERVED_FOLDER`] as a path prefix: `".picgate/"`.
pub(crate) const RESERVED_PREFIX: &str = ".picgate/";

/// Whether `path` (a stored name, `"a/b.png"` or `"a/b/"`) lies in [`RESERVED_FOLDER`] or is
/// that folder.
pub(crate) fn is_reserved(path: &str) -> bool {
    path.split('/').next() == Some(RESERVED_FOLDER)
}

/// Why a string is not an object key (or a key prefix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectKeyError {
    #[error("an object key must not be empty")]
    Empty,
    #[error("an object key is at most {max} bytes, this one has {0}", max = MAX_KEY_BYTES)]
    TooLong(usize),
    #[error("a segment of an object key is at most {max} bytes, one has {0}", max = MAX_SEGMENT_BYTES)]
    SegmentTooLong(usize),
    #[error("an object key must not start with '/'")]
    LeadingSlash,
    #[error("an object key must not end with '/'")]
    TrailingSlash,
    #[error("an object key must not contain an empty segment ('//')")]
    EmptySegment,
    #[error("an object key must not contain a '.' or '..' segment")]
    DotSegment,
    #[error("an object key must not contain a backslash")]
    Backslash,
    #[error("an object key must not contain control characters")]
    ControlChar,
    #[error("an object key must not start or end with whitespace")]
    SurroundingWhitespace,
    #[error("an object key must not start with the reserved folder '.picgate/'")]
    Reserved,
}

/// A valid object key: 1..=[`MAX_KEY_BYTES`] bytes of UTF-8, `/`-separated segments that are
/// neither empty nor `.`/`..` and at most [`MAX_SEGMENT_BYTES`] long, no leading or trailing
/// `/`, no backslash, no control characters, no leading or trailing whitespace (OpenDAL trims
/// paths, so `" a.png"` would silently become `"a.png"`), and a first segment other than
/// [`RESERVED_FOLDER`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn parse(key: impl Into<String>) -> Result<Self, ObjectKeyError> {
        let key = key.into();
        if key.is_empty() {
            return Err(ObjectKeyError::Empty);
        }
        if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
            return Err(ObjectKeyError::SurroundingWhitespace);
        }
        if key.ends_with('/') {
            return Err(ObjectKeyError::TrailingSlash);
        }
        check_prefix(&key)?;
        check_segment(key.rsplit('/').next().unwrap_or_default())?;
        if is_reserved(&key) {
            return Err(ObjectKeyError::Reserved);
        }
        Ok(Self(key))
    }

    /// The key of `name` inside `folder` (`""` is the bucket's top level; a trailing `/` on
    /// `folder` is optional).
    pub fn join(folder: &str, name: &str) -> Result<Self, ObjectKeyError> {
        let folder = folder.strip_suffix('/').unwrap_or(folder);
        if folder.is_empty() {
            Self::parse(name)
        } else {
            Self::parse(format!("{folder}/{name}"))
        }
    }

    /// The last segment: the file name.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a listing prefix (or a folder, `"a/b/"`): every complete segment follows the key rules
/// (the first is not [`RESERVED_FOLDER`]); the last, partial one (after the final `/`) may be
/// anything a key segment may start with (`".picgate"` included: the listing leaves the
/// reserved folder out).
pub(crate) fn check_prefix(prefix: &str) -> Result<(), ObjectKeyError> {
    if prefix.len() > MAX_KEY_BYTES {
        return Err(ObjectKeyError::TooLong(prefix.len()));
    }
    if prefix.starts_with('/') {
        return Err(ObjectKeyError::LeadingSlash);
    }
    if prefix.contains('\\') {
        return Err(ObjectKeyError::Backslash);
    }
    if prefix.chars().any(char::is_control) {
        return Err(ObjectKeyError::ControlChar);
    }
    let mut segments: Vec<&str> = prefix.split('/').collect();
    let partial = segments.pop().unwrap_or_default();
    if partial.len() > MAX_SEGMENT_BYTES {
        return Err(ObjectKeyError::SegmentTooLong(partial.len()));
    }
    segments.iter().copied().try_for_each(check_segment)?;
    if segments.first() == Some(&RESERVED_FOLDER) {
        return Err(ObjectKeyError::Reserved);
    }
    Ok(())
}

fn check_segment(segment: &str) -> Result<(), ObjectKeyError> {
    match segment {
        "" => Err(ObjectKeyError::EmptySegment),
        "." | ".." => Err(ObjectKeyError::DotSegment),
        s if s.len() > MAX_SEGMENT_BYTES => Err(ObjectKeyError::SegmentTooLong(s.len())),
        _ => Ok(()),
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = ObjectKeyError;

    fn try_from(key: String) -> Result<Self, Self::Error> {
        Self::parse(key)
    }
}

impl From<ObjectKey> for String {
    fn from(key: ObjectKey) -> Self {
        key.0
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_and_nested_keys_are_accepted() {
        for key in [
            "a.png",
            "2024/05/cat.jpg",
            "图片/猫 咪.png",
            ".hidden",
            "a/..b/c..",
            "x y",
        ] {
            assert_eq!(ObjectKey::parse(key).map(String::from), Ok(key.to_owned()));
        }
    }

    #[test]
    fn traversal_and_malformed_keys_are_rejected() {
        let cases = [
            ("", ObjectKeyError::Empty),
            ("/etc/passwd", ObjectKeyError::LeadingSlash),
            ("a/", ObjectKeyError::TrailingSlash),
            ("a//b", ObjectKeyError::EmptySegment),
            ("..", ObjectKeyError::DotSegment),
            ("../x", ObjectKeyError::DotSegment),
            ("a/../../x", ObjectKeyError::DotSegment),
            ("a/./x", ObjectKeyError::DotSegment),
            ("a/..", ObjectKeyError::DotSegment),
            ("a\\..\\x", ObjectKeyError::Backslash),
            ("a\0b", ObjectKeyError::ControlChar),
            ("a\nb", ObjectKeyError::ControlChar),
            ("a\u{7f}", ObjectKeyError::ControlChar),
            (" a.png", ObjectKeyError::SurroundingWhitespace),
            ("a.png\u{3000}", ObjectKeyError::SurroundingWhitespace),
        ];
        for (key, expected) in cases {
            assert_eq!(ObjectKey::parse(key), Err(expected), "{key:?}");
        }
    }

    #[test]
    fn the_reserved_folder_is_no_key_and_no_prefix() {
        for key in [".picgate", ".picgate/x", ".picgate/variants/ab/cd/e.webp"] {
            assert_eq!(
                ObjectKey::parse(key),
                Err(ObjectKeyError::Reserved),
                "{key:?}"
            );
        }
        assert_eq!(
            ObjectKey::join(".picgate/", "x.png"),
            Err(ObjectKeyError::Reserved)
        );
        assert_eq!(
            ObjectKeyError::Reserved.to_string(),
            "an object key must not start with the reserved folder '.picgate/'"
        );
        // Only the exact first segment is reserved.
        for key in [
            ".picgate2/x",
            ".picgatex",
            "a/.picgate/x",
            "a/.picgate",
            ".Picgate/x",
            "picgate/x",
        ] {
            assert!(ObjectKey::parse(key).is_ok(), "{key:?}");
        }
        assert_eq!(check_prefix(".picgate/"), Err(ObjectKeyError::Reserved));
        assert_eq!(
            check_prefix(".picgate/variants/"),
            Err(ObjectKeyError::Reserved)
        );
        for ok in [".picgate", ".pic", "a/.picgate/"] {
            assert_eq!(check_prefix(ok), Ok(()), "{ok:?}");
        }
        assert!(is_reserved(".picgate/") && is_reserved(".picgate"));
        assert!(!is_reserved(".picgate2/") && !is_reserved("a/.picgate/"));
    }

    #[test]
    fn length_limits_are_the_constants() {
        let segment = "s".repeat(MAX_SEGMENT_BYTES);
        assert!(ObjectKey::parse(segment.clone()).is_ok());
        assert_eq!(
            ObjectKey::parse(format!("{segment}s")),
            Err(ObjectKeyError::SegmentTooLong(MAX_SEGMENT_BYTES + 1))
        );
        let mut longest = format!("{segment}/").repeat(4);
        longest.push_str(&"t".repeat(MAX_KEY_BYTES - longest.len()));
        assert!(ObjectKey::parse(longest.clone()).is_ok());
        longest.push('t');
        assert_eq!(
            ObjectKey::parse(longest),
            Err(ObjectKeyError::TooLong(MAX_KEY_BYTES + 1))
        );
        assert!(ObjectKeyError::TooLong(2000).to_string().contains("1024"));
    }

    #[test]
    fn join_puts_a_name_in_a_folder() {
        let key = ObjectKey::join("2024/05/", "cat.png").map(String::from);
        assert_eq!(key, Ok("2024/05/cat.png".to_owned()));
        assert_eq!(
            ObjectKey::join("", "cat.png").map(String::from),
            Ok("cat.png".into())
        );
        assert_eq!(
            ObjectKey::join("a", "..").err(),
            Some(ObjectKeyError::DotSegment)
        );
        assert_eq!(
            ObjectKey::join("../a", "x").err(),
            Some(ObjectKeyError::DotSegment)
        );
    }

    #[test]
    fn file_name_is_the_last_segment() {
        let key = ObjectKey::parse("a/b/c.png").expect("valid");
        assert_eq!(key.file_name(), "c.png");
    }

    #[test]
    fn prefixes_allow_a_partial_last_segment_only() {
        for ok in ["", "a", "a/", "a/b", "a/.", "a/..", "."] {
            assert_eq!(check_prefix(ok), Ok(()), "{ok:?}");
        }
        for bad in ["/a", "a//", "../", "a/../b", "a\\", "a\u{1}"] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }

    fn segment() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_\\-. 一-龥é]{1,20}".prop_filter("no dot segments or edge spaces", |s| {
            s != "." && s != ".." && s.trim() == s
        })
    }

    proptest! {
        #[test]
        fn valid_keys_roundtrip(segments in prop::collection::vec(segment(), 1..8)) {
            let key = segments.join("/");
            let parsed = ObjectKey::parse(key.clone()).map(String::from);
            prop_assert_eq!(parsed, Ok(key));
        }

        #[test]
        fn a_dot_dot_segment_anywhere_is_rejected(
            before in prop::collection::vec(segment(), 0..4),
            after in prop::collection::vec(segment(), 0..4),
        ) {
            let key = before.into_iter().chain(["..".to_owned()]).chain(after).collect::<Vec<_>>();
            prop_assert_eq!(ObjectKey::parse(key.join("/")), Err(ObjectKeyError::DotSegment));
        }

        #[test]
        fn backslashes_and_control_chars_are_rejected(
            a in segment(), b in segment(), bad in prop::sample::select(vec!['\\', '\0', '\n', '\r', '\t', '\u{1b}', '\u{85}']),
        ) {
            let key = format!("{a}{bad}{b}");
            prop_assert!(ObjectKey::parse(key).is_err());
        }

        #[test]
        fn keys_over_the_limit_are_rejected(extra in 1usize..500) {
            let head = vec!["k".repeat(200); 5].join("/");
            let key = format!("{head}/{}", "k".repeat(MAX_KEY_BYTES - head.len() - 1 + extra));
            prop_assert_eq!(ObjectKey::parse(key), Err(ObjectKeyError::TooLong(MAX_KEY_BYTES + extra)));
        }

        #[test]
        fn anything_accepted_stays_inside_the_root(s in "\\PC{0,40}") {
            if let Ok(key) = ObjectKey::parse(s) {
                let path = std::path::Path::new(key.as_str());
                prop_assert!(path.components().all(|c| matches!(c, std::path::Component::Normal(_))));
            }
        }
    }
}
