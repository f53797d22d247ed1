//! Logs: one span per request with method, matched route, client address, status and
//! latency. The URI is never logged: query strings and paths can carry transfer codes.

use crate::server::http::web::ClientAddress;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use std::time::Duration;
use tracing::Span;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // A second call (tests) finds a subscriber already set; that one keeps logging.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

pub fn request_span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(static or unknown)", MatchedPath::as_str);
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .map(|client| client.0.to_string())
        .unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), route, client)
}

pub fn record_response(response: &Response<Body>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "response"
    );
}
