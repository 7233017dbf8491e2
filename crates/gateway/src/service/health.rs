//! Readiness: whether every storage backend and the session store answer; the scrape of
//! `/metrics`, which checks them too.

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
        let (storage, sessions) =
            futures::future::join(self.storage.check(), self.ping_sessions()).await;
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

impl Service {
    /// The session store's ping, failing after [`storage::CHECK_TIMEOUT`] like a storage check.
    async fn ping_sessions(&self) -> Result<(), String> {
        match tokio::time::timeout(storage::CHECK_TIMEOUT, self.auth.ping()).await {
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
