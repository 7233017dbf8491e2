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

/// A user as the administrators' listing (`GET /api/v1/admin/users`) gives it: the same fields
/// as [`UserView`], under a resource of its own (`adminUser`), so that a profile that slims
/// `user` for a phone's own pages still lets an administrator see role and state there.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
pub struct AdminUserView(pub UserView);

impl View for AdminUserView {
    const RESOURCE: &'static str = "adminUser";
    const FIELDS: &'static [&'static str] = UserView::FIELDS;
}

/// `data` of `GET /api/v1/auth/registration`: who may sign up.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    /// `open` (anyone), `invite` (with an administrator's invitation code) or `closed`.
    #[schema(value_type = String, example = "invite")]
    pub mode: &'static str,
}

impl From<auth::Registration> for RegistrationView {
    fn from(r: auth::Registration) -> Self {
        let mode = match r {
            auth::Registration::Open => "open",
            auth::Registration::Invite => "invite",
            auth::Registration::Closed => "closed",
        };
        Self { mode }
    }
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
