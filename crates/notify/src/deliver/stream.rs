//! `redis` targets: each message becomes one entry of the configured stream,
//! `XADD <stream> MAXLEN ~ <maxlen> * id <eventId> event <eventName> key <bucket/key> message <json>`.
//! The stream name is used as configured (no key prefix is added).

use std::sync::Arc;

use auth::LazyConnection;

use super::Failure;
use crate::entry::QueueEntry;

pub(crate) struct StreamSender {
    conn: Arc<LazyConnection>,
    stream: String,
    maxlen: u64,
}

impl StreamSender {
    pub(crate) fn new(conn: Arc<LazyConnection>, stream: String, maxlen: u64) -> Self {
        Self {
            conn,
            stream,
            maxlen,
        }
    }

    pub(crate) async fn send(&self, entry: &QueueEntry) -> Result<(), Failure> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.maxlen)
            .arg("*")
            .arg("id")
            .arg(&entry.id)
            .arg("event")
            .arg(&entry.event_name)
            .arg("key")
            .arg(format!("{}/{}", entry.bucket, entry.key))
            .arg("message")
            .arg(&entry.message);
        self.conn
            .call(|mut conn| async move { cmd.query_async::<String>(&mut conn).await })
            .await
            .map(drop)
            .map_err(|e| Failure::new(format!("redis: {}", cause(&e))))
    }
}

/// The innermost cause of a Redis call's failure (the driver's words, or the timeout).
fn cause(err: &auth::Error) -> String {
    let mut last: &dyn std::error::Error = err;
    while let Some(source) = last.source() {
        last = source;
    }
    last.to_string()
}
