//! `/metrics` in the Prometheus text format, for `serve --metrics-bind ADDR` only: the recorder (the
//! `metrics` facade with `metrics-exporter-prometheus`, without its HTTP listener), what the HTTP layers
//! record, and the tiny router served on the metrics listener — never on the public one.
//!
//! Without `--metrics-bind` nothing here runs: no recorder is installed (the writer's `metrics::…!` calls
//! in `store::quiz` go to the facade's no-op), [`AppState::metrics`] is `None`, the router adds no layer
//! and the fast path takes one branch.
//!
//! Routes are labelled by their pattern (axum's `MatchedPath`, `/topics/{slug}`), never the path a client
//! sent, and methods outside the standard set are one label: what an attacker requests cannot grow the
//! number of series. A request no route matches is `fallback`. The fast path's answers are labelled as
//! the routes they stand for and recorded through handles made once, so the busiest requests pay no
//! lookup (`bench/pages.sh` with and without the flag: see bench/results/metrics.md).
//!
//! Durations are measured until the response head is ready (the body, streamed or not, is not counted).

use crate::web::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Counter, Histogram, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Request duration buckets, in seconds: the fast path answers in microseconds and a signed-in page in a
/// few milliseconds, so most of the resolution sits below 10 ms; the rest finds the slow outliers up to
/// the router's 15 s timeout.
const DURATION_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    5.0, 15.0,
];

/// Attempts per group commit: 1 up to the writer's `MAX_BATCH` (64).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// How often recorded histogram samples are folded into their buckets. The exporter keeps each sample
/// until then, so this bounds that memory (at 100,000 requests/s, a second of samples is ~1.6 MB).
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// The recorder's handle and the fast path's own series.
pub struct Metrics {
    handle: PrometheusHandle,
    fast: FastSeries,
}

/// The routes the fast path answers for (`web::fast`), as the router names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastRoute {
    Home,
    Topic,
    Static,
}

impl FastRoute {
    const ALL: [FastRoute; 3] = [FastRoute::Home, FastRoute::Topic, FastRoute::Static];

    fn pattern(self) -> &'static str {
        match self {
            FastRoute::Home => "/",
            FastRoute::Topic => "/topics/{slug}",
            FastRoute::Static => "/static/{version}/{*path}",
        }
    }
}

/// Handles for every series the fast path records, made once: GET or HEAD × route × 200 or 304, and a
/// duration histogram per route. (Any other status goes through the registry like the router's.)
struct FastSeries {
    /// `[method][route][status]`: method GET 0, HEAD 1; status 200 0, 304 1.
    requests: [[[Counter; 2]; 3]; 2],
    durations: [Histogram; 3],
}

/// The metrics listener's answer to anything but `GET /metrics`.
const NOT_HERE: &str = "not found: this listener serves GET /metrics only\n";

static INSTALLED: OnceLock<Arc<Metrics>> = OnceLock::new();

