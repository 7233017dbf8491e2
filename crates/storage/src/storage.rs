//! `Storage`: the bucket registry and the facade the gateway calls. The object operations live
//! in `objects.rs`, `upload.rs`, `listing.rs` and `policy.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use opendal::Operator;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::backend::{
    Backend, Layout, Placement, bucket_backend, check_disjoint, presign, system_backend,
};
use crate::error::from_opendal;
use crate::key_lock::KeyLocks;
use crate::metrics::{SYSTEM_LABEL, StorageMetrics};
use crate::owner::Owners;
use crate::policy::PolicyCache;
use crate::signing::{SignedUrl, Signer};
use crate::sniff::is_valid_pattern;
use crate::{
    BackendSettings, BucketName, BucketSettings, Error, KeyTemplate, ObjectKey, Policy, Settings,
    WriteMode,
};

/// The longest a readiness check of one backend may take ([`Storage::check`]).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `op.check()`, failing as temporarily unavailable after [`CHECK_TIMEOUT`].
async fn bounded_check(op: &Operator) -> Result<(), opendal::Error> {
    match tokio::time::timeout(CHECK_TIMEOUT, op.check()).await {
        Ok(result) => result,
        Err(_) => Err(opendal::Error::new(
            opendal::ErrorKind::Unexpected,
            format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        )
        .set_temporary()),
    }
}

/// A bucket as the gateway shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: BucketName,
    /// The last policy this instance knows (see [`Storage::policy`] for the current one).
    pub policy: Policy,
    pub max_object_bytes: u64,
    pub allowed_types: Vec<String>,
    /// Who may replace or delete its objects.
    pub write: WriteMode,
    /// How uploaded files are named.
    pub key_template: KeyTemplate,
    /// `"fs"`, `"s3"` or `"cos"`.
    pub backend: &'static str,
}

/// A time-limited read link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedLink {
    /// A URL the backend signed itself; it points at the backend, not the gateway.
    Native { url: String, expires: i64 },
    /// Query parameters for the gateway's `/f/<bucket>/<key>` link.
    Gateway(SignedUrl),
}

impl SignedLink {
    pub fn expires(&self) -> i64 {
        match self {
            SignedLink::Native { expires, .. } => *expires,
            SignedLink::Gateway(s) => s.expires,
        }
    }
}

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    buckets: BTreeMap<BucketName, Bucket>,
    system: Operator,
    /// The upload area, where bodies are staged (see `staging.rs`).
    staging: PathBuf,
    signer: Signer,
    policies: PolicyCache,
    metrics: StorageMetrics,
}

/// One configured bucket and its backend.
pub(crate) struct Bucket {
    pub(crate) settings: BucketSettings,
    pub(crate) backend: Backend,
    pub(crate) owners: Owners,
    /// Held while a write commits or a delete runs (see `key_lock.rs`).
    pub(crate) locks: KeyLocks,
    /// `picgate_storage_operation_duration_seconds` of the fs read path (`disk.rs`), looked up
    /// once rather than per read.
    pub(crate) disk_reads: prometheus::Histogram,
}

