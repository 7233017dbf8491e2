//! Uploads: the access check, the owner check on replace, the streaming write, one outcome per
//! file, and undoing a request that fails as a whole.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use storage::{BucketName, Current, ObjectKey, ObjectMeta, PlannedKey, Precondition};

use super::access::write_precondition;
use super::notify::Actor;
use super::{Caller, Need, Service};
use crate::error::{ApiError, Code};

/// One file of an upload: its name as the client sent it, the key it maps to (or why it maps
/// to none; a key by content, `{hash}`, is made once the body is read), and its body, still on
/// the socket.
pub struct Incoming<B> {
    pub name: String,
    pub key: Result<PlannedKey, ApiError>,
    pub body: B,
}

/// The files of one upload request, read one after the other (a multipart body). Each body
/// must be consumed or dropped before the next file is asked for.
#[allow(async_fn_in_trait)]
pub trait IncomingFiles {
    type Body: Stream<Item = Result<Bytes, Self::BodyError>> + Unpin;
    type BodyError: std::error::Error;

    /// The next file, or `None` at the end. A malformed request is an error.
    async fn next_file(&mut self) -> Option<Result<Incoming<Self::Body>, ApiError>>;
}

/// What became of one file of an upload.
#[derive(Debug)]
pub struct FileOutcome {
    /// The file's name as the client sent it (empty when it sent none).
    pub name: String,
    /// The stored object, or why this file alone was refused; nothing is stored for it then.
    pub stored: Result<ObjectMeta, ApiError>,
    /// The key the file's name asked for, when another object held it and the file went to a
    /// distinct key ([`Naming::Distinct`]).
    pub requested: Option<ObjectKey>,
    /// For a stored image picgate decodes: its displayed size and blurhash, computed once
    /// here and kept with the object (`None` over a variant limit or when every transform
    /// slot is taken).
    pub facts: Option<imaging::Facts>,
}

/// What an upload does when its key is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Never replace: the file goes to a distinct key (`name-<6 hex>.ext`) and says so. The
    /// native `POST` upload.
    Distinct,
    /// Replace, when the caller may (see [`write_precondition`]). The seed's `putObject`, as
    /// the seed did.
    Replace,
}

impl Naming {
    /// The event a stored file reports: a distinct-key upload is a form upload
    /// (`s3:ObjectCreated:Post`); a replacing one is the seed's `putObject`, which MinIO
    /// reports as `s3:ObjectCreated:Put`.
    fn event(self) -> notify::EventName {
        match self {
            Naming::Distinct => notify::EventName::ObjectCreatedPost,
            Naming::Replace => notify::EventName::ObjectCreatedPut,
        }
    }
}

/// How many distinct keys are tried for one file before it fails with `object_exists`.
const DISTINCT_ATTEMPTS: usize = 5;

