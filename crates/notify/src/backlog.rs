//! Messages that could not be queued (Redis or the system area down), in memory, in the order
//! they were published, until the queue takes them again. At most `backlog_max`; a message
//! beyond that is dropped (the caller counts it).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::entry::QueueEntry;

pub(crate) struct Backlog {
    entries: Mutex<VecDeque<QueueEntry>>,
    max: usize,
}

impl Backlog {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<QueueEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Takes every entry out.
    pub(crate) fn take(&self) -> Vec<QueueEntry> {
        self.lock().drain(..).collect()
    }

    /// How many entries of `target` wait here.
    pub(crate) fn count(&self, target: &str) -> usize {
        self.lock().iter().filter(|e| e.target == target).count()
    }

    /// Appends `entries` while there is room; answers those that did not fit.
    pub(crate) fn push(&self, entries: Vec<QueueEntry>) -> Vec<QueueEntry> {
        let mut queue = self.lock();
        let mut dropped = Vec::new();
        for entry in entries {
            if queue.len() < self.max {
                queue.push_back(entry);
            } else {
                dropped.push(entry);
            }
        }
        dropped
    }

    /// Copies of the first `n` entries.
    pub(crate) fn front(&self, n: usize) -> Vec<QueueEntry> {
        self.lock().iter().take(n).cloned().collect()
    }

    /// Removes the first `n` entries (those [`Backlog::front`] gave and that are now queued;
    /// only the flushing task removes, so they are still the first).
    pub(crate) fn pop(&self, n: usize) {
        let mut queue = self.lock();
        let n = n.min(queue.len());
        queue.drain(..n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> QueueEntry {
        QueueEntry {
            id: key.into(),
            target: "hook".into(),
            shard: 0,
            bucket: "b".into(),
            key: key.into(),
            event_name: "s3:ObjectRemoved:Delete".into(),
            produced_at: 0,
            queued_at: 0,
            message: "{}".into(),
        }
    }

    #[test]
    fn keeps_order_and_drops_beyond_its_bound() {
        let backlog = Backlog::new(2);
        assert!(backlog.push(vec![entry("a")]).is_empty());
        let dropped = backlog.push(vec![entry("b"), entry("c")]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].key, "c");
        let front: Vec<String> = backlog.front(10).into_iter().map(|e| e.key).collect();
        assert_eq!(front, ["a", "b"]);
        backlog.pop(1);
        assert_eq!(backlog.front(10)[0].key, "b");
        backlog.pop(5);
        assert!(backlog.is_empty());
    }
}
