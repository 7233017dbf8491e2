//! Configuration of the storage layer: the `[storage]` section and each `[buckets.<name>]`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::KeyTemplate;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The `[storage]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Root of the embedded fs buckets (`<data_dir>/<bucket>`), of the system area
    /// (`<data_dir>/.system`) and of in-flight uploads (`<data_dir>/.tmp`).
    pub data_dir: PathBuf,
    /// Where the system area (accounts, policies) lives; unset: `<data_dir>/.system` on disk.
    #[serde(default)]
    pub system: Option<BackendSettings>,
    /// Longest a remote (S3/COS) call may take, retries included, in seconds; past it the call
    /// fails as unavailable.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Longest one step of a streamed remote read or write (one 8 MiB part upload, completing
    /// a multipart upload) may take; unset: `timeout_secs`. Raise it for slow uplinks.
    #[serde(default)]
    pub io_timeout_secs: Option<u64>,
    /// How often a remote call that failed in a retryable way is tried again.
    #[serde(default = "default_retries")]
    pub retries: usize,
    /// Longest a listing may be served from the gateway's cache, in seconds, which is how long
    /// a change made behind picgate's back (straight in the bucket) may stay unseen; changes
    /// through picgate show at once. 0 turns the cache off.
    #[serde(default = "default_list_cache_secs")]
    pub list_cache_secs: u64,
}

fn default_list_cache_secs() -> u64 {
    5
}

fn default_timeout_secs() -> u64 {
    10
}

fn default_retries() -> usize {
    2
}

impl Settings {
    /// Embedded-style settings: everything on disk under `data_dir`.
    pub fn on_disk(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            system: None,
            timeout_secs: default_timeout_secs(),
            io_timeout_secs: None,
            retries: default_retries(),
            list_cache_secs: default_list_cache_secs(),
        }
    }
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSettings {
    /// The policy a bucket starts with; `set_policy` overrides it at run time.
    #[serde(default)]
    pub policy: Policy,
    pub max_object_bytes: u64,
    /// Media-type patterns: `"type/subtype"`, `"type/*"` or `"*/*"`.
    #[serde(default = "any_type")]
    pub allowed_types: Vec<String>,
    /// Who may replace or delete an object: its owner (default) or every member.
    #[serde(default)]
    pub write: WriteMode,
    /// How an uploaded file's key is made (see [`KeyTemplate`]); default `{folder}/{name}`.
    #[serde(default)]
    pub key_template: KeyTemplate,
    #[serde(default)]
    pub backend: BackendSettings,
}

/// Who may replace or delete the objects of a bucket (administrators always may). Enforced by
/// the gateway's service layer; storage only records each object's owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// Only the user who uploaded an object.
    #[default]
    Owner,
    /// Every signed-in member (a team bucket, as the seed had).
    Shared,
}

impl WriteMode {
    /// `"owner"` or `"shared"`, as in config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Shared => "shared",
        }
    }
}

fn any_type() -> Vec<String> {
    vec!["*/*".to_owned()]
}

/// Where a bucket's objects live. One variant per backend; `backend.rs` turns each into an
/// OpenDAL `Operator` in a single `match`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendSettings {
    /// Local disk. `root` defaults to `<data_dir>/<bucket name>`; a relative `root` is taken
    /// relative to `data_dir`. Roots must not overlap each other or `data_dir/.system|.tmp`.
    Fs {
        #[serde(default)]
        root: Option<PathBuf>,
    },
    /// Any S3-compatible store: AWS S3, MinIO, Ceph RGW, …
    S3(Remote),
    /// Tencent Cloud COS.
    Cos(Remote),
}

/// A remote object store: which bucket, under which prefix, with which credentials.
/// Credentials are secrets: set them from the environment
/// (`PICGATE__BUCKETS__<NAME>__BACKEND__SECRET_ACCESS_KEY`) or with `<key>_file`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remote {
    /// `https://s3.amazonaws.com`, `http://minio:9000`, `https://cos.ap-guangzhou.myqcloud.com`;
    /// unset on S3: AWS for `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// S3 region (`us-east-1` if unset); ignored by COS, whose endpoint names the region.
    #[serde(default)]
    pub region: Option<String>,
    /// The remote bucket (on COS `<name>-<appid>`).
    pub bucket: String,
    /// Key prefix inside the remote bucket, so several picgate buckets can share one.
    #[serde(default)]
    pub root: Option<String>,
    /// S3 access key id / COS SecretId.
    #[serde(default)]
    pub access_key_id: Option<SecretString>,
    /// S3 secret access key / COS SecretKey.
    #[serde(default)]
    pub secret_access_key: Option<SecretString>,
    /// Address buckets as `<bucket>.<endpoint host>` instead of `<endpoint>/<bucket>` (S3).
    #[serde(default)]
    pub virtual_host_style: bool,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("root", &self.root)
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|_| "[REDACTED]"),
            )
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("virtual_host_style", &self.virtual_host_style)
            .finish()
    }
}

impl BackendSettings {
    pub fn kind(&self) -> &'static str {
        match self {
            BackendSettings::Fs { .. } => "fs",
            BackendSettings::S3(_) => "s3",
            BackendSettings::Cos(_) => "cos",
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
        assert!(matches!(b.backend, BackendSettings::Fs { root: None }));
    }

    #[test]
    fn the_backend_is_a_tagged_enum() {
        let json = r#"{"policy": "public-read", "max_object_bytes": 1, "allowed_types": ["image/*"],
                       "backend": {"type": "fs", "root": "/srv/images"}}"#;
        let b: BucketSettings = serde_json::from_str(json).expect("valid bucket settings");
        assert_eq!(b.policy, Policy::PublicRead);
        assert!(
            matches!(&b.backend, BackendSettings::Fs { root: Some(r) } if r.as_os_str() == "/srv/images")
        );
        let unknown = r#"{"max_object_bytes": 1, "backend": {"type": "ftp"}}"#;
        assert!(serde_json::from_str::<BucketSettings>(unknown).is_err());
        let s3 = r#"{"max_object_bytes": 1, "backend": {"type": "s3", "endpoint": "http://127.0.0.1:9000",
                     "bucket": "pics", "root": "team/", "access_key_id": "AK", "secret_access_key": "SK"}}"#;
        let b: BucketSettings = serde_json::from_str(s3).expect("valid s3 settings");
        assert!(
            matches!(&b.backend, BackendSettings::S3(r) if r.bucket == "pics" && r.root.as_deref() == Some("team/"))
        );
        assert!(
            !format!("{:?}", b.backend).contains("SK"),
            "secrets are redacted"
        );
        let cos = r#"{"max_object_bytes": 1, "backend": {"type": "cos", "bucket": "pics-1250000000",
                      "endpoint": "https://cos.ap-guangzhou.myqcloud.com"}}"#;
        let b: BucketSettings = serde_json::from_str(cos).expect("valid cos settings");
        assert_eq!(b.backend.kind(), "cos");
        let s3_typo =
            r#"{"max_object_bytes": 1, "backend": {"type": "s3", "bucket": "b", "secret": "x"}}"#;
        assert!(serde_json::from_str::<BucketSettings>(s3_typo).is_err());
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
