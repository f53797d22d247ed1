use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Pharmacy {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub retention_days: i64,
    pub created_at: i64,
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
    sqlx::query_as(
        "INSERT INTO pharmacies (id, name, address, retention_days, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, address, retention_days, created_at",
    )
    .bind(super::new_id())
    .bind(new.name)
    .bind(new.address)
    .bind(new.retention_days)
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn find<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<Pharmacy>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, address, retention_days, created_at FROM pharmacies WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}
