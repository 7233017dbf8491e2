//! The overview: what a dashboard's first screen needs, gathered in one call. Its sections
//! run concurrently, each under [`SECTION_TIMEOUT`]; one that fails or is slow is reported
//! with its error while the others are served. Nothing here scans a bucket: the figures come
//! from the usage ledger ([`super::usage`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use auth::User;
use storage::{BucketInfo, BucketName, Detail, ListQuery};
use time::OffsetDateTime;

use super::usage::{BucketUsage, Ledger, Recent, Tally};
use super::{Caller, Need, Service, access};
use crate::error::{ApiError, Code};

/// The longest one section may take.
pub const SECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// One part of the overview, named as in `data.errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    User,
    Buckets,
    Usage,
    Recent,
    Tokens,
    Owners,
}

impl Section {
    /// The section's name in `data.errors`: `user`, `buckets`, `usage`, `recent`, `tokens`,
    /// `owners`.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::User => "user",
            Section::Buckets => "buckets",
            Section::Usage => "usage",
            Section::Recent => "recent",
            Section::Tokens => "tokens",
            Section::Owners => "owners",
        }
    }
}

/// A bucket the caller can see, with its current policy and, when the `usage` section was
/// served, its figures.
#[derive(Debug, Clone)]
pub struct BucketOverview {
    pub info: BucketInfo,
    pub usage: Option<BucketUsage>,
}

/// The caller's API tokens: how many are valid, and when one was last used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSummary {
    pub count: usize,
    pub last_used: Option<OffsetDateTime>,
}

/// What one owner has stored, in all and per bucket (administrators' overview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerUsage {
    /// The owner's user id; `""` for objects without a recorded owner.
    pub user_id: String,
    /// The user's name; `""` when there is no such user (no owner, or a deleted user).
    pub name: String,
    pub total: Tally,
    /// Per bucket with something of theirs, in the order `GET /api/v1/buckets` lists them.
    pub buckets: Vec<(String, Tally)>,
}

/// Every section that was served, and the error of each that was not.
#[derive(Debug)]
pub struct Overview {
    pub user: Option<User>,
    pub buckets: Option<Vec<BucketOverview>>,
    pub recent: Option<Vec<Recent>>,
    pub tokens: Option<TokenSummary>,
    /// Everyone's figures, biggest first: `None` when the caller may not see them
    /// ([`access::sees_all_usage`]), `Some(None)` when the section failed.
    pub owners: Option<Option<Vec<OwnerUsage>>>,
    pub errors: Vec<(Section, ApiError)>,
}

impl Overview {
    /// Whether every section was served.
    pub fn complete(&self) -> bool {
        self.errors.is_empty()
    }
}

impl Service {
    /// The caller's overview, with at most `recent` recent uploads. Needs a login session
    /// (`session_required` for API tokens: tools have no dashboard). Sections fail alone: a
    /// backend that errs gives its code (`storage_unavailable`, `session_store_unavailable`
    /// …), one slower than [`SECTION_TIMEOUT`] gives `upstream_timeout`.
    pub async fn overview(&self, caller: &Caller, recent: usize) -> Result<Overview, ApiError> {
        let principal = self.require(caller, Need::Session).await?;
        let user_id = principal.user_id;
        let owner = user_id.to_string();
        let names: Vec<BucketName> = self.storage.buckets().into_iter().map(|b| b.name).collect();

        let user = section(Section::User, async { Ok(self.auth.user(user_id).await?) });
        let buckets = section(Section::Buckets, async {
            let mut out = Vec::with_capacity(names.len());
            for name in &names {
                let mut info = self.storage.bucket(name)?;
                info.policy = self.storage.policy(name).await?;
                out.push(info);
            }
            Ok(out)
        });
        let usage = section(Section::Usage, async {
            self.usage
                .buckets(&names, &owner)
                .await
                .map_err(ApiError::from)
        });
        let recent = section(Section::Recent, async {
            let list = self.usage.recent(&owner, recent).await?;
            // Buckets removed from the config since are left out.
            Ok(list
                .into_iter()
                .filter(|r| names.iter().any(|n| n.as_str() == r.bucket))
                .collect::<Vec<_>>())
        });
        let tokens = section(Section::Tokens, async {
            let tokens = self.auth.tokens(user_id).await?;
            Ok(TokenSummary {
                count: tokens.len(),
                last_used: tokens.iter().filter_map(|t| t.last_used).max(),
            })
        });
        let everyone = access::sees_all_usage(principal);
        let owners = async {
            if !everyone {
                return None;
            }
            Some(section(Section::Owners, self.owner_usage(&names)).await)
        };
        let (user, buckets, usage, recent, tokens, owners) =
            futures::join!(user, buckets, usage, recent, tokens, owners);

        let mut errors = Vec::new();
        let user = keep(user, &mut errors);
        let usage = keep(usage, &mut errors);
        let buckets = keep(buckets, &mut errors).map(|infos| {
            infos
                .into_iter()
                .map(|info| BucketOverview {
                    usage: usage
                        .as_ref()
                        .and_then(|u| u.get(info.name.as_str()).copied()),
                    info,
                })
                .collect()
        });
        let recent = keep(recent, &mut errors);
        let tokens = keep(tokens, &mut errors);
        let owners = owners.map(|o| keep(o, &mut errors));
        Ok(Overview {
            user,
            buckets,
            recent,
            tokens,
            owners,
            errors,
        })
    }

