use crate::server::repo::Flag;
use crate::time_format::{DEFAULT_ZONE, Tz, pharmacy_zone};
use sqlx::{Any, Executor, FromRow};

const COLUMNS: &str =
    "id, name, address, retention_days, require_second_factor, notification_email, time_zone, created_at";

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Pharmacy {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub retention_days: i64,
    #[sqlx(try_from = "Flag")]
    pub require_second_factor: bool,
    /// Where arrival emails go; none without one.
    pub notification_email: Option<String>,
    /// An IANA name, one of `time_format::PHARMACY_ZONES`.
    pub time_zone: String,
    pub created_at: i64,
}

impl Pharmacy {
    /// The zone its pages show times in.
    pub fn zone(&self) -> Tz {
        pharmacy_zone(&self.time_zone).unwrap_or(DEFAULT_ZONE)
    }
}

pub struct NewPharmacy<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub retention_days: i64,
    pub require_second_factor: bool,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewPharmacy<'_>,
    now: i64,
) -> Result<Pharmacy, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO pharmacies (id, name, address, retention_days, require_second_factor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(new.name)
    .bind(new.address)
    .bind(new.retention_days)
    .bind(i32::from(new.require_second_factor))
    .bind(now)
    .fetch_one(db)
    .await
}

/// Locks the pharmacy's row until the transaction ends, so that changes to its staff
/// that check its other members (the last admin) happen one at a time.
pub async fn lock<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pharmacies SET require_second_factor = require_second_factor WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

pub async fn find<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<Pharmacy>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM pharmacies WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn set_retention_days<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    days: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pharmacies SET retention_days = $2 WHERE id = $1")
        .bind(id)
        .bind(days)
        .execute(db)
        .await
        .map(drop)
}

pub async fn set_time_zone<'e>(db: impl Executor<'e, Database = Any>, id: &str, zone: Tz) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pharmacies SET time_zone = $2 WHERE id = $1")
        .bind(id)
        .bind(zone.name())
        .execute(db)
        .await
        .map(drop)
}

pub async fn set_require_second_factor<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pharmacies SET require_second_factor = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(required))
        .execute(db)
        .await
        .map(drop)
}

/// Sets where arrival emails go (none with `None`); documents already received are not
/// announced to a new address.
pub async fn set_notification_email<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    email: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pharmacies SET notification_email = $2, notified_through = $3, last_notified_at = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(email)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// A pharmacy with documents not yet announced, whose last email is old enough.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct DueNotification {
    pub id: String,
    pub notification_email: String,
    pub notified_through: i64,
    pub last_notified_at: Option<i64>,
}

/// What has been announced: documents received until `through`, in an email sent at
/// `sent_at` (none yet when `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationMark {
    pub through: i64,
    pub sent_at: Option<i64>,
}

impl DueNotification {
    pub fn mark(&self) -> NotificationMark {
        NotificationMark {
            through: self.notified_through,
            sent_at: self.last_notified_at,
        }
    }
}

/// Pharmacies with an address, documents received after their mark and until
/// `through`, and no email since `last_before`.
pub async fn due_notifications<'e>(
    db: impl Executor<'e, Database = Any>,
    through: i64,
    last_before: i64,
) -> Result<Vec<DueNotification>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.notification_email, COALESCE(p.notified_through, 0) AS notified_through,
                p.last_notified_at
         FROM pharmacies p
         WHERE p.notification_email IS NOT NULL
           AND (p.last_notified_at IS NULL OR p.last_notified_at <= $2)
           AND EXISTS (SELECT 1 FROM documents d
                       WHERE d.pharmacy_id = p.id AND d.uploaded_at <= $1
                         AND d.uploaded_at > COALESCE(p.notified_through, 0))",
    )
    .bind(through)
    .bind(last_before)
    .fetch_all(db)
    .await
}

/// Moves the pharmacy's mark from `from` to `to` unless another instance moved it
/// first; says whether this call did.
pub async fn move_notification_mark<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    from: NotificationMark,
    to: NotificationMark,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE pharmacies SET notified_through = $3, last_notified_at = $4
         WHERE id = $1 AND COALESCE(notified_through, 0) = $2",
    )
    .bind(id)
    .bind(from.through)
    .bind(to.through)
    .bind(to.sent_at)
    .execute(db)
    .await?;
    Ok(moved.rows_affected() == 1)
}
