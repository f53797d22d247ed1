//! Which instance runs each background job, until when.

use sqlx::{Any, Executor};

/// Takes the lease of `job` for `holder` until `until`, if it is free or expired at
/// `now`; one statement, so two instances never both take it.
pub async fn take<'e>(
    db: impl Executor<'e, Database = Any>,
    job: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE job_leases.expires_at <= $4",
    )
    .bind(job)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}
