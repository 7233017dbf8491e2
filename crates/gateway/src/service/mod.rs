//! The service layer: one method per operation, called by every API surface (`/api/v1`,
//! `/imagepic`, the file links). Each method takes the [`Caller`] and values already parsed into
//! newtypes, decides whether the caller may do it (the rules are in [`access`], and nowhere
//! else), then does it with `storage` and `auth`, undoing what it started when a later step
//! fails. Handlers only parse, call one method, and shape the answer.

pub mod access;
mod accounts;
mod admin;
mod buckets;
mod caller;
mod health;
pub mod list_cache;
mod notify;
mod objects;
mod overview;
mod tokens;
mod tools;
mod uploads;
pub mod usage;
mod variants;

use std::sync::Arc;

use auth::Auth;
use storage::Storage;

use self::list_cache::ListCache;
use self::usage::Usage;

use crate::metrics::Metrics;

pub use access::Need;
pub use admin::UserUpdate;
pub use caller::{Caller, Origin, SeenUser, credential};
pub use notify::MAX_DEAD_PAGE;
pub use objects::{Fetch, Found, MAX_BATCH_KEYS, ReadGrant, Served};
pub use overview::{BucketOverview, Overview, OwnerUsage, Section, TokenSummary};
pub use tools::{ToolConfig, ToolForm, ToolPart, ToolUpload, Tools};
pub use uploads::{FileOutcome, Incoming, IncomingFiles, Naming};
pub use variants::{VariantAsk, VariantHead, VariantServed, Variants};

/// The services every handler calls, built once per process. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    storage: Storage,
    auth: Auth,
    metrics: Metrics,
    listings: Arc<ListCache>,
    usage: Arc<Usage>,
    tools: Arc<Tools>,
    variants: Arc<Variants>,
    notify: ::notify::Notifier,
    /// The readiness checks running now (see `health.rs`).
    checks: Arc<health::CheckFlight>,
}

/// What a [`Service`] is built of (see `startup.rs`).
pub struct Parts {
    pub storage: Storage,
    pub auth: Auth,
    pub metrics: Metrics,
    pub listings: ListCache,
    pub usage: Usage,
    pub tools: Tools,
    pub variants: Variants,
    pub notify: ::notify::Notifier,
}

impl Service {
    pub fn new(parts: Parts) -> Self {
        Self {
            storage: parts.storage,
            auth: parts.auth,
            metrics: parts.metrics,
            listings: Arc::new(parts.listings),
            usage: Arc::new(parts.usage),
            tools: Arc::new(parts.tools),
            variants: Arc::new(parts.variants),
            notify: parts.notify,
            checks: Arc::default(),
        }
    }

    /// For readiness checks and start-up tasks.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// For readiness checks and the CLI's `user create`.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Bucket notifications, for start-up and shutdown.
    pub fn notifier(&self) -> &::notify::Notifier {
        &self.notify
    }

    /// The metrics registry, for `/metrics` and the request middleware.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
