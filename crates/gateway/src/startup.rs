//! The composition root: builds the services from settings, binds the listener and assembles
//! the `App` — the same code for `main` and for the tests.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use auth::{Auth, SessionBackend};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use storage::Storage;
use tokio_util::sync::CancellationToken;

use crate::body::BodyConfig;
use crate::body_pace::BodyPace;
use crate::console::ConsolePolicy;
use crate::metrics::{self, Metrics};
use crate::proxies::TrustedProxies;
use crate::routes;
use crate::routes::compat::CompatTokenTtl;
use crate::service::list_cache::ListCache;
use crate::service::usage::Usage;
use crate::service::{Parts, Service, Tools, Variants};
use crate::settings::Settings;
use crate::views::PublicUrl;
use crate::{client_kind, json_etag, request_id, unread_body};

/// Longest the notifier may take to stop and release its queue leases at shutdown.
const NOTIFY_SHUTDOWN: Duration = Duration::from_secs(5);

/// A bound, running server: the main listener and, with `metrics.listen`, the metrics one.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    servers: Vec<Server>,
    /// Cancelled when the grace period ends (see `body_pace.rs`).
    deadline: CancellationToken,
    grace: Duration,
    /// Stopped once the servers are: its queue leases go to the other instances at once.
    notifier: notify::Notifier,
}

/// Builds the services every handler calls from the settings: storage (checking bucket
/// placements), auth (never connecting to Redis yet) and the metrics registry.
pub async fn build_service(settings: &Settings) -> anyhow::Result<Service> {
    let storage = Storage::new(
        &settings.storage,
        &settings.buckets,
        url_signing_key(settings),
    )
    .context("storage config")?;
    let sessions = match &settings.redis.url {
        Some(url) => SessionBackend::Redis {
            url: url.clone(),
            key_prefix: settings.redis.key_prefix.clone(),
        },
        None => SessionBackend::Memory,
    };
    let auth = Auth::new(&settings.auth, storage.system_operator(), sessions)
        .await
        .context("auth config")?;
    let metrics = Metrics::new().context("metrics registry")?;
    metrics.expose_buckets(settings.buckets.keys());
    for collector in auth.collectors() {
        metrics.register(collector).context("auth metrics")?;
    }
    for collector in storage.metrics().collectors() {
        metrics.register(collector).context("storage metrics")?;
    }
    let listings = ListCache::new(
        Duration::from_secs(settings.storage.list_cache_secs),
        settings.redis.url.as_ref().map(|url| url.expose_secret()),
        &settings.redis.key_prefix,
    )
    .context("listing cache")?
    .counted(metrics.list_lookups());
    let usage = Usage::new(
        storage.clone(),
        settings.redis.url.as_ref().map(|url| url.expose_secret()),
        &settings.redis.key_prefix,
    )
    .context("usage ledger")?;
    let tools = Tools {
        bucket: settings.tool_bucket()?,
        key_template: settings.tools.key_template.clone(),
    };
    let variants = Variants::new(settings.variants.clone()).context("image variants")?;
    for collector in variants.collectors() {
        metrics.register(collector).context("variant metrics")?;
    }
    let redis = settings.redis.url.as_ref().map(|url| notify::RedisPlace {
        url: url.expose_secret().to_owned(),
        key_prefix: settings.redis.key_prefix.clone(),
    });
    let notifier = notify::Notifier::new(
        settings.notify.clone(),
        storage.system_operator(),
        redis,
        settings.buckets.keys().cloned().collect(),
    )
    .context("notifications")?;
    for collector in notifier.collectors() {
        metrics
            .register(collector)
            .context("notification metrics")?;
    }
    Ok(Service::new(Parts {
        storage,
        auth,
        metrics,
        listings,
        usage,
        tools,
        variants,
        notify: notifier,
    }))
}

