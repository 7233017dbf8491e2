//! Logs through `tracing`: one JSON object a line in production (for a log shipper), readable
//! text in development; the level from `RUST_LOG` (default `info`). Written to stderr.

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

use crate::settings::Mode;

/// `[log]`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    #[serde(default)]
    pub format: LogFormat,
}

/// `log.format`: `auto` (JSON in production mode, text otherwise), `json` or `text`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Auto,
    Json,
    Text,
}

impl LogFormat {
    /// What `auto` means in `mode`.
    pub fn resolve(self, mode: Mode) -> Self {
        match (self, mode) {
            (Self::Auto, Mode::Production) => Self::Json,
            (Self::Auto, Mode::Development) => Self::Text,
            (chosen, _) => chosen,
        }
    }
}

/// Log targets (and everything below them: `reqsign_core::api`, `reqsign_tencent_cos`, …) that
/// write secrets at debug level or below: the S3/COS request signers.
const SECRET_LOGGER_PREFIX: &str = "reqsign";

/// Whether an event or span may be written: nothing from [`SECRET_LOGGER_PREFIX`] below
/// `info`, whatever `RUST_LOG` asks.
fn may_log(meta: &tracing::Metadata<'_>) -> bool {
    !(meta.target().starts_with(SECRET_LOGGER_PREFIX) && *meta.level() > tracing::Level::INFO)
}

/// Installs the process's log subscriber; a subscriber set earlier (tests) stays. Lines are
/// written by a thread of their own (a worker formats a line and goes on; no write system
/// call per request on its way), none dropped: a full buffer makes loggers wait. Keep the
/// returned guard until the process ends: dropping it writes out what is buffered.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::filter_fn, fmt};

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("picgate-log")
        .finish(std::io::stderr());
    let lines = fmt::layer()
        .with_writer(writer)
        // Colours only for a terminal, not for a file or a log collector.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let lines = if format == LogFormat::Json {
        lines
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .with_filter(filter_fn(may_log))
            .boxed()
    } else {
        lines.with_filter(filter_fn(may_log)).boxed()
    };
    let result = tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .try_init();
    drop(result);
    guard
}
