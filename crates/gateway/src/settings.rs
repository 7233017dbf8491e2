//! Layered configuration: embedded `config/default.toml`, `config/$PICGATE_ENV.toml`, a file named
//! by `--config`, then `PICGATE__SECTION__KEY` environment variables. Secrets may come from a
//! `<key>_file` path instead. Values become typed settings at load, so bad config stops the
//! process at start with a message naming the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;

use crate::profiles::Profiles;

const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Keys, wherever they appear (`auth.jwt_secret`, `redis.url`, a backend's credentials),
/// whose value may instead be read from the file named by `<key>_file`.
const SECRET_KEYS: &[&str] = &[
    "jwt_secret",
    "url",
    "access_key_id",
    "secret_access_key",
    "token",
    "secret",
    "auth_token",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub mode: Mode,
    pub server: ServerSettings,
    pub storage: storage::Settings,
    pub redis: RedisSettings,
    pub auth: auth::Settings,
    pub buckets: BTreeMap<String, storage::BucketSettings>,
    pub profiles: Profiles,
    #[serde(default)]
    pub tools: ToolSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub log: crate::telemetry::LogSettings,
    #[serde(default)]
    pub variants: crate::variants::VariantSettings,
    #[serde(default)]
    pub notify: notify::Settings,
}

/// `[metrics]`: where `/metrics` is served and to whom (decided in `service/access.rs`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A `host:port` to serve `/metrics` on instead of the main port (e.g. `0.0.0.0:9464`,
    /// the port OpenTelemetry's Prometheus exporter uses). Unset: the main port.
    #[serde(default)]
    pub listen: Option<String>,
    /// A bearer token that may read `/metrics` from anywhere (`metrics.token_file` reads it
    /// from a file). On the dedicated listener it is then required.
    #[serde(default)]
    pub token: Option<SecretString>,
}

impl MetricsSettings {
    /// `listen` is `host:port` (a name or an address; `[v6]:port`); `token` is not blank (an
    /// unset variable interpolated as "" would lock every scraper out).
    fn validate(&self, server: &ServerSettings) -> Result<(), SettingsError> {
        if let Some(listen) = &self.listen {
            let Some(port) = listen
                .rsplit_once(':')
                .filter(|(host, _)| !host.is_empty())
                .and_then(|(_, port)| port.parse::<u16>().ok())
            else {
                return Err(SettingsError::key(
                    "metrics.listen",
                    format!("'{listen}' is not host:port (e.g. 0.0.0.0:9464)"),
                ));
            };
            if port == server.port && port != 0 {
                return Err(SettingsError::key(
                    "metrics.listen",
                    format!("port {port} is the main port (server.port): pick another"),
                ));
            }
        }
        if self
            .token
            .as_ref()
            .is_some_and(|t| secrecy::ExposeSecret::expose_secret(t).trim().is_empty())
        {
            return Err(SettingsError::key(
                "metrics.token",
                "is empty: set a token, or leave it unset",
            ));
        }
        Ok(())
    }
}

/// `[tools]`: uploads from upload tools (Lsky Pro, SM.MS and PicList shapes, ShareX).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSettings {
    /// The bucket a tool upload goes to when it names none (strategy 1). Unset: `images` if
    /// configured, else the first bucket by name.
    #[serde(default)]
    pub bucket: Option<String>,
    /// How tool uploads are keyed; the default never clashes.
    #[serde(default = "default_tool_key_template")]
    pub key_template: storage::KeyTemplate,
}

impl Default for ToolSettings {
    fn default() -> Self {
        Self {
            bucket: None,
            key_template: default_tool_key_template(),
        }
    }
}

fn default_tool_key_template() -> storage::KeyTemplate {
    storage::KeyTemplate::try_from("{folder}/{yyyy}/{mm}/{dd}/{uuid}.{ext}".to_owned())
        .unwrap_or_default()
}

