//! The server: configuration, state, router and lifecycle. Nothing here is compiled
//! into the browser's WASM.

pub mod accounts;
pub mod api_docs;
pub mod api_keys;
pub mod api_tokens;
pub mod audit;
pub mod audit_trail;
pub mod blob_store;
pub mod clock;
pub mod code_lookups;
pub mod code_work;
pub mod config;
pub mod connections;
pub mod db;
pub mod documents;
pub mod downloads;
pub mod error;
pub mod files;
pub mod headers;
pub mod health;
pub mod key_rotation;
pub mod keys;
pub mod login_limit;
pub mod metadata;
pub mod notifications;
pub mod passwords;
pub mod previews;
pub mod rate_limit;
pub mod repo;
pub mod rest;
pub mod retention;
pub mod sealed_stream;
pub mod session;
pub mod staff;
pub mod telemetry;
pub mod totp;
pub mod transfer_codes;
pub mod upload_access;
pub mod web;

use crate::api::send;
use crate::app::App;
use crate::error::AppError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRef;
use axum::http::{Method, header};
use axum::routing::{get, post};
use config::{ConfigError, Env, Settings};
use ipnet::IpNet;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::AnyPool;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Everything a request handler or server function may use; handed to them, never global.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: AnyPool,
    pub settings: Arc<Settings>,
    pub clock: clock::Clock,
    pub hasher: passwords::PasswordHasher,
    pub blobs: blob_store::BlobStore,
}

/// Why the server could not start; each says which setting to look at.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("cannot start: DATABASE_URL: cannot connect to the database ({0})")]
    Database(#[from] sqlx::Error),
    #[error("cannot start: DATABASE_URL: migrations failed ({0})")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("cannot start: DATA_DIR: cannot use the document store ({0})")]
    Storage(#[from] std::io::Error),
    #[error("cannot start: LEPTOS_SITE_ADDR: cannot listen on {addr} ({source})")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

impl AppState {
    /// Connects to the database and brings its schema up to date.
    pub async fn start(settings: Settings, leptos_options: LeptosOptions) -> Result<AppState, StartupError> {
        if settings.database.backend == config::Backend::Sqlite {
            std::fs::create_dir_all(&settings.data_dir).map_err(|_| {
                config::expected(
                    "DATA_DIR",
                    format!("a writable directory (cannot create {})", settings.data_dir.display()),
                )
            })?;
        }
        let db = db::connect(&settings.database).await?;
        db::migrate(&db, settings.database.backend).await?;
        let blobs = blob_store::BlobStore::local(settings.data_dir.join("documents")).await?;
        let known = repo::documents::all_ids(&db).await?.into_iter().collect();
        let swept = blobs.sweep(&known).await?;
        if swept > 0 {
            tracing::warn!(swept, "removed documents left unfinished by an interrupted run");
        }
        let hasher = passwords::PasswordHasher::for_this_machine(settings.password_hash_queue);
        let state = AppState {
            hasher,
            leptos_options,
            db,
            blobs,
            settings: Arc::new(settings),
            clock: clock::Clock::default(),
        };
        transfer_codes::link_older_codes(&state).await?;
        Ok(state)
    }
}

/// The whole HTTP application: pages, server functions, API and static files.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api_v1 = rest::routes()
        .0
        .fallback(|| async { AppError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rest::per_client_limit,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(settings.cors_origins.clone()))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(3600)),
        );
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let pages = {
        let options = state.leptos_options.clone();
        move || headers::secure_shell(options.clone())
    };
    // Room for one file of the largest allowed size plus the multipart envelope.
    let body_limit = usize::try_from(settings.max_file_size_bytes())
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);

    Router::new()
        .route("/health", get(health::health))
        .route("/t/{code}", get(upload_access::follow_link))
        .route(rest::DOCS_PATH, get(api_docs::page))
        .route("/documents/{id}/download", get(downloads::download))
        .route(crate::api::audit::EXPORT_PATH, get(audit_trail::export))
        // The body limit below applies while the file streams in.
        .route(
            send::UPLOAD_PATH,
            post(upload_access::send_file).layer(DefaultBodyLimit::disable()),
        )
        .leptos_routes_with_context(&state, generate_route_list(App), context.clone(), pages)
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            context,
            headers::secure_shell,
        ))
        .layer(axum::middleware::from_fn(web::server_fn_refusals))
        // The pages and their server functions use cookies; the API under /api/v1 does not.
        .layer(axum::middleware::from_fn_with_state(
            settings.public_url.clone(),
            headers::same_origin_only,
        ))
        .nest("/api/v1", api_v1)
        // The document's "/" under the server "/api/v1", as generated clients call it.
        .route("/api/v1/", get(rest::root))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            settings.uses_tls(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), previews::by_host))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            settings.connections,
            connections::request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.connections,
            connections::min_body_rate,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(telemetry::record_response),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::<[IpNet]>::from(settings.trusted_proxies.clone()),
            web::client_address,
        ))
        .with_state(state)
}

