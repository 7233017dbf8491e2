use serde::Serialize;
use storage::{BucketName, Policy};
use utoipa::ToSchema;

use super::View;
use crate::error::ApiError;

/// What became of one key of a delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionView {
    pub key: String,
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
}

impl View for DeletionView {
    const RESOURCE: &'static str = "deletion";
    const FIELDS: &'static [&'static str] = &["key", "deleted", "code", "msg"];
}

impl DeletionView {
    pub fn new(key: &str, result: Result<(), ApiError>) -> Self {
        match result {
            Ok(()) => Self {
                key: key.to_owned(),
                deleted: true,
                code: None,
                msg: None,
            },
            Err(e) => Self {
                key: key.to_owned(),
                deleted: false,
                code: Some(e.code().name()),
                msg: Some(e.public_message()),
            },
        }
    }
}

/// A bucket's access policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub bucket: String,
    pub policy: String,
}

impl View for PolicyView {
    const RESOURCE: &'static str = "policy";
    const FIELDS: &'static [&'static str] = &["bucket", "policy"];
}

impl PolicyView {
    pub fn new(bucket: &BucketName, policy: Policy) -> Self {
        Self {
            bucket: bucket.to_string(),
            policy: policy.to_string(),
        }
    }
}
