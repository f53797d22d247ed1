use sqlx::any::AnyRow;
use sqlx::{Any, Executor, FromRow, Row};

const COLUMNS: &str = "id, name, address, retention_days, require_second_factor, created_at";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pharmacy {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub retention_days: i64,
    pub require_second_factor: bool,
    pub created_at: i64,
}

impl FromRow<'_, AnyRow> for Pharmacy {
    fn from_row(row: &AnyRow) -> Result<Pharmacy, sqlx::Error> {
        Ok(Pharmacy {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            address: row.try_get("address")?,
            retention_days: row.try_get("retention_days")?,
            require_second_factor: row.try_get::<i64, _>("require_second_factor")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }
}

pub struct NewPharmacy<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub retention_days: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewPharmacy<'_>,
    now: i64,
) -> Result<Pharmacy, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO pharmacies (id, name, address, retention_days, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(new.name)
    .bind(new.address)
    .bind(new.retention_days)
    .bind(now)
    .fetch_one(db)
    .await
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
