//! Buckets and their policies.

use storage::{BucketInfo, BucketName, Policy};

use super::{Caller, Need, Service};
use crate::error::ApiError;

impl Service {
    /// Every bucket with its policy and limits, sorted by name: open to anyone, as the seed's
    /// `listBuckets` was.
    pub fn buckets(&self) -> Vec<BucketInfo> {
        self.storage.buckets()
    }

    /// A bucket as configured: open to anyone. Errors: `bucket_not_found`.
    pub fn bucket(&self, bucket: &BucketName) -> Result<BucketInfo, ApiError> {
        Ok(self.storage.bucket(bucket)?)
    }

    /// A bucket's current policy: open to anyone. Errors: `bucket_not_found`.
    pub async fn policy(&self, bucket: &BucketName) -> Result<Policy, ApiError> {
        Ok(self.storage.policy(bucket).await?)
    }

    /// Sets a bucket's policy (stored in the system area; every instance sees it within
    /// `storage::POLICY_CACHE_TTL`). Needs [`Need::Admin`].
    pub async fn set_policy(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        policy: Policy,
    ) -> Result<BucketInfo, ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        let info = self.storage.set_policy(bucket, policy).await?;
        tracing::info!(target: "security", event = "policy_changed", user_id = %principal.user_id, %bucket, %policy, "bucket policy changed");
        Ok(info)
    }
}