/// Serves until `shutdown` (SIGINT or SIGTERM), then lets in-flight requests finish
/// for at most `SHUTDOWN_GRACE_SECONDS`.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()>) {
    let grace = Duration::from_secs(state.settings.shutdown_grace_seconds);
    let limits = state.settings.connections;
    let notifier = tokio::spawn(notifications::run(state.clone()));
    let sweeper = tokio::spawn(retention::run(state.clone()));
    let stopping = async {
        shutdown.await;
        tracing::info!(
            grace_seconds = grace.as_secs(),
            "shutting down: finishing in-flight requests"
        );
        sweeper.abort();
        notifier.abort();
    };
    connections::serve(listener, app(state), limits, grace, stopping).await;
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Reads `.env` if there is one, and starts logging.
fn prepare() -> Result<(), ExitCode> {
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("invalid configuration: .env: {error}");
        return Err(ExitCode::from(2));
    }
    telemetry::init();
    Ok(())
}

/// The `santhium` binary: `santhium` serves; `santhium rewrap-keys` moves every sealed
/// value to the current master key.
pub async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => run().await,
        Some("rewrap-keys") => rewrap_keys().await,
        Some(other) => {
            eprintln!("unknown command {other:?}; usage: santhium [rewrap-keys]");
            ExitCode::from(2)
        }
    }
}

async fn rewrap_keys() -> ExitCode {
    if let Err(code) = prepare() {
        return code;
    }
    let resealed = async {
        let settings = Settings::from_env(&Env(|name| std::env::var(name).ok()))?;
        let db = db::connect(&settings.database).await?;
        db::migrate(&db, settings.database.backend).await?;
        let report = key_rotation::reseal_all(&db, &settings.encryption_key).await?;
        Ok::<_, Box<dyn std::error::Error>>((report, settings.encryption_key.id().to_owned()))
    }
    .await;
    match resealed {
        Ok((report, key_id)) => {
            for kind in report {
                println!(
                    "{}: {} moved to {key_id} ({} in all)",
                    kind.column.name(),
                    kind.moved,
                    kind.total
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rewrap-keys: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    if let Err(code) = prepare() {
        return code;
    }
    let started = Instant::now();
    match start().await {
        Ok((listener, state)) => {
            let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!(
                startup_ms = started.elapsed().as_millis() as u64,
                backend = ?state.settings.database.backend,
                "listening on http://{addr}"
            );
            serve(listener, state, shutdown_signal()).await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}

async fn start() -> Result<(TcpListener, AppState), StartupError> {
    let settings = Settings::from_env(&Env(|name| std::env::var(name).ok()))?;
    let leptos_options = get_configuration(None)
        .map_err(|e| {
            config::expected(
                "LEPTOS_OUTPUT_NAME",
                format!("the Leptos settings set by cargo-leptos ({e})"),
            )
        })?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let state = AppState::start(settings, leptos_options).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Listen { addr, source })?;
    Ok((listener, state))
}
