//! Making variants, bounded: at most `max_concurrent` transforms run at once on the blocking
//! pool, at most `max_queued` requests wait for one (beyond them: busy, not a pile-up), the
//! transforms running hold at most `memory_budget_bytes` between them (each takes its
//! estimated share before it starts), and each is given `timeout_secs`. A decoder cannot be
//! interrupted, so a transform past its time is abandoned, not stopped: it keeps its slot and
//! its memory share until it ends, and the bounds still hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::settings::VariantSettings;

/// Transforms made, by outcome (`made`, `too_large`, `unsupported`, `malformed`, `timed_out`,
/// `busy`, `failed`).
pub const IMAGE_TRANSFORMS_TOTAL: &str = "picgate_image_transforms_total";
/// Seconds one transform ran (decode, resize, encode), whatever its outcome.
pub const IMAGE_TRANSFORM_DURATION: &str = "picgate_image_transform_duration_seconds";
/// Requests waiting for a transform slot now.
pub const IMAGE_TRANSFORMS_QUEUED: &str = "picgate_image_transforms_queued";
/// Variants asked of the variant cache, by result (`hit`, `miss`).
pub const VARIANT_CACHE_LOOKUPS_TOTAL: &str = "picgate_variant_cache_lookups_total";

const OUTCOMES: [&str; 7] = [
    "made",
    "too_large",
    "unsupported",
    "malformed",
    "timed_out",
    "busy",
    "failed",
];

/// Why a transform gave nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransformError {
    /// Every slot is taken and the queue is full, or the wait for a slot outlasted the time
    /// limit: try again in `retry_after_secs`.
    #[error("too many images are being resized right now; try again shortly")]
    Busy { retry_after_secs: u64 },
    /// Over a limit (bytes, pixels, memory, time); the text says which.
    #[error("{0}")]
    TooLarge(String),
    /// Not an image picgate can decode, or a format it cannot write.
    #[error("{0}")]
    Unsupported(String),
    /// Corrupt or truncated image data.
    #[error("the image cannot be decoded: {0}")]
    Malformed(String),
    /// The transform ran past the time limit (seconds) and was abandoned.
    #[error("making this variant took longer than {0} s")]
    TimedOut(u64),
    /// The transform failed unexpectedly (it panicked); the log has it.
    #[error("the transform failed")]
    Failed,
}

impl TransformError {
    fn outcome(&self) -> &'static str {
        match self {
            Self::Busy { .. } => "busy",
            Self::TooLarge(_) => "too_large",
            Self::Unsupported(_) => "unsupported",
            Self::Malformed(_) => "malformed",
            Self::TimedOut(_) => "timed_out",
            Self::Failed => "failed",
        }
    }
}

impl From<imaging::ImageError> for TransformError {
    fn from(e: imaging::ImageError) -> Self {
        use imaging::ImageError as E;
        match e {
            E::TooLarge { .. } => Self::TooLarge(e.to_string()),
            E::Unsupported { .. } | E::CannotEncode { .. } => Self::Unsupported(e.to_string()),
            E::Malformed { .. } => Self::Malformed(e.to_string()),
        }
    }
}

/// Memory shares are counted in KiB, so that a semaphore's `u32` permits cover terabytes.
const KIB: u64 = 1024;

/// The transform slots, queue and memory budget of this instance. One per process.
pub struct Transforms {
    slots: Arc<Semaphore>,
    /// Free memory budget, in KiB.
    memory: Arc<Semaphore>,
    memory_kib: u32,
    waiting: AtomicUsize,
    max_queued: usize,
    timeout: Duration,
    limits: imaging::Limits,
    outcomes: IntCounterVec,
    duration: Histogram,
    queued: IntGauge,
    lookups: IntCounterVec,
}

impl Transforms {
    /// Slots, queue, budget and limits from `[variants]`, with its metrics.
    pub fn new(settings: &VariantSettings) -> Result<Self, prometheus::Error> {
        let memory_kib = u32::try_from(settings.memory_budget_bytes.div_ceil(KIB))
            .unwrap_or(u32::MAX)
            .min(Semaphore::MAX_PERMITS as u32);
        let outcomes = IntCounterVec::new(
            Opts::new(
                IMAGE_TRANSFORMS_TOTAL,
                "Image variants made or refused, by outcome",
            ),
            &["outcome"],
        )?;
        for outcome in OUTCOMES {
            outcomes.with_label_values(&[outcome]);
        }
        let lookups = IntCounterVec::new(
            Opts::new(
                VARIANT_CACHE_LOOKUPS_TOTAL,
                "Image variants looked up in the variant cache, by result (hit, miss)",
            ),
            &["result"],
        )?;
        for result in ["hit", "miss"] {
            lookups.with_label_values(&[result]);
        }
        Ok(Self {
            slots: Arc::new(Semaphore::new(settings.concurrency())),
            memory: Arc::new(Semaphore::new(memory_kib as usize)),
            memory_kib,
            waiting: AtomicUsize::new(0),
            max_queued: settings.max_queued,
            timeout: settings.timeout(),
            limits: imaging::Limits {
                max_input_bytes: settings.max_input_bytes,
                max_pixels: settings.max_pixels,
                max_alloc_bytes: settings.memory_budget_bytes,
                ..imaging::Limits::default()
            },
            outcomes,
            duration: Histogram::with_opts(
                HistogramOpts::new(
                    IMAGE_TRANSFORM_DURATION,
                    "Seconds an image transform ran (decode, resize, encode)",
                )
                .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            )?,
            queued: IntGauge::new(
                IMAGE_TRANSFORMS_QUEUED,
                "Requests waiting for an image transform slot",
            )?,
            lookups,
        })
    }