    /// Every owner's figures in `buckets`, biggest (bytes, then objects) first, named from the
    /// accounts.
    async fn owner_usage(&self, buckets: &[BucketName]) -> Result<Vec<OwnerUsage>, ApiError> {
        let (figures, users) = futures::join!(self.usage.owners(buckets), self.auth.users());
        let figures = figures?;
        let names: HashMap<String, String> = users?
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect();
        let mut owners: BTreeMap<String, OwnerUsage> = BTreeMap::new();
        for bucket in buckets {
            let Some(per_owner) = figures.get(bucket.as_str()) else {
                continue;
            };
            for (owner, tally) in per_owner {
                let entry = owners.entry(owner.clone()).or_insert_with(|| OwnerUsage {
                    user_id: owner.clone(),
                    name: names.get(owner).cloned().unwrap_or_default(),
                    total: Tally::default(),
                    buckets: Vec::new(),
                });
                entry.total.objects += tally.objects;
                entry.total.bytes += tally.bytes;
                entry.buckets.push((bucket.to_string(), *tally));
            }
        }
        let mut list: Vec<OwnerUsage> = owners.into_values().collect();
        list.sort_by(|a, b| {
            (b.total.bytes, b.total.objects)
                .cmp(&(a.total.bytes, a.total.objects))
                .then_with(|| a.user_id.cmp(&b.user_id))
        });
        Ok(list)
    }
}

impl Service {
    /// Recounts the usage figures from the storage, for objects put there behind picgate's
    /// back: every object of every bucket with its owner (a stat per object on S3 and COS, an
    /// owner record on fs), 1,000 per listing page, then replaces the ledger whole. Needs an
    /// administrator (`admin_required`). Answers the new figures.
    pub async fn rebuild_usage_as(&self, caller: &Caller) -> Result<Ledger, ApiError> {
        self.require(caller, Need::Admin).await?;
        self.rebuild_usage().await
    }

    /// Builds the usage figures once, on a deployment that has none yet (new, or upgraded
    /// from a version without them), so that objects already stored are counted; run at start
    /// before serving (on a large bucket the first start takes as long as its listing). A
    /// failure is logged: the figures then count only new writes until a rebuild.
    pub async fn build_usage_if_missing(&self) {
        match self.usage.is_built().await {
            Ok(true) => {}
            Ok(false) => {
                if let Err(e) = self.rebuild_usage().await {
                    tracing::warn!(error = ?e, "could not build the usage figures; run `picgate usage rebuild`");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not tell whether usage figures exist"),
        }
    }

    /// [`Service::rebuild_usage_as`] for the command line, which needs no caller.
    pub async fn rebuild_usage(&self) -> Result<Ledger, ApiError> {
        let mut ledger = Ledger::default();
        for bucket in self.storage.buckets() {
            let mut cursor = None;
            loop {
                let query = ListQuery {
                    prefix: String::new(),
                    delimiter: false,
                    page_size: 1000,
                    cursor,
                    detail: Detail::Stat,
                };
                let page = self.storage.list(&bucket.name, &query).await?;
                for object in &page.items {
                    let owner = object.detail.as_ref().and_then(|d| d.owner.as_deref());
                    ledger.count(
                        bucket.name.as_str(),
                        object.key.as_str(),
                        owner,
                        object.size,
                        i64::try_from(object.last_modified.unix_timestamp_nanos() / 1000)
                            .unwrap_or(0),
                    );
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        self.usage.replace(ledger.clone()).await?;
        tracing::info!(buckets = ledger.buckets.len(), "usage figures rebuilt");
        Ok(ledger)
    }
}

/// A served section's value; a failed one's error goes to `errors`.
fn keep<T>(
    result: Result<T, (Section, ApiError)>,
    errors: &mut Vec<(Section, ApiError)>,
) -> Option<T> {
    result.map_err(|failed| errors.push(failed)).ok()
}

/// Runs one section under [`SECTION_TIMEOUT`]; its error comes back named.
async fn section<T>(
    name: Section,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, (Section, ApiError)> {
    match tokio::time::timeout(SECTION_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            tracing::warn!(section = name.as_str(), error = ?e, "an overview section failed");
            Err((name, e))
        }
        Err(_) => Err((
            name,
            ApiError::new(
                Code::UpstreamTimeout,
                format!("the {} section took too long", name.as_str()),
            ),
        )),
    }
}
