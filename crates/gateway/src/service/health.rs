//! Readiness: whether every storage backend and the session store answer.

use serde_json::{Map, Value};

use super::Service;
use crate::error::{ApiError, Code};

impl Service {
    /// Checks each bucket's backend (`storage:<bucket>`), the system area (`storage:system`)
    /// and the session store (`sessions`); `{name: true|false}` when all answer. Errors:
    /// [`ApiError::NotReady`] naming what does not (503 `session_store_unavailable` if the
    /// session store is among them, else `storage_unavailable`).
    pub async fn readiness(&self) -> Result<Map<String, Value>, ApiError> {
        let mut checks = Map::new();
        let mut failing = Vec::new();
        for (name, result) in self.storage.check().await {
            if let Err(e) = &result {
                tracing::warn!(backend = %name, error = %e, "readiness check failed");
                failing.push(format!("storage:{name}"));
            }
            checks.insert(format!("storage:{name}"), result.is_ok().into());
        }
        let sessions = self.auth.ping().await;
        if let Err(e) = &sessions {
            tracing::warn!(error = %e, "session store is not reachable");
            failing.push("sessions".to_owned());
        }
        checks.insert("sessions".to_owned(), sessions.is_ok().into());
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
