//! The notifier's Prometheus metrics, each labelled with `target` (the target's id). They are
//! not registered anywhere here: the gateway registers [`Metrics::collectors`] in its registry.

use prometheus::core::Collector;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts};

/// Upper bounds (seconds) of the delivery latency buckets: milliseconds for a receiver that is
/// up, up to half an hour for events that waited out an outage.
const LATENCY_BUCKETS: [f64; 15] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
];

#[derive(Clone)]
pub(crate) struct Metrics {
    /// Messages queued (one per event and target).
    pub produced: IntCounterVec,
    /// Messages acknowledged by their target.
    pub delivered: IntCounterVec,
    /// Failed attempts that are tried again.
    pub retries: IntCounterVec,
    /// Messages moved to the dead-letter list.
    pub dead_lettered: IntCounterVec,
    /// Messages dropped because the queue could not be written and the backlog was full.
    pub dropped: IntCounterVec,
    /// Messages waiting in the queue (as last counted).
    pub queue_depth: IntGaugeVec,
    /// Seconds from the event to its acknowledgement.
    pub latency: HistogramVec,
}

impl Metrics {
    pub(crate) fn new() -> Result<Self, prometheus::Error> {
        let counter =
            |name: &str, help: &str| IntCounterVec::new(Opts::new(name, help), &["target"]);
        Ok(Self {
            produced: counter(
                "picgate_notify_events_produced_total",
                "Event messages queued, per target",
            )?,
            delivered: counter(
                "picgate_notify_events_delivered_total",
                "Event messages acknowledged by their target",
            )?,
            retries: counter(
                "picgate_notify_delivery_retries_total",
                "Failed delivery attempts that are tried again",
            )?,
            dead_lettered: counter(
                "picgate_notify_events_dead_lettered_total",
                "Event messages moved to the dead-letter list",
            )?,
            dropped: counter(
                "picgate_notify_events_dropped_total",
                "Event messages dropped: the queue could not be written and the backlog was full",
            )?,
            queue_depth: IntGaugeVec::new(
                Opts::new(
                    "picgate_notify_queue_depth",
                    "Event messages waiting in the queue, per target",
                ),
                &["target"],
            )?,
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "picgate_notify_delivery_latency_seconds",
                    "Seconds from an event to its acknowledgement by the target",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["target"],
            )?,
        })
    }

    /// Creates every series of `target` at zero, so that `rate()` and `increase()` count a
    /// target's first events too (a series that appears at 1 has no increase in Prometheus).
    pub(crate) fn expose(&self, target: &str) {
        let label = [target];
        for counter in [
            &self.produced,
            &self.delivered,
            &self.retries,
            &self.dead_lettered,
            &self.dropped,
        ] {
            counter.with_label_values(&label);
        }
        self.queue_depth.with_label_values(&label);
        self.latency.with_label_values(&label);
    }

    /// Boxed clones of every metric (they share their values with these).
    pub(crate) fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.produced.clone()),
            Box::new(self.delivered.clone()),
            Box::new(self.retries.clone()),
            Box::new(self.dead_lettered.clone()),
            Box::new(self.dropped.clone()),
            Box::new(self.queue_depth.clone()),
            Box::new(self.latency.clone()),
        ]
    }
}
