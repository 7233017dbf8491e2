//! Prometheus metrics, labelled by route template (never raw path or user), and the one
//! structured log line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::client_kind::ClientKind;
use crate::service::SeenUser;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

pub const HTTP_REQUESTS_TOTAL: &str = "picgate_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "picgate_http_request_duration_seconds";
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "picgate_http_requests_in_flight";
pub const UPLOADED_BYTES_TOTAL: &str = "picgate_uploaded_bytes_total";
pub const UPLOADS_TOTAL: &str = "picgate_uploads_total";
pub const DEPENDENCY_UP: &str = "picgate_dependency_up";
pub const BUILD_INFO: &str = "picgate_build_info";
pub const LIST_CACHE_LOOKUPS_TOTAL: &str = "picgate_list_cache_lookups_total";
pub const HTTP_REQUEST_BODY_SIZE: &str = "picgate_http_request_body_size_bytes";
pub const HTTP_RESPONSE_BODY_SIZE: &str = "picgate_http_response_body_size_bytes";
/// Body size buckets: 256 B to 1 GiB, ×4.
const SIZE_BUCKETS: [f64; 12] = [
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262144.0,
    1048576.0,
    4194304.0,
    16777216.0,
    67108864.0,
    268435456.0,
    1073741824.0,
];
/// The crate version and the git revision the binary was built from (`build.rs`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const REVISION: &str = env!("PICGATE_REVISION");
const UNMATCHED_ROUTE: &str = "unmatched";
/// The route parameter of paths that carry a capability, never logged.
const SECRET_SEGMENT: &str = "{ticket}";
/// The path as logged: a path that is itself a credential (a deletion link's ticket) as its
/// template, also when it misses the route (a trailing slash, other letter case, a doubled
/// slash).
fn loggable_path(route: &str, path: &str) -> String {
    if route.contains(SECRET_SEGMENT) {
        return route.to_owned();
    }
    // `/tools/deletion/`: what follows `/api/v1` in the deletion links' path.
    let marker = crate::routes::DELETION_PATH.trim_start_matches("/api/v1");
    match path.to_ascii_lowercase().find(marker) {
        Some(at) => format!("{}{SECRET_SEGMENT}", &path[..at + marker.len()]),
        None => path.to_owned(),
    }
}

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    uploaded: IntCounterVec,
    uploads: IntCounterVec,
    dependency_up: IntGaugeVec,
    list_lookups: IntCounterVec,
    request_size: HistogramVec,
    response_size: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(HTTP_REQUESTS_TOTAL, "HTTP requests answered"),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                HTTP_REQUEST_DURATION,
                "Time to answer an HTTP request, by method, route template, status class and client profile",
            ).buckets(
                vec![
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ],
            ),
            &["method", "route", "status_class", "client"],
        )?;
        let in_flight = IntGauge::new(HTTP_REQUESTS_IN_FLIGHT, "HTTP requests being served")?;
        let uploaded = IntCounterVec::new(
            Opts::new(UPLOADED_BYTES_TOTAL, "Bytes stored by uploads"),
            &["bucket"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(uploaded.clone()))?;
        let uploads = IntCounterVec::new(
            Opts::new(UPLOADS_TOTAL, "Objects stored by uploads"),
            &["bucket"],
        )?;
        registry.register(Box::new(uploads.clone()))?;
        let dependency_up = IntGaugeVec::new(
            Opts::new(
                DEPENDENCY_UP,
                "Whether a dependency answered its last check (1) or not (0): `sessions` (Redis), `storage:<bucket>`, `storage:system`; checked by /readyz and by every scrape",
            ),
            &["dependency"],
        )?;
        registry.register(Box::new(dependency_up.clone()))?;
        // Always 1; the labels say what runs (the Prometheus `*_info` convention).
        let build_info = IntGaugeVec::new(
            Opts::new(BUILD_INFO, "The running picgate's version and git revision"),
            &["version", "revision"],
        )?;
        build_info.with_label_values(&[VERSION, REVISION]).set(1);
        registry.register(Box::new(build_info))?;
        let list_lookups = IntCounterVec::new(
            Opts::new(
                LIST_CACHE_LOOKUPS_TOTAL,
                "Listings asked of the listing cache, by outcome (hit, miss, bypass)",
            ),
            &["outcome"],
        )?;
        for outcome in ["hit", "miss", "bypass"] {
            list_lookups.with_label_values(&[outcome]);
        }
        registry.register(Box::new(list_lookups.clone()))?;
        let request_size = HistogramVec::new(
            HistogramOpts::new(
                HTTP_REQUEST_BODY_SIZE,
                "Request body sizes as declared by Content-Length (chunked bodies are not counted), by method and route template",
            )
            .buckets(SIZE_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let response_size = HistogramVec::new(
            HistogramOpts::new(
                HTTP_RESPONSE_BODY_SIZE,
                "Response body bytes sent (after compression), by method and route template",
            )
            .buckets(SIZE_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        registry.register(Box::new(request_size.clone()))?;
        registry.register(Box::new(response_size.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            in_flight,
            uploaded,
            uploads,
            dependency_up,
            list_lookups,
            request_size,
            response_size,
        })
    }

    /// Counts a stored object and its bytes; `bucket` is a configured bucket name, so the
    /// label set is bounded.
    pub fn record_upload(&self, bucket: &str, bytes: u64) {
        self.uploads.with_label_values(&[bucket]).inc();
        self.uploaded.with_label_values(&[bucket]).inc_by(bytes);
    }

    /// Exposes the per-bucket upload counters of `buckets` at 0 before their first upload, so
    /// that dashboards and `rate()` see them from the start.
    pub fn expose_buckets<'a>(&self, buckets: impl IntoIterator<Item = &'a String>) {
        for bucket in buckets {
            self.uploads.with_label_values(&[bucket.as_str()]);
            self.uploaded.with_label_values(&[bucket.as_str()]);
        }
    }

    /// Sets `picgate_dependency_up{dependency}`; `dependency` is a readiness check's name.
    pub fn set_dependency_up(&self, dependency: &str, up: bool) {
        self.dependency_up
            .with_label_values(&[dependency])
            .set(i64::from(up));
    }

    /// The listing cache's lookup counter, for [`ListCache::counted`].
    ///
    /// [`ListCache::counted`]: crate::service::list_cache::ListCache::counted
    pub fn list_lookups(&self) -> IntCounterVec {
        self.list_lookups.clone()
    }

    /// Adds metrics kept by another part (auth, storage) to the scrape; a name registered twice
    /// is an error.
    pub fn register(
        &self,
        collector: Box<dyn prometheus::core::Collector>,
    ) -> Result<(), prometheus::Error> {
        self.registry.register(collector)
    }

    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// Counts a request as in flight until dropped, even when the client goes away midway.
struct InFlight(IntGauge);

impl InFlight {
    fn enter(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The `method` label: one of the methods of RFC 9110 §9 or PATCH (RFC 5789), else `other`, so
/// that a client inventing methods cannot create new series.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "other",
    }
}

/// The `status_class` label (OpenTelemetry's HTTP server conventions keep the code; a class
/// keeps a latency histogram's series few): `1xx` … `5xx`.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts and times each request and, once its response body has been sent (or the client
/// went away), observes the bytes sent and writes the request's log line: request id, method,
/// route template, path, status, latency to the last byte, bytes in (as declared) and out,
/// client profile, client IP and the user id when a credential was checked.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = method_label(req.method());
    let route = req
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    // What only the log line needs, taken only when it is written.
    let logged = tracing::enabled!(tracing::Level::INFO).then(|| Logged {
        request_id: crate::request_id::current(),
        path: loggable_path(&route, req.path()),
        // Worked out once, by the request-id middleware around this one.
        ip: req
            .extensions()
            .get::<crate::request_id::ClientAddr>()
            .and_then(|a| a.0),
        user: None,
    });
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let started = Instant::now();
    let in_flight = metrics.as_ref().map(|m| InFlight::enter(&m.in_flight));
    let result = next.call(req).await;
    let elapsed = started.elapsed();
    drop(in_flight);
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    // Decided once, by the client-kind middleware inside this one; the user by the `Caller`.
    let (client, user) = match &result {
        Ok(res) => {
            let extensions = res.request().extensions();
            (
                extensions.get::<ClientKind>().copied(),
                extensions.get::<SeenUser>().and_then(SeenUser::get),
            )
        }
        Err(_) => (None, None),
    };
    let client = client.unwrap_or(ClientKind::Pc);
    let logged = logged.map(|l| Logged { user, ..l });
    if let Some(m) = &metrics {
        m.requests
            .with_label_values(&[method, route.as_str(), &status.to_string()])
            .inc();
        m.duration
            .with_label_values(&[
                method,
                route.as_str(),
                status_class(status),
                client.as_str(),
            ])
            .observe(elapsed.as_secs_f64());
        if let Some(len) = declared {
            m.request_size
                .with_label_values(&[method, route.as_str()])
                .observe(len as f64);
        }
    }
    let sizes = metrics
        .as_ref()
        .map(|m| m.response_size.with_label_values(&[method, route.as_str()]));
    let exchange = Exchange {
        method,
        route,
        status,
        client,
        logged,
        started,
        received: declared,
        sent: 0,
        sizes,
    };
    result.map(|res| {
        res.map_body(|_, body| CountedBody {
            body: Box::pin(body),
            exchange,
        })
    })
}

/// One request and its answer, as logged and measured when the answer has been sent.
struct Exchange {
    method: &'static str,
    route: String,
    status: u16,
    client: ClientKind,
    /// `None` when the request log line is filtered out.
    logged: Option<Logged>,
    started: Instant,
    /// The request body's declared length.
    received: Option<u64>,
    /// Response body bytes sent so far.
    sent: u64,
    sizes: Option<prometheus::Histogram>,
}

/// The parts of the request log line the metrics do not need.
struct Logged {
    request_id: String,
    path: String,
    ip: Option<std::net::IpAddr>,
    user: Option<uuid::Uuid>,
}

impl Drop for Exchange {
    fn drop(&mut self) {
        if let Some(sizes) = self.sizes.take() {
            sizes.observe(self.sent as f64);
        }
        let Some(logged) = &self.logged else {
            return;
        };
        let latency_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            request_id = %logged.request_id,
            method = self.method,
            route = %self.route,
            path = %logged.path,
            status = self.status,
            latency_ms = (latency_ms * 1000.0).round() / 1000.0,
            bytes_in = self.received,
            bytes_out = self.sent,
            client = self.client.as_str(),
            ip = logged.ip.map(tracing::field::display),
            user_id = logged.user.map(tracing::field::display),
            "request"
        );
    }
}

/// A response body that observes how many bytes it sent and logs its request once it ends
/// or is dropped (a client that goes away midway counts with what it got).
pub struct CountedBody<B> {
    body: std::pin::Pin<Box<B>>,
    exchange: Exchange,
}

impl<B: MessageBody> MessageBody for CountedBody<B> {
    type Error = B::Error;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.body.as_mut().poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(chunk))) = &polled {
            this.exchange.sent += chunk.len() as u64;
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletion_ticket_is_never_a_logged_path() {
        let route = "/api/v1/tools/deletion/{ticket}";
        assert_eq!(
            loggable_path(route, "/api/v1/tools/deletion/c2VjcmV0"),
            route
        );
        for path in [
            "/api/v1/tools/deletion/c2VjcmV0/",
            "//api/v1/Tools/DELETION/c2VjcmV0",
        ] {
            let logged = loggable_path(UNMATCHED_ROUTE, path);
            assert!(!logged.contains("c2VjcmV0"), "{logged}");
            assert!(logged.ends_with("{ticket}"), "{logged}");
        }
        assert_eq!(
            loggable_path("/f/{bucket}/{key:.+}", "/f/images/a.png"),
            "/f/images/a.png"
        );
    }
}
