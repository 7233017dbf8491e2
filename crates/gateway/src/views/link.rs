use serde::Serialize;
use storage::{BucketName, ObjectKey, SignedUrl};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Links, View, file_path};
use crate::error::ApiError;

/// A time-limited link to an object.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedLinkView {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl View for SignedLinkView {
    const RESOURCE: &'static str = "link";
    const FIELDS: &'static [&'static str] = &["url", "expiresAt"];
}

impl SignedLinkView {
    pub fn new(
        links: &Links,
        bucket: &BucketName,
        key: &ObjectKey,
        signed: &SignedUrl,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            url: format!(
                "{}{}?expires={}&signature={}",
                links.base(),
                file_path(bucket, key),
                signed.expires,
                signed.signature
            ),
            expires_at: OffsetDateTime::from_unix_timestamp(signed.expires)
                .map_err(ApiError::internal)?,
        })
    }
}
