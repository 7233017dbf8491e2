//! The facts of an uploaded image (displayed size, blurhash): measured once at upload, kept
//! next to its variants, read back with its metadata, and removed with them.

use storage::{BucketName, ObjectKey, ObjectMeta};

use super::making::Queue;
use crate::error::ApiError;
use crate::service::{Caller, Service};

impl Service {
    /// The width, height and blurhash of the image just stored as `meta`, computed once and
    /// kept next to its variants; `None` for what is not an image picgate decodes, or when
    /// the image is over a limit or no transform slot is free at once (an upload never waits
    /// behind variant requests; logged: the upload stands).
    pub(crate) async fn image_facts(
        &self,
        bucket: &BucketName,
        meta: &ObjectMeta,
    ) -> Option<imaging::Facts> {
        imaging::Format::from_content_type(&meta.content_type).filter(|f| f.can_decode())?;
        let facts = async {
            let (slot, original, probe) = self
                .admit_original(bucket, &meta.key, meta, Queue::Skip)
                .await?;
            let limits = *self.variants.transforms.limits();
            let cost = imaging::facts_cost(&probe) + original.len() as u64;
            let facts = slot
                .run(cost, move || imaging::facts(&original, &limits))
                .await?;
            Ok::<_, ApiError>(facts)
        }
        .await;
        let facts = match facts {
            Ok(facts) => facts,
            Err(e) => {
                tracing::info!(%bucket, key = %meta.key, error = %e, "no image facts for an upload");
                return None;
            }
        };
        match serde_json::to_value(&facts) {
            Ok(value) => {
                if let Err(e) = self
                    .storage
                    .write_facts(bucket, &meta.key, &meta.etag, &value)
                    .await
                {
                    tracing::warn!(%bucket, key = %meta.key, error = %e, "image facts could not be stored");
                }
            }
            Err(e) => tracing::warn!(error = %e, "image facts could not be serialised"),
        }
        Some(facts)
    }

    /// An object's metadata and, for an image, the facts measured at its upload (`None` when
    /// none are kept: not an image, stored by other tools, or swept as an orphan). Errors: as
    /// [`Service::stat`].
    pub async fn describe(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<(ObjectMeta, Option<imaging::Facts>), ApiError> {
        let meta = self.stat(caller, bucket, key).await?;
        if imaging::Format::from_content_type(&meta.content_type).is_none() {
            return Ok((meta, None));
        }
        let facts = match self.storage.read_facts(bucket, key, &meta.etag).await {
            Ok(value) => value.and_then(|v| serde_json::from_value(v).ok()),
            Err(e) => {
                tracing::warn!(%bucket, %key, error = %e, "image facts could not be read");
                None
            }
        };
        Ok((meta, facts))
    }

    /// Removes the cached variants and facts of `key` after it was deleted (logged when that
    /// fails: they are never served, their ETag being gone, and the sweep removes them).
    pub(crate) async fn forget_variants(&self, bucket: &BucketName, key: &ObjectKey) {
        if let Err(e) = self.storage.delete_variants(bucket, key).await {
            tracing::warn!(%bucket, %key, error = %e, "the variants of a deleted object stay until the sweep");
        }
    }
}
