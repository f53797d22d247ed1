//! The audit trail: append-only (the database refuses updates and deletes). It never
//! holds document content, codes or passwords.

use sqlx::{Any, Executor, FromRow};

pub struct NewAuditEvent<'a> {
    pub pharmacy_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub details: Option<&'a str>,
}

pub async fn append<'e>(
    db: impl Executor<'e, Database = Any>,
    event: &NewAuditEvent<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO audit_events (occurred_at, pharmacy_id, user_id, ip, action, object_type, object_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(now)
    .bind(event.pharmacy_id)
    .bind(event.user_id)
    .bind(event.ip)
    .bind(event.action)
    .bind(event.object_type)
    .bind(event.object_id)
    .bind(event.details)
    .fetch_one(db)
    .await
}

/// An event as the pharmacy's admin reads it: who by name and email, and the object by
/// what names it while it is kept (a document's file name, a code's sealed text, a
/// member's or a key's name).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ListedEvent {
    pub id: i64,
    pub occurred_at: i64,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub details: Option<String>,
    pub object_name: Option<String>,
    pub code_ciphertext: Option<Vec<u8>>,
}

/// Which events to read: of one action, and in `[occurred_from, occurred_before)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventFilter<'a> {
    pub action: Option<&'a str>,
    pub occurred_from: Option<i64>,
    pub occurred_before: Option<i64>,
}

/// A pharmacy's events with an id below `before` that `filter` keeps, newest first:
/// pages that stay stable while new events arrive.
pub async fn page_before<'e>(
    db: impl Executor<'e, Database = Any>,
    pharmacy_id: &str,
    before: i64,
    filter: &EventFilter<'_>,
    limit: i64,
) -> Result<Vec<ListedEvent>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.occurred_at, u.full_name AS user_name, u.email AS user_email, e.ip, e.action,
                e.object_type, e.object_id, e.details,
                COALESCE(d.original_filename, m.full_name, k.name, p.name) AS object_name,
                c.code_ciphertext
         FROM audit_events e
         LEFT JOIN users u ON u.id = e.user_id
         LEFT JOIN documents d ON e.object_type = 'document' AND d.id = e.object_id AND d.pharmacy_id = e.pharmacy_id
         LEFT JOIN users m ON e.object_type = 'user' AND m.id = e.object_id AND m.pharmacy_id = e.pharmacy_id
         LEFT JOIN api_keys k ON e.object_type = 'api_key' AND k.id = e.object_id AND k.pharmacy_id = e.pharmacy_id
         LEFT JOIN pharmacies p ON e.object_type = 'pharmacy' AND p.id = e.object_id AND p.id = e.pharmacy_id
         LEFT JOIN transfer_codes c
                ON e.object_type = 'transfer_code' AND c.id = e.object_id AND c.pharmacy_id = e.pharmacy_id
         WHERE e.pharmacy_id = $1 AND e.id < $2 AND ($3 IS NULL OR e.action = $3)
           AND ($4 IS NULL OR e.occurred_at >= $4) AND ($5 IS NULL OR e.occurred_at < $5)
         ORDER BY e.id DESC LIMIT $6",
    )
    .bind(pharmacy_id)
    .bind(before)
    .bind(filter.action)
    .bind(filter.occurred_from)
    .bind(filter.occurred_before)
    .bind(limit)
    .fetch_all(db)
    .await
}
