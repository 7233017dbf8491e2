//! Answers of the seed-compatible API, shaped as the MinIO client gave them to the seed.

use serde::Serialize;
use storage::{BucketInfo, Entry, ObjectMeta};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::View;

/// A listing entry: an object, or a folder (`prefix`) as MinIO's non-recursive listing gave it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum MinioItem {
    Object(MinioObject),
    Folder { prefix: String, size: u64 },
}

/// An object of a listing as MinIO's client gave it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinioObject {
    name: String,
    size: u64,
    /// `""` when the backend's listing has no ETag, as MinIO's client gives it.
    etag: String,
    last_modified: String,
}

impl View for MinioObject {
    const RESOURCE: &'static str = "seedObject";
    const FIELDS: &'static [&'static str] = &["name", "size", "etag", "lastModified"];
}

impl From<&Entry> for MinioItem {
    fn from(entry: &Entry) -> Self {
        match entry {
            Entry::Object(meta) => Self::Object(MinioObject {
                name: meta.key.to_string(),
                size: meta.size,
                etag: meta.etag.as_deref().map(bare_etag).unwrap_or_default(),
                last_modified: rfc3339(meta.last_modified),
            }),
            Entry::Folder(prefix) => Self::Folder {
                prefix: prefix.clone(),
                size: 0,
            },
        }
    }
}

/// `statObject`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinioStat {
    size: u64,
    meta_data: MinioMetaData,
    last_modified: String,
    version_id: Option<String>,
    etag: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct MinioMetaData {
    #[serde(rename = "content-type")]
    content_type: String,
}

impl From<&ObjectMeta> for MinioStat {
    fn from(meta: &ObjectMeta) -> Self {
        Self {
            size: meta.size,
            meta_data: MinioMetaData {
                content_type: meta.content_type.clone(),
            },
            last_modified: rfc3339(meta.last_modified),
            version_id: None,
            etag: bare_etag(&meta.etag),
        }
    }
}

/// A `listBuckets` entry.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinioBucket {
    name: String,
    creation_date: Option<String>,
    policy: String,
}

impl View for MinioBucket {
    const RESOURCE: &'static str = "seedBucket";
    const FIELDS: &'static [&'static str] = &["name", "creationDate", "policy"];
}

impl From<&BucketInfo> for MinioBucket {
    fn from(b: &BucketInfo) -> Self {
        Self {
            name: b.name.to_string(),
            creation_date: None,
            policy: b.policy.to_string(),
        }
    }
}

/// The etag as MinIO gives it: without quotes.
pub fn bare_etag(etag: &str) -> String {
    etag.trim_start_matches("W/").trim_matches('"').to_owned()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