impl Service {
    /// Stores every file of `files` in `bucket`, recording the caller as owner, and answers one
    /// outcome per file, in order. With [`Naming::Replace`] a key that exists must be the
    /// caller's to replace, and still the version checked when the write commits (see
    /// [`write_precondition`]).
    ///
    /// With [`Naming::Distinct`] a taken key is never replaced: the file goes to a distinct key
    /// and its outcome names the one it asked for. A file fails alone, with nothing stored for
    /// it, when its name makes no key (`invalid_multipart`, `invalid_object_key`), it is of a
    /// type the bucket refuses (`unsupported_media_type`), or its key is not the caller's to
    /// replace or was taken meanwhile (`not_owner`, `object_exists`, `object_changed`); the
    /// files around it go on. The request fails as a whole, and the objects it created are
    /// removed again, when a file passes the size limit (`payload_too_large`: the files after
    /// it lie behind the rest of it, which a client can make endless), the body breaks off or
    /// is malformed (`upload_interrupted`, `invalid_multipart`, `request_timeout`) or the
    /// storage fails (`storage_unavailable`, `internal_error`); an object it replaced keeps its
    /// new, complete content. Other errors: those of [`Need::Upload`], `bucket_not_found`
    /// (before any body is read), `invalid_multipart` (no file at all).
    pub async fn upload(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        files: &mut impl IncomingFiles,
        naming: Naming,
    ) -> Result<Vec<FileOutcome>, ApiError> {
        let principal = self.require(caller, Need::Upload).await?;
        let info = self.storage.bucket(bucket)?;
        let (write, limit) = (info.write, info.max_object_bytes);
        let mut outcomes: Vec<FileOutcome> = Vec::new();
        // What this request created, with the version it wrote: undone only while unchanged.
        let mut created: Vec<(ObjectKey, String)> = Vec::new();
        let result = async {
            while let Some(file) = files.next_file().await {
                let Incoming { name, key, body } = file?;
                // Fused: what a refused file leaves unread is skipped below, and a multipart
                // field must not be polled past its end.
                let mut body = body.fuse();
                let mut requested = None;
                // A name that makes no key fails alone; its body is dropped unread.
                let stored = match key {
                    Err(err) => Err(err),
                    Ok(planned) => {
                        // A key by content: the body is staged (bounded by the limit) first.
                        let staged = match planned.needs_hash() {
                            true => Some(self.storage.stage(&mut body, limit).await?),
                            false => None,
                        };
                        let planned = match &staged {
                            Some(s) => planned.with_sha256(s.digests().sha256.clone()),
                            None => planned,
                        };
                        let key = planned
                            .key()
                            .map_err(|e| ApiError::from(storage::Error::from(e)))?;
                        let (target, current) = match naming {
                            Naming::Distinct => (self.free_key(bucket, &key).await?, None),
                            Naming::Replace => {
                                let current = self.storage.current(bucket, &key).await?;
                                (key.clone(), current)
                            }
                        };
                        if target != key {
                            requested = Some(key);
                        }
                        let precondition = match naming {
                            // Free when looked at; a key taken since fails (never replaces).
                            Naming::Distinct => Ok(Precondition::Absent),
                            Naming::Replace => {
                                write_precondition(principal, write, current.clone())
                            }
                        };
                        let stored = match (precondition, &staged) {
                            (Ok(precondition), Some(staged)) => {
                                let body = staged.body().await?;
                                self.store_one(
                                    (caller, principal, naming.event()),
                                    bucket,
                                    &target,
                                    current,
                                    precondition,
                                    body,
                                )
                                .await
                            }
                            (Ok(precondition), None) => {
                                self.store_one(
                                    (caller, principal, naming.event()),
                                    bucket,
                                    &target,
                                    current,
                                    precondition,
                                    &mut body,
                                )
                                .await
                            }
                            (Err(err), _) => Err(err),
                        };
                        match stored {
                            Ok((meta, created_new)) => {
                                if created_new {
                                    created.push((target, meta.etag.clone()));
                                }
                                Ok(meta)
                            }
                            Err(err) if fails_alone(&err) => Err(err),
                            Err(err) => return Err(err),
                        }
                    }
                };
                if stored.is_err() {
                    skip_rest(&mut body, limit).await?;
                }
                outcomes.push(FileOutcome {
                    name,
                    stored,
                    requested,
                    facts: None,
                });
            }
            if outcomes.is_empty() {
                return Err(ApiError::new(
                    Code::InvalidMultipart,
                    "the multipart body has no `file` field",
                ));
            }
            Ok(())
        }
        .await;
        if result.is_err() {
            for (key, etag) in &created {
                self.undo_create(Actor::Request(caller, Some(principal)), bucket, key, etag)
                    .await;
            }
        }
        // After any undo: the next listing on every instance shows what is left.
        if outcomes.iter().any(|o| o.stored.is_ok()) {
            self.listings.bump(bucket).await;
        }
        result?;
        for outcome in &mut outcomes {
            if let Ok(meta) = &outcome.stored {
                outcome.facts = self.image_facts(bucket, meta).await;
            }
        }
        tracing::info!(
            user_id = %principal.user_id,
            %bucket,
            files = outcomes.len(),
            stored = outcomes.iter().filter(|o| o.stored.is_ok()).count(),
            "uploaded"
        );
        Ok(outcomes)
    }

