use crate::helpers::{PNG, Sessions, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_alive_with_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    res.assert_ok(200);
    assert!(res.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn readyz_is_ready_when_storage_and_redis_answer() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    res.assert_ok(200);
    assert_eq!(res.data()["checks"]["sessions"], true);
}

#[tokio::test]
async fn readyz_names_redis_when_it_is_down() {
    let mut app = spawn_app().await;
    app.redis.as_mut().expect("redis").stop();
    let res = app.get("/readyz").await;
    res.assert_error(503, "session_store_unavailable");
    let failing = res.data()["failing"].to_string();
    assert!(failing.contains("sessions"), "{failing}");
}

#[tokio::test]
async fn a_sane_client_request_id_is_kept_and_a_bad_one_replaced() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123");
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn metrics_are_labelled_by_route_template_not_raw_path() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    app.get("/f/images/some/secret-name-1.png").await;
    app.get("/f/images/other/secret-name-2.png").await;
    let text = app.scrape().await;
    assert!(text.contains("picgate_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/f/{bucket}/{key:.+}\""), "{text}");
    assert!(!text.contains("secret-name"), "{text}");
}

/// Dashboards show which build runs: `picgate_build_info{version, revision} 1`, the revision
/// being the git commit the binary was built from.
#[tokio::test]
async fn metrics_name_the_running_build() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let text = app.scrape().await;
    let line = text
        .lines()
        .find(|l| l.starts_with("picgate_build_info{"))
        .unwrap_or_else(|| panic!("no build info in {text}"));
    assert!(line.ends_with("} 1"), "{line}");
    assert!(
        line.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .expect("git and a git checkout are needed (apt-get install git)");
    assert!(
        line.contains(&format!("revision=\"{head}\"")),
        "{line} vs {head}"
    );
}

#[tokio::test]
async fn openapi_and_docs_describe_the_routes() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/api/v1/auth/login"]["post"].is_object());
    assert!(spec["paths"]["/api/v1/buckets/{bucket}/objects"]["post"].is_object());
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/api/v1/auth/login") && html.contains("object_not_found"));
}

/// A scrape taken after traffic of every kind (files, listings, uploads, errors, unknown routes
/// and methods) passes Prometheus's own linter, `promtool check metrics`.
#[tokio::test]
async fn a_live_scrape_passes_promtool() {
    let promtool = crate::helpers::find_tool(
        "PROMTOOL",
        "target/promtool/usr/bin/promtool",
        "promtool",
        "apt-get download prometheus && dpkg-deb -x prometheus_*.deb target/promtool",
    );
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let user = app.user().await;
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await;
    for path in [
        "/f/images/a.png",
        "/f/images/missing.png",
        "/api/v1/buckets/images/objects",
        "/no/such/route",
    ] {
        app.client.get(app.url(path)).send().await.unwrap();
    }
    app.client
        .get(app.url("/api/v1/buckets"))
        .header("x-client", "h5")
        .send()
        .await
        .unwrap();
    app.client
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/healthz"),
        )
        .send()
        .await
        .unwrap();
    let scrape = app.scrape().await;
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), scrape.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "{said}\n{scrape}"
    );
    assert!(
        !scrape.contains("BREW") && !scrape.contains("/no/such/route"),
        "{scrape}"
    );
    // Latency by route template, status class and client profile (`X-Client` or the UA).
    assert!(
        scrape.lines().any(
            |l| l.starts_with("picgate_http_request_duration_seconds_count{")
                && l.contains("route=\"/f/{bucket}/{key:.+}\"")
                && l.contains("status_class=\"4xx\"")
                && l.contains("client=\"pc\"")
        ),
        "{scrape}"
    );
    assert!(
        scrape.lines().any(
            |l| l.starts_with("picgate_http_request_duration_seconds_count{")
                && l.contains("route=\"/api/v1/buckets\"")
                && l.contains("client=\"h5\"")
        ),
        "{scrape}"
    );
}

/// The listing cache's work shows on dashboards: a first listing is a miss, the same listing
/// again a hit, and an upload makes the next one a miss again.
#[tokio::test]
async fn listing_cache_lookups_are_counted_by_outcome() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let user = app.user().await;
    let count = |scrape: &str, outcome: &str| -> u64 {
        let prefix = format!("picgate_list_cache_lookups_total{{outcome=\"{outcome}\"}} ");
        scrape
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    let list = || {
        app.client
            .get(app.url("/api/v1/buckets/images/objects"))
            .send()
    };
    list().await.unwrap();
    list().await.unwrap();
    let first = app.scrape().await;
    assert_eq!(
        (count(&first, "miss"), count(&first, "hit")),
        (1, 1),
        "{first}"
    );
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await;
    list().await.unwrap();
    let after = app.scrape().await;
    assert_eq!(
        (count(&after, "miss"), count(&after, "hit")),
        (2, 1),
        "{after}"
    );
}

/// Body sizes per route: what a route sends (here the picture, twice, byte for byte) and what
/// uploads declare.
#[tokio::test]
async fn body_sizes_are_observed_per_route() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let user = app.user().await;
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await;
    for _ in 0..2 {
        let res = app
            .client
            .get(app.url("/f/images/a.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.bytes().await.unwrap().len(), PNG.len());
    }
    let scrape = app.scrape().await;
    let value = |name: &str, route: &str| -> f64 {
        let prefix = format!("{name}{{method=");
        scrape
            .lines()
            .filter(|l| l.starts_with(&prefix) && l.contains(&format!("route=\"{route}\"")))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} for {route} in {scrape}"))
    };
    let sent = value(
        "picgate_http_response_body_size_bytes_sum",
        "/f/{bucket}/{key:.+}",
    );
    assert_eq!(sent, (2 * PNG.len()) as f64, "{scrape}");
    let uploads = value(
        "picgate_http_request_body_size_bytes_count",
        "/api/v1/buckets/{bucket}/objects",
    );
    assert_eq!(uploads, 1.0, "{scrape}");
}
