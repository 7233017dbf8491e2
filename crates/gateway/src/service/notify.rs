//! Bucket notifications: the events every change reports (one place, called by the write and
//! delete operations of every API surface), and the administrator's operations on bucket
//! rules, targets and dead letters.

use notify::{BucketRules, DeadPage, Event, EventName, Replayed, TargetInfo};
use storage::{BucketName, ObjectKey, ObjectMeta};
use time::OffsetDateTime;

use super::{Caller, Need, Service};
use crate::error::ApiError;

/// Most dead letters one page lists.
pub const MAX_DEAD_PAGE: usize = 500;

/// Who caused an event, as far as the request tells.
#[derive(Clone, Copy)]
pub(crate) enum Actor<'a> {
    /// A request, and the user it acted for once known.
    Request(&'a Caller, Option<&'a auth::Principal>),
    /// No caller at hand (a read through a signed link).
    Nobody,
}

impl Service {
    /// Reports `name` on the object `meta` of `bucket`: stored (`s3:ObjectCreated:Put` or
    /// `…:Post`) or read (`s3:ObjectAccessed:Get` or `…:Head`, which rules may name only
    /// with `notify.access_events`). Never fails and never waits for delivery.
    pub(crate) async fn report(
        &self,
        actor: Actor<'_>,
        bucket: &BucketName,
        meta: &ObjectMeta,
        name: EventName,
    ) {
        if !self.notify.wants(bucket.as_ref(), name) {
            return;
        }
        let mut event = event_of(actor, name, bucket, &meta.key, meta.owner.clone());
        event.size = Some(meta.size);
        event.etag = Some(meta.etag.trim_matches('"').to_owned());
        event.content_type = Some(meta.content_type.clone());
        self.notify.publish(event).await;
    }

    /// Reports that the object at `key`, owned by `owner`, was deleted from `bucket`.
    pub(crate) async fn report_removed(
        &self,
        actor: Actor<'_>,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: Option<String>,
    ) {
        let name = EventName::ObjectRemovedDelete;
        if !self.notify.wants(bucket.as_ref(), name) {
            return;
        }
        let event = event_of(actor, name, bucket, key, owner);
        self.notify.publish(event).await;
    }

    /// The configured notification targets with their ARNs and queue depths. Needs
    /// [`Need::Admin`].
    pub async fn notification_targets(&self, caller: &Caller) -> Result<Vec<TargetInfo>, ApiError> {
        self.require(caller, Need::Admin).await?;
        Ok(self.notify.targets().await)
    }

    /// `bucket`'s notification rules. Needs [`Need::Admin`]. Errors: `bucket_not_found`,
    /// `storage_unavailable`.
    pub async fn bucket_notifications(
        &self,
        caller: &Caller,
        bucket: &BucketName,
    ) -> Result<BucketRules, ApiError> {
        self.require(caller, Need::Admin).await?;
        self.storage.bucket(bucket)?;
        Ok(self.notify.rules(bucket.as_ref()).await?)
    }

    /// Replaces `bucket`'s notification rules (stored in the system area; this instance
    /// applies them at once, every other within `notify.rules_refresh_secs`); answers them as
    /// stored, ids given. Needs [`Need::Admin`]. Errors: `bucket_not_found`,
    /// `invalid_notification`, `storage_unavailable`.
    pub async fn set_bucket_notifications(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        rules: BucketRules,
    ) -> Result<BucketRules, ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        self.storage.bucket(bucket)?;
        let stored = self.notify.set_rules(bucket.as_ref(), rules).await?;
        tracing::info!(target: "security", event = "notifications_changed", user_id = %principal.user_id, %bucket, rules = stored.rules.len(), "bucket notification rules changed");
        Ok(stored)
    }

    /// Dead letters, oldest first: `page_size` (1 to [`MAX_DEAD_PAGE`]) after `cursor`, of
    /// `target` or of all. Needs [`Need::Admin`]. Errors: `target_not_found`,
    /// `invalid_cursor`, `event_queue_unavailable`, `storage_unavailable`.
    pub async fn dead_letters(
        &self,
        caller: &Caller,
        target: Option<&str>,
        cursor: Option<&str>,
        page_size: usize,
    ) -> Result<DeadPage, ApiError> {
        self.require(caller, Need::Admin).await?;
        let limit = page_size.clamp(1, MAX_DEAD_PAGE);
        Ok(self.notify.dead_letters(target, cursor, limit).await?)
    }

    /// Puts dead letters (those of `ids`, else all; of `target` only when given) back at the
    /// end of their queues. Needs [`Need::Admin`]. Errors: `target_not_found`,
    /// `event_queue_unavailable`, `storage_unavailable`.
    pub async fn replay_dead_letters(
        &self,
        caller: &Caller,
        ids: Option<Vec<String>>,
        target: Option<&str>,
    ) -> Result<Replayed, ApiError> {
        let principal = self.require(caller, Need::Admin).await?;
        let replayed = self.notify.replay(ids, target).await?;
        tracing::info!(target: "security", event = "dead_letters_replayed", user_id = %principal.user_id, replayed = replayed.replayed, "dead letters replayed");
        Ok(replayed)
    }
}

/// An event of `name` on `key` without object facts (those are the caller's to add).
fn event_of(
    actor: Actor<'_>,
    name: EventName,
    bucket: &BucketName,
    key: &ObjectKey,
    owner: Option<String>,
) -> Event {
    let (caller, principal) = match actor {
        Actor::Request(caller, principal) => (Some(caller), principal),
        Actor::Nobody => (None, None),
    };
    let device = caller.map(Caller::device);
    let origin = caller.map(Caller::origin);
    Event {
        name,
        bucket: bucket.to_string(),
        key: key.to_string(),
        size: None,
        etag: None,
        content_type: None,
        time: OffsetDateTime::now_utc(),
        actor: principal.map(|p| p.user_id.to_string()),
        owner,
        client: origin.and_then(|o| o.client).map(|c| c.as_str().to_owned()),
        source_ip: device.and_then(|d| d.ip.clone()),
        user_agent: device.and_then(|d| d.user_agent.clone()),
        request_id: origin.and_then(|o| o.request_id.clone()),
    }
}
