//! A Redis connection that is made lazily, bounded by short timeouts, and rebuilt after a
//! connection failure, so callers get `Unavailable` quickly while Redis is down and everything
//! works again, without a restart, once it is back.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisError, RedisResult};

use crate::error::Error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Upper bound of one call, whatever the driver does.
const CALL_TIMEOUT: Duration = Duration::from_millis(2500);

/// One lazily made Redis connection (see the module docs); cheap to share behind an `Arc`.
pub struct LazyConnection {
    client: redis::Client,
    /// The current manager and its generation; `None` until first use or after a failure.
    slot: Mutex<Option<(u64, ConnectionManager)>>,
    generations: AtomicU64,
}

impl LazyConnection {
    /// Parses the URL; does not connect. Errors: `Internal` for a malformed URL.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(Self {
            client: redis::Client::open(url).map_err(Error::internal)?,
            slot: Mutex::new(None),
            generations: AtomicU64::new(0),
        })
    }

    /// Runs one call with the timeouts (connect and reply 1 s each, the whole call 2.5 s); after
    /// a connection failure the manager is dropped so the next call builds a new one. Errors:
    /// `Unavailable` for any failure or timeout.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(ConnectionManager) -> Fut + Send,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        let (generation, manager) = self.manager()?;
        match tokio::time::timeout(CALL_TIMEOUT, f(manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                if is_connection_error(&err) {
                    self.reset(generation);
                }
                Err(Error::unavailable(err))
            }
            Err(elapsed) => {
                self.reset(generation);
                Err(Error::unavailable(elapsed))
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(u64, ConnectionManager)>> {
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn manager(&self) -> Result<(u64, ConnectionManager), Error> {
        let mut slot = self.lock();
        if let Some((generation, manager)) = slot.as_ref() {
            return Ok((*generation, manager.clone()));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(0);
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(Error::unavailable)?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        *slot = Some((generation, manager.clone()));
        Ok((generation, manager))
    }

    /// Drops the manager of `generation` if it is still the current one.
    fn reset(&self, generation: u64) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|(g, _)| *g == generation) {
            *slot = None;
        }
    }
}

/// Errors after which the connection is not trusted any more (anything but a server reply).
fn is_connection_error(err: &RedisError) -> bool {
    !matches!(
        err.kind(),
        ErrorKind::Server(_) | ErrorKind::UnexpectedReturnType
    )
}
