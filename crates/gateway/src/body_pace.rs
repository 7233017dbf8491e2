//! How slowly a client may send a request body. An upload's total time cannot be bounded (a
//! gigabyte over a phone link takes a while), but a client that stops sending, or trickles a
//! few bytes now and then, would otherwise hold a connection, a file descriptor and (for upload
//! tools) a staging file for as long as it likes. Only the time the server spends waiting for
//! the client counts: while a handler is busy writing to the storage it does not read, and
//! that time is not the client's.
//!
//! A body fails with an I/O error of kind `TimedOut` (which handlers answer with 408
//! `request_timeout`) when no byte arrives for `server.body_idle_timeout_secs`, or when, after
//! that much waiting, it has come slower than `server.body_min_bytes_per_sec` on average, and
//! when the server's shutdown grace period (`server.shutdown_grace_secs`) ends before the body
//! does: the upload it feeds is then aborted like any other, and nothing of it is stored.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// The limits (config `server.body_idle_timeout_secs`, `server.body_min_bytes_per_sec`).
#[derive(Debug, Clone)]
pub struct BodyPace {
    /// Longest wait for the next bytes.
    pub idle: Duration,
    /// Slowest average rate, in bytes per second of waiting, once `idle` has been waited.
    pub min_bytes_per_sec: u64,
    /// Cancelled when the shutdown grace period ends: every body still arriving fails then.
    pub deadline: CancellationToken,
}

/// Why a body still arriving when the shutdown grace period ends fails.
const SHUTDOWN: &str = "the server is shutting down and its grace period ended before the body did";

/// Where a body stands against its [`BodyPace`].
pub struct Pacer {
    pace: BodyPace,
    bytes: u64,
    /// Time spent waiting for the client, finished waits only.
    waited: Duration,
    waiting_since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    /// Polled only while waiting for the client; between chunks the token is read directly.
    deadline: Pin<Box<WaitForCancellationFutureOwned>>,
    failed: bool,
}

impl Pacer {
    pub fn new(pace: BodyPace) -> Self {
        let timer = Box::pin(tokio::time::sleep(pace.idle));
        let deadline = Box::pin(pace.deadline.clone().cancelled_owned());
        Self {
            pace,
            bytes: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            timer,
            deadline,
            failed: false,
        }
    }

    /// Passes on what the body's `poll_next` gave, or the timeout error in its place; after a
    /// timeout the body ends.
    pub fn watch(
        &mut self,
        polled: Poll<Option<Result<Bytes, PayloadError>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, PayloadError>>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match polled {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(since) = self.waiting_since.take() {
                    self.waited += since.elapsed();
                }
                self.bytes = self.bytes.saturating_add(chunk.len() as u64);
                if self.pace.deadline.is_cancelled() {
                    return self.fail(SHUTDOWN.to_owned());
                }
                if self.too_slow() {
                    return self.fail(format!(
                        "the body came slower than {} bytes/s",
                        self.pace.min_bytes_per_sec
                    ));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                self.waiting_since = None;
                Poll::Ready(other)
            }
            Poll::Pending => {
                let now = Instant::now();
                if self.waiting_since.is_none() {
                    self.waiting_since = Some(now);
                    self.timer.as_mut().reset(now + self.pace.idle);
                }
                if self.deadline.as_mut().poll(cx).is_ready() {
                    return self.fail(SHUTDOWN.to_owned());
                }
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => self.fail(format!(
                        "no body bytes arrived for {} s",
                        self.pace.idle.as_secs()
                    )),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn too_slow(&self) -> bool {
        self.waited >= self.pace.idle
            && (self.bytes as f64) < self.pace.min_bytes_per_sec as f64 * self.waited.as_secs_f64()
    }

    fn fail(&mut self, why: String) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.failed = true;
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            why,
        )))))
    }
}

