use serde::Serialize;
use storage::BucketInfo;
use utoipa::ToSchema;

use super::View;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketView {
    pub name: String,
    pub policy: String,
    pub max_object_bytes: u64,
    pub allowed_types: Vec<String>,
    /// `owner` or `shared`: who may replace and delete objects.
    pub write: &'static str,
    pub backend: String,
}

impl View for BucketView {
    const RESOURCE: &'static str = "bucket";
    const FIELDS: &'static [&'static str] = &[
        "name",
        "policy",
        "maxObjectBytes",
        "allowedTypes",
        "write",
        "backend",
    ];
}

impl From<&BucketInfo> for BucketView {
    fn from(b: &BucketInfo) -> Self {
        Self {
            name: b.name.to_string(),
            policy: b.policy.to_string(),
            max_object_bytes: b.max_object_bytes,
            allowed_types: b.allowed_types.clone(),
            write: b.write.as_str(),
            backend: b.backend.to_owned(),
        }
    }
}
