//! Single flight: concurrent requests for the same variant share one making of it. The first
//! starts the work as a task of its own, so it finishes (and fills the cache) even when that
//! request goes away; the others wait for its result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

type Flight<V> = Shared<BoxFuture<'static, V>>;

/// The work in progress, by key (a variant's cache address).
pub struct Flights<V: Clone> {
    running: Arc<Mutex<HashMap<String, Flight<V>>>>,
}

impl<V: Clone> Default for Flights<V> {
    fn default() -> Self {
        Self {
            running: Arc::default(),
        }
    }
}

impl<V: Clone + Send + Sync + 'static> Flights<V> {
    /// The result of the work running under `key`, or of `make()` started now when none runs.
    /// `lost` is the result when the work's task ends without one (it panicked or the runtime
    /// is shutting down).
    pub async fn join<F>(&self, key: String, make: F, lost: V) -> V
    where
        F: FnOnce() -> BoxFuture<'static, V>,
    {
        let flight = {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            match running.get(&key) {
                Some(flight) => flight.clone(),
                None => {
                    let work = make();
                    let forget = Forget {
                        running: Arc::clone(&self.running),
                        key: key.clone(),
                    };
                    let task = tokio::spawn(async move {
                        let _forget = forget;
                        work.await
                    });
                    let flight = async move { task.await.unwrap_or(lost) }.boxed().shared();
                    running.insert(key, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// How many keys have work running.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or_default()
    }
}

/// Removes a flight from the registry when its task ends, also by a panic.
struct Forget<V: Clone> {
    running: Arc<Mutex<HashMap<String, Flight<V>>>>,
    key: String,
}

impl<V: Clone> Drop for Forget<V> {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn fifty_concurrent_joins_run_the_work_once() {
        let flights = Arc::new(Flights::<u32>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let joins = (0..50).map(|_| {
            let flights = Arc::clone(&flights);
            let runs = Arc::clone(&runs);
            tokio::spawn(async move {
                flights
                    .join(
                        "k".into(),
                        move || {
                            async move {
                                runs.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                7
                            }
                            .boxed()
                        },
                        0,
                    )
                    .await
            })
        });
        let results = futures::future::join_all(joins).await;
        assert!(results.into_iter().all(|r| r.unwrap() == 7));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.len(), 0, "a finished flight is forgotten");
    }

    #[tokio::test]
    async fn the_work_finishes_when_its_first_caller_goes_away() {
        let flights = Arc::new(Flights::<u32>::default());
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let first = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                flights
                    .join(
                        "k".into(),
                        move || {
                            async move {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                let _ = done_tx.send(());
                                1
                            }
                            .boxed()
                        },
                        0,
                    )
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort();
        done_rx.await.expect("the work ran to its end");
    }

    #[tokio::test]
    async fn a_panicking_work_gives_the_lost_value_and_is_forgotten() {
        let flights = Flights::<u32>::default();
        let got = flights
            .join("k".into(), || async { panic!("boom") }.boxed(), 9)
            .await;
        assert_eq!(got, 9);
        let again = flights.join("k".into(), || async { 3 }.boxed(), 9).await;
        assert_eq!(again, 3);
    }
}
