//! The operational metrics on `/metrics`, as dashboards and alert rules read them: objects
//! stored per bucket, storage operations timed and failed per bucket, backend and operation,
//! whether each dependency answers, who may scrape (and where), and label sets that no client
//! traffic can grow. Each test drives real requests and compares scrapes taken before and
//! after, series by series.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, Response};

use crate::helpers::{
    Answer, Backend, CountingProxy, PNG, Sessions, TestApp, rand_digits, spawn_app, spawn_app_on,
    spawn_app_on_with, spawn_app_with, spawn_twin_with,
};

const UPLOADS: &str = "picgate_uploads_total";
const UPLOADED_BYTES: &str = "picgate_uploaded_bytes_total";
const OPERATIONS: &str = "picgate_storage_operation_duration_seconds_count";
const OPERATION_ERRORS: &str = "picgate_storage_operation_errors_total";
const DEPENDENCY_UP: &str = "picgate_dependency_up";
const REQUESTS: &str = "picgate_http_requests_total";

/// The methods of RFC 9110 §9 and PATCH (RFC 5789): every other one is counted as `other`.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

type Labels = BTreeMap<String, String>;

/// One sample line of a text exposition.
struct Sample {
    name: String,
    labels: Labels,
    value: f64,
}

/// A parsed `/metrics` answer.
struct Scrape {
    text: String,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("bad sample: {line}")))
            .collect();
        Self { text, samples }
    }

    /// The samples of `name` whose labels include every pair of `labels`.
    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The sum of the samples of `name` whose labels include every pair of `labels`, summed
    /// over the other labels; 0 when there is no such series.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    /// The label sets of `name`'s series.
    fn series(&self, name: &str) -> BTreeSet<Labels> {
        self.matching(name, &[]).map(|s| s.labels.clone()).collect()
    }

    /// The values `label` takes among the series of `name`.
    fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        self.matching(name, &[])
            .filter_map(|s| s.labels.get(label).cloned())
            .collect()
    }

    /// That the series of `name` matching `labels` grew by `by` since `before`.
    #[track_caller]
    fn assert_moved(&self, before: &Scrape, name: &str, labels: &[(&str, &str)], by: f64) {
        let moved = self.since(before, name, labels);
        assert_eq!(moved, by, "{name} {labels:?}\n{}", self.text);
    }

    /// How much the series of `name` matching `labels` grew from `before` to `self`.
    fn since(&self, before: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels) - before.value(name, labels)
    }

    /// `picgate_dependency_up{dependency}`, which must be exposed.
    #[track_caller]
    fn up(&self, dependency: &str) -> f64 {
        let labels = [("dependency", dependency)];
        let sample = self
            .matching(DEPENDENCY_UP, &labels)
            .next()
            .unwrap_or_else(|| panic!("no {DEPENDENCY_UP} for {dependency}\n{}", self.text));
        sample.value
    }
}

