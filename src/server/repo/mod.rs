//! The repository layer: one module per aggregate, the only place with SQL. The SQL is
//! portable between SQLite and PostgreSQL; times are Unix seconds, flags 0 or 1.
//! Functions take any executor, so services can group them in one transaction.

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
