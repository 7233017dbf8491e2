//! Where the variant cache keeps things inside a bucket's own storage, and the checks on what
//! callers name them by.
//!
//! The variant `name` of the version `etag` of the object `key` is
//! `.picgate/variants/<kh[..2]>/<kh>/<eh>/<name>`, and the facts record of that version is
//! `…/<eh>/facts.json`; `kh` is the hex SHA-256 of the key (64 digits), `eh` the first 32 hex
//! digits of the SHA-256 of the quoted ETag. Every path is at most 18 + 3 + 65 + 33 +
//! [`MAX_VARIANT_NAME_BYTES`] = 219 bytes whatever the key, well inside S3's 1024, and every
//! segment is far below `NAME_MAX`. All of a key's versions share `…/<kh>/`, so one prefix
//! delete removes them.

use sha2::{Digest, Sha256};

use crate::meta::quoted;
use crate::{Error, ObjectKey};

/// Longest variant name, in bytes.
pub const MAX_VARIANT_NAME_BYTES: usize = 100;

/// Where every variant and facts record lives: inside the reserved folder
/// ([`crate::RESERVED_FOLDER`]).
pub(crate) const VARIANTS_PREFIX: &str = ".picgate/variants/";

/// The file name of a version's facts record; not a valid variant name.
pub(crate) const FACTS_NAME: &str = "facts.json";

/// Hex digits of the ETag's hash kept in a path.
const ETAG_HASH_DIGITS: usize = 32;

/// Longest content type a variant may be stored with, in bytes.
const MAX_CONTENT_TYPE_BYTES: usize = 255;

/// Whether `name` is a valid variant name: 1..=[`MAX_VARIANT_NAME_BYTES`] bytes of
/// `[a-z0-9._-]`, not starting with `.`, and not `facts.json` (the name of a version's facts
/// record). E.g. `"w640.webp"`, `"w320-q80.avif"`.
pub fn is_valid_variant_name(name: &str) -> bool {
    (1..=MAX_VARIANT_NAME_BYTES).contains(&name.len())
        && !name.starts_with('.')
        && name != FACTS_NAME
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Why a variant call was refused before any request (the source of its `Error::Internal`:
/// the gateway only ever passes names, ETags and types it made itself).
#[derive(Debug, thiserror::Error)]
pub(crate) enum InvalidVariant {
    #[error(
        "a variant name is 1 to {MAX_VARIANT_NAME_BYTES} bytes of [a-z0-9._-], not starting with '.', and not 'facts.json'"
    )]
    Name,
    #[error("an ETag must not be empty")]
    Etag,
    #[error(
        "a content type is 1 to {MAX_CONTENT_TYPE_BYTES} printable ASCII characters with a '/', no surrounding spaces"
    )]
    ContentType,
}

/// `Error::Internal` unless `name` is a valid variant name ([`is_valid_variant_name`]).
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if is_valid_variant_name(name) {
        Ok(())
    } else {
        Err(Error::internal(
            "invalid variant name",
            InvalidVariant::Name,
        ))
    }
}

/// `Error::Internal` unless `content_type` is 1..=255 bytes of printable ASCII (spaces
/// inside), holding a `/`: it goes into a `Content-Type` header or a header line (fs).
pub(crate) fn check_content_type(content_type: &str) -> Result<(), Error> {
    let valid = (1..=MAX_CONTENT_TYPE_BYTES).contains(&content_type.len())
        && content_type.contains('/')
        && content_type.trim() == content_type
        && content_type
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ');
    if valid {
        Ok(())
    } else {
        Err(Error::internal(
            "invalid variant content type",
            InvalidVariant::ContentType,
        ))
    }
}

/// `etag` quoted as [`crate::ObjectMeta::etag`] is (a bare tag gets quotes), so that callers
/// holding either form address the same entries; `Error::Internal` for an empty one.
pub(crate) fn normalized_etag(etag: &str) -> Result<String, Error> {
    if etag.trim().is_empty() {
        return Err(Error::internal(
            "invalid variant ETag",
            InvalidVariant::Etag,
        ));
    }
    Ok(quoted(etag))
}

/// `kh`: the hex SHA-256 of `key`.
pub(crate) fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// `eh`: the first 32 hex digits of the SHA-256 of a quoted ETag.
pub(crate) fn etag_hash(quoted_etag: &str) -> String {
    let mut hash = hex::encode(Sha256::digest(quoted_etag.as_bytes()));
    hash.truncate(ETAG_HASH_DIGITS);
    hash
}

/// The folder of every cached version of `key`: `.picgate/variants/<kh[..2]>/<kh>/`.
pub(crate) fn key_dir(key: &ObjectKey) -> String {
    let kh = key_hash(key.as_str());
    format!("{VARIANTS_PREFIX}{}/{kh}/", &kh[..2])
}

