//! Upload tools (PicList, PicGo, ShareX, scripts): one file per request, whose bucket and
//! folder may be named by fields sent after it (PicList sends `strategy_id` after the file), so
//! the file is staged first; keys by the tools' template; API tokens by login (Lsky Pro's
//! `POST /api/v1/tokens`); deletion by a signed ticket (ShareX's deletion link).

use std::time::Duration;

use auth::{NewToken, Scope};
use bytes::Bytes;
use futures::Stream;
use futures::stream::BoxStream;
use storage::{
    BucketInfo, BucketName, Current, Digests, KeyTemplate, ObjectKey, ObjectMeta, PlannedKey,
    Policy, SignedLink, SignedUrl,
};

use super::access::{is_api_token, ticket_allows};
use super::{Caller, Incoming, IncomingFiles, Naming, Need, Service};
use crate::error::{ApiError, Code};
use crate::variants::thumbnail_form;

/// Where tool uploads go and how they are named (`[tools]` in the config).
#[derive(Debug, Clone)]
pub struct Tools {
    /// The bucket a tool upload goes to when it names none; strategy 1.
    pub bucket: BucketName,
    /// How tool uploads are keyed; by default `{folder}/{yyyy}/{mm}/{dd}/{uuid}.{ext}`, which
    /// never clashes.
    pub key_template: KeyTemplate,
}

/// One part of a tool's multipart request.
pub enum ToolPart<B> {
    /// The file: its name as the client sent it (path stripped) and its body.
    File { name: String, body: B },
    /// The bucket, by name or by strategy id (`strategy_id`, `bucket`).
    Bucket(String),
    /// The folder the key goes under (`folder`), already checked.
    Folder(String),
}

/// A tool's multipart request, read part by part. Each file body must be consumed or dropped
/// before the next part is asked for.
#[allow(async_fn_in_trait)]
pub trait ToolForm {
    type Body: Stream<Item = Result<Bytes, Self::BodyError>> + Unpin;
    type BodyError: std::error::Error;

    /// The next part, or `None` at the end. A malformed request is an error.
    async fn next_part(&mut self) -> Option<Result<ToolPart<Self::Body>, ApiError>>;

    /// The whole request body's length, when the client declared it (`Content-Length`).
    fn declared_len(&self) -> Option<u64>;
}

/// Room for the multipart framing and the small fields around a tool's file, in bytes.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// Lifetime of the signed link a tool upload to a private bucket answers: the longest.
const TOOL_LINK_SECS: u64 = storage::MAX_SIGN_SECS;

/// A stored tool upload.
pub struct ToolUpload {
    pub bucket: BucketName,
    /// The file's name as the client sent it.
    pub name: String,
    pub meta: ObjectMeta,
    /// A signed link to the object when its bucket is private (a tool pastes the link where
    /// no token goes along), valid for [`storage::MAX_SIGN_SECS`].
    pub signed: Option<SignedLink>,
    pub digests: Digests,
    /// Deletes this version of the object: see [`Service::delete_by_ticket`].
    pub deletion_ticket: String,
    /// An image's size and blurhash (see [`super::FileOutcome::facts`]).
    pub facts: Option<imaging::Facts>,
    /// The thumbnail's variant parameters (`v=thumb`) and, in a private bucket, their
    /// gateway signature (a variant is made by the gateway, never presigned by S3). `None`
    /// for what is not an image picgate makes variants of.
    pub thumbnail: Option<(String, Option<SignedUrl>)>,
}

/// What a tool's configuration file embeds: see [`Service::tool_config`].
pub struct ToolConfig {
    pub token: String,
    pub bucket: BucketInfo,
}

/// Scopes of a token minted by [`Service::tool_token`]: what an upload tool does.
const TOOL_TOKEN_SCOPES: [Scope; 3] = [Scope::Read, Scope::Upload, Scope::Delete];
/// Lifetime of the login session behind [`Service::tool_token`]: it ends right after.
const TOOL_LOGIN_SECS: u64 = 60;

impl Service {
    /// The buckets as Lsky Pro "strategies": id 1 is the tools' default bucket, then the
    /// others by name.
    pub fn strategies(&self) -> Vec<(usize, BucketName)> {
        let default = &self.tools.bucket;
        let others = self
            .storage
            .buckets()
            .into_iter()
            .map(|b| b.name)
            .filter(|name| name != default);
        std::iter::once(default.clone())
            .chain(others)
            .enumerate()
            .map(|(i, name)| (i + 1, name))
            .collect()
    }

