//! Bucket rules: stored as `notify/buckets/<bucket>.json` (a [`BucketRules`] document) in the
//! system area, compiled into memory for matching without I/O.
//!
//! `set` applies at once on this instance; [`RulesStore::refresh`] re-reads every bucket's
//! document (every `rules_refresh_secs`) and recompiles those whose bytes changed. A stored
//! document that no longer validates as a whole (a target was removed from the configuration,
//! access events were switched off) is applied rule by rule: the rules that still validate
//! work, the others are dropped with a warning (logged once per change of the document). A
//! document that does not parse keeps the rules compiled before, with a warning. A failed read
//! keeps them too.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use opendal::{ErrorKind, Operator};

use crate::queue::{corrupt, storage_unavailable};
use crate::rules::CompiledRules;
use crate::{Arn, BucketRules, Error, RulesError, Settings};

/// What a rule's ARN may name: the configured targets (id → type) in this region.
struct Resolver {
    targets: BTreeMap<String, &'static str>,
    region: String,
}

impl Resolver {
    fn resolve(&self, arn: &Arn) -> Option<String> {
        let kind = self.targets.get(&arn.id)?;
        (arn.kind == *kind && (arn.region.is_empty() || arn.region == self.region))
            .then(|| arn.id.clone())
    }
}

/// A bucket's compiled rules and the stored bytes they were compiled from.
type Installed = (Arc<CompiledRules>, Option<Vec<u8>>);

pub(crate) struct RulesStore {
    op: Operator,
    resolver: Resolver,
    access_events: bool,
    /// The configured buckets, refreshed even before they have rules.
    buckets: Vec<String>,
    /// bucket → its compiled rules and the stored bytes they were compiled from.
    compiled: RwLock<HashMap<String, Installed>>,
    /// Serialises writes and refreshes, so a refresh never applies what it read before a write.
    writes: tokio::sync::Mutex<()>,
}

