//! A real Prometheus server (Debian's `prometheus`) scraping the app on loopback: what it
//! stores, read back through its HTTP API, is what the app counted.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{Sessions, find_tool, spawn_app_with};

const HEALTHZ_HITS: usize = 7;
const UNMATCHED_HITS: usize = 3;
/// Prometheus hands new targets to its scrapers about 5 s after it starts.
const SCRAPED_WITHIN: Duration = Duration::from_secs(45);
const POLL_EVERY: Duration = Duration::from_millis(250);
const READY_WITHIN: Duration = Duration::from_secs(20);
const PORT_ATTEMPTS: usize = 5;

/// Kills (and reaps) the process when dropped, a failing assertion included.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Prometheus server on a free loopback port, scraping one target every second, its config,
/// storage and log in a temp dir.
struct Prometheus {
    // Declared before the dir: the process goes before its storage does.
    _process: KillOnDrop,
    url: String,
    log: PathBuf,
    _dir: TempDir,
    http: Client,
}

impl Prometheus {
    /// Starts it scraping `127.0.0.1:<target_port>/metrics` and waits until it is ready.
    async fn start(target_port: u16) -> Self {
        let binary = find_tool(
            "PROMETHEUS",
            "target/promtool/usr/bin/prometheus",
            "prometheus",
            "mkdir -p target/promtool && cd target/promtool && apt-get download prometheus && dpkg-deb -x prometheus_*.deb . && rm prometheus_*.deb",
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: picgate\n    metrics_path: /metrics\n    \
                 static_configs:\n      - targets: [\"127.0.0.1:{target_port}\"]\n"
            ),
        )
        .expect("prometheus config written");
        let log = dir.path().join("prometheus.log");
        let http = Client::new();
        for attempt in 1..=PORT_ATTEMPTS {
            let port = free_port();
            let stderr = File::create(&log).expect("prometheus log file");
            let child = Command::new(&binary)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--log.level=warn")
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            let mut process = KillOnDrop(child);
            let url = format!("http://127.0.0.1:{port}");
            match wait_ready(&http, &url, &mut process.0).await {
                Ok(()) => {
                    return Self {
                        _process: process,
                        url,
                        log,
                        _dir: dir,
                        http,
                    };
                }
                // Another process took the port between our probe and Prometheus's bind.
                Err(_)
                    if attempt < PORT_ATTEMPTS
                        && read_tail(&log).contains("address already in use") => {}
                Err(exit) => panic!(
                    "prometheus did not get ready on port {port}: {exit}\n{}",
                    read_tail(&log)
                ),
            }
        }
        unreachable!("every attempt returns or panics")
    }

    /// The last lines Prometheus logged, for failure messages.
    fn tail(&self) -> String {
        read_tail(&self.log)
    }

    /// The `data.result` of an instant query.
    async fn query(&self, query: &str) -> Vec<Value> {
        let res = self
            .http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("query {query}: {e}\n{}", self.tail()));
        let status = res.status();
        let text = res.text().await.expect("query body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON ({status}) for {query}: {text}"));
        assert_eq!(
            body["status"],
            "success",
            "{query}: {body}\n{}",
            self.tail()
        );
        assert_eq!(body["data"]["resultType"], "vector", "{query}: {body}");
        body["data"]["result"].as_array().expect("a result").clone()
    }

    /// The value of a query answering one sample (an aggregation), `None` while it has none.
    async fn value(&self, query: &str) -> Option<f64> {
        let result = self.query(query).await;
        assert!(result.len() <= 1, "{query}: {result:?}");
        result.first().map(sample_value)
    }
}

/// A port nobody listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until `/-/ready` answers 200; `Err` says how the process ended or that time ran out.
async fn wait_ready(http: &Client, url: &str, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Some(status) = child.try_wait().expect("prometheus status") {
            return Err(format!("it exited ({status})"));
        }
        if let Ok(res) = http.get(format!("{url}/-/ready")).send().await
            && res.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("not ready within {READY_WITHIN:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn read_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    format!("--- prometheus log, last lines ---\n{tail}")
}

/// A sample's value: `[<time>, "<value>"]`.
fn sample_value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {sample}"))
}

