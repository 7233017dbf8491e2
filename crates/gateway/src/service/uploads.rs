//! Uploads: the access check, the owner check on replace, the streaming write, and undoing a
//! batch that fails midway.

use bytes::Bytes;
use futures::Stream;
use storage::{BucketName, Current, ObjectKey, ObjectMeta, Precondition};

use super::access::write_precondition;
use super::{Caller, Need, Service};
use crate::error::ApiError;

/// One file of an upload: its key and its body, still on the socket.
pub struct Incoming<B> {
    pub key: ObjectKey,
    pub body: B,
}

/// The files of one upload request, read one after the other (a multipart body). Each body
/// must be consumed before the next file is asked for.
#[allow(async_fn_in_trait)]
pub trait IncomingFiles {
    type Body: Stream<Item = Result<Bytes, Self::BodyError>> + Unpin;
    type BodyError: std::error::Error;

    /// The next file, or `None` at the end. A malformed request is an error.
    async fn next_file(&mut self) -> Option<Result<Incoming<Self::Body>, ApiError>>;
}

impl Service {
    /// Stores every file of `files` in `bucket`, recording the caller as owner. A key that
    /// exists must be the caller's to replace, and still the version checked when the write
    /// commits (see [`write_precondition`]). If one file fails, the
    /// failure is answered and the objects this request created are removed again; an object
    /// it replaced keeps its new, complete content. Errors: those of [`Need::Upload`],
    /// `bucket_not_found` (before any body is read), `not_owner`, `payload_too_large`,
    /// `unsupported_media_type`, `upload_interrupted`, `invalid_multipart` (no file at all).
    pub async fn upload(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        files: &mut impl IncomingFiles,
    ) -> Result<Vec<ObjectMeta>, ApiError> {
        let principal = self.require(caller, Need::Upload).await?;
        let write = self.storage.bucket(bucket)?.write;
        let owner = principal.user_id.to_string();
        let mut stored: Vec<ObjectMeta> = Vec::new();
        // What this request created, with the version it wrote: undone only while unchanged.
        let mut created: Vec<(ObjectKey, String)> = Vec::new();
        let result = async {
            while let Some(file) = files.next_file().await {
                let Incoming { key, body } = file?;
                let precondition = write_precondition(
                    principal,
                    write,
                    self.storage.current(bucket, &key).await?,
                )?;
                let created_new = precondition == Precondition::Absent;
                let meta = self
                    .storage
                    .write_if(bucket, &key, Some(&owner), precondition, body, None)
                    .await?;
                if created_new {
                    created.push((key, meta.etag.clone()));
                }
                self.metrics.record_upload(bucket.as_ref(), meta.size);
                stored.push(meta);
            }
            if stored.is_empty() {
                return Err(ApiError::new(
                    crate::error::Code::InvalidMultipart,
                    "the multipart body has no `file` field",
                ));
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            for (key, etag) in &created {
                self.undo_create(bucket, key, etag).await;
            }
            if !stored.is_empty() {
                self.listings.bump(bucket).await;
            }
            return Err(err);
        }
        self.listings.bump(bucket).await;
        tracing::info!(user_id = %principal.user_id, %bucket, files = stored.len(), "uploaded");
        Ok(stored)
    }

    /// Removes an object this request created, if it is still the version written (`etag`):
    /// what someone stored under the key since is never touched.
    async fn undo_create(&self, bucket: &BucketName, key: &ObjectKey, etag: &str) {
        let unchanged = |now: &Current| match now.etag == etag {
            true => Ok(()),
            false => Err(storage::Error::Changed {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
        };
        match self.storage.delete_checked(bucket, key, unchanged).await {
            Ok(()) | Err(storage::Error::NotFound { .. } | storage::Error::Changed { .. }) => {}
            Err(e) => tracing::warn!(%key, error = %e, "could not remove a partial batch upload"),
        }
    }

    /// Stores one raw body at `key` (`declared_len` from `Content-Length` lets an oversized
    /// body fail before it is read). Replacing needs ownership as in [`Service::upload`]; a key
    /// created or changed by someone else while the body streamed is a 409 (`object_exists`,
    /// `object_changed`) and nothing changes.
    pub async fn put<S, E>(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
        body: S,
        declared_len: Option<u64>,
    ) -> Result<ObjectMeta, ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let principal = self.require(caller, Need::Upload).await?;
        let write = self.storage.bucket(bucket)?.write;
        let precondition =
            write_precondition(principal, write, self.storage.current(bucket, key).await?)?;
        let owner = principal.user_id.to_string();
        let meta = self
            .storage
            .write_if(bucket, key, Some(&owner), precondition, body, declared_len)
            .await?;
        self.listings.bump(bucket).await;
        self.metrics.record_upload(bucket.as_ref(), meta.size);
        tracing::info!(user_id = %principal.user_id, %bucket, %key, "uploaded");
        Ok(meta)
    }
}
