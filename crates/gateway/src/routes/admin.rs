//! `/api/v1/admin/*`: users and invitations, for administrators.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use auth::Role;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::body::Json;
use crate::envelope::{self, OkEnvelope};
use crate::error::{ApiError, Code};
use crate::service::{Caller, Service, UserUpdate};
use crate::views::{
    AdminUserView, CodeView, DeletedUserView, InvitationView, ItemsView, Shape, UsageFiguresView,
    UsageView, UserView,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint!("/admin/users", get => list_users))
        .service(endpoint!("/admin/users/{id}", patch => update_user, delete => delete_user))
        .service(
            endpoint!("/admin/invitations", get => list_invitations, post => create_invitation),
        )
        .service(endpoint!("/admin/invitations/{code}", delete => revoke_invitation))
        .service(endpoint!("/admin/usage/rebuild", post => rebuild_usage));
}

#[utoipa::path(post, path = "/api/v1/admin/usage/rebuild", tag = "admin",
    responses((status = 200, description = "the recounted figures of every bucket", body = OkEnvelope<UsageView>)))]
pub async fn rebuild_usage(
    caller: Caller,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let ledger = service.rebuild_usage_as(&caller).await?;
    let buckets = ledger
        .buckets
        .iter()
        .map(|(name, b)| {
            let figures = UsageFiguresView {
                objects: b.all.objects,
                bytes: b.all.bytes,
            };
            (name.clone(), figures)
        })
        .collect();
    Ok(envelope::ok(UsageView { buckets }))
}

fn user_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::new(Code::UserNotFound, format!("no user has the id '{raw}'")))
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, description = "every user, oldest first", body = OkEnvelope<ItemsView<AdminUserView>>)))]
pub async fn list_users(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let users = service.users(&caller).await?;
    let views: Vec<AdminUserView> = users
        .iter()
        .map(|u| AdminUserView(UserView::from(u)))
        .collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&views)?,
    }))
}

/// A role (the schema of `role`; the form takes a string and names a wrong one in its 422).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RoleName {
    User,
    Admin,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserForm {
    /// `true` ends every session and API token of the user at once.
    disabled: Option<bool>,
    /// `user` or `admin`.
    #[schema(value_type = Option<RoleName>)]
    role: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", request_body = UserForm,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, description = "the user as changed", body = OkEnvelope<AdminUserView>)))]
pub async fn update_user(
    caller: Caller,
    id: web::Path<String>,
    form: Json<UserForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<AdminUserView>()?;
    let id = user_id(&id)?;
    let form = form.into_inner();
    let role = match form.role.as_deref() {
        None => None,
        Some("user") => Some(Role::User),
        Some("admin") => Some(Role::Admin),
        Some(other) => {
            return Err(auth::Error::Validation(vec![auth::FieldError::new(
                "role",
                format!("'{other}' is not a role: use user or admin"),
            )])
            .into());
        }
    };
    let update = UserUpdate {
        disabled: form.disabled,
        role,
    };
    let user = service.update_user(&caller, id, update).await?;
    Ok(envelope::ok(
        shape.one(&AdminUserView(UserView::from(&user)))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin",
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, description = "deleted; sessions and tokens ended", body = OkEnvelope<DeletedUserView>)))]
pub async fn delete_user(
    caller: Caller,
    id: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    service.delete_user(&caller, id).await?;
    Ok(envelope::ok(DeletedUserView {
        id: id.to_string(),
        deleted: true,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct InvitationForm {
    /// Seconds the code stays valid (default `auth.invitation_ttl_secs`, at most 30 days).
    #[schema(minimum = 1, maximum = 2_592_000)]
    #[serde(default, deserialize_with = "super::parse::whole_number")]
    expires_in: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/admin/invitations", tag = "admin", request_body = InvitationForm,
    responses((status = 201, description = "a single-use invitation code", body = OkEnvelope<InvitationView>)))]
pub async fn create_invitation(
    caller: Caller,
    form: Json<InvitationForm>,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    shape.check::<InvitationView>()?;
    let expires_in = form.expires_in.map(Duration::from_secs);
    let invitation = service.create_invitation(&caller, expires_in).await?;
    Ok(envelope::created(
        shape.one(&InvitationView::from(&invitation))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/invitations", tag = "admin",
    responses((status = 200, description = "open invitations, newest first", body = OkEnvelope<ItemsView<InvitationView>>)))]
pub async fn list_invitations(
    caller: Caller,
    service: web::Data<Service>,
    shape: Shape,
) -> Result<HttpResponse, ApiError> {
    let invitations = service.invitations(&caller).await?;
    let views: Vec<InvitationView> = invitations.iter().map(InvitationView::from).collect();
    Ok(envelope::ok(ItemsView {
        items: shape.many(&views)?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/admin/invitations/{code}", tag = "admin",
    params(("code" = String, Path, description = "invitation code")),
    responses((status = 200, description = "withdrawn", body = OkEnvelope<CodeView>)))]
pub async fn revoke_invitation(
    caller: Caller,
    code: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    service.revoke_invitation(&caller, &code).await?;
    Ok(envelope::ok(CodeView {
        code: code.into_inner(),
    }))
}
