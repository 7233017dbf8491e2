//! Bucket notifications: targets, rules and dead letters as the native API answers them.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::View;

/// A notification target (`GET /api/v1/notify/targets`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    /// The id under `[notify.targets]`.
    pub id: String,
    /// What bucket rules name: `arn:minio:sqs::<id>:<type>`.
    pub arn: String,
    /// `webhook` or `redis`.
    #[serde(rename = "type")]
    pub kind: String,
    /// webhook: the URL without user info, query or fragment.
    pub endpoint: Option<String>,
    /// redis: the stream events are appended to.
    pub stream: Option<String>,
    /// webhook: whether requests carry a `webhook-signature` header.
    pub signed: bool,
    /// Events waiting for this target now; `null` when the queue did not answer.
    pub queued: Option<u64>,
}

impl View for TargetView {
    const RESOURCE: &'static str = "notifyTarget";
    const FIELDS: &'static [&'static str] = &[
        "id", "arn", "type", "endpoint", "stream", "signed", "queued",
    ];
}

impl From<notify::TargetInfo> for TargetView {
    fn from(t: notify::TargetInfo) -> Self {
        Self {
            id: t.id,
            arn: t.arn,
            kind: t.kind.as_str().to_owned(),
            endpoint: t.endpoint,
            stream: t.stream,
            signed: t.signed,
            queued: t.queued,
        }
    }
}

/// A bucket's notification rules (`GET/PUT /api/v1/buckets/{bucket}/notifications`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// In order; an event goes to each target once, named by the first rule that matches.
    pub rules: Vec<RuleView>,
}

/// One rule: these events, on keys with this prefix and suffix, go to this target.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleView {
    /// Unique in the bucket; `rule-<n>` is given when empty. The records'
    /// `s3.configurationId`.
    #[serde(default)]
    pub id: String,
    /// `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `…:Post`, `…:Copy`,
    /// `…:CompleteMultipartUpload`, `s3:ObjectRemoved:*`, `…:Delete`, and with
    /// `notify.access_events` `s3:ObjectAccessed:*`, `…:Get`, `…:Head`.
    #[schema(min_items = 1)]
    pub events: Vec<String>,
    /// Keys must start with it.
    #[serde(default)]
    pub prefix: String,
    /// Keys must end with it.
    #[serde(default)]
    pub suffix: String,
    /// A target's ARN (`GET /api/v1/notify/targets`).
    pub target: String,
}

impl View for RulesView {
    const RESOURCE: &'static str = "notifications";
    const FIELDS: &'static [&'static str] = &["rules"];
}

impl From<notify::BucketRules> for RulesView {
    fn from(r: notify::BucketRules) -> Self {
        Self {
            rules: r
                .rules
                .into_iter()
                .map(|r| RuleView {
                    id: r.id,
                    events: r.events,
                    prefix: r.prefix,
                    suffix: r.suffix,
                    target: r.target,
                })
                .collect(),
        }
    }
}

impl From<RuleView> for notify::Rule {
    fn from(r: RuleView) -> Self {
        Self {
            id: r.id,
            events: r.events,
            prefix: r.prefix,
            suffix: r.suffix,
            target: r.target,
        }
    }
}

/// An event that was not delivered (`GET /api/v1/notify/dead`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterView {
    /// What replay takes.
    pub id: String,
    pub target: String,
    /// The message's `webhook-id` (`Records[0].picgate.eventId`).
    pub event_id: String,
    pub event_name: String,
    pub bucket: String,
    pub key: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the last one failed (`HTTP 500`, a connection error, `too old`).
    pub last_error: String,
    #[serde(with = "time::serde::rfc3339")]
    pub produced_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub dead_at: OffsetDateTime,
    /// The S3 event message as it would have been sent.
    #[schema(value_type = Object)]
    pub message: Value,
}

impl View for DeadLetterView {
    const RESOURCE: &'static str = "deadLetter";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "target",
        "eventId",
        "eventName",
        "bucket",
        "key",
        "attempts",
        "lastError",
        "producedAt",
        "deadAt",
        "message",
    ];
}

impl From<notify::DeadLetter> for DeadLetterView {
    fn from(d: notify::DeadLetter) -> Self {
        Self {
            id: d.id,
            target: d.target,
            event_id: d.event_id,
            event_name: d.event_name,
            bucket: d.bucket,
            key: d.key,
            attempts: d.attempts,
            last_error: d.last_error,
            produced_at: d.produced_at,
            dead_at: d.dead_at,
            message: d.message,
        }
    }
}

/// `{items, nextCursor}`: one page of dead letters, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadPageView<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What a replay did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayedView {
    /// Dead letters put back at the end of their target's queue.
    pub replayed: usize,
    /// Ids asked for that are not (or no longer) dead letters.
    pub missing: Vec<String>,
}

impl View for ReplayedView {
    const RESOURCE: &'static str = "replay";
    const FIELDS: &'static [&'static str] = &["replayed", "missing"];
}
