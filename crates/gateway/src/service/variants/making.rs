//! Making a variant: a transform slot first, then the original read and probed in it, the
//! transform, and the variant stored in the cache.

use bytes::Bytes;
use futures::StreamExt;
use storage::{BucketName, ObjectKey, ObjectMeta, Payload};

use super::Made;
use crate::error::ApiError;
use crate::service::Service;
use crate::variants::{Slot, TransformError};

/// Whether getting a transform slot may wait in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queue {
    /// As variant requests do.
    Wait,
    /// Only a slot free now (an upload's facts: an upload never waits behind variants).
    Skip,
}

impl Service {
    /// Reads the original, makes the variant `spec` of it and stores it in the cache (a cache
    /// that cannot be written is logged; the variant is still served) — unless the cache has
    /// it by now. With `keep_animation` (no format was named), an animated GIF or WebP is its
    /// own variant: picgate does not re-encode animations, and a still would lose it.
    pub(super) async fn make_variant(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: ObjectMeta,
        spec: imaging::Spec,
        name: String,
        keep_animation: bool,
    ) -> Result<Made, ApiError> {
        // A making that ended between this request's cache lookup and its joining the
        // flights has stored the variant already.
        if let Ok(Some(stored)) = self
            .storage
            .read_variant(bucket, key, &meta.etag, &name)
            .await
        {
            return Ok(Made {
                bytes: stored.bytes,
                content_type: stored.content_type,
            });
        }
        let (slot, original, probe) = self.admit_original(bucket, key, &meta, Queue::Wait).await?;
        let (bytes, content_type) = if keep_animation && imaging::is_animated(&original) {
            drop(slot);
            (original, probe.format.content_type().to_owned())
        } else {
            let limits = *self.variants.transforms.limits();
            let cost = imaging::transform_cost(&probe, &spec) + original.len() as u64;
            let encoded = slot
                .run(cost, move || imaging::transform(&original, &spec, &limits))
                .await?;
            let content_type = encoded.format.content_type().to_owned();
            (Bytes::from(encoded.bytes), content_type)
        };
        if let Err(e) = self
            .storage
            .write_variant(bucket, key, &meta.etag, &name, bytes.clone(), &content_type)
            .await
        {
            tracing::warn!(%bucket, %key, error = %e, "a variant could not be cached");
        }
        Ok(Made {
            bytes,
            content_type,
        })
    }

    /// A transform slot (waiting in the queue, or only if one is free now: `queue`), then the
    /// whole original read in it and its header probed: so that at most one original per slot
    /// is in memory, however many requests wait. Errors: `image_too_large` for an original
    /// over `max_input_bytes` (before anything is read) or over a limit its header shows;
    /// `transforms_busy`; `image_malformed`, `unsupported_image`; storage errors.
    pub(super) async fn admit_original(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: &ObjectMeta,
        queue: Queue,
    ) -> Result<(Slot<'_>, Bytes, imaging::Probe), ApiError> {
        let transforms = &self.variants.transforms;
        let max = self.variants.settings.max_input_bytes;
        if meta.size > max {
            return Err(transforms
                .counted(TransformError::TooLarge(format!(
                    "variants are made of images of at most {max} bytes, this one has {}",
                    meta.size
                )))
                .into());
        }
        let slot = match queue {
            Queue::Wait => transforms.admit().await?,
            Queue::Skip => transforms.try_admit().ok_or_else(|| transforms.busy())?,
        };
        let original = match self.original_bytes(bucket, key, meta).await {
            Ok(bytes) => bytes,
            Err(ApiError::Transform(e)) => return Err(slot.refuse(e).into()),
            Err(e) => return Err(e),
        };
        match imaging::probe(&original, self.variants.transforms.limits()) {
            Ok(probe) => Ok((slot, original, probe)),
            Err(e) => Err(slot.refuse(e.into()).into()),
        }
    }

    /// The whole original, at most `max_input_bytes` of it (else `image_too_large`).
    async fn original_bytes(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: &ObjectMeta,
    ) -> Result<Bytes, ApiError> {
        let max = self.variants.settings.max_input_bytes;
        let body = self.storage.read(bucket, key, None).await?;
        match body.payload {
            Payload::Whole(bytes) => Ok(bytes),
            Payload::Stream(mut stream) => {
                let mut buf = Vec::with_capacity(usize::try_from(meta.size).unwrap_or(0));
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(ApiError::internal)?;
                    if (buf.len() + chunk.len()) as u64 > max {
                        return Err(TransformError::TooLarge(format!(
                            "variants are made of images of at most {max} bytes"
                        ))
                        .into());
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(Bytes::from(buf))
            }
        }
    }
}