/// The folder of the version `quoted_etag` of `key`: `…/<kh>/<eh>/`.
pub(crate) fn version_dir(key: &ObjectKey, quoted_etag: &str) -> String {
    format!("{}{}/", key_dir(key), etag_hash(quoted_etag))
}

/// What a stored path of the cache is, by its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachePath<'a> {
    /// `kh`.
    pub(crate) key_hash: &'a str,
    /// `eh`.
    pub(crate) etag_hash: &'a str,
    /// A variant (its name), or `None` for the facts record.
    pub(crate) variant: Option<&'a str>,
}

impl<'a> CachePath<'a> {
    /// The parts of `path` (relative to the bucket's root) if it has the shape of a variant or a
    /// facts record; `None` for anything else (left alone).
    pub(crate) fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix(VARIANTS_PREFIX)?;
        let mut parts = rest.split('/');
        let (fan, kh, eh, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if parts.next().is_some()
            || !hex(kh, 64)
            || !kh.starts_with(fan)
            || fan.len() != 2
            || !hex(eh, ETAG_HASH_DIGITS)
        {
            return None;
        }
        let variant = match name {
            FACTS_NAME => None,
            name if is_valid_variant_name(name) => Some(name),
            _ => return None,
        };
        Some(Self {
            key_hash: kh,
            etag_hash: eh,
            variant,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object_key::RESERVED_PREFIX;

    #[test]
    fn the_cache_is_inside_the_reserved_folder() {
        assert!(VARIANTS_PREFIX.starts_with(RESERVED_PREFIX));
    }

    #[test]
    fn variant_names_are_small_lowercase_and_never_hidden() {
        for ok in [
            "w640.webp",
            "w320-q80.avif",
            "a",
            "0_1.x-y",
            &"n".repeat(100),
        ] {
            assert!(is_valid_variant_name(ok), "{ok:?}");
        }
        for bad in [
            "",
            ".webp",
            ".",
            "..",
            "W640.webp",
            "a/b",
            "a b",
            "é",
            "facts.json",
            &"n".repeat(101),
        ] {
            assert!(!is_valid_variant_name(bad), "{bad:?}");
            assert!(
                matches!(check_name(bad), Err(Error::Internal(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn content_types_must_fit_a_header_line() {
        for ok in ["image/webp", "image/svg+xml", "text/plain; charset=utf-8"] {
            assert!(check_content_type(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "webp",
            " image/png",
            "image/png\n",
            "image/png\r\nx: y",
            "图/片",
        ] {
            assert!(check_content_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn etags_are_quoted_before_they_are_hashed() {
        assert_eq!(normalized_etag("abc").ok(), Some("\"abc\"".to_owned()));
        assert_eq!(normalized_etag("\"abc\"").ok(), Some("\"abc\"".to_owned()));
        assert_eq!(
            normalized_etag("W/\"abc\"").ok(),
            Some("W/\"abc\"".to_owned())
        );
        assert!(normalized_etag("").is_err());
    }

    #[test]
    fn paths_are_short_whatever_the_key_and_parse_back() {
        let mut longest = format!("{}/", "s".repeat(crate::MAX_SEGMENT_BYTES)).repeat(4);
        longest.push_str(&"t".repeat(crate::MAX_KEY_BYTES - longest.len()));
        let long = ObjectKey::parse(longest).expect("a valid key of the greatest length");
        let dir = version_dir(&long, "\"5-1a2b\"");
        let path = format!("{dir}{}", "n".repeat(MAX_VARIANT_NAME_BYTES));
        assert!(path.len() <= 219, "{}", path.len());
        let parsed = CachePath::parse(&path).expect("a variant path");
        assert_eq!(parsed.key_hash, key_hash(long.as_str()));
        assert_eq!(parsed.etag_hash, etag_hash("\"5-1a2b\""));
        assert_eq!(parsed.variant, Some("n".repeat(100).as_str()));
        let facts_path = format!("{dir}{FACTS_NAME}");
        let facts = CachePath::parse(&facts_path).expect("a facts path");
        assert_eq!(facts.variant, None);
        assert!(dir.starts_with(&key_dir(&long)));
        assert_eq!(etag_hash("x").len(), 32);
    }

    #[test]
    fn other_paths_are_not_the_cache() {
        let kh = key_hash("a.png");
        let eh = etag_hash("\"e\"");
        for bad in [
            format!(".picgate/variants/{}/{kh}/{eh}", &kh[..2]),
            format!(".picgate/variants/{}/{kh}/{eh}/.tmp", &kh[..2]),
            format!(".picgate/variants/{}/{kh}/{eh}/a/b", &kh[..2]),
            format!(".picgate/variants/zz/{kh}/{eh}/a.webp"),
            format!(".picgate/variants/{}/{kh}/xyz/a.webp", &kh[..2]),
            format!(".picgate/other/{}/{kh}/{eh}/a.webp", &kh[..2]),
        ] {
            assert_eq!(CachePath::parse(&bad), None, "{bad}");
        }
    }
}