impl Metrics {
    /// Installs the process-wide recorder (the first call; later ones return the same metrics, since a
    /// process has one recorder) and starts its upkeep thread.
    pub fn install() -> anyhow::Result<Arc<Metrics>> {
        if let Some(metrics) = INSTALLED.get() {
            return Ok(metrics.clone());
        }
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                DURATION_BUCKETS,
            )?
            .set_buckets_for_metric(
                Matcher::Full("quiz_writer_batch_size".into()),
                BATCH_BUCKETS,
            )?
            .install_recorder()?;
        describe();
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            })?;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!("process_start_time_seconds").set(started.as_secs_f64());
        metrics::gauge!("infra_dojo_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        // Shown from the first scrape, at zero, rather than appearing with the first attempt.
        metrics::counter!("quiz_attempts_written_total").increment(0);
        let _ = metrics::histogram!("quiz_writer_batch_size");
        let metrics = Arc::new(Metrics {
            handle,
            fast: FastSeries::new(),
        });
        Ok(INSTALLED.get_or_init(|| metrics).clone())
    }

    /// Records one answer of the fast path, started at `started`.
    pub fn fast_answer(
        &self,
        route: FastRoute,
        method: &Method,
        status: StatusCode,
        started: Instant,
    ) {
        let r = route as usize;
        self.fast.durations[r].record(started.elapsed().as_secs_f64());
        let m = usize::from(method == Method::HEAD);
        match status {
            StatusCode::OK => self.fast.requests[m][r][0].increment(1),
            StatusCode::NOT_MODIFIED => self.fast.requests[m][r][1].increment(1),
            other => count_request(method, route.pattern().into(), other),
        }
    }

    /// The scrape: gauges read now (pool, writer queue), then everything in the text format.
    fn render(&self, state: &AppState) -> String {
        metrics::gauge!("db_pool_connections")
            .set(crate::on!(&state.db, pool => pool.size()) as f64);
        metrics::gauge!("db_pool_idle_connections")
            .set(crate::on!(&state.db, pool => pool.num_idle()) as f64);
        metrics::gauge!("quiz_writer_queue_depth").set(state.attempts.queue_depth() as f64);
        self.handle.render()
    }
}

impl FastSeries {
    fn new() -> FastSeries {
        let series = |method: &'static str, route: FastRoute, status: &'static str| metrics::counter!("http_requests_total", "method" => method, "route" => route.pattern(), "status" => status);
        let by_status =
            |method, route| [series(method, route, "200"), series(method, route, "304")];
        let by_route = |method| FastRoute::ALL.map(|route| by_status(method, route));
        FastSeries {
            requests: [by_route("GET"), by_route("HEAD")],
            durations: FastRoute::ALL.map(|route| {
                metrics::histogram!("http_request_duration_seconds", "route" => route.pattern())
            }),
        }
    }
}

/// HELP lines, so a dashboard says what each series is.
fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time until the response head was ready, by route pattern"
    );
    metrics::describe_counter!(
        "quiz_attempts_written_total",
        "Quiz and review attempts committed by the attempt writer"
    );
    metrics::describe_gauge!(
        "quiz_writer_queue_depth",
        "Attempts waiting for the attempt writer at the scrape"
    );
    metrics::describe_histogram!(
        "quiz_writer_batch_size",
        "Attempts per group commit of the attempt writer"
    );
    metrics::describe_gauge!(
        "db_pool_connections",
        "SQLite pool connections open at the scrape (the writer's own connection not included)"
    );
    metrics::describe_gauge!(
        "db_pool_idle_connections",
        "SQLite pool connections idle at the scrape"
    );
    metrics::describe_gauge!(
        "process_start_time_seconds",
        metrics::Unit::Seconds,
        "Start time of the process since the Unix epoch"
    );
    metrics::describe_gauge!("infra_dojo_build_info", "The version running, as a label");
}

/// A method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn count_request(method: &Method, route: SharedString, status: StatusCode) {
    metrics::counter!(
        "http_requests_total",
        "method" => method_label(method),
        "route" => route,
        "status" => status.as_u16().to_string()
    )
    .increment(1);
}

/// The router's layer (added only with metrics on): counts and times every request by its route's
/// pattern, `fallback` when none matched.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route: SharedString = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned().into(),
        None => "fallback".into(),
    };
    let response = next.run(request).await;
    metrics::histogram!("http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    count_request(&method, route, response.status());
    response
}

/// What the metrics listener serves: `GET /metrics`, and a plain 404 for anything else. `state` must
/// have metrics on.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, NOT_HERE) })
        .with_state(state)
}

async fn scrape(State(state): State<AppState>) -> Response {
    let Some(metrics) = &state.metrics else {
        return (StatusCode::NOT_FOUND, NOT_HERE).into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(&state),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(
            method_label(&Method::from_bytes(b"X-ATTACK-1").unwrap()),
            "other"
        );
    }
}