/// Whether `err` or one of its sources is a body timeout of a [`Pacer`].
pub fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    const IDLE: Duration = Duration::from_secs(30);

    fn pace() -> BodyPace {
        BodyPace {
            idle: IDLE,
            min_bytes_per_sec: 1024,
            deadline: CancellationToken::new(),
        }
    }

    /// A body from a channel, paced.
    fn paced(
        rx: tokio::sync::mpsc::Receiver<Bytes>,
    ) -> impl futures::Stream<Item = Result<Bytes, PayloadError>> {
        paced_with(rx, pace())
    }

    fn paced_with(
        rx: tokio::sync::mpsc::Receiver<Bytes>,
        pace: BodyPace,
    ) -> impl futures::Stream<Item = Result<Bytes, PayloadError>> {
        let mut pacer = Pacer::new(pace);
        let mut inner = tokio_stream_of(rx);
        futures::stream::poll_fn(move |cx| {
            let polled = inner.poll_next_unpin(cx);
            pacer.watch(polled, cx)
        })
    }

    fn tokio_stream_of(
        mut rx: tokio::sync::mpsc::Receiver<Bytes>,
    ) -> futures::stream::BoxStream<'static, Result<Bytes, PayloadError>> {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|c| c.map(Ok))).boxed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_fails_after_the_idle_timeout() {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut body = Box::pin(paced(rx));
        tx.send(Bytes::from_static(b"abc")).await.unwrap();
        assert!(body.next().await.unwrap().is_ok());
        let started = Instant::now();
        let err = body.next().await.unwrap().unwrap_err();
        assert!(is_timeout(&err), "{err}");
        assert_eq!(started.elapsed(), IDLE);
        assert!(body.next().await.is_none());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_fails_once_its_average_falls_below_the_rate() {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut body = Box::pin(paced(rx));
        let sender = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if tx.send(Bytes::from(vec![0; 100])).await.is_err() {
                    break;
                }
            }
        });
        let mut got = 0;
        let err = loop {
            match body.next().await.unwrap() {
                Ok(chunk) => got += chunk.len(),
                Err(e) => break e,
            }
        };
        assert!(is_timeout(&err), "{err}");
        assert!((2900..=3200).contains(&got), "{got}");
        sender.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn time_the_reader_spends_elsewhere_is_not_the_clients() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let mut body = Box::pin(paced(rx));
        for _ in 0..3 {
            tx.send(Bytes::from(vec![0; 64 * 1024])).await.unwrap();
            assert!(body.next().await.unwrap().is_ok());
            // The handler writes to a slow storage for longer than the idle timeout.
            tokio::time::sleep(IDLE * 2).await;
        }
        drop(tx);
        assert!(body.next().await.is_none());
    }

    /// A paced body whose first chunk has been read, its sender and its deadline.
    async fn started_with_a_deadline() -> (
        tokio::sync::mpsc::Sender<Bytes>,
        std::pin::Pin<Box<impl futures::Stream<Item = Result<Bytes, PayloadError>>>>,
        CancellationToken,
    ) {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let pace = pace();
        let deadline = pace.deadline.clone();
        let mut body = Box::pin(paced_with(rx, pace));
        tx.send(Bytes::from_static(b"abc")).await.unwrap();
        assert!(body.next().await.unwrap().is_ok());
        (tx, body, deadline)
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_body_fails_when_the_grace_period_ends() {
        let (tx, mut body, deadline) = started_with_a_deadline().await;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            deadline.cancel();
        });
        let started = Instant::now();
        let err = body.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("shutting down"), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert!(body.next().await.is_none());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flowing_body_fails_at_its_next_chunk_after_the_grace_period() {
        let (tx, mut body, deadline) = started_with_a_deadline().await;
        deadline.cancel();
        tx.send(Bytes::from_static(b"def")).await.unwrap();
        let err = body.next().await.unwrap().unwrap_err();
        assert!(is_timeout(&err), "{err}");
    }
}
