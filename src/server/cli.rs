//! The `santhium` command line: serving, and re-sealing every value under a new
//! master key.

use crate::server::config::{self, Env, Settings};
use crate::server::startup::{self, StartupError};
use crate::server::state::AppState;
use crate::server::{db, key_rotation, meters, telemetry};
use leptos::prelude::*;
use std::process::ExitCode;
use std::time::Instant;
use tokio::net::TcpListener;

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
        Ok((listener, metrics, state)) => {
            let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!(
                startup_ms = started.elapsed().as_millis() as u64,
                backend = ?state.settings.database.backend,
                "listening on http://{addr}"
            );
            if let Some(metrics) = metrics {
                tokio::spawn(meters::serve(metrics));
            }
            startup::serve(listener, state, shutdown_signal()).await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}

/// The site's listener, the metrics listener if `METRICS_ADDR` is set, and the state.
async fn start() -> Result<(TcpListener, Option<TcpListener>, AppState), StartupError> {
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
    let state = startup::state(settings, leptos_options).await?;
    let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Listen {
        variable: "LEPTOS_SITE_ADDR",
        addr,
        source,
    })?;
    let metrics = match state.settings.metrics_addr {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|source| StartupError::Listen {
            variable: "METRICS_ADDR",
            addr,
            source,
        })?),
        None => None,
    };
    Ok((listener, metrics, state))
}

/// SIGINT or SIGTERM.
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
