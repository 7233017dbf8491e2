use serde::Serialize;
use storage::{BucketName, ObjectKey, SignedLink};
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
    /// The backend's own presigned URL, or the gateway's `/f` link with its signature.
    pub fn new(
        links: &Links,
        bucket: &BucketName,
        key: &ObjectKey,
        link: &SignedLink,
    ) -> Result<Self, ApiError> {
        let url = match link {
            SignedLink::Native { url, .. } => url.clone(),
            SignedLink::Gateway(signed) => format!(
                "{}{}?expires={}&signature={}",
                links.base(),
                file_path(bucket, key),
                signed.expires,
                signed.signature
            ),
        };
        Ok(Self {
            url,
            expires_at: OffsetDateTime::from_unix_timestamp(link.expires())
                .map_err(ApiError::internal)?,
        })
    }

    /// Puts the variant parameters a gateway signature covers (`w=320&fmt=webp`) in the link,
    /// before the signature; unchanged for `None`.
    pub fn for_variant(mut self, variant: Option<&str>) -> Self {
        if let Some(form) = variant.filter(|f| !f.is_empty())
            && let Some(at) = self.url.find("?expires=")
        {
            self.url.insert_str(at + 1, &format!("{form}&"));
        }
        self
    }
}
