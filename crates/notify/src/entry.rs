//! One queued message (what the queue holds, as JSON) and the clock helpers around it.
//!
//! An entry is serialised once when it is queued; its `message` is the JSON text of the S3
//! event message, kept as text so that every attempt sends exactly the same bytes (and
//! signs them).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::DeadLetter;

/// A message waiting for one target (the field `m` of a queue stream entry, or one journal
/// file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueueEntry {
    /// The event id: `webhook-id`, `Records[0].picgate.eventId`.
    pub id: String,
    pub target: String,
    pub shard: u16,
    pub bucket: String,
    pub key: String,
    pub event_name: String,
    /// When the event happened, Unix milliseconds.
    pub produced_at: i64,
    /// When it was queued (or replayed), Unix milliseconds; its age counts from here.
    pub queued_at: i64,
    /// The message body, JSON text.
    pub message: String,
}

impl QueueEntry {
    /// The entry's JSON text.
    pub(crate) fn to_json(&self) -> Result<String, crate::Error> {
        serde_json::to_string(self).map_err(|e| crate::Error::Internal(e.into()))
    }

    /// The dead letter of this entry (its `id` left empty: the queue gives it one).
    pub(crate) fn dead(&self, attempts: u32, last_error: &str) -> DeadLetter {
        DeadLetter {
            id: String::new(),
            target: self.target.clone(),
            event_id: self.id.clone(),
            event_name: self.event_name.clone(),
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            attempts,
            last_error: last_error.to_owned(),
            produced_at: from_ms(self.produced_at),
            dead_at: OffsetDateTime::now_utc(),
            message: serde_json::from_str(&self.message).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The entry that replays `dead` into `shard`: same event id and message, queued now.
    pub(crate) fn replay_of(dead: &DeadLetter, shard: u16) -> Result<Self, crate::Error> {
        Ok(Self {
            id: dead.event_id.clone(),
            target: dead.target.clone(),
            shard,
            bucket: dead.bucket.clone(),
            key: dead.key.clone(),
            event_name: dead.event_name.clone(),
            produced_at: to_ms(dead.produced_at),
            queued_at: now_ms(),
            message: serde_json::to_string(&dead.message)
                .map_err(|e| crate::Error::Internal(e.into()))?,
        })
    }
}

/// Unix milliseconds of `t`.
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Now, Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    to_ms(OffsetDateTime::now_utc())
}

/// The time of Unix milliseconds `ms` (the epoch when out of range).
pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip() {
        let t = from_ms(1_764_547_200_123);
        assert_eq!(to_ms(t), 1_764_547_200_123);
    }

    #[test]
    fn replay_keeps_id_message_and_production_time() {
        let entry = QueueEntry {
            id: "e1".into(),
            target: "hook".into(),
            shard: 3,
            bucket: "images".into(),
            key: "a.png".into(),
            event_name: "s3:ObjectCreated:Put".into(),
            produced_at: 1_000,
            queued_at: 2_000,
            message: r#"{"EventName":"s3:ObjectCreated:Put","Key":"images/a.png"}"#.into(),
        };
        let dead = entry.dead(5, "HTTP 500");
        assert_eq!(dead.attempts, 5);
        assert_eq!(dead.event_id, "e1");
        let again = QueueEntry::replay_of(&dead, 1).expect("replay");
        assert_eq!(again.id, "e1");
        assert_eq!(again.shard, 1);
        assert_eq!(again.produced_at, 1_000);
        assert!(again.queued_at > 2_000);
        assert_eq!(again.message, entry.message);
    }
}