    /// Stores the one file of a tool's request as the caller, in the bucket it names (by name
    /// or strategy id; else the tools' default) under its folder, keyed by the tools' template,
    /// never replacing (a taken key goes to a distinct one). In a private bucket the answer
    /// carries a signed link to the object (see the access table), since tools paste links
    /// where no token goes along. The caller's right to upload is checked, and a declared
    /// body longer than the largest bucket limit (plus room for the form) refused, before any
    /// of it is read; then the file is staged while the rest of the request arrives, up to the
    /// largest bucket limit (the named bucket's, when named first).
    /// Errors: those of [`Need::Upload`]; `invalid_multipart` (no file, two files, a malformed
    /// body); `bucket_not_found` (an unknown bucket or strategy); `payload_too_large`;
    /// `unsupported_media_type`; `upload_interrupted`; storage errors.
    pub async fn tool_upload(
        &self,
        caller: &Caller,
        form: &mut impl ToolForm,
    ) -> Result<ToolUpload, ApiError> {
        self.require(caller, Need::Upload).await?;
        let largest = self
            .storage
            .buckets()
            .iter()
            .map(|b| b.max_object_bytes)
            .max()
            .unwrap_or(0);
        if let Some(len) = form.declared_len()
            && len > largest.saturating_add(FORM_OVERHEAD)
        {
            return Err(ApiError::new(
                Code::PayloadTooLarge,
                format!(
                    "the request declares {len} bytes; no bucket takes a file over {largest} bytes"
                ),
            ));
        }
        let (mut bucket, mut folder, mut file): (Option<String>, _, _) =
            (None, String::new(), None);
        while let Some(part) = form.next_part().await {
            match part? {
                ToolPart::File { name, body } => {
                    if file.is_some() {
                        return Err(ApiError::new(
                            Code::InvalidMultipart,
                            "this route takes one file per request",
                        ));
                    }
                    let limit = match &bucket {
                        Some(named) => self.strategy(named)?.1,
                        None => largest,
                    };
                    file = Some((name, self.storage.stage(body, limit).await?));
                }
                ToolPart::Bucket(named) => bucket = Some(named),
                ToolPart::Folder(named) => folder = named,
            }
        }
        let (name, staged) = file.ok_or_else(|| {
            ApiError::new(Code::InvalidMultipart, "the request has no file field")
        })?;
        let (bucket, limit) = match &bucket {
            Some(named) => self.strategy(named)?,
            None => self.strategy(self.tools.bucket.as_str())?,
        };
        if staged.size() > limit {
            return Err(storage::Error::TooLarge { limit }.into());
        }
        let planned = PlannedKey::new(
            self.tools.key_template.clone(),
            &folder,
            &staged.fitting_name(&name),
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| ApiError::from(storage::Error::from(e)))?
        .with_sha256(staged.digests().sha256.clone());
        let body = staged.body().await?;
        let mut one = StagedFile(Some(Incoming {
            name: name.clone(),
            key: Ok(planned),
            body,
        }));
        let outcome = self
            .upload(caller, &bucket, &mut one, Naming::Distinct)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an upload without outcome")))?;
        let meta = outcome.stored?;
        let deletion_ticket = self.storage.deletion_ticket(&bucket, &meta.key, &meta.etag);
        let signed = self.tool_link(&bucket, &meta.key).await;
        let thumbnail = match &outcome.facts {
            None => None,
            Some(_) => {
                let form = thumbnail_form(self.variant_settings());
                let signature = match signed {
                    None => None,
                    Some(_) => self
                        .storage
                        .sign_variant(
                            &bucket,
                            &meta.key,
                            &form,
                            Duration::from_secs(TOOL_LINK_SECS),
                        )
                        .inspect_err(|e| tracing::warn!(%bucket, key = %meta.key, error = %e, "no signed thumbnail link"))
                        .ok(),
                };
                Some((form, signature))
            }
        };
        Ok(ToolUpload {
            bucket,
            name,
            meta,
            signed,
            digests: staged.digests().clone(),
            deletion_ticket,
            facts: outcome.facts,
            thumbnail,
        })
    }

    /// A signed link to a tool upload in a private bucket; `None` in a public one, or when
    /// signing fails (logged: the upload stands, its answer has the plain link).
    async fn tool_link(&self, bucket: &BucketName, key: &ObjectKey) -> Option<SignedLink> {
        let signed = async {
            match self.storage.policy(bucket).await? {
                Policy::PublicRead => Ok(None),
                Policy::Private => {
                    let lifetime = Duration::from_secs(TOOL_LINK_SECS);
                    self.storage
                        .signed_link(bucket, key, lifetime)
                        .await
                        .map(Some)
                }
            }
        };
        signed.await.unwrap_or_else(|e: storage::Error| {
            tracing::warn!(%bucket, %key, error = %e, "no signed link for a tool upload");
            None
        })
    }

