//! The sweep of every bucket's variant cache, on each instance.

use time::OffsetDateTime;

use crate::service::Service;

impl Service {
    /// Sweeps every bucket's variant cache every `sweep_interval_secs` (the first sweep one
    /// interval after start, each a little early or late so that instances started together
    /// spread out): variants older than `cache_ttl_days`, then the oldest beyond
    /// `cache_max_bytes`, then facts of originals gone. Nothing when neither is set or the
    /// interval is 0. Runs until the runtime stops.
    pub fn spawn_variant_sweep(&self) {
        let settings = &self.variants.settings;
        let ttl = settings.cache_ttl();
        let cap = settings.cache_max_bytes;
        let interval = std::time::Duration::from_secs(settings.sweep_interval_secs);
        if interval.is_zero() || (ttl.is_none() && cap.is_none()) {
            return;
        }
        let service = self.clone();
        tokio::spawn(async move {
            loop {
                let jitter = rand::random_range(0.9..1.1);
                tokio::time::sleep(interval.mul_f64(jitter)).await;
                service.sweep_variants_once(ttl, cap).await;
            }
        });
    }

    /// One sweep of every bucket's variant cache (see [`Service::spawn_variant_sweep`]).
    pub async fn sweep_variants_once(&self, ttl: Option<std::time::Duration>, cap: Option<u64>) {
        let older_than = match ttl {
            Some(ttl) => OffsetDateTime::now_utc() - ttl,
            None => OffsetDateTime::UNIX_EPOCH,
        };
        for bucket in self.storage.buckets() {
            match self
                .storage
                .sweep_variants(&bucket.name, older_than, cap)
                .await
            {
                Ok(report) => tracing::info!(
                    bucket = %bucket.name,
                    deleted = report.variants_deleted,
                    bytes_deleted = report.bytes_deleted,
                    kept = report.variants_kept,
                    bytes_kept = report.bytes_kept,
                    facts_deleted = report.facts_deleted,
                    "variant cache swept"
                ),
                Err(e) => {
                    tracing::warn!(bucket = %bucket.name, error = %e, "the variant cache could not be swept")
                }
            }
        }
    }
}
