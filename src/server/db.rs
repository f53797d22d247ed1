//! One connection pool for SQLite or PostgreSQL (sqlx's `Any` driver), migrations
//! embedded per backend and applied at start.

use crate::server::config::{Backend, DatabaseUrl};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Run on every new SQLite connection: concurrent readers with one writer (WAL),
/// enforced foreign keys, waiting for a lock rather than failing at once, and a page
/// cache of 512 KiB instead of SQLite's 2,000 KiB: the operating system caches the file
/// anyway, while eight connections' full caches raised the server's peak memory by about
/// 10 MiB.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA cache_size = -512",
];

pub async fn connect(database: &DatabaseUrl) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = database.backend;
    AnyPoolOptions::new()
        .max_connections(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        })
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    for pragma in SQLITE_PRAGMAS {
                        conn.execute(pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(&database.url)
        .await
}

pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::migrate::MigrateError> {
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await,
    }
}

/// A round trip to the database, for the health check.
pub async fn ping(pool: &AnyPool) -> Result<(), sqlx::Error> {
    pool.execute("SELECT 1").await.map(drop)
}