    /// The metrics of transforms, for the scrape.
    pub fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        vec![
            Box::new(self.outcomes.clone()),
            Box::new(self.duration.clone()),
            Box::new(self.queued.clone()),
            Box::new(self.lookups.clone()),
        ]
    }

    /// The decode limits every transform and probe uses.
    pub fn limits(&self) -> &imaging::Limits {
        &self.limits
    }

    /// Counts a variant cache lookup.
    pub fn looked_up(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.lookups.with_label_values(&[result]).inc();
    }

    /// A transform slot, once one is free: then the original may be read (so at most one
    /// original per slot is in memory), and [`Slot::run`] runs the transform. Errors: `Busy`
    /// when `max_queued` requests wait already, or the wait outlasts the time limit.
    pub async fn admit(&self) -> Result<Slot<'_>, TransformError> {
        let permit = match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => Ok(permit),
            Err(_) => match Waiting::enter(self) {
                None => Err(self.busy()),
                Some(_waiting) => {
                    let slot = Arc::clone(&self.slots).acquire_owned();
                    match tokio::time::timeout(self.timeout, slot).await {
                        Ok(Ok(permit)) => Ok(permit),
                        _ => Err(self.busy()),
                    }
                }
            },
        };
        match permit {
            Ok(permit) => Ok(Slot {
                transforms: self,
                permit,
            }),
            Err(e) => Err(self.counted(e)),
        }
    }

    /// A transform slot if one is free now, without joining the queue: for work that may be
    /// skipped when the instance is busy (an upload's image facts). `None` is not counted.
    pub fn try_admit(&self) -> Option<Slot<'_>> {
        let permit = Arc::clone(&self.slots).try_acquire_owned().ok()?;
        Some(Slot {
            transforms: self,
            permit,
        })
    }

    /// A refusal for want of a slot or of memory, retried after the time limit (1 to 10 s).
    pub fn busy(&self) -> TransformError {
        TransformError::Busy {
            retry_after_secs: self.timeout.as_secs().clamp(1, 10),
        }
    }

    /// Counts a refusal by its outcome (also one decided before any slot: an original over a
    /// limit, not an image) and hands it back.
    pub fn counted(&self, e: TransformError) -> TransformError {
        self.outcomes.with_label_values(&[e.outcome()]).inc();
        e
    }
}

/// A transform slot held (see [`Transforms::admit`]); dropping it frees the slot.
pub struct Slot<'a> {
    transforms: &'a Transforms,
    permit: OwnedSemaphorePermit,
}

impl Slot<'_> {
    /// Runs `work` on the blocking pool once `cost` bytes of the memory budget are free (a
    /// `cost` above the whole budget takes all of it: the work then runs alone), holding the
    /// slot until it ends. Errors: `Busy` when the wait for memory outlasts the time limit;
    /// `work`'s own errors; `TimedOut` when it outlasts the time limit (it is abandoned, still
    /// holding its slot and share until it ends); `Failed` if it panics. Every outcome is
    /// counted.
    pub async fn run<T, F>(self, cost: u64, work: F) -> Result<T, TransformError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, imaging::ImageError> + Send + 'static,
    {
        let transforms = self.transforms;
        let result = self.run_uncounted(cost, work).await;
        match result {
            Ok(value) => {
                transforms.outcomes.with_label_values(&["made"]).inc();
                Ok(value)
            }
            Err(e) => Err(transforms.counted(e)),
        }
    }

    /// Gives the slot back after a failure before the transform (an original over a limit,
    /// unreadable, not an image), counting it.
    pub fn refuse(self, e: TransformError) -> TransformError {
        self.transforms.counted(e)
    }

    async fn run_uncounted<T, F>(self, cost: u64, work: F) -> Result<T, TransformError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, imaging::ImageError> + Send + 'static,
    {
        let t = self.transforms;
        // An estimate above the whole budget (they err high: a very large image) takes all of
        // it: that transform runs alone rather than not at all.
        let share = u32::try_from(cost.div_ceil(KIB).max(1))
            .unwrap_or(u32::MAX)
            .min(t.memory_kib);
        let memory =
            tokio::time::timeout(t.timeout, Arc::clone(&t.memory).acquire_many_owned(share)).await;
        let Ok(Ok(memory)) = memory else {
            return Err(t.busy());
        };
        let held = (self.permit, memory);
        let duration = t.duration.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _held = held;
            let started = Instant::now();
            let result = work();
            duration.observe(started.elapsed().as_secs_f64());
            result
        });
        match tokio::time::timeout(t.timeout, task).await {
            Ok(Ok(result)) => result.map_err(TransformError::from),
            Ok(Err(join)) => {
                tracing::error!(error = %join, "an image transform panicked");
                Err(TransformError::Failed)
            }
            Err(_) => Err(TransformError::TimedOut(t.timeout.as_secs())),
        }
    }
}

