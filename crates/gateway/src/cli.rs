//! Command line: `picgate serve` (default), `picgate check-config`, `picgate user create`,
//! `picgate usage rebuild`, `picgate upload`.

use std::path::PathBuf;

use anyhow::Context;
use auth::{NewAccount, Role};
use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::startup::{Application, build_service};
use crate::upload_command;

#[derive(Debug, Parser)]
#[command(name = "picgate", version, about = "Self-hosted image and asset host")]
pub struct Cli {
    /// An extra config file, layered over config/default.toml and config/$PICGATE_ENV.toml.
    #[arg(long, global = true, env = "PICGATE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Load and check the configuration, then exit.
    CheckConfig,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Upload files through a running picgate and print one link a line (Typora's custom
    /// upload command, scripts); non-zero exit when any file fails.
    Upload {
        /// The picgate to upload to.
        #[arg(long, env = "PICGATE_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// An API token with the `upload` scope (or a login's access token).
        #[arg(long, env = "PICGATE_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long, default_value = "images")]
        bucket: String,
        /// Folder (key prefix) for the files.
        #[arg(long)]
        folder: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Asks a running picgate whether it is alive (a container's `HEALTHCHECK`): exit 0 when
    /// `/healthz` answers 200 within 5 seconds, 1 otherwise. Without `--url`, asks this
    /// configuration's `server.port` on the loopback address (or `server.host`, when it names
    /// one address).
    Healthcheck {
        #[arg(long, env = "PICGATE_HEALTHCHECK_URL")]
        url: Option<String>,
    },
    /// The usage figures behind the overview.
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Recount objects and bytes per bucket and owner, and the recent uploads, from the
    /// storage (for objects put there behind picgate's back).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// The password; read from PICGATE_PASSWORD when not given.
        #[arg(long, env = "PICGATE_PASSWORD", hide_env_values = true)]
        password: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        // A client of a running server: no config of its own.
        Command::Upload {
            server,
            token,
            bucket,
            folder,
            files,
        } => {
            let _log = crate::telemetry::init(crate::telemetry::LogFormat::Text);
            let target = upload_command::Target {
                server,
                token,
                bucket,
                folder,
            };
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
            upload_command::upload(&target, &files, &mut out, &mut err).await
        }
        Command::Healthcheck { url } => {
            // An empty PICGATE_HEALTHCHECK_URL (an unset variable interpolated) means none.
            let url = match url.filter(|u| !u.trim().is_empty()) {
                Some(url) => url,
                None => health_url(&Settings::load(cli.config.as_deref())?.server),
            };
            healthcheck(&url).await
        }
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            let _log = crate::telemetry::init(settings.log.format.resolve(settings.mode));
            configured(command, settings).await
        }
    }
}

/// The commands that work on this installation's config and storage.
async fn configured(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Upload { .. } | Command::Healthcheck { .. } => {
            anyhow::bail!("this command talks to a server, not to a config")
        }
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(
                port = app.port(),
                metrics_port = app.metrics_port(),
                "picgate is listening"
            );
            app.run_until_stopped().await.context("server failed")
        }
        Command::CheckConfig => {
            build_service(&settings).await?;
            println!("config ok: {} bucket(s)", settings.buckets.len());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    phone,
                    email,
                    name,
                    password,
                    admin,
                },
        } => {
            let service = build_service(&settings).await?;
            let user = service
                .auth()
                .register(NewAccount {
                    phone,
                    email,
                    password,
                    name,
                    tfs: None,
                    role: if admin { Role::Admin } else { Role::User },
                })
                .await
                .map_err(describe)?;
            println!("created user {} ({})", user.id, user.email);
            Ok(())
        }
        Command::Usage {
            command: UsageCommand::Rebuild,
        } => {
            let service = build_service(&settings).await?;
            let ledger = service
                .rebuild_usage()
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
            for (bucket, tally) in &ledger.buckets {
                println!(
                    "{bucket}: {} object(s), {} byte(s)",
                    tally.all.objects, tally.all.bytes
                );
            }
            println!("usage figures rebuilt");
            Ok(())
        }
    }
}

/// `http://<host>:<port>/healthz` of a server serving `server`: a wildcard host (`0.0.0.0`,
/// `::`) is asked on the loopback address.
fn health_url(server: &crate::settings::ServerSettings) -> String {
    let host = match server.host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => server.host.clone(),
    };
    format!("http://{host}:{}/healthz", server.port)
}

/// `picgate healthcheck`: a GET of `url` that must answer 200.
async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .context("HTTP client")?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    anyhow::ensure!(
        response.status() == reqwest::StatusCode::OK,
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

fn describe(err: auth::Error) -> anyhow::Error {
    match err {
        auth::Error::Validation(fields) => anyhow::anyhow!(
            "invalid account: {}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::Error::new(other),
    }
}
