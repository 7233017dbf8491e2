//! Bucket policies changed at run time: persisted in the system area
//! (`policies/<bucket>.json`) so every instance sees them, and cached for a few seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::document;
use crate::error::from_opendal;
use crate::{BucketInfo, BucketName, Error, Policy, Storage};

/// How long a policy read from the system area is trusted before it is read again.
pub const POLICY_CACHE_TTL: Duration = Duration::from_secs(5);

/// Where the system area keeps the policy documents.
const POLICY_DIR: &str = "policies";

#[derive(Debug, Serialize, Deserialize)]
struct PolicyDocument {
    policy: Policy,
}

#[derive(Default)]
pub(crate) struct PolicyCache {
    entries: Mutex<HashMap<BucketName, (Policy, Instant)>>,
}

impl PolicyCache {
    fn fresh(&self, name: &BucketName) -> Option<Policy> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(name)
            .filter(|(_, at)| at.elapsed() < POLICY_CACHE_TTL)
            .map(|(policy, _)| *policy)
    }

    /// The policy last read or set, however old.
    pub(crate) fn last_known(&self, name: &BucketName) -> Option<Policy> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(name).map(|(policy, _)| *policy)
    }

    fn store(&self, name: &BucketName, policy: Policy) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(name.clone(), (policy, Instant::now()));
    }
}

fn document_path(name: &BucketName) -> String {
    format!("{POLICY_DIR}/{name}.json")
}

impl Storage {
    /// The bucket's current policy: the one set at run time (read back at most
    /// [`POLICY_CACHE_TTL`] ago), else the configured one.
    pub async fn policy(&self, name: &BucketName) -> Result<Policy, Error> {
        let configured = self.bucket_entry(name)?.settings.policy;
        if let Some(policy) = self.policies().fresh(name) {
            return Ok(policy);
        }
        let path = document_path(name);
        let policy = match self.system_operator().read(&path).await {
            Ok(buf) => {
                serde_json::from_slice::<PolicyDocument>(&buf.to_bytes())
                    .map_err(|e| Error::internal("corrupt bucket policy document", e))?
                    .policy
            }
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => configured,
            Err(e) => return Err(from_opendal(e, "system", &path)),
        };
        self.policies().store(name, policy);
        Ok(policy)
    }

    /// Changes the bucket's policy for every instance. Written to a temporary name and renamed,
    /// so a reader never sees half a document; on a system area that cannot rename (S3, COS),
    /// written in place, as a PUT there replaces an object whole.
    pub async fn set_policy(&self, name: &BucketName, policy: Policy) -> Result<BucketInfo, Error> {
        let b = self.bucket_entry(name)?;
        let system = self.system_operator();
        let doc = serde_json::to_vec(&PolicyDocument { policy })
            .map_err(|e| Error::internal("serializing a bucket policy", e))?;
        let path = document_path(name);
        document::replace(&system, &path, doc)
            .await
            .map_err(|e| from_opendal(e, "system", &path))?;
        self.policies().store(name, policy);
        Ok(self.info(name, b))
    }
}
