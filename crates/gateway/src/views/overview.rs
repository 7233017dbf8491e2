//! The overview's answer: one object whose sections are each shaped for the client (`pc`
//! gets them all; `h5` the name, the counts and the last uploads' links), `null` when that
//! section failed and is named in `errors`.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Links, Shape, UserView, View};
use crate::error::ApiError;
use crate::service::usage::Recent;
use crate::service::{BucketOverview, Overview, OwnerUsage, TokenSummary};

/// `data` of `GET /api/v1/overview`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewView {
    /// Whether every section was served.
    pub complete: bool,
    /// One entry per section that failed or was too slow.
    pub errors: Vec<SectionErrorView>,
    /// The user (`null` when the `user` section failed).
    #[schema(value_type = Option<UserView>)]
    pub user: Option<Value>,
    /// The user's name.
    pub name: Option<String>,
    /// Each bucket with its policy, limits and figures.
    #[schema(value_type = Option<Vec<OverviewBucketView>>)]
    pub buckets: Option<Vec<Value>>,
    /// Objects the user owns, in every bucket.
    pub objects: Option<u64>,
    /// Bytes the user owns, in every bucket.
    pub bytes: Option<u64>,
    /// The user's latest uploads, newest first.
    #[schema(value_type = Option<Vec<RecentUploadView>>)]
    pub recent: Option<Vec<Value>>,
    pub tokens: Option<TokenSummaryView>,
    /// Administrators only (absent for everyone else): what each owner has stored, biggest
    /// first; `null` when the section failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<OwnerUsageView>>)]
    pub owners: Option<Option<Vec<Value>>>,
}

impl View for OverviewView {
    const RESOURCE: &'static str = "overview";
    const FIELDS: &'static [&'static str] = &[
        "complete", "errors", "user", "name", "buckets", "objects", "bytes", "recent", "tokens",
        "owners",
    ];
}

/// One owner's figures in the administrators' overview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerUsageView {
    /// The owner's user id; `""` for objects without a recorded owner.
    pub user_id: String,
    /// The user's name; `""` for no owner or a deleted user.
    pub name: String,
    /// Objects they own, in every bucket.
    pub objects: u64,
    /// Bytes they own, in every bucket.
    pub bytes: u64,
    /// Per bucket where they own something.
    pub buckets: Vec<OwnerBucketView>,
}

impl View for OwnerUsageView {
    const RESOURCE: &'static str = "ownerUsage";
    const FIELDS: &'static [&'static str] = &["userId", "name", "objects", "bytes", "buckets"];
}

/// An owner's figures in one bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerBucketView {
    pub name: String,
    pub objects: u64,
    pub bytes: u64,
}

impl From<&OwnerUsage> for OwnerUsageView {
    fn from(o: &OwnerUsage) -> Self {
        Self {
            user_id: o.user_id.clone(),
            name: o.name.clone(),
            objects: o.total.objects,
            bytes: o.total.bytes,
            buckets: o
                .buckets
                .iter()
                .map(|(name, t)| OwnerBucketView {
                    name: name.clone(),
                    objects: t.objects,
                    bytes: t.bytes,
                })
                .collect(),
        }
    }
}

/// A section that was not served.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionErrorView {
    /// `user`, `buckets`, `usage`, `recent`, `tokens` or `owners`.
    pub section: &'static str,
    /// The stable error code, as in the error table.
    pub code: &'static str,
    pub msg: String,
}

/// A bucket in the overview; the figures are `null` when the `usage` section failed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewBucketView {
    pub name: String,
    pub policy: String,
    pub max_object_bytes: u64,
    pub allowed_types: Vec<String>,
    pub write: &'static str,
    /// Objects in the bucket, everyone's.
    pub objects: Option<u64>,
    /// Bytes in the bucket, everyone's.
    pub bytes: Option<u64>,
    /// Objects the user owns there.
    pub my_objects: Option<u64>,
    /// Bytes the user owns there.
    pub my_bytes: Option<u64>,
}

