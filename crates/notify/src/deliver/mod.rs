//! Sending one queued message to its target: a webhook POST ([`webhook`]) or an `XADD` to a
//! Redis stream ([`stream`]). A sender only tries once; the worker decides about retries.

mod stream;
mod webhook;

use std::time::Duration;

use crate::entry::QueueEntry;

pub(crate) use stream::StreamSender;
pub(crate) use webhook::WebhookSender;

/// Why an attempt failed, as dead letters show it (never with a secret or a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `HTTP 503`, `connect: Connection refused (os error 111)`, `timeout`, `redis: …`.
    pub error: String,
    /// The receiver's `Retry-After` (seconds form), on 429 and 503 only.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub(crate) fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            retry_after: None,
        }
    }
}

/// What delivers the messages of one target.
pub(crate) enum Sender {
    Webhook(Box<WebhookSender>),
    Stream(StreamSender),
}

impl Sender {
    /// One attempt to deliver `entry`: `Ok` when the target acknowledged it.
    pub(crate) async fn send(&self, entry: &QueueEntry) -> Result<(), Failure> {
        match self {
            Sender::Webhook(sender) => sender.send(entry).await,
            Sender::Stream(sender) => sender.send(entry).await,
        }
    }
}
