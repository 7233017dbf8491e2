//! Storage operation metrics, per configured bucket, backend and operation:
//!
//! - `picgate_storage_operation_duration_seconds{bucket, backend, operation}` (histogram):
//!   successful operations, as OpenDAL's metrics layer times them (a `read` until its body has
//!   been read; on the one-trip fs read path of `disk.rs`, until the file is open and its
//!   metadata taken);
//! - `picgate_storage_operation_errors_total{bucket, backend, operation, error}` (counter):
//!   failed ones, `error` the OpenDAL error kind in snake case (`not_found`,
//!   `condition_not_match`, `already_exists`, `permission_denied`, `rate_limited`,
//!   `unexpected`, …). `not_found` and `condition_not_match` are ordinary answers (a missing
//!   key, a lost race), not outages. OpenDAL reports a read or listing dropped before its end
//!   (a client that went away, a page that was full, the readiness check's one-entry listing)
//!   as an `unexpected` error, indistinguishable from one failing midway; neither is counted
//!   for `read` and `list`. Their outages show as `picgate_dependency_up` 0 (the readiness
//!   check lists every area), as 5xx answers, and in the other operations that fail with them
//!   (`stat` before an S3 object read, `write`, `delete`).
//!
//! `bucket` is a configured bucket name or `.system` (the system area), `backend` `fs`, `s3` or
//! `cos`, `operation` OpenDAL's operation names (`stat`, `read`, `write`, `delete`, `list`,
//! `create_dir`, `rename`, `presign`, …): every label set is bounded by the configuration.

use std::sync::Arc;
use std::time::Duration;

use opendal_layer_observe_metrics_common as observe;
use prometheus::core::Collector;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts};

pub const STORAGE_OPERATION_DURATION: &str = "picgate_storage_operation_duration_seconds";
pub const STORAGE_OPERATION_ERRORS_TOTAL: &str = "picgate_storage_operation_errors_total";
/// The `bucket` label of the system area (no bucket name starts with a dot).
pub const SYSTEM_LABEL: &str = ".system";

/// Operation durations: 1 ms to 30 s.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

/// The storage metrics of one process, created unregistered: the gateway adds
/// [`StorageMetrics::collectors`] to its registry.
#[derive(Debug, Clone)]
pub struct StorageMetrics {
    duration: HistogramVec,
    errors: IntCounterVec,
}

impl StorageMetrics {
    /// Errors: only an invalid metric definition.
    pub fn new() -> Result<Self, prometheus::Error> {
        let duration = HistogramVec::new(
            HistogramOpts::new(
                STORAGE_OPERATION_DURATION,
                "Time taken by successful storage operations, by bucket, backend and operation",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["bucket", "backend", "operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                STORAGE_OPERATION_ERRORS_TOTAL,
                "Failed storage operations, by bucket, backend, operation and OpenDAL error kind",
            ),
            &["bucket", "backend", "operation", "error"],
        )?;
        Ok(Self { duration, errors })
    }

    /// The metrics, for a Prometheus registry.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.duration.clone()),
            Box::new(self.errors.clone()),
        ]
    }

    /// The OpenDAL layer that reports one operator's operations as `bucket` on `backend`.
    pub(crate) fn layer(
        &self,
        bucket: &str,
        backend: &'static str,
    ) -> observe::MetricsLayer<Interceptor> {
        observe::MetricsLayer::new(Interceptor {
            bucket: Arc::from(bucket),
            backend,
            metrics: self.clone(),
        })
    }

    /// The duration histogram of one bucket's operation, to observe without a lookup.
    pub(crate) fn duration(
        &self,
        bucket: &str,
        backend: &str,
        operation: &str,
    ) -> prometheus::Histogram {
        self.duration
            .with_label_values(&[bucket, backend, operation])
    }

    /// Records an operation done outside OpenDAL (the fs read path of `disk.rs`).
    pub(crate) fn record(
        &self,
        bucket: &str,
        backend: &str,
        operation: &str,
        outcome: Result<Duration, &str>,
    ) {
        match outcome {
            Ok(took) => self
                .duration
                .with_label_values(&[bucket, backend, operation])
                .observe(took.as_secs_f64()),
            Err(error) => self
                .errors
                .with_label_values(&[bucket, backend, operation, error])
                .inc(),
        }
    }
}

/// Receives OpenDAL's observations for one operator; keeps durations and errors.
#[derive(Debug, Clone)]
pub(crate) struct Interceptor {
    bucket: Arc<str>,
    backend: &'static str,
    metrics: StorageMetrics,
}

impl observe::MetricsIntercept for Interceptor {
    fn observe(&self, labels: observe::MetricLabels, value: observe::MetricValue) {
        match value {
            observe::MetricValue::OperationDurationSeconds(took) => {
                self.metrics
                    .record(&self.bucket, self.backend, labels.operation, Ok(took));
            }
            observe::MetricValue::OperationErrorsTotal => {
                let kind = labels.error.unwrap_or(opendal::ErrorKind::Unexpected);
                if kind == opendal::ErrorKind::Unexpected
                    && matches!(labels.operation, "read" | "list")
                {
                    return;
                }
                let kind = kind.into_static();
                self.metrics.record(
                    &self.bucket,
                    self.backend,
                    labels.operation,
                    Err(&snake_case(kind)),
                );
            }
            _ => {}
        }
    }
}

/// `NotFound` → `not_found`, `IsADirectory` → `is_a_directory`.
pub(crate) fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_become_snake_case_label_values() {
        assert_eq!(snake_case("NotFound"), "not_found");
        assert_eq!(snake_case("ConditionNotMatch"), "condition_not_match");
        assert_eq!(snake_case("IsADirectory"), "is_a_directory");
        assert_eq!(snake_case("Unexpected"), "unexpected");
    }
}
