use auth::{ApiToken, Invitation, NewToken};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::View;

/// An API token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<&'static str>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Only in the answer that creates the token: the token itself, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl View for ApiTokenView {
    const RESOURCE: &'static str = "token";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "scopes",
        "createdAt",
        "lastUsed",
        "expiresAt",
        "token",
    ];
}

impl From<&ApiToken> for ApiTokenView {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: t.created_at,
            last_used: t.last_used,
            expires_at: t.expires_at,
            token: None,
        }
    }
}

impl From<&NewToken> for ApiTokenView {
    fn from(t: &NewToken) -> Self {
        Self {
            token: Some(t.secret.clone()),
            ..Self::from(&t.token)
        }
    }
}

/// An open invitation code.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub code: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl View for InvitationView {
    const RESOURCE: &'static str = "invitation";
    const FIELDS: &'static [&'static str] = &["code", "createdBy", "createdAt", "expiresAt"];
}

impl From<&Invitation> for InvitationView {
    fn from(i: &Invitation) -> Self {
        Self {
            code: i.code.clone(),
            created_by: i.created_by.to_string(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}
