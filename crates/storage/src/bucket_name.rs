//! `BucketName`: a bucket's name, following the S3 naming rules for general purpose buckets.

use std::fmt;

pub const MIN_BUCKET_NAME_BYTES: usize = 3;
pub const MAX_BUCKET_NAME_BYTES: usize = 63;
/// Prefixes S3 reserves.
pub const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes S3 reserves.
pub const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketNameError {
    #[error(
        "a bucket name has {min} to {max} bytes, this one has {0}",
        min = MIN_BUCKET_NAME_BYTES,
        max = MAX_BUCKET_NAME_BYTES
    )]
    Length(usize),
    #[error("a bucket name may only contain lowercase letters, digits, '.' and '-', not {0:?}")]
    InvalidChar(char),
    #[error("a bucket name must start and end with a lowercase letter or a digit")]
    Edge,
    #[error("a bucket name must not contain two adjacent periods")]
    AdjacentPeriods,
    #[error("a bucket name must not look like an IP address")]
    IpAddress,
    #[error("a bucket name must not start with the reserved prefix '{0}'")]
    ReservedPrefix(&'static str),
    #[error("a bucket name must not end with the reserved suffix '{0}'")]
    ReservedSuffix(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct BucketName(String);

impl BucketName {
    pub fn parse(name: impl Into<String>) -> Result<Self, BucketNameError> {
        let name = name.into();
        if !(MIN_BUCKET_NAME_BYTES..=MAX_BUCKET_NAME_BYTES).contains(&name.len()) {
            return Err(BucketNameError::Length(name.len()));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '-'))
        {
            return Err(BucketNameError::InvalidChar(c));
        }
        let alphanumeric = |c: char| c.is_ascii_alphanumeric();
        if !name.starts_with(alphanumeric) || !name.ends_with(alphanumeric) {
            return Err(BucketNameError::Edge);
        }
        if name.contains("..") {
            return Err(BucketNameError::AdjacentPeriods);
        }
        if looks_like_ipv4(&name) {
            return Err(BucketNameError::IpAddress);
        }
        if let Some(p) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(*p)) {
            return Err(BucketNameError::ReservedPrefix(p));
        }
        if let Some(s) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
            return Err(BucketNameError::ReservedSuffix(s));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn looks_like_ipv4(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl TryFrom<String> for BucketName {
    type Error = BucketNameError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(name)
    }
}

impl From<BucketName> for String {
    fn from(name: BucketName) -> Self {
        name.0
    }
}

impl AsRef<str> for BucketName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn s3_style_names_are_accepted() {
        for name in [
            "images",
            "files",
            "abc",
            "my-bucket.2024",
            "a1b",
            &"a".repeat(63),
        ] {
            assert_eq!(
                BucketName::parse(name).map(String::from),
                Ok(name.to_owned())
            );
        }
    }

    #[test]
    fn names_breaking_s3_rules_are_rejected() {
        let cases = [
            ("ab", BucketNameError::Length(2)),
            ("Images", BucketNameError::InvalidChar('I')),
            ("my_bucket", BucketNameError::InvalidChar('_')),
            ("a/b", BucketNameError::InvalidChar('/')),
            ("-abc", BucketNameError::Edge),
            ("abc.", BucketNameError::Edge),
            (".tmp", BucketNameError::Edge),
            ("a..b", BucketNameError::AdjacentPeriods),
            ("192.168.5.4", BucketNameError::IpAddress),
            ("xn--abc", BucketNameError::ReservedPrefix("xn--")),
            ("sthree-abc", BucketNameError::ReservedPrefix("sthree-")),
            ("abc-s3alias", BucketNameError::ReservedSuffix("-s3alias")),
            ("abc--ol-s3", BucketNameError::ReservedSuffix("--ol-s3")),
        ];
        for (name, expected) in cases {
            assert_eq!(BucketName::parse(name), Err(expected), "{name:?}");
        }
        assert!(matches!(
            BucketName::parse("a".repeat(64)),
            Err(BucketNameError::Length(64))
        ));
        assert!(BucketNameError::Length(64).to_string().contains("63"));
    }

    proptest! {
        #[test]
        fn valid_names_roundtrip(name in "[a-z0-9][a-z0-9-]{1,61}[a-z0-9]") {
            prop_assume!(!RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)));
            prop_assume!(!RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s)));
            prop_assert_eq!(BucketName::parse(name.clone()).map(String::from), Ok(name));
        }

        #[test]
        fn accepted_names_are_safe_directory_names(name in "\\PC{0,70}") {
            if let Ok(b) = BucketName::parse(name) {
                let s = b.as_str();
                prop_assert!((3..=63).contains(&s.len()));
                prop_assert!(!s.starts_with('.') && !s.contains('/') && !s.contains(".."));
            }
        }
    }
}
