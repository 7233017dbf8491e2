//! Response views: plain structs built `From` domain values, then shaped for the calling client
//! (its profile's fields, narrowed further by `?fields=`). Handlers never branch on the client.

mod answers;
mod bucket;
pub mod compat;
mod link;
mod links;
mod notify;
pub mod object;
mod outcome;
mod overview;
mod session;
mod shape;
mod token;
pub mod tools;
mod user;

pub use answers::{
    AliveView, CodeView, DeletedObjectView, DeletedUserView, EmptyView, IdView, ItemsView,
    PageView, ReadyView, UsageFiguresView, UsageView,
};
pub use bucket::BucketView;
pub use link::SignedLinkView;
pub use links::{Links, PublicUrl, file_path};
pub use notify::{DeadLetterView, DeadPageView, ReplayedView, RuleView, RulesView, TargetView};
pub use object::{
    ListView, ListedObjectView, ObjectInfoView, ObjectView, UploadItemView, UploadView,
};
pub use outcome::{DeletionView, PolicyView};
pub use overview::{
    OverviewBucketView, OverviewView, OwnerUsageView, RecentUploadView, SectionErrorView,
    TokenSummaryView,
};
pub use session::{SessionView, TokenView};
pub use shape::{ListBases, Shape};
pub use token::{ApiTokenView, InvitationView};
pub use user::{AdminUserView, RegistrationView, UserView};

use serde::Serialize;

/// A response resource whose fields clients may select.
pub trait View: Serialize {
    const RESOURCE: &'static str;
    const FIELDS: &'static [&'static str];
}

/// The fields of a resource, by its name in the profile config.
pub fn fields_of(resource: &str) -> Option<&'static [&'static str]> {
    match resource {
        ObjectView::RESOURCE => Some(ObjectView::FIELDS),
        ObjectInfoView::RESOURCE => Some(ObjectInfoView::FIELDS),
        UploadView::RESOURCE => Some(UploadView::FIELDS),
        UserView::RESOURCE => Some(UserView::FIELDS),
        AdminUserView::RESOURCE => Some(AdminUserView::FIELDS),
        BucketView::RESOURCE => Some(BucketView::FIELDS),
        SessionView::RESOURCE => Some(SessionView::FIELDS),
        SignedLinkView::RESOURCE => Some(SignedLinkView::FIELDS),
        DeletionView::RESOURCE => Some(DeletionView::FIELDS),
        PolicyView::RESOURCE => Some(PolicyView::FIELDS),
        ApiTokenView::RESOURCE => Some(ApiTokenView::FIELDS),
        InvitationView::RESOURCE => Some(InvitationView::FIELDS),
        OverviewView::RESOURCE => Some(OverviewView::FIELDS),
        OverviewBucketView::RESOURCE => Some(OverviewBucketView::FIELDS),
        RecentUploadView::RESOURCE => Some(RecentUploadView::FIELDS),
        OwnerUsageView::RESOURCE => Some(OwnerUsageView::FIELDS),
        TargetView::RESOURCE => Some(TargetView::FIELDS),
        RulesView::RESOURCE => Some(RulesView::FIELDS),
        DeadLetterView::RESOURCE => Some(DeadLetterView::FIELDS),
        ReplayedView::RESOURCE => Some(ReplayedView::FIELDS),
        compat::MinioObject::RESOURCE => Some(compat::MinioObject::FIELDS),
        compat::MinioBucket::RESOURCE => Some(compat::MinioBucket::FIELDS),
        _ => None,
    }
}
