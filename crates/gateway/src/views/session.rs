use auth::{SessionInfo, TokenPair};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::View;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    pub current: bool,
}

impl View for SessionView {
    const RESOURCE: &'static str = "session";
    const FIELDS: &'static [&'static str] =
        &["id", "userAgent", "ip", "createdAt", "lastSeen", "current"];
}

impl From<&SessionInfo> for SessionView {
    fn from(s: &SessionInfo) -> Self {
        Self {
            id: s.id.clone(),
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            created_at: s.created_at,
            last_seen: s.last_seen,
            current: s.current,
        }
    }
}

/// A login or refresh answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<serde_json::Value>,
}

impl TokenView {
    pub fn new(pair: &TokenPair, user: Option<serde_json::Value>) -> Self {
        Self {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
            token_type: "Bearer",
            expires_in: pair.expires_in,
            user,
        }
    }
}