/// A label of the one exposition line starting with `prefix`.
fn exposed_label(scrape: &str, prefix: &str, label: &str) -> String {
    let line = scrape
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {scrape}"));
    let start = format!("{label}=\"");
    let from = line
        .find(&start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("no {label} in {line}"));
    let len = line[from..].find('"').expect("closing quote");
    line[from..from + len].to_owned()
}

/// Prometheus, scraping the app once a second over loopback without credentials, stores exactly
/// the requests the app answered: by route template (unknown paths under `unmatched`, never raw),
/// its own scrapes under `/metrics` apart from the rest, and the build the app says it is.
#[tokio::test]
async fn a_real_prometheus_scrapes_the_request_counters() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    for _ in 0..HEALTHZ_HITS {
        app.get("/healthz").await.assert_ok(200);
    }
    for i in 0..UNMATCHED_HITS {
        let res = app
            .client
            .get(app.url(&format!("/nope/{i}/secret-path")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    // The one scrape of ours; every other `/metrics` request is Prometheus's.
    let scrape = app.scrape().await;
    let healthz_line = format!(
        "picgate_http_requests_total{{method=\"GET\",route=\"/healthz\",status=\"200\"}} {HEALTHZ_HITS}"
    );
    assert!(scrape.lines().any(|l| l == healthz_line), "{scrape}");
    let version = exposed_label(&scrape, "picgate_build_info{", "version");
    let revision = exposed_label(&scrape, "picgate_build_info{", "revision");
    assert_eq!(version, gateway::metrics::VERSION, "{scrape}");

    let started = Instant::now();
    let prometheus = Prometheus::start(app.port).await;
    let healthz =
        r#"sum(picgate_http_requests_total{job="picgate",route="/healthz",status="200"})"#;
    let scrapes =
        r#"sum(picgate_http_requests_total{job="picgate",route="/metrics",status="200"})"#;
    // Until it has scraped twice: its first scrape sees our scrape, the next one its own too.
    let deadline = Instant::now() + SCRAPED_WITHIN;
    loop {
        let seen = prometheus.value(healthz).await;
        let scraped = prometheus.value(scrapes).await;
        if let Some(seen) = seen {
            assert_eq!(
                seen,
                HEALTHZ_HITS as f64,
                "scrapes counted as /healthz?\n{}",
                prometheus.tail()
            );
        }
        if seen.is_some() && scraped.is_some_and(|n| n >= 2.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {:?}: /healthz {seen:?}, /metrics {scraped:?}\n{}",
            started.elapsed(),
            prometheus.tail()
        );
        tokio::time::sleep(POLL_EVERY).await;
    }

    let tail = prometheus.tail();
    let up = prometheus.query(r#"up{job="picgate"}"#).await;
    assert_eq!(up.len(), 1, "{up:?}\n{tail}");
    assert_eq!(
        up[0]["metric"]["instance"],
        format!("127.0.0.1:{}", app.port),
        "{up:?}"
    );
    assert_eq!(sample_value(&up[0]), 1.0, "{up:?}\n{tail}");
    assert_eq!(
        prometheus.value(healthz).await,
        Some(HEALTHZ_HITS as f64),
        "{tail}"
    );
    assert_eq!(
        prometheus
            .value(r#"sum(picgate_http_requests_total{job="picgate",route="unmatched"})"#)
            .await,
        Some(UNMATCHED_HITS as f64),
        "{tail}"
    );
    for raw in [
        r#"count(picgate_http_requests_total{route=~"/nope.*"})"#,
        r#"count({job="picgate",route=~".*nope.*"})"#,
    ] {
        let series = prometheus.query(raw).await;
        assert!(series.is_empty(), "{raw}: {series:?}");
    }
    let info = prometheus
        .query(r#"picgate_build_info{job="picgate"}"#)
        .await;
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0]["metric"]["version"], version.as_str(), "{info:?}");
    assert_eq!(info[0]["metric"]["revision"], revision.as_str(), "{info:?}");
    assert_eq!(sample_value(&info[0]), 1.0, "{info:?}");
}
