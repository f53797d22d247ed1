//! Starting and stopping: the state built from the settings, the listener, the
//! background jobs, and a graceful shutdown.

use crate::server::config::{self, ConfigError, Settings};
use crate::server::http::connections;
use crate::server::state::AppState;
use crate::server::{
    blob_store, clock, db, documents, notifications, passwords, psc_provider, qr_reading, retention, router,
    transfer_codes,
};
use leptos::prelude::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Why the server could not start; each says which setting to look at.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("cannot start: DATABASE_URL: cannot connect to the database ({0})")]
    Database(#[from] sqlx::Error),
    #[error("cannot start: DATABASE_URL: migrations failed ({0})")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("cannot start: STORAGE_URL: cannot use the document store ({0})")]
    Storage(#[from] blob_store::StoreError),
    #[error("cannot start: {variable}: cannot listen on {addr} ({source})")]
    Listen {
        variable: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Connects to the database, brings its schema up to date and opens the document store.
pub async fn state(settings: Settings, leptos_options: LeptosOptions) -> Result<AppState, StartupError> {
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
    let blobs = blob_store::BlobStore::connect(&settings.storage).await?;
    blobs.ping().await?;
    let hasher = passwords::PasswordHasher::for_this_machine(settings.password_hash_queue);
    let pro_sante_connect = psc_provider::Connector::new(&settings)?;
    let state = AppState {
        pro_sante_connect,
        hasher,
        leptos_options,
        db,
        blobs,
        settings: Arc::new(settings),
        clock: clock::Clock::default(),
        qr_reader: qr_reading::QrReader::default(),
    };
    transfer_codes::link_older_codes(&state).await?;
    documents::index_older_names(&state).await?;
    Ok(state)
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
    connections::serve(listener, router::app(state), limits, grace, stopping).await;
}
