//! `[notify]`: where events go (`[notify.targets.<id>]`) and how hard picgate tries.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// `[notify]`. Every duration is in the unit its key names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The configured targets by id (`[a-z0-9_-]`, 1–64 characters; the id is part of the
    /// target's ARN, `arn:minio:sqs::<id>:<type>`).
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSettings>,
    /// `awsRegion` of every record and the region part ARNs may carry (MinIO leaves it empty).
    #[serde(default)]
    pub region: String,
    /// Delivery attempts of one event before it goes to the dead-letter list.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Age (since it was queued or replayed) after which an event that was not delivered goes
    /// to the dead-letter list, however few attempts it had.
    #[serde(default = "default_max_age_secs")]
    pub max_age_secs: u64,
    /// The first retry waits about this long; each further one about twice as long (equal
    /// jitter: half fixed, half random), at most `backoff_max_secs`.
    #[serde(default = "default_backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    #[serde(default = "default_backoff_max_secs")]
    pub backoff_max_secs: u64,
    /// Longest one webhook request may take, connection included.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// How often a queue is looked at for events another instance added (this instance's own
    /// events are delivered at once).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// With Redis: how long an instance's claim on a queue lasts unless renewed (renewed every
    /// third of it). Another instance takes the queue over after an instance dies.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
    /// Whether rules may ask for `s3:ObjectAccessed:*` events (a file read each). Off: such a
    /// rule is refused.
    #[serde(default)]
    pub access_events: bool,
    /// Events held in memory while the queue cannot be written (Redis or the system area
    /// down), written when it is back; beyond it, events are dropped and counted.
    #[serde(default = "default_backlog_max")]
    pub backlog_max: usize,
    /// How often every instance re-reads the bucket rules from the system area.
    #[serde(default = "default_rules_refresh_secs")]
    pub rules_refresh_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            targets: BTreeMap::new(),
            region: String::new(),
            max_attempts: default_max_attempts(),
            max_age_secs: default_max_age_secs(),
            backoff_initial_ms: default_backoff_initial_ms(),
            backoff_max_secs: default_backoff_max_secs(),
            timeout_secs: default_timeout_secs(),
            poll_interval_ms: default_poll_interval_ms(),
            lease_secs: default_lease_secs(),
            access_events: false,
            backlog_max: default_backlog_max(),
            rules_refresh_secs: default_rules_refresh_secs(),
        }
    }
}

/// One `[notify.targets.<id>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    #[serde(rename = "type")]
    pub kind: TargetKind,
    /// webhook: the URL events are POSTed to (`http` or `https`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// webhook: sent as `Authorization: Bearer <token>`, or as it is when it already names a
    /// scheme (`Basic …`). `auth_token_file` reads it from a file.
    #[serde(default)]
    pub auth_token: Option<SecretString>,
    /// webhook: the signing secret of the `webhook-signature` header (Standard Webhooks:
    /// `whsec_<base64>`, or any other text, used as its bytes). `secret_file` reads it from a
    /// file; `PICGATE__NOTIFY__TARGETS__<ID>__SECRET` from the environment. Unset: requests
    /// are not signed.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// redis: the stream events are appended to (`XADD`), on picgate's Redis (`redis.url`).
    #[serde(default)]
    pub stream: Option<String>,
    /// redis: the stream is trimmed to about this many entries (`MAXLEN ~`).
    #[serde(default = "default_stream_maxlen")]
    pub maxlen: u64,
}

/// What kind of receiver a target is; the last part of its ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Webhook,
    Redis,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Redis => "redis",
        }
    }
}

