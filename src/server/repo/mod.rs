//! The repository layer: one module per aggregate, the only place with SQL. Functions
//! take any executor, so services can group them in one transaction.
//!
//! One SQL for SQLite and PostgreSQL, through sqlx's `Any` driver. The rules that keep
//! it portable:
//! - Placeholders are `$1`, `$2`...; both databases read them.
//! - Times are Unix seconds in `BIGINT`/`INTEGER`, flags 0 or 1 in an integer column
//!   (read as `i64`, never as `bool`), ids and names `TEXT`, sealed values `BYTEA`/`BLOB`.
//! - Rows derive `FromRow`, so a column list cannot drift from its struct: flags through
//!   `#[sqlx(try_from = "Flag")]`, enums stored as text (`role`, `stage`) through
//!   `#[sqlx(try_from = "String")]`.
//! - Text compared in SQL is compared as stored: anything case- or accent-insensitive is
//!   computed in Rust at write time (`documents.search_name`), since SQLite's `LOWER`
//!   knows ASCII only.
//! - The two migration trees, `migrations/sqlite` and `migrations/postgres`, have the same
//!   files and give the same tables and columns (a test checks it).

pub mod api_keys;
pub mod api_tokens;
pub mod audit;
pub mod documents;
pub mod job_leases;
pub mod pharmacies;
pub mod rate_limits;
pub mod recovery_codes;
pub mod sealed;
pub mod sessions;
pub mod transfer_codes;
pub mod upload_reservations;
pub mod users;

use sqlx::Any;
use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;

/// A flag as both databases store it, an integer 0 or 1; rows read it into a `bool`
/// with `#[sqlx(try_from = "Flag")]`.
pub struct Flag(i64);

impl sqlx::Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Flag, BoxDynError> {
        Ok(Flag(<i64 as sqlx::Decode<Any>>::decode(value)?))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0 != 0
    }
}

/// A new random identifier for rows whose ids can appear in URLs or the API.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