    /// `key` if nothing is stored there, else a distinct key next to it (`name-<6 hex>.ext`)
    /// that is free now. Should another upload take it before this one commits, this one
    /// fails with `object_exists` (it never replaces: see [`Service::store_one`]'s
    /// precondition). Errors: `object_exists` after [`DISTINCT_ATTEMPTS`] taken keys, storage
    /// errors.
    async fn free_key(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectKey, ApiError> {
        if self.storage.current(bucket, key).await?.is_none() {
            return Ok(key.clone());
        }
        for _ in 0..DISTINCT_ATTEMPTS {
            let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
            let candidate = key
                .with_suffix(suffix)
                .map_err(|e| ApiError::from(storage::Error::from(e)))?;
            if self.storage.current(bucket, &candidate).await?.is_none() {
                return Ok(candidate);
            }
        }
        Err(storage::Error::AlreadyExists {
            bucket: bucket.to_string(),
            key: key.to_string(),
        }
        .into())
    }

    /// Writes one file of an upload over `current` (what the key held when looked at) under
    /// `precondition`; answers its metadata and whether it created the key.
    async fn store_one<B, E>(
        &self,
        (caller, principal, event): (&Caller, &auth::Principal, notify::EventName),
        bucket: &BucketName,
        key: &ObjectKey,
        current: Option<Current>,
        precondition: Precondition,
        body: B,
    ) -> Result<(ObjectMeta, bool), ApiError>
    where
        B: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let created_new = precondition == Precondition::Absent;
        let owner = principal.user_id.to_string();
        let meta = self
            .storage
            .write_if(bucket, key, Some(&owner), precondition, body, None)
            .await?;
        self.metrics.record_upload(bucket.as_ref(), meta.size);
        self.usage
            .stored(bucket, key, &owner, meta.size, current)
            .await;
        self.report(
            Actor::Request(caller, Some(principal)),
            bucket,
            &meta,
            event,
        )
        .await;
        Ok((meta, created_new))
    }

    /// Removes an object this request created, if it is still the version written (`etag`):
    /// what someone stored under the key since is never touched.
    async fn undo_create(
        &self,
        actor: Actor<'_>,
        bucket: &BucketName,
        key: &ObjectKey,
        etag: &str,
    ) {
        let unchanged = |now: &Current| match now.etag == etag {
            true => Ok(()),
            false => Err(storage::Error::Changed {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
        };
        match self.storage.delete_checked(bucket, key, unchanged).await {
            Ok(was) => {
                let owner = was.owner.clone();
                self.usage.removed(bucket, key, was).await;
                self.forget_variants(bucket, key).await;
                self.report_removed(actor, bucket, key, owner).await;
            }
            Err(storage::Error::NotFound { .. } | storage::Error::Changed { .. }) => {}
            Err(e) => tracing::warn!(%key, error = %e, "could not remove a partial batch upload"),
        }
    }

    /// Stores one raw body at `key` (`declared_len` from `Content-Length` lets an oversized
    /// body fail before it is read). Replacing needs ownership as in [`Service::upload`]; a key
    /// created or changed by someone else while the body streamed is a 409 (`object_exists`,
    /// `object_changed`) and nothing changes. Answers the object and, for an image, its facts
    /// (see [`FileOutcome::facts`]).
    pub async fn put<S, E>(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
        body: S,
        declared_len: Option<u64>,
    ) -> Result<(ObjectMeta, Option<imaging::Facts>), ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error,
    {
        let principal = self.require(caller, Need::Upload).await?;
        let write = self.storage.bucket(bucket)?.write;
        let current = self.storage.current(bucket, key).await?;
        let precondition = write_precondition(principal, write, current.clone())?;
        let owner = principal.user_id.to_string();
        let meta = self
            .storage
            .write_if(bucket, key, Some(&owner), precondition, body, declared_len)
            .await?;
        self.usage
            .stored(bucket, key, &owner, meta.size, current)
            .await;
        self.listings.bump(bucket).await;
        self.metrics.record_upload(bucket.as_ref(), meta.size);
        let event = notify::EventName::ObjectCreatedPut;
        self.report(
            Actor::Request(caller, Some(principal)),
            bucket,
            &meta,
            event,
        )
        .await;
        tracing::info!(user_id = %principal.user_id, %bucket, %key, "uploaded");
        let facts = self.image_facts(bucket, &meta).await;
        Ok((meta, facts))
    }
}

/// Whether an upload error concerns one file only, so the files after it still go in.
fn fails_alone(err: &ApiError) -> bool {
    matches!(
        err.code(),
        Code::UnsupportedMediaType
            | Code::InvalidObjectKey
            | Code::NotOwner
            | Code::ObjectExists
            | Code::ObjectChanged
    )
}

/// Reads and discards what is left of a refused file, the files after it lying behind it; at
/// most `limit` bytes (the bucket's object limit), since a client can make a part endless.
/// Errors: `payload_too_large` past the limit (the request ends there), `upload_interrupted`
/// when the body breaks off.
async fn skip_rest<B, E>(body: &mut futures::stream::Fuse<B>, limit: u64) -> Result<(), ApiError>
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::error::Error,
{
    let mut skipped: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::from(storage::body_error(&e)))?;
        skipped = skipped.saturating_add(chunk.len() as u64);
        if skipped > limit {
            return Err(storage::Error::TooLarge { limit }.into());
        }
    }
    Ok(())
}