/// A place in the queue for a slot; leaving it (however the wait ends) frees it.
struct Waiting<'a> {
    transforms: &'a Transforms,
}

impl<'a> Waiting<'a> {
    /// A place, unless `max_queued` requests wait already.
    fn enter(transforms: &'a Transforms) -> Option<Self> {
        let entered = transforms
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < transforms.max_queued).then_some(n + 1)
            })
            .is_ok();
        entered.then(|| {
            transforms.queued.inc();
            Self { transforms }
        })
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.transforms.waiting.fetch_sub(1, Ordering::AcqRel);
        self.transforms.queued.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slot, then `work` in it.
    async fn run<T, F>(t: &Transforms, cost: u64, work: F) -> Result<T, TransformError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, imaging::ImageError> + Send + 'static,
    {
        t.admit().await?.run(cost, work).await
    }

    fn transforms(concurrent: usize, queued: usize, budget: u64, timeout: u64) -> Transforms {
        let settings = VariantSettings {
            max_concurrent: concurrent,
            max_queued: queued,
            memory_budget_bytes: budget,
            timeout_secs: timeout,
            ..VariantSettings::default()
        };
        Transforms::new(&settings).unwrap()
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_at_once_and_the_queue_drains() {
        let t = Arc::new(transforms(1, 1, 64 * 1024 * 1024, 5));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let t = Arc::clone(&t);
            tokio::spawn(async move {
                run(&t, 1024, move || {
                    let _ = hold.recv();
                    Ok(1)
                })
                .await
            })
        };
        while t.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let t = Arc::clone(&t);
            tokio::spawn(async move { run(&t, 1024, || Ok(2)).await })
        };
        while t.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = run(&t, 1024, || Ok(3)).await;
        assert!(
            matches!(refused, Err(TransformError::Busy { .. })),
            "{refused:?}"
        );
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(t.waiting.load(Ordering::Acquire), 0);
        assert_eq!(t.queued.get(), 0);
    }

    #[tokio::test]
    async fn a_share_larger_than_the_budget_runs_alone() {
        let t = Arc::new(transforms(2, 4, 1024 * 1024, 5));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let small = {
            let t = Arc::clone(&t);
            tokio::spawn(async move {
                run(&t, 512 * 1024, move || {
                    let _ = hold.recv();
                    Ok(1)
                })
                .await
            })
        };
        while t.memory.available_permits() == 1024 {
            tokio::task::yield_now().await;
        }
        let big = {
            let t = Arc::clone(&t);
            tokio::spawn(async move { run(&t, 8 * 1024 * 1024, || Ok(2)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!big.is_finished(), "it waits for the whole budget");
        release.send(()).unwrap();
        assert_eq!(small.await.unwrap().unwrap(), 1);
        assert_eq!(big.await.unwrap().unwrap(), 2);
        assert_eq!(t.memory.available_permits(), 1024);
    }

    #[tokio::test]
    async fn a_transform_past_its_time_is_abandoned_and_keeps_its_slot_until_it_ends() {
        let t = transforms(1, 0, 64 * 1024 * 1024, 1);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let got = run(&t, 1024, move || {
            let _ = hold.recv();
            Ok(())
        })
        .await;
        assert!(matches!(got, Err(TransformError::TimedOut(1))), "{got:?}");
        assert_eq!(
            t.slots.available_permits(),
            0,
            "the abandoned work still runs"
        );
        let busy = run(&t, 1024, || Ok(())).await;
        assert!(matches!(busy, Err(TransformError::Busy { .. })), "{busy:?}");
        release.send(()).unwrap();
        while t.slots.available_permits() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(run(&t, 1024, || Ok(())).await.is_ok());
        assert_eq!(t.outcomes.with_label_values(&["made"]).get(), 1);
        assert_eq!(t.outcomes.with_label_values(&["busy"]).get(), 1);
        assert_eq!(t.outcomes.with_label_values(&["timed_out"]).get(), 1);
    }
}
