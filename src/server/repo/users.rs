use crate::server::repo::new_id;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, FromRow, Row};
use std::str::FromStr;

/// What a member of a pharmacy's staff may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Pharmacist,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Pharmacist => "pharmacist",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Role, String> {
        match value {
            "admin" => Ok(Role::Admin),
            "pharmacist" => Ok(Role::Pharmacist),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// A staff account. The password hash stays on the server and is never serialised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub pharmacy_id: String,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: i64,
}

impl FromRow<'_, AnyRow> for User {
    fn from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
        let role: String = row.try_get("role")?;
        Ok(User {
            id: row.try_get("id")?,
            pharmacy_id: row.try_get("pharmacy_id")?,
            email: row.try_get("email")?,
            full_name: row.try_get("full_name")?,
            password_hash: row.try_get("password_hash")?,
            role: role.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            is_active: row.try_get::<i64, _>("is_active")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }
}

pub struct NewUser<'a> {
    pub pharmacy_id: &'a str,
    /// Already normalised (trimmed, lower-cased) by the caller.
    pub email: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

const COLUMNS: &str = "id, pharmacy_id, email, full_name, password_hash, role, is_active, created_at";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewUser<'_>,
    now: i64,
) -> Result<User, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO users (id, pharmacy_id, email, full_name, password_hash, role, is_active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING {COLUMNS}"
    ))
    .bind(new_id())
    .bind(new.pharmacy_id)
    .bind(new.email)
    .bind(new.full_name)
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn find_by_email<'e>(
    db: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(db)
        .await
}