impl Storage {
    /// Validates the bucket table and builds one operator per bucket plus the system area's.
    /// fs buckets write through `<data_dir>/.tmp`, so a write is all-or-nothing.
    pub fn new(
        settings: &Settings,
        buckets: &BTreeMap<String, BucketSettings>,
        signing_key: SecretString,
    ) -> Result<Self, Error> {
        let layout = Layout::new(&settings.data_dir)?;
        let system_place = match &settings.system {
            Some(system) => Placement::of(&layout, layout.system_dir(), system),
            None => Placement::Disk(layout.system_dir()),
        };
        let mut placements = vec![
            ("the system area".to_owned(), system_place),
            (
                "the upload area".to_owned(),
                Placement::Disk(layout.tmp_dir()),
            ),
        ];
        let mut registry = BTreeMap::new();
        for (name, bucket) in buckets {
            let name = BucketName::parse(name.as_str())
                .map_err(|e| Error::Config(format!("buckets.{name}: {e}")))?;
            check_bucket_settings(&name, bucket)?;
            let default_root = layout.resolve(Path::new(name.as_str()));
            placements.push((
                format!("buckets.{name}"),
                Placement::of(&layout, default_root, &bucket.backend),
            ));
            registry.insert(name, bucket);
        }
        check_disjoint(&placements)?;
        let metrics =
            StorageMetrics::new().map_err(|e| Error::Config(format!("storage metrics: {e}")))?;
        let system_kind = settings.system.as_ref().map_or("fs", BackendSettings::kind);
        let system = system_backend(settings, &layout)?
            .op
            .layer(metrics.layer(SYSTEM_LABEL, system_kind));
        let staging = layout.tmp_dir();
        crate::staging::remove_stale(&staging);
        let buckets = registry
            .into_iter()
            .map(|(name, bucket)| {
                let mut backend = bucket_backend(settings, &layout, &name, &bucket.backend)?;
                backend.op = backend
                    .op
                    .layer(metrics.layer(name.as_str(), bucket.backend.kind()));
                let owners = Owners::new(backend.user_metadata, &name, &system);
                let disk_reads = metrics.duration(name.as_str(), bucket.backend.kind(), "read");
                let settings = bucket.clone();
                Ok((
                    name,
                    Bucket {
                        settings,
                        backend,
                        owners,
                        locks: KeyLocks::default(),
                        disk_reads,
                    },
                ))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                buckets,
                system,
                staging,
                signer: Signer::new(&signing_key)?,
                policies: PolicyCache::default(),
                metrics,
            }),
        })
    }

    /// The system area (`<data_dir>/.system`), for documents such as accounts. Its fs operator
    /// has no `atomic_write_dir`, so `if_not_exists` is an atomic create.
    pub fn system_operator(&self) -> Operator {
        self.inner.system.clone()
    }

    /// The storage operation metrics (see `metrics.rs`), for the gateway's registry.
    pub fn metrics(&self) -> &StorageMetrics {
        &self.inner.metrics
    }

    /// Where upload bodies are staged: `<data_dir>/.tmp`.
    pub(crate) fn staging_dir(&self) -> &Path {
        &self.inner.staging
    }

    /// All buckets, sorted by name.
    pub fn buckets(&self) -> Vec<BucketInfo> {
        self.inner
            .buckets
            .iter()
            .map(|(name, b)| self.info(name, b))
            .collect()
    }

    pub fn bucket(&self, name: &BucketName) -> Result<BucketInfo, Error> {
        Ok(self.info(name, self.bucket_entry(name)?))
    }

    /// A signed link's parameters for `key`, valid for `expires_in` (1 s ..= [`MAX_SIGN_SECS`]).
    ///
    /// [`MAX_SIGN_SECS`]: crate::MAX_SIGN_SECS
    pub fn sign(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<SignedUrl, Error> {
        self.sign_variant(bucket, key, "", expires_in)
    }

    /// A time-limited read link for an existing `key` (`NotFound` otherwise): the backend's own
    /// presigned URL where it signs (S3, COS; active content as an attachment), else the
    /// gateway's signature ([`Storage::sign`]). `expires_in` is 1 s ..= [`MAX_SIGN_SECS`].
    ///
    /// [`MAX_SIGN_SECS`]: crate::MAX_SIGN_SECS
    pub async fn signed_link(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<SignedLink, Error> {
        let b = self.bucket_entry(bucket)?;
        let meta = self.stat(bucket, key).await?;
        if !b.backend.native_presign {
            return self.sign(bucket, key, expires_in).map(SignedLink::Gateway);
        }
        let secs = expires_in.as_secs();
        if !(1..=crate::MAX_SIGN_SECS).contains(&secs) {
            return Err(Error::InvalidExpiry {
                max_secs: crate::MAX_SIGN_SECS,
            });
        }
        let expires = OffsetDateTime::now_utc()
            .unix_timestamp()
            .saturating_add_unsigned(secs);
        let url = presign(
            &b.backend.op,
            key.as_str(),
            Duration::from_secs(secs),
            !crate::renders_inline(&meta.content_type),
        )
        .await
        .map_err(|e| from_opendal(e, bucket.as_str(), key.as_str()))?;
        Ok(SignedLink::Native { url, expires })
    }

    /// `InvalidSignature` unless `signature` was made by [`Storage::sign`] for exactly this
    /// bucket, key and expiry; then `SignatureExpired` once `expires` has passed.
    pub fn verify(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        expires: i64,
        signature: &str,
    ) -> Result<(), Error> {
        self.verify_variant(bucket, key, "", expires, signature)
    }

    /// A signed link's parameters for the variant of `key` that `params` name (the variant
    /// query parameters in their signed form, e.g. `w=320&fmt=webp`; empty: the original, as
    /// [`Storage::sign`]), valid for `expires_in`
    /// (1 s ..= [`MAX_SIGN_SECS`]). Errors: `NoSuchBucket`, `InvalidExpiry`.
    ///
    /// [`MAX_SIGN_SECS`]: crate::MAX_SIGN_SECS
    pub fn sign_variant(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        params: &str,
        expires_in: Duration,
    ) -> Result<SignedUrl, Error> {
        self.bucket_entry(bucket)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.inner.signer.sign_with(
            bucket.as_str(),
            key.as_str(),
            params,
            expires_in.as_secs(),
            now,
        )
    }

    /// `InvalidSignature` unless `signature` was made for exactly this bucket, key, variant
    /// `params` (empty: the original, as [`Storage::verify`]) and expiry; then
    /// `SignatureExpired` once `expires` has passed.
    pub fn verify_variant(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        params: &str,
        expires: i64,
        signature: &str,
    ) -> Result<(), Error> {
        self.bucket_entry(bucket)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.inner.signer.verify_with(
            bucket.as_str(),
            key.as_str(),
            params,
            expires,
            signature,
            now,
        )
    }

    /// A deletion ticket for the version `etag` of `key`: whoever holds it may delete that
    /// version (see [`Storage::open_deletion_ticket`]). URL-safe, no `/`; it does not expire.
    pub fn deletion_ticket(&self, bucket: &BucketName, key: &ObjectKey, etag: &str) -> String {
        self.inner
            .signer
            .ticket(bucket.as_str(), key.as_str(), etag)
    }

    /// The bucket, key and ETag a ticket of [`Storage::deletion_ticket`] names. Errors:
    /// `InvalidSignature` for a ticket this deployment's signing key did not make.
    pub fn open_deletion_ticket(
        &self,
        ticket: &str,
    ) -> Result<(BucketName, ObjectKey, String), Error> {
        let (bucket, key, etag) = self.inner.signer.open_ticket(ticket)?;
        let bucket = BucketName::parse(bucket).map_err(|_| Error::InvalidSignature)?;
        let key = ObjectKey::parse(key).map_err(|_| Error::InvalidSignature)?;
        Ok((bucket, key, etag))
    }

    /// Readiness of each bucket's backend, then of the system area (`"system"`), checked at
    /// once; a backend that does not answer within [`CHECK_TIMEOUT`] counts as unavailable (a
    /// hung server must not hold a readiness probe or a scrape for its retries).
    pub async fn check(&self) -> Vec<(String, Result<(), Error>)> {
        let buckets = self.inner.buckets.iter().map(|(name, b)| async move {
            let result = bounded_check(&b.backend.op).await;
            (
                name.to_string(),
                result.map_err(|e| from_opendal(e, name.as_str(), "")),
            )
        });
        let system = async {
            let result = bounded_check(&self.inner.system).await;
            (
                "system".to_owned(),
                result.map_err(|e| from_opendal(e, "system", "")),
            )
        };
        let (mut results, system) =
            futures::future::join(futures::future::join_all(buckets), system).await;
        results.push(system);
        results
    }

    pub(crate) fn bucket_entry(&self, name: &BucketName) -> Result<&Bucket, Error> {
        self.inner
            .buckets
            .get(name)
            .ok_or_else(|| Error::NoSuchBucket(name.to_string()))
    }

    pub(crate) fn policies(&self) -> &PolicyCache {
        &self.inner.policies
    }

    pub(crate) fn info(&self, name: &BucketName, b: &Bucket) -> BucketInfo {
        BucketInfo {
            name: name.clone(),
            policy: self
                .inner
                .policies
                .last_known(name)
                .unwrap_or(b.settings.policy),
            max_object_bytes: b.settings.max_object_bytes,
            allowed_types: b.settings.allowed_types.clone(),
            write: b.settings.write,
            key_template: b.settings.key_template.clone(),
            backend: b.settings.backend.kind(),
        }
    }
}

fn check_bucket_settings(name: &BucketName, b: &BucketSettings) -> Result<(), Error> {
    if b.max_object_bytes == 0 {
        return Err(Error::Config(format!(
            "buckets.{name}.max_object_bytes: must be at least 1"
        )));
    }
    if b.allowed_types.is_empty() {
        return Err(Error::Config(format!(
            "buckets.{name}.allowed_types: must name at least one pattern (\"*/*\" allows any type)"
        )));
    }
    if let Some(bad) = b.allowed_types.iter().find(|p| !is_valid_pattern(p)) {
        return Err(Error::Config(format!(
            "buckets.{name}.allowed_types: '{bad}' is not 'type/subtype', 'type/*' or '*/*'"
        )));
    }
    Ok(())
}
