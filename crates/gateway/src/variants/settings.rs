//! `[variants]`: the ladder of sizes and qualities variants may have, named presets, and the
//! limits and cache of making them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::request::{Fit, FormatChoice, MAX_SIDE};

/// `[variants]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSettings {
    /// The widths and heights (pixels) a variant may have: the ladder `srcset` is made of.
    #[serde(default = "default_ladder")]
    pub sizes: Vec<u32>,
    /// The qualities (1–100) `q` may take.
    #[serde(default = "default_qualities")]
    pub qualities: Vec<u8>,
    /// The quality when `q` is absent; one of `qualities`.
    #[serde(default = "default_quality")]
    pub default_quality: u8,
    /// Named variants (`?v=thumb`), each a fixed set of the parameters.
    #[serde(default)]
    pub presets: BTreeMap<String, Preset>,
    /// Largest original a variant is made of, in bytes; larger ones get 422 `image_too_large`.
    #[serde(default = "default_max_input_bytes")]
    pub max_input_bytes: u64,
    /// Most pixels (width × height, as the header declares them) an original may have.
    #[serde(default = "default_max_pixels")]
    pub max_pixels: u64,
    /// Variants made at once by this instance; 0: one per CPU core.
    #[serde(default)]
    pub max_concurrent: usize,
    /// Requests that may wait for a free slot; beyond them 503 `transforms_busy` with
    /// `Retry-After`.
    #[serde(default = "default_max_queued")]
    pub max_queued: usize,
    /// Memory all transforms running at once may hold (decoded pixels, buffers), in bytes; a
    /// transform waits for its share, and one that would need more than all of it is refused.
    #[serde(default = "default_memory_budget_bytes")]
    pub memory_budget_bytes: u64,
    /// Longest one transform may take (decode, resize, encode), in seconds; past it 422.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Age (days) after which a cached variant is removed by the sweep; 0 keeps them.
    #[serde(default = "default_cache_ttl_days")]
    pub cache_ttl_days: u64,
    /// Most bytes of variants one bucket's cache keeps; the sweep removes the oldest beyond
    /// it. Unset: no cap.
    #[serde(default)]
    pub cache_max_bytes: Option<u64>,
    /// How often each instance sweeps the variant caches, in seconds; 0 never.
    #[serde(default = "default_sweep_interval_secs")]
    pub sweep_interval_secs: u64,
}

/// One `[variants.presets.<name>]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    #[serde(default)]
    pub w: Option<u32>,
    #[serde(default)]
    pub h: Option<u32>,
    #[serde(default)]
    pub fit: Fit,
    #[serde(default)]
    pub fmt: FormatChoice,
    #[serde(default)]
    pub q: Option<u8>,
}

fn default_ladder() -> Vec<u32> {
    vec![160, 320, 480, 640, 750, 960, 1280, 1920]
}

fn default_qualities() -> Vec<u8> {
    vec![50, 65, 80, 90]
}

fn default_quality() -> u8 {
    80
}

fn default_max_input_bytes() -> u64 {
    50 * 1024 * 1024
}

fn default_max_pixels() -> u64 {
    50_000_000
}

fn default_max_queued() -> usize {
    64
}

fn default_memory_budget_bytes() -> u64 {
    192 * 1024 * 1024
}

fn default_timeout_secs() -> u64 {
    10
}

fn default_cache_ttl_days() -> u64 {
    30
}

fn default_sweep_interval_secs() -> u64 {
    3600
}

impl Default for VariantSettings {
    fn default() -> Self {
        Self {
            sizes: default_ladder(),
            qualities: default_qualities(),
            default_quality: default_quality(),
            presets: BTreeMap::new(),
            max_input_bytes: default_max_input_bytes(),
            max_pixels: default_max_pixels(),
            max_concurrent: 0,
            max_queued: default_max_queued(),
            memory_budget_bytes: default_memory_budget_bytes(),
            timeout_secs: default_timeout_secs(),
            cache_ttl_days: default_cache_ttl_days(),
            cache_max_bytes: None,
            sweep_interval_secs: default_sweep_interval_secs(),
        }
    }
}

/// `auto` is not a preset name: it asks for the client profile's width.
pub const AUTO_PRESET: &str = "auto";

impl VariantSettings {
    /// Errors: `(key, reason)` of the first bad setting.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.sizes.is_empty() || self.sizes.iter().any(|&s| s == 0 || s > MAX_SIDE) {
            return Err((
                "sizes".into(),
                format!("must list sizes between 1 and {MAX_SIDE} pixels"),
            ));
        }
        let positive = [
            ("max_input_bytes", self.max_input_bytes),
            ("max_pixels", self.max_pixels),
            ("memory_budget_bytes", self.memory_budget_bytes),
            ("timeout_secs", self.timeout_secs),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(((*key).into(), "must be at least 1".into()));
        }
        if self.timeout_secs > 600 {
            return Err(("timeout_secs".into(), "must be at most 600".into()));
        }
        if self.qualities.iter().any(|&q| q == 0 || q > 100) {
            return Err(("qualities".into(), "must be between 1 and 100".into()));
        }
        if !self.qualities.contains(&self.default_quality) {
            return Err((
                "default_quality".into(),
                "must be one of `qualities`".into(),
            ));
        }
        for (name, preset) in &self.presets {
            let key = format!("presets.{name}");
            if name == AUTO_PRESET {
                return Err((key, "`auto` is reserved (the client's width)".into()));
            }
            let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if !name.chars().all(plain) || !name.chars().any(|c| c.is_ascii_alphabetic()) {
                return Err((
                    key,
                    "a preset name is letters, digits, `-` and `_`, with a letter (`?v=2` is a page's cache buster)".into(),
                ));
            }
            let sizes = [("w", preset.w), ("h", preset.h)];
            if let Some((param, _)) = sizes.iter().find(|(_, s)| s.is_some_and(|s| s == 0)) {
                return Err((format!("{key}.{param}"), "must be at least 1".into()));
            }
            if preset.w.is_none() && preset.h.is_none() && preset.fmt == FormatChoice::Original {
                return Err((
                    key,
                    "names no size and no format: it is the original".into(),
                ));
            }
            if preset.fit != Fit::Inside && (preset.w.is_none() || preset.h.is_none()) {
                return Err((
                    format!("{key}.fit"),
                    "cover and contain need both `w` and `h`".into(),
                ));
            }
            if preset.q.is_some_and(|q| q == 0 || q > 100) {
                return Err((format!("{key}.q"), "must be between 1 and 100".into()));
            }
        }
        Ok(())
    }
}

impl VariantSettings {
    /// `max_concurrent`, with 0 read as the number of CPU cores.
    pub fn concurrency(&self) -> usize {
        match self.max_concurrent {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        }
    }

    /// `timeout_secs` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// `cache_ttl_days` as a duration; `None` for 0 (kept).
    pub fn cache_ttl(&self) -> Option<Duration> {
        (self.cache_ttl_days > 0).then(|| Duration::from_secs(self.cache_ttl_days * 24 * 60 * 60))
    }
}