impl Settings {
    /// The bucket tool uploads go to by default: `tools.bucket`, else `images` if configured,
    /// else the first bucket by name. Errors (at load): `tools.bucket` names no bucket.
    pub fn tool_bucket(&self) -> Result<storage::BucketName, SettingsError> {
        let name = match &self.tools.bucket {
            Some(name) if self.buckets.contains_key(name) => name.as_str(),
            Some(name) => {
                return Err(SettingsError::key(
                    "tools.bucket",
                    format!("no bucket '{name}' is configured"),
                ));
            }
            None if self.buckets.contains_key("images") => "images",
            None => self.buckets.keys().next().map_or("", String::as_str),
        };
        storage::BucketName::parse(name)
            .map_err(|e| SettingsError::key("tools.bucket", e.to_string()))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub public_url: Option<String>,
    pub json_limit: usize,
    /// Longest a JSON request body may take to arrive, in seconds.
    #[serde(default = "default_body_timeout_secs")]
    pub body_timeout_secs: u64,
    /// Longest any request body (uploads too) may keep the server waiting for its next bytes,
    /// in seconds (see `body_pace.rs`).
    #[serde(default = "default_body_idle_timeout_secs")]
    pub body_idle_timeout_secs: u64,
    /// Slowest average rate of a request body once it has kept the server waiting for
    /// `body_idle_timeout_secs`, in bytes per second of waiting.
    #[serde(default = "default_body_min_bytes_per_sec")]
    pub body_min_bytes_per_sec: u64,
    #[serde(default)]
    pub workers: usize,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For/-Host/-Proto` headers are
    /// believed.
    #[serde(default)]
    pub trusted_proxies: Vec<crate::proxies::ProxyRange>,
    /// Which browser pages on other origins may call the API (see `cors.rs`).
    #[serde(default)]
    pub cors: crate::cors::CorsSettings,
    /// After SIGTERM or SIGINT, how long requests in flight may take to finish, in seconds;
    /// request bodies still arriving then fail and their uploads are aborted.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
}

/// The longest `server.shutdown_grace_secs`.
const MAX_SHUTDOWN_GRACE_SECS: u64 = 3600;

fn default_shutdown_grace_secs() -> u64 {
    30
}

fn default_body_timeout_secs() -> u64 {
    15
}

fn default_body_idle_timeout_secs() -> u64 {
    30
}

fn default_body_min_bytes_per_sec() -> u64 {
    1024
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    #[serde(default)]
    pub url: Option<SecretString>,
    pub key_prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("config: {0}")]
    Source(#[from] Box<figment::Error>),
    #[error("config key `{key}`: {message}")]
    Key { key: String, message: String },
}

impl SettingsError {
    fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Key {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl Settings {
    /// Loads every layer; `extra` is the file given with `--config`.
    pub fn load(extra: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        let env_name = std::env::var("PICGATE_ENV").unwrap_or_default();
        if !env_name.is_empty() {
            let path = PathBuf::from("config").join(format!("{env_name}.toml"));
            if path.exists() {
                figment = figment.merge(Toml::file_exact(path));
            } else if let Some(embedded) = embedded_layer(&env_name) {
                figment = figment.merge(Toml::string(embedded));
            } else {
                return Err(SettingsError::key(
                    "PICGATE_ENV",
                    format!("no config/{env_name}.toml"),
                ));
            }
        }
        if let Some(path) = extra {
            if !path.exists() {
                return Err(SettingsError::key(
                    "--config",
                    format!("{} does not exist", path.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("PICGATE__").split("__"));
        Self::from_figment(figment)
    }

    /// Builds settings from an already layered figment (tests add their own layers).
    pub fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let mut value: serde_json::Value = figment.extract().map_err(Box::new)?;
        resolve_secret_files(&mut value, "")?;
        let settings: Settings = serde_path_to_error::deserialize(value).map_err(|e| {
            let key = e.path().to_string();
            SettingsError::key(key, e.into_inner().to_string())
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Builds settings from the embedded defaults plus the given TOML (used by tests and tools).
    pub fn from_toml_layers(layers: &[&str]) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        for layer in layers {
            figment = figment.merge(Toml::string(layer));
        }
        Self::from_figment(figment)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.mode == Mode::Production {
            if self.redis.url.is_none() {
                return Err(SettingsError::key(
                    "redis.url",
                    "production mode requires Redis (set PICGATE__REDIS__URL or redis.url_file)",
                ));
            }
            if self.auth.jwt_secret.is_none() {
                return Err(SettingsError::key(
                    "auth.jwt_secret",
                    "production mode requires a JWT secret (set PICGATE__AUTH__JWT_SECRET or auth.jwt_secret_file)",
                ));
            }
        }
        self.auth
            .validate()
            .map_err(|e| SettingsError::key(format!("auth.{}", e.key), e.reason))?;
        if self.buckets.is_empty() {
            return Err(SettingsError::key(
                "buckets",
                "at least one bucket is needed",
            ));
        }
        if let Some(url) = &self.server.public_url
            && (!(url.starts_with("http://") || url.starts_with("https://"))
                || url.contains(['?', '#']))
        {
            return Err(SettingsError::key(
                "server.public_url",
                "must be an http:// or https:// URL without a query or fragment (links are built by appending /f/<bucket>/<key>)",
            ));
        }
        self.tool_bucket()?;
        if self.server.body_idle_timeout_secs == 0 {
            return Err(SettingsError::key(
                "server.body_idle_timeout_secs",
                "must be at least 1 second",
            ));
        }
        if self.server.shutdown_grace_secs > MAX_SHUTDOWN_GRACE_SECS {
            return Err(SettingsError::key(
                "server.shutdown_grace_secs",
                format!("must be at most {MAX_SHUTDOWN_GRACE_SECS} (an hour)"),
            ));
        }
        self.metrics.validate(&self.server)?;
        self.notify
            .validate(self.redis.url.is_some())
            .map_err(|e| SettingsError::key(format!("notify.{}", e.key), e.reason))?;
        self.variants
            .validate()
            .map_err(|(key, msg)| SettingsError::key(format!("variants.{key}"), msg))?;
        for (name, profile) in [("pc", &self.profiles.pc), ("h5", &self.profiles.h5)] {
            if !self.variants.sizes.contains(&profile.variant_width) {
                return Err(SettingsError::key(
                    format!("profiles.{name}.variant_width"),
                    "must be one of variants.sizes",
                ));
            }
        }
        self.server
            .cors
            .validate()
            .map_err(|msg| SettingsError::key("server.cors.allowed_origins", msg))?;
        self.profiles
            .validate()
            .map_err(|(key, msg)| SettingsError::key(format!("profiles.{key}"), msg))
    }
}

fn embedded_layer(env_name: &str) -> Option<&'static str> {
    match env_name {
        "production" => Some(include_str!("../../../config/production.toml")),
        _ => None,
    }
}

/// Replaces every `<key>_file` (for the keys in [`SECRET_KEYS`]) by the file's content under
/// `<key>`, at any depth; setting both is an error.
fn resolve_secret_files(value: &mut serde_json::Value, path: &str) -> Result<(), SettingsError> {
    let Some(table) = value.as_object_mut() else {
        return Ok(());
    };
    for key in SECRET_KEYS {
        let file_key = format!("{key}_file");
        let Some(file) = table.remove(&file_key) else {
            continue;
        };
        let name = format!("{path}{file_key}");
        if table.contains_key(*key) {
            return Err(SettingsError::key(
                name,
                format!("set either {path}{key} or {path}{file_key}, not both"),
            ));
        }
        let file = file
            .as_str()
            .ok_or_else(|| SettingsError::key(&name, "must be a path"))?;
        let secret = std::fs::read_to_string(file)
            .map_err(|e| SettingsError::key(&name, format!("cannot read {file}: {e}")))?;
        table.insert(
            (*key).to_owned(),
            serde_json::Value::String(secret.trim_end().to_owned()),
        );
    }
    for (key, child) in table.iter_mut() {
        resolve_secret_files(child, &format!("{path}{key}."))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn environment_variables_override_every_file_layer() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PICGATE__SERVER__PORT", "9000");
            jail.set_env("PICGATE__STORAGE__DATA_DIR", "/srv/picgate");
            jail.set_env("PICGATE__BUCKETS__IMAGES__MAX_OBJECT_BYTES", "1024");
            jail.create_file("extra.toml", "[server]\nport = 7000\nhost = \"0.0.0.0\"\n")?;
            let settings =
                Settings::load(Some(Path::new("extra.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(settings.server.port, 9000);
            assert_eq!(settings.server.host, "0.0.0.0");
            assert_eq!(settings.storage.data_dir, PathBuf::from("/srv/picgate"));
            assert_eq!(settings.buckets["images"].max_object_bytes, 1024);
            Ok(())
        });
    }

    #[test]
    fn a_bucket_moves_to_s3_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PICGATE__BUCKETS__IMAGES__BACKEND__TYPE", "s3");
            jail.set_env(
                "PICGATE__BUCKETS__IMAGES__BACKEND__ENDPOINT",
                "http://minio:9000",
            );
            jail.set_env("PICGATE__BUCKETS__IMAGES__BACKEND__BUCKET", "picgate");
            jail.set_env(
                "PICGATE__BUCKETS__IMAGES__BACKEND__SECRET_ACCESS_KEY",
                "from-env",
            );
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            let storage::BackendSettings::S3(remote) = &settings.buckets["images"].backend else {
                return Err("images is not on s3".into());
            };
            assert_eq!(remote.endpoint.as_deref(), Some("http://minio:9000"));
            assert_eq!(remote.bucket, "picgate");
            assert!(remote.secret_access_key.is_some());
            Ok(())
        });
    }

    #[test]
    fn picgate_env_selects_the_production_layer() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PICGATE_ENV", "production");
            let err = Settings::load(None).map_err(|e| e.to_string()).unwrap_err();
            assert!(err.contains("redis.url"), "{err}");
            jail.set_env("PICGATE__REDIS__URL", "redis://127.0.0.1:6379");
            jail.set_env(
                "PICGATE__AUTH__JWT_SECRET",
                "a-long-production-secret-of-32-bytes+",
            );
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.mode, Mode::Production);
            assert_eq!(settings.server.host, "0.0.0.0");
            Ok(())
        });
    }

    #[test]
    fn bad_metrics_and_shutdown_settings_are_named() {
        for (layer, key) in [
            ("[metrics]\nlisten = \"notanaddr\"", "metrics.listen"),
            ("[metrics]\nlisten = \":9464\"", "metrics.listen"),
            ("[metrics]\nlisten = \"0.0.0.0:99999\"", "metrics.listen"),
            ("[metrics]\ntoken = \" \"", "metrics.token"),
            ("[metrics]\nlisten = \"127.0.0.1:8080\"", "metrics.listen"),
            (
                "[server]\nshutdown_grace_secs = 9999999",
                "server.shutdown_grace_secs",
            ),
        ] {
            let err = Settings::from_toml_layers(&[layer])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{layer}: {err}");
        }
        let ok = Settings::from_toml_layers(&["[metrics]\nlisten = \"[::]:9464\"\ntoken = \"t\""]);
        assert!(ok.is_ok());
    }

    #[test]
    fn bad_variant_settings_are_named() {
        for (layer, key) in [
            ("[variants]\nsizes = [0, 320]", "variants.sizes"),
            ("[variants]\nqualities = [101]", "variants.qualities"),
            (
                "[profiles.h5]\nvariant_width = 700",
                "profiles.h5.variant_width",
            ),
            (
                "[variants.presets.x]\nfit = \"cover\"",
                "variants.presets.x",
            ),
            (
                "[variants.presets.x]\nw = 320\nfit = \"cover\"",
                "variants.presets.x.fit",
            ),
        ] {
            let err = Settings::from_toml_layers(&[layer])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{layer}: {err}");
        }
    }

    #[test]
    fn a_missing_config_file_is_named() {
        let err = Settings::load(Some(Path::new("/nonexistent/picgate.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--config"), "{err}");
    }
}
