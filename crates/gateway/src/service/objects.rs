//! Reading, listing, signing and deleting objects.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, stream};

use storage::{
    BucketName, ByteRange, Detail, ListPage, ListQuery, NumberedPage, ObjectBody, ObjectKey,
    ObjectMeta, PageNumber, Policy, SignedLink,
};

use super::access::may_change;
use super::list_cache::{Key, Listing};
use super::notify::Actor;
use super::{Caller, Need, Service};
use crate::error::{ApiError, Code};
use notify::EventName;

/// Most keys one batch delete takes.
pub const MAX_BATCH_KEYS: usize = 1000;

/// What lets a request read an object at `/f/…`.
#[derive(Clone, Copy)]
pub enum ReadGrant<'a> {
    /// The caller's credential (or none, for a public bucket).
    Caller(&'a Caller),
    /// A signed link's `expires` (unix seconds) and `signature`; for a private bucket it
    /// replaces the credential.
    Signature { expires: i64, signature: &'a str },
}

/// What a read fetches.
#[derive(Debug, Clone, Copy)]
pub enum Fetch {
    /// The bytes (`range` of them, else all): an `s3:ObjectAccessed:Get` event.
    Body(Option<ByteRange>),
    /// The metadata, for a HEAD request: an `s3:ObjectAccessed:Head` event.
    Head,
    /// The metadata a conditional GET is checked against before its body is read: no event
    /// (the body read that may follow reports the access).
    Validators,
}

/// What a read found: only the metadata (HEAD) or the bytes, and whether the bucket is public
/// (so that shared caches may keep it).
pub struct Served {
    pub public: bool,
    pub object: Found,
}

/// The metadata alone (HEAD) or the body.
pub enum Found {
    Meta(ObjectMeta),
    Body(ObjectBody),
}

impl Service {
    /// A page of `bucket` by keyset paging (`query.cursor` from the previous page), from the
    /// listing cache while the bucket is unchanged (see `list_cache.rs`). Errors: as
    /// [`Service::require_read`], `invalid_cursor`, `invalid_object_key` (a bad prefix),
    /// `bucket_not_found`.
    pub async fn list(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        query: &ListQuery,
    ) -> Result<Arc<ListPage>, ApiError> {
        self.require_read(caller, bucket).await?;
        let key = Key::Page {
            bucket: bucket.clone(),
            query: query.clone(),
        };
        let fetch = async {
            let page = self.storage.list(bucket, query).await?;
            Ok::<_, ApiError>(Listing::Page(Arc::new(page)))
        };
        match self.listings.get_or_fetch(key, fetch).await? {
            Listing::Page(page) => Ok(page),
            Listing::Sequence(_) => Err(cache_mix_up()),
        }
    }

    /// A numbered page of `bucket` with the total count, as the seed listed (`delimiter`:
    /// folders under `prefix` stay folders). With [`Detail::Listed`] the whole sequence under
    /// the prefix is cached and every page and total is cut from it; [`Detail::Stat`] pages
    /// come from the backend. Errors: as [`Service::list`].
    pub async fn list_numbered(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        prefix: &str,
        delimiter: bool,
        page: PageNumber,
        detail: Detail,
    ) -> Result<NumberedPage, ApiError> {
        self.require_read(caller, bucket).await?;
        if detail == Detail::Stat {
            return Ok(self
                .storage
                .list_numbered(bucket, prefix, delimiter, page, detail)
                .await?);
        }
        let key = Key::Sequence {
            bucket: bucket.clone(),
            prefix: prefix.to_owned(),
            delimiter,
        };
        let fetch = async {
            let all = self
                .storage
                .list_numbered(bucket, prefix, delimiter, PageNumber::All, detail)
                .await?;
            Ok::<_, ApiError>(Listing::Sequence(Arc::new(all)))
        };
        let Listing::Sequence(all) = self.listings.get_or_fetch(key, fetch).await? else {
            return Err(cache_mix_up());
        };
        let entries = all.entries[page.positions(all.entries.len())].to_vec();
        Ok(NumberedPage {
            total: all.total,
            entries,
        })
    }

    /// An object's metadata. Errors: as [`Service::require_read`], `object_not_found`.
    pub async fn stat(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<ObjectMeta, ApiError> {
        self.require_read(caller, bucket).await?;
        Ok(self.storage.stat(bucket, key).await?)
    }

    /// An object's bytes or its metadata, as `fetch` says. A private bucket needs a
    /// credential with `read` or a valid signature. Errors: as [`Service::require_read`],
    /// `invalid_signature`, `signature_expired`, `object_not_found`, `range_not_satisfiable`.
    pub async fn read(
        &self,
        grant: ReadGrant<'_>,
        bucket: &BucketName,
        key: &ObjectKey,
        fetch: Fetch,
    ) -> Result<Served, ApiError> {
        let public = self.may_read_file(grant, bucket, key, None).await?;
        let actor = match grant {
            ReadGrant::Caller(caller) => Actor::Request(caller, caller.known_principal()),
            ReadGrant::Signature { .. } => Actor::Nobody,
        };
        let object = match fetch {
            Fetch::Body(range) => {
                let body = self.storage.read(bucket, key, range).await?;
                let event = EventName::ObjectAccessedGet;
                self.report(actor, bucket, &body.meta, event).await;
                Found::Body(body)
            }
            Fetch::Head => {
                let meta = self.storage.head(bucket, key).await?;
                let event = EventName::ObjectAccessedHead;
                self.report(actor, bucket, &meta, event).await;
                Found::Meta(meta)
            }
            Fetch::Validators => Found::Meta(self.storage.head(bucket, key).await?),
        };
        Ok(Served { public, object })
    }

    /// Whether `grant` may read `key` through a file link — of the original, or of the variant
    /// whose parameters are `variant` (see [`crate::variants::signed_form`]; a signature
    /// covers them) — and whether the bucket is public. Errors: as [`Service::require_read`],
    /// `invalid_signature`, `signature_expired`.
    pub(crate) async fn may_read_file(
        &self,
        grant: ReadGrant<'_>,
        bucket: &BucketName,
        key: &ObjectKey,
        variant: Option<&str>,
    ) -> Result<bool, ApiError> {
        let public = self.storage.policy(bucket).await? == Policy::PublicRead;
        if !public {
            match grant {
                ReadGrant::Signature { expires, signature } => {
                    let params = variant.unwrap_or_default();
                    self.storage
                        .verify_variant(bucket, key, params, expires, signature)?
                }
                ReadGrant::Caller(caller) => self.require(caller, Need::Read).await.map(drop)?,
            }
        }
        Ok(public)
    }

    /// A time-limited read link (`expires_in` seconds, 1 s to 7 days): the backend's own
    /// presigned URL on S3/COS, a gateway-signed `/f` link on fs. Whoever may read the bucket
    /// may sign (as the seed's `presignedGetObject`): anyone for `public-read`, else
    /// [`Need::Read`]. Errors: `invalid_expiry`, `object_not_found`.
    pub async fn sign(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<SignedLink, ApiError> {
        self.require_read(caller, bucket).await?;
        Ok(self.storage.signed_link(bucket, key, expires_in).await?)
    }

    /// Deletes one object: its owner, an admin, or anyone in a `shared` bucket. Errors:
    /// `object_not_found`, `not_owner`, and those of [`Need::Delete`].
    pub async fn delete(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<(), ApiError> {
        let principal = self.require(caller, Need::Delete).await?;
        let write = self.storage.bucket(bucket)?.write;
        let was = self
            .storage
            .delete_checked(bucket, key, |now| {
                may_change(principal, write, now.owner.as_deref())
            })
            .await?;
        let owner = was.owner.clone();
        self.usage.removed(bucket, key, was).await;
        self.listings.bump(bucket).await;
        self.forget_variants(bucket, key).await;
        self.report_removed(Actor::Request(caller, Some(principal)), bucket, key, owner)
            .await;
        tracing::info!(user_id = %principal.user_id, %bucket, %key, "object deleted");
        Ok(())
    }

    /// Deletes each of `keys` (1 to [`MAX_BATCH_KEYS`]) that the caller may delete; one result
    /// per key, in order: a bad key, a missing object or another user's object fails alone.
    /// Up to [`DELETE_CONCURRENCY`] keys are handled at a time.
    pub async fn delete_many(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Result<(), ApiError>)>, ApiError> {
        let principal = self.require(caller, Need::Delete).await?;
        let write = self.storage.bucket(bucket)?.write;
        if keys.is_empty() || keys.len() > MAX_BATCH_KEYS {
            return Err(ApiError::new(
                Code::BadRequest,
                format!("keys must hold 1 to {MAX_BATCH_KEYS} keys"),
            ));
        }
        let results = stream::iter(keys)
            .map(|raw| async move {
                let outcome = async {
                    let key = ObjectKey::parse(raw.clone()).map_err(storage::Error::from)?;
                    let was = self
                        .storage
                        .delete_checked(bucket, &key, |now| {
                            may_change(principal, write, now.owner.as_deref())
                        })
                        .await?;
                    let owner = was.owner.clone();
                    self.usage.removed(bucket, &key, was).await;
                    self.forget_variants(bucket, &key).await;
                    let actor = Actor::Request(caller, Some(principal));
                    self.report_removed(actor, bucket, &key, owner).await;
                    Ok(())
                }
                .await;
                (raw, outcome)
            })
            .buffered(DELETE_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        if results.iter().any(|(_, outcome)| outcome.is_ok()) {
            self.listings.bump(bucket).await;
        }
        tracing::info!(user_id = %principal.user_id, %bucket, "batch delete");
        Ok(results)
    }
}

/// A cache key of one kind never holds a listing of the other; if it did, a 500.
fn cache_mix_up() -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "the listing cache held the wrong kind of listing"
    ))
}

/// Keys one batch delete handles at a time.
const DELETE_CONCURRENCY: usize = 8;
