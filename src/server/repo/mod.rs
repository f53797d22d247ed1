//! The repository layer: one module per aggregate, the only place with SQL. Functions
//! take any executor, so services can group them in one transaction.
//!
//! One SQL for SQLite and PostgreSQL, through sqlx's `Any` driver. The rules that keep
//! it portable:
//! - Placeholders are `$1`, `$2`...; both databases read them.
//! - Times are Unix seconds in `BIGINT`/`INTEGER`, flags 0 or 1 in an integer column
//!   (read as `i64`, never as `bool`), ids and names `TEXT`, sealed values `BYTEA`/`BLOB`.
//! - Rows derive `FromRow` where every column maps to its field as is; a row with a flag
//!   or a stored enum (`role`, `stage`) implements it by hand, next to its column list.
//! - Text compared in SQL is compared as stored: anything case- or accent-insensitive is
//!   computed in Rust at write time (`documents.search_name`), since SQLite's `LOWER`
//!   knows ASCII only.
//! - The two migration trees, `migrations/sqlite` and `migrations/postgres`, have the same
//!   files and give the same tables and columns (a test checks it).

pub mod api_keys;
pub mod api_tokens;
pub mod audit;
pub mod documents;
pub mod pharmacies;
pub mod rate_limits;
pub mod recovery_codes;
pub mod sealed;
pub mod sessions;
pub mod transfer_codes;
pub mod users;

/// A new random identifier for rows whose ids can appear in URLs or the API.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