/// `name{k="v",…} value [timestamp]`, label values unescaped.
fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_owned();
    let mut labels = Labels::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        loop {
            let (start, c) = chars.next()?;
            if c == '}' {
                rest = &inner[start + 1..];
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = inner[start..].find('=')? + start;
            let key = inner[start..eq].to_owned();
            while chars.peek().is_some_and(|(i, _)| *i <= eq) {
                chars.next();
            }
            if chars.next()?.1 != '"' {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            }
            labels.insert(key, value);
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

#[test]
fn the_scrape_parser_reads_labels_and_values() {
    let scrape = Scrape::parse(
        "# HELP x a metric\n# TYPE x counter\nx{a=\"1\",b=\"q\\\"u,o}te\"} 2\nx{a=\"1\",b=\"c\"} 3.5\ny 7\nz_bucket{le=\"+Inf\"} 4\n"
            .to_owned(),
    );
    assert_eq!(scrape.value("x", &[("a", "1")]), 5.5);
    assert_eq!(scrape.value("x", &[("b", "q\"u,o}te")]), 2.0);
    assert_eq!(scrape.value("x", &[("b", "d")]), 0.0);
    assert_eq!(scrape.value("y", &[]), 7.0);
    assert_eq!(scrape.value("z_bucket", &[("le", "+Inf")]), 4.0);
    assert_eq!(scrape.series("x").len(), 2);
}

/// `/metrics` on the main port, as a client on the same host asks for it: it must answer 200.
async fn scrape(app: &TestApp) -> Scrape {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    Scrape::parse(text)
}

/// `GET /metrics` on the main port with extra headers.
async fn metrics_with(app: &TestApp, headers: &[(&str, &str)]) -> Response {
    get_with(app, &app.url("/metrics"), headers).await
}

async fn get_with(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.get(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// Asserts a 200 Prometheus text answer.
async fn assert_served(res: Response, what: &str) {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{what}: {text}");
    assert!(
        content_type.starts_with("text/plain"),
        "{what}: {content_type}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("picgate_build_info{")),
        "{what}: {text}"
    );
}

fn backend_label(backend: Backend) -> &'static str {
    match backend {
        Backend::Fs => "fs",
        Backend::S3 => "s3",
    }
}

/// The storage series (durations and errors) that moved from `before` to `after`, but
/// `list`s: every scrape checks each bucket's backend with a listing.
fn storage_moves(before: &Scrape, after: &Scrape) -> BTreeMap<(String, Labels), f64> {
    let mut moved = BTreeMap::new();
    for name in [OPERATIONS, OPERATION_ERRORS] {
        for labels in after.series(name) {
            if labels.get("operation").map(String::as_str) == Some("list") {
                continue;
            }
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let by = after.since(before, name, &pairs);
            if by != 0.0 {
                moved.insert((name.to_owned(), labels), by);
            }
        }
    }
    moved
}

/// Asserts that, but for the system area (owner records, policies), only `bucket`'s storage
/// series moved, all on `backend`.
#[track_caller]
fn assert_only_bucket_moved(before: &Scrape, after: &Scrape, bucket: &str, backend: &str) {
    for ((name, labels), by) in storage_moves(before, after) {
        assert_eq!(labels["backend"], backend, "{name}{labels:?} +{by}");
        assert!(
            labels["bucket"] == bucket || labels["bucket"] == ".system",
            "{name}{labels:?} moved by {by} for traffic to {bucket}\n{}",
            after.text
        );
    }
}

/// Two uploads to `images` and one to `files` count three objects, by bucket, and exactly the
/// bytes sent; a refused upload counts nothing.
#[tokio::test]
async fn uploads_are_counted_per_bucket_with_their_bytes() {
    let app = spawn_app().await;
    let user = app.user().await;
    let note = b"a note for the files bucket\n".to_vec();
    let before = scrape(&app).await;

    app.upload(&user.access, "images", "one.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.upload(&user.access, "images", "two.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "files", "notes/n.txt", note.clone())
        .await
        .assert_ok(201);
    // Not an image: refused, nothing stored, nothing counted.
    let refused = app
        .upload(&user.access, "images", "not-an-image.txt", note.clone())
        .await;
    assert!(refused.status >= 400, "{}", refused.body);

    let after = scrape(&app).await;
    let images = [("bucket", "images")];
    let files = [("bucket", "files")];
    after.assert_moved(&before, UPLOADS, &images, 2.0);
    assert_eq!(after.since(&before, UPLOADS, &files), 1.0, "{}", after.text);
    assert_eq!(after.since(&before, UPLOADS, &[]), 3.0, "{}", after.text);
    after.assert_moved(&before, UPLOADED_BYTES, &images, (2 * PNG.len()) as f64);
    after.assert_moved(&before, UPLOADED_BYTES, &files, note.len() as f64);
    assert_eq!(
        after.label_values(UPLOADS, "bucket"),
        BTreeSet::from(["images".to_owned(), "files".to_owned()]),
        "{}",
        after.text
    );
}

/// Storage operations by bucket, backend and operation: an upload is a `write`, a file read a
/// `read` (on S3 a `stat` first), a missing key a `not_found` error (of the fs `read`, of the
/// S3 `stat`), a delete a `delete`; labels name the configured bucket and its backend, never
/// an object key or an unknown bucket.
async fn storage_operations_are_counted_per_bucket_and_backend(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let be = backend_label(backend);
    let user = app.user().await;
    let name = format!("op-{}.png", rand_digits());
    let images = |op: &'static str| [("bucket", "images"), ("backend", be), ("operation", op)];

    // An image upload writes twice, to `images` on this backend: the object, and its image
    // facts (size, blurhash) next to its variants.
    let before = scrape(&app).await;
    let stored = app
        .upload(&user.access, "images", &name, PNG.to_vec())
        .await;
    stored.assert_ok(201);
    let key = stored.data()["key"].as_str().unwrap().to_owned();
    let after = scrape(&app).await;
    after.assert_moved(&before, OPERATIONS, &images("write"), 2.0);
    assert_only_bucket_moved(&before, &after, "images", be);

    // Reading the file: one `read` on fs, a `stat` and a `read` on S3; nothing fails.
    let before = after;
    let res = app
        .client
        .get(app.url(&format!("/f/images/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let after = scrape(&app).await;
    let (stats, reads) = match backend {
        Backend::Fs => (0.0, 1.0),
        Backend::S3 => (1.0, 1.0),
    };
    after.assert_moved(&before, OPERATIONS, &images("read"), reads);
    after.assert_moved(&before, OPERATIONS, &images("stat"), stats);
    after.assert_moved(&before, OPERATION_ERRORS, &[("bucket", "images")], 0.0);
    assert_only_bucket_moved(&before, &after, "images", be);

    // A missing key: one `not_found`, of the fs `read` or of the S3 `stat`, and no read done.
    let before = after;
    let missing = format!("absent-{}.png", rand_digits());
    let res = app
        .client
        .get(app.url(&format!("/f/images/{missing}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let after = scrape(&app).await;
    let failing = match backend {
        Backend::Fs => "read",
        Backend::S3 => "stat",
    };
    let not_found = [
        ("bucket", "images"),
        ("backend", be),
        ("operation", failing),
        ("error", "not_found"),
    ];
    after.assert_moved(&before, OPERATION_ERRORS, &not_found, 1.0);
    after.assert_moved(&before, OPERATION_ERRORS, &[("bucket", "images")], 1.0);
    after.assert_moved(&before, OPERATIONS, &images("read"), 0.0);
    assert_only_bucket_moved(&before, &after, "images", be);

    // A delete deletes twice: the object, then its variants and image facts; nothing fails.
    let before = after;
    app.delete_auth(
        &format!("/api/v1/buckets/images/objects/{key}"),
        &user.access,
    )
    .await
    .assert_ok(200);
    let after = scrape(&app).await;
    after.assert_moved(&before, OPERATIONS, &images("delete"), 2.0);
    after.assert_moved(&before, OPERATION_ERRORS, &[("bucket", "images")], 0.0);
    assert_only_bucket_moved(&before, &after, "images", be);

    // The other bucket has series of its own.
    let before = after;
    app.put(&user.access, "files", "doc.txt", b"doc".to_vec())
        .await
        .assert_ok(201);
    let after = scrape(&app).await;
    let files_write = [("bucket", "files"), ("backend", be), ("operation", "write")];
    after.assert_moved(&before, OPERATIONS, &files_write, 1.0);
    after.assert_moved(&before, OPERATIONS, &images("write"), 0.0);
    assert_only_bucket_moved(&before, &after, "files", be);

    // An unknown bucket reaches no storage, so it names no series.
    let stranger = format!("nobucket{}", rand_digits());
    let res = app
        .client
        .get(app.url(&format!("/f/{stranger}/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let last = scrape(&app).await;
    let configured: BTreeSet<String> = ["images", "files", ".system"].map(str::to_owned).into();
    for metric in [OPERATIONS, OPERATION_ERRORS] {
        let buckets = last.label_values(metric, "bucket");
        assert!(buckets.is_subset(&configured), "{metric}: {buckets:?}");
        assert_eq!(
            last.label_values(metric, "backend"),
            BTreeSet::from([be.to_owned()]),
            "{}",
            last.text
        );
        for error in last.label_values(metric, "error") {
            assert!(
                !error.is_empty()
                    && error
                        .split('_')
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "error kind {error:?} is not snake case"
            );
        }
    }
    for raw in [
        name.as_str(),
        missing.as_str(),
        "doc.txt",
        stranger.as_str(),
    ] {
        assert!(!last.text.contains(raw), "{raw} in\n{}", last.text);
    }
}

#[tokio::test]
async fn storage_operations_are_counted_per_bucket_and_backend_on_fs() {
    storage_operations_are_counted_per_bucket_and_backend(Backend::Fs).await;
}

#[tokio::test]
async fn storage_operations_are_counted_per_bucket_and_backend_on_s3() {
    storage_operations_are_counted_per_bucket_and_backend(Backend::S3).await;
}

/// S3 hung (accepting, never answering): the scrape answers within a few seconds anyway, with
/// every storage area down, instead of waiting out the retries until Prometheus gives up.
#[tokio::test]
async fn a_hung_s3_server_is_reported_down_within_the_scrape() {
    // The default timeouts: a call may take 10 s, retries included.
    let mut app = spawn_app_on(Backend::S3).await;
    assert_eq!(scrape(&app).await.up("storage:images"), 1.0);
    app.s3.as_mut().unwrap().freeze();
    let started = std::time::Instant::now();
    let during = scrape(&app).await;
    let took = started.elapsed();
    app.s3.as_mut().unwrap().thaw();
    // Well inside Prometheus's default scrape timeout (10 s).
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
    for area in ["storage:images", "storage:files", "storage:system"] {
        assert_eq!(during.up(area), 0.0, "{area}\n{}", during.text);
    }
    assert_eq!(during.up("sessions"), 1.0);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
}

/// S3 stopped: each refused write shows as one failed `stat` of `images` (not a `not_found`),
/// the next scrape still answers and shows every storage area down and the session store up,
/// and the scrape after S3 returns shows them up again.
#[tokio::test]
async fn an_s3_outage_counts_failed_operations_and_marks_the_storage_down() {
    let mut app = spawn_app_on_with(
        Backend::S3,
        Sessions::Redis,
        "[storage]\ntimeout_secs = 2\nretries = 1\n",
    )
    .await;
    let user = app.user().await;
    app.upload(&user.access, "images", "kept.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let before = scrape(&app).await;
    for dependency in [
        "sessions",
        "storage:images",
        "storage:files",
        "storage:system",
    ] {
        assert_eq!(before.up(dependency), 1.0, "{dependency}\n{}", before.text);
    }

    app.s3.as_mut().unwrap().stop();
    app.put(&user.access, "images", "while-down.png", PNG.to_vec())
        .await
        .assert_error(503, "storage_unavailable");
    app.delete_auth("/api/v1/buckets/images/objects/kept.png", &user.access)
        .await
        .assert_error(503, "storage_unavailable");

    let after = scrape(&app).await;
    let images = [("bucket", "images"), ("backend", "s3")];
    let failed: f64 = ["stat", "write"]
        .iter()
        .flat_map(|op| {
            after
                .label_values(OPERATION_ERRORS, "error")
                .into_iter()
                .filter(|e| e != "not_found")
                .map(move |e| (*op, e))
        })
        .map(|(op, error)| {
            let labels = [
                images[0],
                images[1],
                ("operation", op),
                ("error", error.as_str()),
            ];
            after.since(&before, OPERATION_ERRORS, &labels)
        })
        .sum();
    assert_eq!(
        failed, 2.0,
        "one failed stat or write per request\n{}",
        after.text
    );
    let not_found = [images[0], ("error", "not_found")];
    after.assert_moved(&before, OPERATION_ERRORS, &not_found, 0.0);
    for dependency in ["storage:images", "storage:files", "storage:system"] {
        assert_eq!(after.up(dependency), 0.0, "{dependency}\n{}", after.text);
    }
    assert_eq!(after.up("sessions"), 1.0, "{}", after.text);

    app.s3.as_mut().unwrap().resume();
    let back = scrape(&app).await;
    for dependency in [
        "sessions",
        "storage:images",
        "storage:files",
        "storage:system",
    ] {
        assert_eq!(back.up(dependency), 1.0, "{dependency}\n{}", back.text);
    }
}

/// Redis stopped: the scrape still answers 200 and shows the session store down (the storage
/// up); once Redis is back the next scrape shows it up.
#[tokio::test]
async fn a_redis_outage_shows_as_the_session_store_down() {
    let mut app = spawn_app().await;
    let before = scrape(&app).await;
    assert_eq!(before.up("sessions"), 1.0, "{}", before.text);

    app.redis.as_mut().unwrap().stop();
    let during = scrape(&app).await;
    assert_eq!(during.up("sessions"), 0.0, "{}", during.text);
    for dependency in ["storage:images", "storage:files", "storage:system"] {
        assert_eq!(during.up(dependency), 1.0, "{dependency}\n{}", during.text);
    }

    app.redis.as_mut().unwrap().restart();
    let back = scrape(&app).await;
    assert_eq!(back.up("sessions"), 1.0, "{}", back.text);
}

/// On the main port a scrape is for the same host: a loopback peer is served, but not when a
/// proxy on that host forwarded the request (any of `Forwarded`, `X-Forwarded-For`,
/// `X-Real-IP`), and a bearer token means nothing while no `metrics.token` is set.
#[tokio::test]
async fn forwarded_scrapes_are_refused_on_the_main_port() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    assert_eq!(app.metrics_port, None);
    assert_served(metrics_with(&app, &[]).await, "loopback").await;
    for header in [
        ("x-forwarded-for", "1.2.3.4"),
        ("forwarded", "for=1.2.3.4"),
        ("x-real-ip", "1.2.3.4"),
        ("x-forwarded-for", "127.0.0.1"),
    ] {
        Answer::from(metrics_with(&app, &[header]).await)
            .await
            .assert_error(403, "metrics_forbidden");
    }
    Answer::from(
        metrics_with(
            &app,
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("authorization", "Bearer anything"),
            ],
        )
        .await,
    )
    .await
    .assert_error(403, "metrics_forbidden");
}

/// With `metrics.token` set, the main port serves it to a forwarded scrape holding the token
/// (and still to the same host), not to a wrong or partial token.
#[tokio::test]
async fn the_metrics_token_lets_a_forwarded_scrape_in() {
    let token = format!("mt-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(
        Sessions::Embedded,
        &format!("[metrics]\ntoken = \"{token}\"\n"),
    )
    .await;
    let forwarded = ("x-forwarded-for", "1.2.3.4");
    let bearer = |t: &str| format!("Bearer {t}");
    assert_served(
        metrics_with(&app, &[forwarded, ("authorization", &bearer(&token))]).await,
        "forwarded with the token",
    )
    .await;
    assert_served(metrics_with(&app, &[]).await, "loopback without a token").await;
    let mut wrong = token.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    for refused in [
        bearer(&wrong),
        bearer(&token[..token.len() - 1]),
        bearer(&format!("{token}x")),
        "Bearer".to_owned(),
    ] {
        Answer::from(metrics_with(&app, &[forwarded, ("authorization", &refused)]).await)
            .await
            .assert_error(403, "metrics_forbidden");
    }
    Answer::from(metrics_with(&app, &[forwarded]).await)
        .await
        .assert_error(403, "metrics_forbidden");
}

/// With `metrics.listen`, `/metrics` moves to its own port, open to anyone there (no token is
/// set), serving the main port's metrics; the main port answers it 404, and the metrics port
/// serves nothing else.
#[tokio::test]
async fn metrics_listen_serves_the_scrape_on_its_own_port_only() {
    let app = spawn_app_with(Sessions::Embedded, "[metrics]\nlisten = \"127.0.0.1:0\"\n").await;
    let port = app.metrics_port.expect("the metrics port");
    assert_ne!(port, app.port);
    let dedicated = |path: &str| format!("http://127.0.0.1:{port}{path}");

    app.get("/healthz").await.assert_ok(200);
    Answer::from(metrics_with(&app, &[]).await)
        .await
        .assert_error(404, "route_not_found");

    let res = get_with(&app, &dedicated("/metrics"), &[]).await;
    let text = res.text().await.unwrap();
    let scrape = Scrape::parse(text);
    assert!(
        scrape
            .text
            .lines()
            .any(|l| l.starts_with("picgate_build_info{")),
        "{}",
        scrape.text
    );
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(scrape.value(REQUESTS, &healthz), 1.0, "{}", scrape.text);
    assert_eq!(scrape.up("sessions"), 1.0, "{}", scrape.text);
    assert_served(
        get_with(
            &app,
            &dedicated("/metrics"),
            &[("x-forwarded-for", "1.2.3.4")],
        )
        .await,
        "forwarded, on the metrics port",
    )
    .await;
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/buckets",
        "/f/images/a.png",
        "/",
    ] {
        let res = get_with(&app, &dedicated(path), &[]).await;
        assert_eq!(res.status(), 404, "{path}");
        Answer::from(res).await.assert_error(404, "route_not_found");
    }
}

/// `metrics.listen` and `metrics.token` together: the metrics port wants the token.
#[tokio::test]
async fn metrics_listen_with_a_token_requires_it() {
    let token = format!("mt-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(
        Sessions::Embedded,
        &format!("[metrics]\nlisten = \"127.0.0.1:0\"\ntoken = \"{token}\"\n"),
    )
    .await;
    let url = format!("http://127.0.0.1:{}/metrics", app.metrics_port.unwrap());
    let right = format!("Bearer {token}");
    Answer::from(get_with(&app, &url, &[]).await)
        .await
        .assert_error(403, "metrics_forbidden");
    Answer::from(get_with(&app, &url, &[("authorization", "Bearer not-the-token")]).await)
        .await
        .assert_error(403, "metrics_forbidden");
    assert_served(
        get_with(&app, &url, &[("authorization", &right)]).await,
        "metrics port with the token",
    )
    .await;
    Answer::from(metrics_with(&app, &[("authorization", &right)]).await)
        .await
        .assert_error(404, "route_not_found");
}

/// Invented methods and unmatched paths fold into `other` and `unmatched`: after 50 distinct
/// random paths and methods the HTTP metrics have exactly the series they had after one, and
/// no path or method sent appears in the scrape. (`health.rs` checks that a route's label is
/// its template.)
#[tokio::test]
async fn invented_methods_and_unmatched_paths_add_no_series() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let mut sent = Vec::new();
    let mut first = round(1);
    first.push((Method::from_bytes(b"FOO").unwrap(), "/healthz".to_owned()));
    first.push((Method::from_bytes(b"BREW").unwrap(), "/x".to_owned()));
    sent.extend(first.clone());
    send_all(&app, first).await;
    // The first scrape's own request shows from the second one on.
    scrape(&app).await;
    let after_one = scrape(&app).await;

    let more = round(49);
    sent.extend(more.clone());
    send_all(&app, more).await;
    let after_fifty = scrape(&app).await;

    let http: BTreeSet<&str> = after_fifty
        .samples
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| n.starts_with("picgate_http_"))
        .collect();
    assert!(http.contains(REQUESTS), "{}", after_fifty.text);
    for name in http {
        let (one, fifty) = (after_one.series(name), after_fifty.series(name));
        assert_eq!(one.len(), fifty.len(), "{name}\n{}", after_fifty.text);
        assert_eq!(one, fifty, "{name}");
    }

    let methods = after_fifty.label_values(REQUESTS, "method");
    assert!(methods.contains("other"), "{methods:?}");
    assert!(
        methods
            .iter()
            .all(|m| m == "other" || KNOWN_METHODS.contains(&m.as_str())),
        "{methods:?}"
    );
    for labels in after_fifty.series(REQUESTS) {
        if labels["method"] == "other" {
            assert!(
                ["unmatched", "/healthz"].contains(&labels["route"].as_str()),
                "{labels:?}"
            );
        }
    }
    // Every request was counted, folded: 50 GETs and 51 invented methods on no route, 51 of
    // them on `/healthz`.
    let unmatched = |method| [("method", method), ("route", "unmatched")];
    assert_eq!(after_fifty.value(REQUESTS, &unmatched("GET")), 50.0);
    assert_eq!(after_fifty.value(REQUESTS, &unmatched("other")), 51.0);
    assert_eq!(
        after_fifty.value(REQUESTS, &[("method", "other"), ("route", "/healthz")]),
        51.0,
        "{}",
        after_fifty.text
    );
    assert!(
        !after_fifty.text.contains("route=\"/x\""),
        "{}",
        after_fifty.text
    );
    for (method, path) in &sent {
        if path.starts_with("/zz") {
            assert!(!after_fifty.text.contains(&path[1..]), "{path}");
        }
        if !KNOWN_METHODS.contains(&method.as_str()) {
            assert!(!after_fifty.text.contains(method.as_str()), "{method}");
        }
    }
}

/// `n` times: a `GET` of a random unmatched path, a random invented method on another, and
/// that method on `/healthz`.
fn round(n: usize) -> Vec<(Method, String)> {
    let mut requests = Vec::new();
    for _ in 0..n {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let method =
            Method::from_bytes(format!("X{}", id[16..24].to_uppercase()).as_bytes()).unwrap();
        requests.push((Method::GET, format!("/zz{}/{}", &id[..8], &id[8..16])));
        requests.push((method.clone(), format!("/zz{}", &id[24..])));
        requests.push((method, "/healthz".to_owned()));
    }
    requests
}

/// Sends each request; each must be refused (404 or 405).
async fn send_all(app: &TestApp, requests: Vec<(Method, String)>) {
    for (method, path) in requests {
        let res = app
            .client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error(),
            "{method} {path}: {}",
            res.status()
        );
    }
}

/// Counters a dashboard plots exist at 0 before their first event, for every configured bucket
/// and every listing-cache outcome (`rate()` of a missing series is no data, not 0).
#[tokio::test]
async fn per_bucket_and_cache_counters_exist_from_the_start() {
    let app = spawn_app().await;
    let fresh = scrape(&app).await;
    for bucket in ["images", "files"] {
        for name in ["picgate_uploads_total", "picgate_uploaded_bytes_total"] {
            let labels = [("bucket", bucket)];
            assert_eq!(
                fresh.matching(name, &labels).count(),
                1,
                "{name}{{{bucket}}}\n{}",
                fresh.text
            );
            assert_eq!(fresh.value(name, &labels), 0.0);
        }
    }
    for outcome in ["hit", "miss", "bypass"] {
        let labels = [("outcome", outcome)];
        let name = "picgate_list_cache_lookups_total";
        assert_eq!(
            fresh.matching(name, &labels).count(),
            1,
            "{outcome}\n{}",
            fresh.text
        );
    }
}

/// Probes and scrapes that arrive while a round of checks runs share it: against a hung
/// backend, 20 concurrent `/readyz` make one request to it, not 20 piling up.
#[tokio::test]
async fn concurrent_checks_of_a_hung_backend_share_one_request() {
    let mut app = spawn_app_on(Backend::S3).await;
    let proxy = CountingProxy::start(app.s3.as_ref().unwrap().port());
    let twin = spawn_twin_with(
        &app,
        &format!(
            "[buckets.files.backend]\nendpoint = \"{}\"\n",
            proxy.endpoint()
        ),
    )
    .await;
    app.s3.as_mut().unwrap().freeze();
    proxy.reset();
    let probes = (0..20).map(|_| twin.get("/readyz"));
    let answers = futures::future::join_all(probes).await;
    app.s3.as_mut().unwrap().thaw();
    for answer in &answers {
        answer.assert_error(503, "storage_unavailable");
    }
    assert_eq!(
        proxy.count("GET"),
        1,
        "one listing of `files` for 20 probes"
    );
}
