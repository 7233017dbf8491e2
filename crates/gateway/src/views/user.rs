use auth::User;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::View;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl View for UserView {
    const RESOURCE: &'static str = "user";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "phone",
        "email",
        "role",
        "disabled",
        "createdAt",
    ];
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            email: u.email.clone(),
            role: role_name(u.role).to_owned(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

pub fn role_name(role: auth::Role) -> &'static str {
    match role {
        auth::Role::Admin => "admin",
        auth::Role::User => "user",
    }
}
