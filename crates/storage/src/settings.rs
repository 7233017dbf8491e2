//! Configuration of the storage layer: the `[storage]` section and each `[buckets.<name>]`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The `[storage]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Root of the embedded fs buckets (`<data_dir>/<bucket>`), of the system area
    /// (`<data_dir>/.system`) and of in-flight uploads (`<data_dir>/.tmp`).
    pub data_dir: PathBuf,
}

/// Who may read a bucket's objects without credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    #[default]
    Private,
    PublicRead,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Private => "private",
            Policy::PublicRead => "public-read",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy '{0}': expected 'private' or 'public-read'")]
pub struct UnknownPolicy(pub String);

impl FromStr for Policy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "private" => Ok(Policy::Private),
            "public-read" => Ok(Policy::PublicRead),
            other => Err(UnknownPolicy(other.to_owned())),
        }
    }
}

/// One `[buckets.<name>]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSettings {
    /// The policy a bucket starts with; `set_policy` overrides it at run time.
    #[serde(default)]
    pub policy: Policy,
    pub max_object_bytes: u64,
    /// Media-type patterns: `"type/subtype"`, `"type/*"` or `"*/*"`.
    #[serde(default = "any_type")]
    pub allowed_types: Vec<String>,
    #[serde(default)]
    pub backend: BackendSettings,
}

fn any_type() -> Vec<String> {
    vec!["*/*".to_owned()]
}

/// Where a bucket's objects live. One variant per backend; `backend.rs` turns each into an
/// OpenDAL `Operator` in a single `match`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendSettings {
    /// Local disk. `root` defaults to `<data_dir>/<bucket name>`; a relative `root` is taken
    /// relative to `data_dir`. Roots must not overlap each other or `data_dir/.system|.tmp`.
    Fs {
        #[serde(default)]
        root: Option<PathBuf>,
    },
}

impl BackendSettings {
    pub fn kind(&self) -> &'static str {
        match self {
            BackendSettings::Fs { .. } => "fs",
        }
    }
}

impl Default for BackendSettings {
    fn default() -> Self {
        BackendSettings::Fs { root: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_table_deserializes_with_defaults() {
        let json = r#"{"max_object_bytes": 10, "backend": {"type": "fs"}}"#;
        let b: BucketSettings = serde_json::from_str(json).expect("valid bucket settings");
        assert_eq!(b.policy, Policy::Private);
        assert_eq!(b.allowed_types, vec!["*/*".to_owned()]);
        assert_eq!(b.backend, BackendSettings::Fs { root: None });
    }

    #[test]
    fn the_backend_is_a_tagged_enum() {
        let json = r#"{"policy": "public-read", "max_object_bytes": 1, "allowed_types": ["image/*"],
                       "backend": {"type": "fs", "root": "/srv/images"}}"#;
        let b: BucketSettings = serde_json::from_str(json).expect("valid bucket settings");
        assert_eq!(b.policy, Policy::PublicRead);
        assert_eq!(
            b.backend,
            BackendSettings::Fs {
                root: Some("/srv/images".into())
            }
        );
        let unknown = r#"{"max_object_bytes": 1, "backend": {"type": "ftp"}}"#;
        assert!(serde_json::from_str::<BucketSettings>(unknown).is_err());
        let typo = r#"{"max_object_bytes": 1, "backend": {"type": "fs", "rot": "/x"}}"#;
        assert!(serde_json::from_str::<BucketSettings>(typo).is_err());
    }

    #[test]
    fn policy_parses_and_prints_its_config_spelling() {
        for p in [Policy::Private, Policy::PublicRead] {
            assert_eq!(p.to_string().parse::<Policy>(), Ok(p));
            let json = serde_json::to_string(&p).expect("serializable");
            assert_eq!(json, format!("\"{p}\""));
        }
        assert!("public".parse::<Policy>().is_err());
    }
}
