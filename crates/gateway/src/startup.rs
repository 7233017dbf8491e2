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

use crate::body::BodyConfig;
use crate::body_pace::BodyPace;
use crate::metrics::{self, Metrics};
use crate::proxies::TrustedProxies;
use crate::routes;
use crate::routes::compat::CompatTokenTtl;
use crate::service::list_cache::ListCache;
use crate::service::usage::Usage;
use crate::service::{Service, Tools};
use crate::settings::Settings;
use crate::views::PublicUrl;
use crate::{client_kind, json_etag, request_id, unread_body};

pub struct Application {
    port: u16,
    server: Server,
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
    Ok(Service::new(storage, auth, metrics, listings, usage, tools))
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
        // Before serving, so that no write races the first count.
        service.build_usage_if_missing().await;
        let server = run(listener, &settings, service)?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, settings: &Settings, service: Service) -> anyhow::Result<Server> {
    let metrics = web::Data::new(service.metrics().clone());
    let service = web::Data::new(service);
    let profiles = web::Data::new(settings.profiles.clone());
    let public_url = web::Data::new(PublicUrl(settings.server.public_url.clone()));
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
    });
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
            .app_data(compat_ttl.clone())
            .app_data(body.clone())
            .app_data(pace.clone())
            .app_data(proxies.clone())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            .configure(|cfg| routes::configure(cfg, &cors))
    })
    // Responses go out as soon as they are written: without TCP_NODELAY a body written after
    // its headers waits for the client's delayed ACK (up to 40 ms on Linux, RFC 1122 §4.2.3.2
    // and Nagle's algorithm, RFC 896).
    .tcp_nodelay(true)
    .listen(listener)?;
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}