    /// What a ShareX configuration for the caller embeds: the caller's API token (which must
    /// have the `upload` scope: the configuration holds it in plain text, so a login session's
    /// short-lived token is refused) and the bucket it uploads to (the tools' default unless
    /// named). Errors: those of [`Need::Upload`], `api_token_required`, `bucket_not_found`.
    pub async fn tool_config(
        &self,
        caller: &Caller,
        bucket: Option<&str>,
    ) -> Result<ToolConfig, ApiError> {
        let principal = self.require(caller, Need::Upload).await?;
        is_api_token(principal)?;
        let token = caller
            .credential()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a principal without credential")))?
            .to_owned();
        let (bucket, _) = self.strategy(bucket.unwrap_or(self.tools.bucket.as_str()))?;
        let bucket = self.storage.bucket(&bucket)?;
        Ok(ToolConfig { token, bucket })
    }

    /// A bucket named by name or by strategy id, with its object limit. Errors:
    /// `bucket_not_found`.
    fn strategy(&self, named: &str) -> Result<(BucketName, u64), ApiError> {
        let named = named.trim();
        let by_id = named.parse::<usize>().ok().and_then(|id| {
            self.strategies()
                .into_iter()
                .find(|(i, _)| *i == id)
                .map(|(_, name)| name)
        });
        let name = match by_id {
            Some(name) => name,
            None => BucketName::parse(named).map_err(|_| not_a_strategy(named))?,
        };
        let info = self
            .storage
            .bucket(&name)
            .map_err(|_| not_a_strategy(named))?;
        Ok((name, info.max_object_bytes))
    }

    /// Logs in with an email or phone and password (throttled like any login) and mints an API
    /// token for an upload tool (scopes `read`, `upload`, `delete`; no expiry), named after
    /// `client`; the login session ends at once. Errors: those of [`Service::login`], and of
    /// token creation (`validation_failed` when the user has too many tokens).
    pub async fn tool_token(
        &self,
        caller: &Caller,
        login: &str,
        password: &str,
        client: &str,
    ) -> Result<NewToken, ApiError> {
        let (_, pair) = self
            .auth
            .login(
                login,
                password,
                caller.device().clone(),
                Some(Duration::from_secs(TOOL_LOGIN_SECS)),
            )
            .await?;
        let principal = self.auth.authenticate(&pair.access_token).await?;
        let minted = self
            .auth
            .create_token(&principal, client, TOOL_TOKEN_SCOPES.to_vec(), None)
            .await;
        if let Err(e) = self.auth.logout(&principal).await {
            tracing::warn!(error = %e, "could not end the login session behind a tool token");
        }
        Ok(minted?)
    }

    /// The object a deletion ticket names, if the ticket is this deployment's and that version
    /// is still stored (what the confirmation page shows). Errors: `invalid_signature`,
    /// `object_not_found` (already deleted), `object_changed` (replaced since), storage errors.
    pub async fn ticket_target(&self, ticket: &str) -> Result<(BucketName, ObjectKey), ApiError> {
        let (bucket, key, etag) = self.storage.open_deletion_ticket(ticket)?;
        match self.storage.current(&bucket, &key).await? {
            None => Err(storage::Error::NotFound {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }
            .into()),
            Some(now) => ticket_allows(&etag, &now, &bucket, &key).map(|()| (bucket, key)),
        }
    }

    /// Deletes the object version a deletion ticket names (see the access table: the ticket is
    /// the permission; it was handed to the uploader with the upload). Errors:
    /// `invalid_signature` (not a ticket of this deployment), `object_not_found` (already
    /// gone), `object_changed` (replaced since: the new version stays), storage errors.
    pub async fn delete_by_ticket(
        &self,
        caller: &Caller,
        ticket: &str,
    ) -> Result<(BucketName, ObjectKey), ApiError> {
        let (bucket, key, etag) = self.storage.open_deletion_ticket(ticket)?;
        let was = self
            .storage
            .delete_checked(&bucket, &key, |now: &Current| {
                ticket_allows(&etag, now, &bucket, &key)
            })
            .await?;
        let owner = was.owner.clone();
        self.usage.removed(&bucket, &key, was).await;
        self.listings.bump(&bucket).await;
        self.forget_variants(&bucket, &key).await;
        // The ticket, not a user, is the permission: the event names no user.
        let actor = super::notify::Actor::Request(caller, None);
        self.report_removed(actor, &bucket, &key, owner).await;
        tracing::info!(%bucket, %key, "object deleted by its deletion link");
        Ok((bucket, key))
    }
}

fn not_a_strategy(named: &str) -> ApiError {
    ApiError::new(
        Code::BucketNotFound,
        format!(
            "no bucket or strategy '{}'; GET /api/v1/strategies lists them",
            named.chars().take(64).collect::<String>()
        ),
    )
}

/// The staged file of a tool upload, as [`IncomingFiles`].
struct StagedFile(Option<Incoming<StagedBody>>);

type StagedBody = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl IncomingFiles for StagedFile {
    type Body = StagedBody;
    type BodyError = std::io::Error;

    async fn next_file(&mut self) -> Option<Result<Incoming<StagedBody>, ApiError>> {
        self.0.take().map(Ok)
    }
}