/// The key that signs gateway file links: derived from the JWT secret so that every instance
/// sharing that secret accepts the others' links; random per process when there is none.
fn url_signing_key(settings: &Settings) -> SecretString {
    let material = match &settings.auth.jwt_secret {
        Some(secret) => secret.expose_secret().as_bytes().to_vec(),
        None => uuid::Uuid::new_v4().as_bytes().to_vec(),
    };
    let mut hasher = Sha256::new();
    hasher.update(b"picgate/url-signing/v1\0");
    hasher.update(&material);
    SecretString::from(hex::encode(hasher.finalize()))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let service = build_service(&settings).await?;
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener =
            TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = match &settings.metrics.listen {
            Some(address) => Some(
                TcpListener::bind(address)
                    .with_context(|| format!("metrics.listen: cannot listen on {address}"))?,
            ),
            None => None,
        };
        let metrics_port = metrics_listener
            .as_ref()
            .map(|l| l.local_addr().map(|a| a.port()))
            .transpose()?;
        // The console's catalogue (asset version, rendered page) is made once, before serving.
        crate::console::catalogue();
        // Before serving, so that no write races the first count.
        service.build_usage_if_missing().await;
        service.spawn_variant_sweep();
        // The rules apply from the first request on.
        service.notifier().refresh_rules().await;
        service.notifier().start();
        let notifier = service.notifier().clone();
        let deadline = CancellationToken::new();
        let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
        let metrics_server = metrics_listener
            .map(|listener| run_metrics(listener, &settings, service.clone()))
            .transpose()?;
        let mut servers = vec![run(listener, &settings, service, deadline.clone())?];
        servers.extend(metrics_server);
        Ok(Self {
            port,
            metrics_port,
            servers,
            deadline,
            grace,
            notifier,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `metrics.listen`, when set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: no new connections;
    /// requests in flight get `server.shutdown_grace_secs` to finish; request bodies still
    /// arriving then fail (their uploads are aborted, nothing partial is stored), and what is
    /// left is dropped [`ABORT_MARGIN`] later. A second signal stops at once. `Ok` after a
    /// shutdown, so the process exits 0.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handles: Vec<_> = self.servers.iter().map(Server::handle).collect();
        let (deadline, grace) = (self.deadline, self.grace);
        let (forced, forced_rx) = tokio::sync::oneshot::channel::<()>();
        let stopper = tokio::spawn(async move {
            let first = shutdown_signal().await;
            tracing::info!(
                signal = first,
                grace_secs = grace.as_secs(),
                "shutting down: no new connections, requests in flight may finish"
            );
            let stop_all = futures::future::join_all(handles.iter().map(|h| h.stop(true)));
            let grace_over = tokio::time::sleep(grace);
            tokio::pin!(stop_all, grace_over);
            loop {
                tokio::select! {
                    _ = &mut stop_all => return,
                    () = &mut grace_over, if !deadline.is_cancelled() => {
                        tracing::warn!("grace period over: failing request bodies still arriving");
                        deadline.cancel();
                    }
                    second = shutdown_signal() => {
                        tracing::warn!(signal = second, "second signal: stopping at once");
                        deadline.cancel();
                        // The uploads whose bodies just failed abort their writes; whatever
                        // still runs after that is dropped with the process.
                        drop(tokio::time::timeout(FORCED_ABORT, &mut stop_all).await);
                        // Nobody to tell if the servers ended meanwhile.
                        let _ = forced.send(());
                        return;
                    }
                }
            }
        });
        let servers = futures::future::join_all(self.servers);
        let notifier = self.notifier;
        let ended = tokio::select! {
            results = servers => {
                stopper.abort();
                results.into_iter().collect()
            }
            Ok(()) = forced_rx => Ok(()),
        };
        // Releases this instance's queue leases, so another takes the queues over at once.
        notifier.shutdown(NOTIFY_SHUTDOWN).await;
        ended
    }
}

/// After a second signal, how long uploads get to abort before the process exits anyway.
const FORCED_ABORT: Duration = Duration::from_secs(1);

/// How long after the grace period requests still running are dropped: time for the uploads
/// whose bodies failed at its end to abort their writes.
pub const ABORT_MARGIN: Duration = Duration::from_secs(5);

/// Waits for SIGTERM or SIGINT and names it (elsewhere than Unix: Ctrl-C).
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                tracing::warn!("cannot listen for SIGTERM/SIGINT; stop the process by killing it");
                std::future::pending().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        drop(tokio::signal::ctrl_c().await);
        "Ctrl-C"
    }
}

/// The app on `metrics.listen`: `/metrics` and nothing else, one worker.
fn run_metrics(
    listener: TcpListener,
    settings: &Settings,
    service: Service,
) -> anyhow::Result<Server> {
    let service = web::Data::new(service);
    let door = web::Data::new(routes::MetricsDoor {
        token: settings.metrics.token.clone(),
        dedicated: true,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(service.clone())
            .app_data(door.clone())
            .configure(routes::configure_metrics)
            .default_service(web::to(routes::route_not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?;
    Ok(server.run())
}

fn run(
    listener: TcpListener,
    settings: &Settings,
    service: Service,
    deadline: CancellationToken,
) -> anyhow::Result<Server> {
    let metrics = web::Data::new(service.metrics().clone());
    let service = web::Data::new(service);
    let profiles = web::Data::new(settings.profiles.clone());
    let public_url = web::Data::new(PublicUrl(settings.server.public_url.clone()));
    let console = web::Data::new(ConsolePolicy::new(settings.server.public_url.as_deref()));
    let compat_ttl = web::Data::new(CompatTokenTtl(Duration::from_secs(
        settings.auth.compat_token_ttl_secs,
    )));
    let body = web::Data::new(BodyConfig {
        limit: settings.server.json_limit,
        timeout: Duration::from_secs(settings.server.body_timeout_secs),
    });
    let pace = web::Data::new(BodyPace {
        idle: Duration::from_secs(settings.server.body_idle_timeout_secs),
        min_bytes_per_sec: settings.server.body_min_bytes_per_sec,
        deadline,
    });
    let door = web::Data::new(routes::MetricsDoor {
        token: settings.metrics.token.clone(),
        dedicated: false,
    });
    let with_metrics = settings.metrics.listen.is_none();
    let proxies = web::Data::new(TrustedProxies(settings.server.trusted_proxies.clone()));
    let cors = settings.server.cors.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(json_etag::middleware))
            .wrap(Compress::default())
            .wrap(from_fn(client_kind::middleware))
            .wrap(from_fn(metrics::middleware))
            .wrap(from_fn(request_id::middleware))
            .wrap(from_fn(unread_body::middleware))
            .app_data(service.clone())
            .app_data(metrics.clone())
            .app_data(profiles.clone())
            .app_data(public_url.clone())
            .app_data(console.clone())
            .app_data(compat_ttl.clone())
            .app_data(body.clone())
            .app_data(pace.clone())
            .app_data(proxies.clone())
            .app_data(door.clone())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            .configure(|cfg| routes::configure(cfg, &cors, with_metrics))
    })
    // Responses go out as soon as they are written: without TCP_NODELAY a body written after
    // its headers waits for the client's delayed ACK (up to 40 ms on Linux, RFC 1122 §4.2.3.2
    // and Nagle's algorithm, RFC 896).
    .tcp_nodelay(true)
    // Signals are handled by `run_until_stopped`, which also ends request bodies at the
    // deadline; actix drops whatever still runs after that.
    .disable_signals()
    .shutdown_timeout(
        (Duration::from_secs(settings.server.shutdown_grace_secs) + ABORT_MARGIN).as_secs(),
    )
    .listen(listener)?;
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}