/// A setting that makes no sense, with the key (below `notify.`) it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct SettingsError {
    pub key: String,
    pub reason: String,
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> SettingsError {
    SettingsError {
        key: key.into(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Checks what serde cannot: target ids, each target's fields for its type, ranges.
    /// `redis`: whether picgate has a Redis (`redis.url`), which a `redis` target needs.
    pub fn validate(&self, redis: bool) -> Result<(), SettingsError> {
        for (id, target) in &self.targets {
            let key = |field: &str| format!("targets.{id}.{field}");
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(invalid(
                    format!("targets.{id}"),
                    "a target id is 1-64 characters of a-z, 0-9, '-' and '_'",
                ));
            }
            match target.kind {
                TargetKind::Webhook => {
                    let Some(endpoint) = &target.endpoint else {
                        return Err(invalid(
                            key("endpoint"),
                            "a webhook target needs an endpoint",
                        ));
                    };
                    let parsed = reqwest::Url::parse(endpoint)
                        .map_err(|e| invalid(key("endpoint"), format!("'{endpoint}': {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                        return Err(invalid(
                            key("endpoint"),
                            format!("'{endpoint}' is not an http or https URL"),
                        ));
                    }
                    if target.stream.is_some() {
                        return Err(invalid(key("stream"), "is for redis targets"));
                    }
                    if let Some(secret) = &target.secret {
                        crate::signature::SigningKey::from_secret(secret.expose_secret())
                            .map_err(|reason| invalid(key("secret"), reason))?;
                    }
                    for (field, value) in [
                        ("secret", &target.secret),
                        ("auth_token", &target.auth_token),
                    ] {
                        if value
                            .as_ref()
                            .is_some_and(|v| v.expose_secret().trim().is_empty())
                        {
                            return Err(invalid(key(field), "is empty: set it, or leave it unset"));
                        }
                    }
                }
                TargetKind::Redis => {
                    if !redis {
                        return Err(invalid(
                            format!("targets.{id}"),
                            "a redis target needs picgate's Redis (redis.url)",
                        ));
                    }
                    if target.stream.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        return Err(invalid(key("stream"), "a redis target needs a stream name"));
                    }
                    if target.endpoint.is_some()
                        || target.secret.is_some()
                        || target.auth_token.is_some()
                    {
                        return Err(invalid(
                            format!("targets.{id}"),
                            "endpoint, secret and auth_token are for webhook targets",
                        ));
                    }
                    if target.maxlen == 0 {
                        return Err(invalid(key("maxlen"), "must be at least 1"));
                    }
                }
            }
        }
        let positive = [
            ("max_attempts", u64::from(self.max_attempts)),
            ("max_age_secs", self.max_age_secs),
            ("backoff_initial_ms", self.backoff_initial_ms),
            ("backoff_max_secs", self.backoff_max_secs),
            ("timeout_secs", self.timeout_secs),
            ("poll_interval_ms", self.poll_interval_ms),
            ("lease_secs", self.lease_secs),
            ("rules_refresh_secs", self.rules_refresh_secs),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        if self.lease_secs < 3 {
            return Err(invalid(
                "lease_secs",
                "at least 3 (it is renewed every third of it)",
            ));
        }
        Ok(())
    }

    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.max_age_secs)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn rules_refresh(&self) -> Duration {
        Duration::from_secs(self.rules_refresh_secs)
    }

    pub fn backoff(&self) -> crate::backoff::Backoff {
        crate::backoff::Backoff {
            initial: Duration::from_millis(self.backoff_initial_ms),
            max: Duration::from_secs(self.backoff_max_secs),
        }
    }
}

fn default_max_attempts() -> u32 {
    20
}

fn default_max_age_secs() -> u64 {
    86_400
}

fn default_backoff_initial_ms() -> u64 {
    1_000
}

fn default_backoff_max_secs() -> u64 {
    300
}

fn default_timeout_secs() -> u64 {
    10
}

fn default_poll_interval_ms() -> u64 {
    250
}

fn default_lease_secs() -> u64 {
    15
}

fn default_backlog_max() -> usize {
    10_000
}

fn default_rules_refresh_secs() -> u64 {
    2
}

fn default_stream_maxlen() -> u64 {
    100_000
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn webhook(secret: Option<&str>) -> TargetSettings {
        TargetSettings {
            kind: TargetKind::Webhook,
            endpoint: Some("https://hooks.example.com/x".into()),
            auth_token: None,
            secret: secret.map(|s| SecretString::from(s.to_owned())),
            stream: None,
            maxlen: default_stream_maxlen(),
        }
    }

    fn with(id: &str, target: TargetSettings) -> Settings {
        Settings {
            targets: BTreeMap::from([(id.to_owned(), target)]),
            ..Settings::default()
        }
    }

    #[test]
    fn a_signing_secret_that_is_no_key_is_a_setting_error_naming_it() {
        for bad in ["whsec_!!!notbase64", "whsec_", "   "] {
            let err = with("cdn", webhook(Some(bad))).validate(false).unwrap_err();
            assert_eq!(err.key, "targets.cdn.secret", "{bad}: {err}");
        }
        for good in [
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "plain text secret",
        ] {
            with("cdn", webhook(Some(good))).validate(false).unwrap();
        }
        with("cdn", webhook(None)).validate(false).unwrap();
    }

    #[test]
    fn targets_are_checked_for_their_type() {
        let mut no_endpoint = webhook(None);
        no_endpoint.endpoint = None;
        let err = with("a", no_endpoint).validate(false).unwrap_err();
        assert_eq!(err.key, "targets.a.endpoint");
        let mut ftp = webhook(None);
        ftp.endpoint = Some("ftp://example.com/".into());
        assert_eq!(
            with("a", ftp).validate(false).unwrap_err().key,
            "targets.a.endpoint"
        );
        let stream = TargetSettings {
            kind: TargetKind::Redis,
            endpoint: None,
            auth_token: None,
            secret: None,
            stream: Some("events".into()),
            maxlen: 10,
        };
        let err = with("feed", stream.clone()).validate(false).unwrap_err();
        assert!(err.reason.contains("redis.url"), "{err}");
        with("feed", stream).validate(true).unwrap();
        let err = with("Bad Id", webhook(None)).validate(false).unwrap_err();
        assert_eq!(err.key, "targets.Bad Id");
    }
}
