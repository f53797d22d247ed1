//! What `GET /metrics` reports, in Prometheus text format: the names measured across the
//! server, the recorder behind them, and the small server that serves them on
//! `METRICS_ADDR`, apart from the public site. Each instance reports its own; Prometheus
//! adds them up.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Requests answered, by route and status.
pub const REQUESTS: &str = "santhium_http_requests_total";
/// Time to the response's head, by route.
pub const REQUEST_SECONDS: &str = "santhium_http_request_duration_seconds";
/// Documents received, by outcome (`stored` or `refused`).
pub const UPLOADS: &str = "santhium_uploads_total";
/// Plaintext bytes of the documents stored.
pub const BYTES_IN: &str = "santhium_upload_bytes_total";
/// Plaintext bytes of the documents handed out (downloads and previews).
pub const BYTES_OUT: &str = "santhium_download_bytes_total";
/// Requests refused by a limit, by limit.
pub const REFUSALS: &str = "santhium_limit_refusals_total";
/// Background job runs on this instance, by job and outcome (`done`, `failed`).
pub const JOB_RUNS: &str = "santhium_job_runs_total";
/// Document store failures.
pub const BLOB_ERRORS: &str = "santhium_blob_store_errors_total";
/// Document store operations, by operation.
pub const BLOB_SECONDS: &str = "santhium_blob_store_duration_seconds";

/// Latency buckets, in seconds, from a cached page to a slow store.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The process's recorder, installed on first use.
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("fixed buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // In tests several applications share one process, and so one recorder.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts and times every request by its route (never its path, which can hold a code).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(REQUEST_SECONDS, "route" => route.clone()).record(started.elapsed().as_secs_f64());
    metrics::counter!(REQUESTS, "route" => route, "status" => status).increment(1);
    response
}

/// Serves `GET /metrics` on `listener` (the `METRICS_ADDR` one, never the site's) until
/// the process ends, and drains the histograms' samples every few seconds meanwhile.
pub async fn serve(listener: TcpListener) {
    let handle = recorder();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(5));
        loop {
            ticks.tick().await;
            upkeep.run_upkeep();
        }
    });
    let metrics = Router::new().route("/metrics", get(render)).with_state(handle);
    if let Err(error) = axum::serve(listener, metrics).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}

async fn render(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
}
