//! Small typed `data` objects of answers that are not resources of their own: lists, the id of
//! what was removed, health. They serialize exactly as the JSON the routes always sent, and give
//! the OpenAPI document a schema per answer.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// `{items}`: every item of a list, each shaped for the client.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsView<T> {
    pub items: Vec<T>,
}

/// `{items, total}`: one page of a list and the size of the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// `{}`: a success with nothing to tell.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmptyView {}

/// `{id}`: what was revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdView {
    pub id: String,
}

/// `{code}`: the invitation code withdrawn.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeView {
    pub code: String,
}

/// `{id, deleted}`: a deleted user.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedUserView {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// `{key, deleted}`: a deleted object.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedObjectView {
    pub key: String,
    /// Always `true`.
    pub deleted: bool,
}

/// A bucket's recounted figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageFiguresView {
    pub objects: u64,
    pub bytes: u64,
}

/// `{buckets: {name: {objects, bytes}}}`: the figures a usage rebuild counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub buckets: BTreeMap<String, UsageFiguresView>,
}

/// `/healthz`: `{status: "alive"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AliveView {
    /// `alive`.
    pub status: &'static str,
}

/// `/readyz`: `{status: "ready", checks}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyView {
    /// `ready`.
    pub status: &'static str,
    /// Each dependency checked, by name.
    #[schema(value_type = Object)]
    pub checks: serde_json::Map<String, serde_json::Value>,
}