impl View for OverviewBucketView {
    const RESOURCE: &'static str = "overviewBucket";
    const FIELDS: &'static [&'static str] = &[
        "name",
        "policy",
        "maxObjectBytes",
        "allowedTypes",
        "write",
        "objects",
        "bytes",
        "myObjects",
        "myBytes",
    ];
}

impl From<&BucketOverview> for OverviewBucketView {
    fn from(b: &BucketOverview) -> Self {
        Self {
            name: b.info.name.to_string(),
            policy: b.info.policy.to_string(),
            max_object_bytes: b.info.max_object_bytes,
            allowed_types: b.info.allowed_types.clone(),
            write: b.info.write.as_str(),
            objects: b.usage.map(|u| u.all.objects),
            bytes: b.usage.map(|u| u.all.bytes),
            my_objects: b.usage.map(|u| u.mine.objects),
            my_bytes: b.usage.map(|u| u.mine.bytes),
        }
    }
}

/// One of the user's latest uploads.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecentUploadView {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub url: String,
}

impl View for RecentUploadView {
    const RESOURCE: &'static str = "recentUpload";
    const FIELDS: &'static [&'static str] = &["bucket", "key", "size", "uploadedAt", "url"];
}

impl RecentUploadView {
    /// `None` for a recorded key that is no longer a valid bucket or key.
    pub fn new(recent: &Recent, links: &Links) -> Option<Self> {
        let bucket = storage::BucketName::parse(recent.bucket.as_str()).ok()?;
        let key = storage::ObjectKey::parse(recent.key.as_str()).ok()?;
        Some(Self {
            url: links.file(&bucket, &key),
            bucket: recent.bucket.clone(),
            key: recent.key.clone(),
            size: recent.size,
            uploaded_at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(recent.at) * 1000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }
}

/// The user's API tokens.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenSummaryView {
    /// Valid tokens.
    pub count: usize,
    /// When one of them was last used (to the minute); `null` if never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used: Option<OffsetDateTime>,
}

impl From<TokenSummary> for TokenSummaryView {
    fn from(t: TokenSummary) -> Self {
        Self {
            count: t.count,
            last_used: t.last_used,
        }
    }
}

impl OverviewView {
    /// The overview shaped for the client: each section by its own resource's fields in the
    /// client's profile (`?fields=` names the overview's own fields, applied by the caller).
    pub fn new(overview: &Overview, links: &Links, shape: &Shape) -> Result<Self, ApiError> {
        let shape = &shape.profile_only();
        let buckets = match &overview.buckets {
            Some(list) => Some(
                shape.many(
                    &list
                        .iter()
                        .map(OverviewBucketView::from)
                        .collect::<Vec<_>>(),
                )?,
            ),
            None => None,
        };
        let mine = overview.buckets.as_ref().and_then(|list| {
            list.iter()
                .map(|b| b.usage.map(|u| u.mine))
                .try_fold((0, 0), |(o, b), m| m.map(|m| (o + m.objects, b + m.bytes)))
        });
        let recent = match &overview.recent {
            Some(list) => Some(
                shape.many(
                    &list
                        .iter()
                        .filter_map(|r| RecentUploadView::new(r, links))
                        .collect::<Vec<_>>(),
                )?,
            ),
            None => None,
        };
        Ok(Self {
            complete: overview.complete(),
            errors: overview
                .errors
                .iter()
                .map(|(section, e)| SectionErrorView {
                    section: section.as_str(),
                    code: e.code().name(),
                    msg: e.public_message(),
                })
                .collect(),
            user: match &overview.user {
                Some(u) => Some(shape.one(&UserView::from(u))?),
                None => None,
            },
            name: overview.user.as_ref().map(|u| u.name.clone()),
            buckets,
            objects: mine.map(|(o, _)| o),
            bytes: mine.map(|(_, b)| b),
            recent,
            tokens: overview.tokens.map(TokenSummaryView::from),
            owners: match &overview.owners {
                None => None,
                Some(None) => Some(None),
                Some(Some(list)) => Some(Some(
                    shape.many(&list.iter().map(OwnerUsageView::from).collect::<Vec<_>>())?,
                )),
            },
        })
    }
}