impl RulesStore {
    pub(crate) fn new(op: Operator, settings: &Settings, buckets: Vec<String>) -> Self {
        Self {
            op,
            resolver: Resolver {
                targets: settings
                    .targets
                    .iter()
                    .map(|(id, t)| (id.clone(), t.kind.as_str()))
                    .collect(),
                region: settings.region.clone(),
            },
            access_events: settings.access_events,
            buckets,
            compiled: RwLock::new(HashMap::new()),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    /// The compiled rules of `bucket` (none: no rules).
    pub(crate) fn compiled(&self, bucket: &str) -> Option<Arc<CompiledRules>> {
        self.compiled
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(bucket)
            .map(|(rules, _)| rules.clone())
    }

    fn install(&self, bucket: &str, rules: CompiledRules, bytes: Option<Vec<u8>>) {
        self.compiled
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(bucket.to_owned(), (Arc::new(rules), bytes));
    }

    fn installed_bytes_equal(&self, bucket: &str, bytes: Option<&[u8]>) -> bool {
        self.compiled
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(bucket)
            .is_some_and(|(_, b)| b.as_deref() == bytes)
    }

    /// The stored document's bytes; `None` when there is none.
    async fn read(&self, bucket: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.op.read(&path(bucket)?).await {
            Ok(buffer) => Ok(Some(buffer.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage_unavailable(e)),
        }
    }

    /// The stored configuration (empty when none).
    pub(crate) async fn get(&self, bucket: &str) -> Result<BucketRules, Error> {
        match self.read(bucket).await? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| corrupt(&format!("notify/buckets/{bucket}.json"), e)),
            None => Ok(BucketRules::default()),
        }
    }

    fn validate(&self, rules: BucketRules) -> Result<(BucketRules, CompiledRules), RulesError> {
        rules.validate(&|arn| self.resolver.resolve(arn), self.access_events)
    }

    /// Validates, stores and applies `rules`; answers what was stored.
    pub(crate) async fn set(&self, bucket: &str, rules: BucketRules) -> Result<BucketRules, Error> {
        let path = path(bucket)?;
        let (stored, compiled) = self.validate(rules)?;
        let bytes = serde_json::to_vec_pretty(&stored).map_err(|e| Error::Internal(e.into()))?;
        let _writing = self.writes.lock().await;
        self.op
            .write(&path, bytes.clone())
            .await
            .map_err(storage_unavailable)?;
        self.install(bucket, compiled, Some(bytes));
        Ok(stored)
    }

    /// Re-reads every bucket's document and applies those that changed.
    pub(crate) async fn refresh(&self) {
        let mut buckets = self.buckets.clone();
        buckets.extend(
            self.compiled
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .keys()
                .cloned(),
        );
        buckets.sort();
        buckets.dedup();
        for bucket in buckets {
            let _writing = self.writes.lock().await;
            let bytes = match self.read(&bucket).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::warn!(%bucket, error = %error_chain(&e), "notify: cannot read the bucket's rules; keeping the ones in use");
                    continue;
                }
            };
            if self.installed_bytes_equal(&bucket, bytes.as_deref()) {
                continue;
            }
            let Some(raw) = &bytes else {
                self.install(&bucket, CompiledRules::default(), None);
                continue;
            };
            match serde_json::from_slice::<BucketRules>(raw) {
                Ok(rules) => {
                    let compiled = self.compile_leniently(&bucket, rules);
                    self.install(&bucket, compiled, bytes);
                }
                Err(e) => {
                    tracing::warn!(%bucket, error = %e, "notify: the bucket's stored rules do not parse; keeping the ones in use");
                    // Remember the bytes so the warning is not repeated every refresh.
                    let kept = self
                        .compiled(&bucket)
                        .map_or_else(CompiledRules::default, |r| (*r).clone());
                    self.install(&bucket, kept, bytes);
                }
            }
        }
    }

    /// The rules of `rules` that validate (all of them, normally).
    fn compile_leniently(&self, bucket: &str, rules: BucketRules) -> CompiledRules {
        match self.validate(rules.clone()) {
            Ok((_, compiled)) => compiled,
            Err(whole) => {
                let mut kept = CompiledRules::default();
                for rule in rules.rules {
                    let id = rule.id.clone();
                    match self.validate(BucketRules { rules: vec![rule] }) {
                        Ok((_, compiled)) => kept.rules.extend(compiled.rules),
                        Err(e) => {
                            tracing::warn!(%bucket, rule = %id, reason = %e, "notify: a stored rule no longer validates; it is not applied");
                        }
                    }
                }
                tracing::warn!(%bucket, reason = %whole, kept = kept.rules.len(), "notify: the bucket's stored rules are applied in part");
                kept
            }
        }
    }
}

/// `notify/buckets/<bucket>.json`. Errors: `Rules` for a name that is not a plain file name.
fn path(bucket: &str) -> Result<String, Error> {
    if bucket.is_empty()
        || bucket.starts_with('.')
        || bucket.contains(['/', '\\'])
        || bucket.chars().any(char::is_control)
    {
        return Err(Error::Rules(RulesError::Invalid(format!(
            "'{bucket}' is not a bucket name"
        ))));
    }
    Ok(format!("notify/buckets/{bucket}.json"))
}

/// An error with its causes, for logs.
pub(crate) fn error_chain(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_takes_configured_targets_of_their_type_in_the_region() {
        let resolver = Resolver {
            targets: BTreeMap::from([("hook".to_owned(), "webhook"), ("feed".to_owned(), "redis")]),
            region: "eu".into(),
        };
        let arn = |region: &str, id: &str, kind: &str| Arn {
            region: region.into(),
            id: id.into(),
            kind: kind.into(),
        };
        assert_eq!(
            resolver.resolve(&arn("", "hook", "webhook")).as_deref(),
            Some("hook")
        );
        assert_eq!(
            resolver.resolve(&arn("eu", "feed", "redis")).as_deref(),
            Some("feed")
        );
        assert_eq!(resolver.resolve(&arn("us", "hook", "webhook")), None);
        assert_eq!(resolver.resolve(&arn("", "hook", "redis")), None);
        assert_eq!(resolver.resolve(&arn("", "nope", "webhook")), None);
    }

    #[test]
    fn bucket_paths_are_plain_names() {
        assert_eq!(
            path("images").ok().as_deref(),
            Some("notify/buckets/images.json")
        );
        assert!(path("../x").is_err());
        assert!(path("a/b").is_err());
        assert!(path("").is_err());
    }
}
