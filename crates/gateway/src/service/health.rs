//! Readiness: whether every storage backend and the session store answer; the scrape of
//! `/metrics`, which checks them too. Checks asked for while one runs share it, so probes and
//! scrapes against a hung backend do not pile up connections to it.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde_json::{Map, Value};

use super::Service;
use crate::error::{ApiError, Code};
use crate::service::access::{self, MetricsReader};

impl Service {
    /// Checks each bucket's backend (`storage:<bucket>`), the system area (`storage:system`)
    /// and the session store (`sessions`); `{name: true|false}` when all answer. Errors:
    /// [`ApiError::NotReady`] naming what does not (503 `session_store_unavailable` if the
    /// session store is among them, else `storage_unavailable`).
    pub async fn readiness(&self) -> Result<Map<String, Value>, ApiError> {
        let mut checks = Map::new();
        let mut failing = Vec::new();
        let checked = self.checked().await;
        let (storage, sessions) = (&checked.0, &checked.1);
        for (name, result) in storage {
            if let Err(e) = &result {
                tracing::warn!(backend = %name, error = %e, "readiness check failed");
                failing.push(format!("storage:{name}"));
            }
            checks.insert(format!("storage:{name}"), result.is_ok().into());
        }
        if let Err(e) = &sessions {
            tracing::warn!(error = %e, "session store is not reachable");
            failing.push("sessions".to_owned());
        }
        checks.insert("sessions".to_owned(), sessions.is_ok().into());
        for (name, up) in &checks {
            self.metrics
                .set_dependency_up(name, up.as_bool() == Some(true));
        }
        if failing.is_empty() {
            return Ok(checks);
        }
        let code = match sessions {
            Err(_) => Code::SessionStoreUnavailable,
            Ok(()) => Code::StorageUnavailable,
        };
        Err(ApiError::NotReady {
            code,
            failing,
            checks,
        })
    }
}

/// One round of checks: each storage area's outcome, then the session store's.
type Checked = Arc<(Vec<(String, Result<(), String>)>, Result<(), String>)>;

/// The round of checks running now, if any, for callers to share.
#[derive(Default)]
pub(crate) struct CheckFlight(Mutex<Option<Shared<BoxFuture<'static, Checked>>>>);

impl Service {
    /// The outcome of a round of checks: the one running now, or a new one.
    async fn checked(&self) -> Checked {
        let round = {
            let mut slot = self
                .checks
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match slot.as_ref() {
                Some(running) if running.peek().is_none() => running.clone(),
                _ => {
                    let (storage, auth) = (self.storage.clone(), self.auth.clone());
                    let round = async move {
                        let (areas, sessions) =
                            futures::future::join(storage.check(), ping_sessions(&auth)).await;
                        let areas = areas
                            .into_iter()
                            .map(|(name, r)| (name, r.map_err(|e| e.to_string())))
                            .collect();
                        Arc::new((areas, sessions))
                    }
                    .boxed()
                    .shared();
                    *slot = Some(round.clone());
                    round
                }
            }
        };
        round.await
    }
}

/// The session store's ping, failing after [`storage::CHECK_TIMEOUT`] like a storage check.
async fn ping_sessions(auth: &auth::Auth) -> Result<(), String> {
    match tokio::time::timeout(storage::CHECK_TIMEOUT, auth.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            // The cause names what is wrong (refused, wrong password, …).
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            Err(text)
        }
        Err(_) => Err(format!(
            "no answer within {} s",
            storage::CHECK_TIMEOUT.as_secs()
        )),
    }
}

impl Service {
    /// The Prometheus text exposition of every metric, for a reader [`access::may_read_metrics`]
    /// lets in; the dependencies are checked first so that `picgate_dependency_up` is current.
    /// Errors: 403 `metrics_forbidden`; 500 if the registry cannot be encoded.
    pub async fn scrape(&self, reader: &MetricsReader<'_>) -> Result<String, ApiError> {
        access::may_read_metrics(reader)?;
        // The outcome is in the gauges; a failing dependency does not fail the scrape.
        drop(self.readiness().await);
        self.metrics.render().map_err(ApiError::internal)
    }
}
