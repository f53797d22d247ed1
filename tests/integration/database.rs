//! The schema and every repository, on SQLite and on PostgreSQL alike.

use crate::on_both_databases;
use crate::support::TestDatabase;
use santhium::model::staff::Role;
use santhium::server::config::Backend;
use santhium::server::db;
use santhium::server::repo::audit::{self, NewAuditEvent};
use santhium::server::repo::pharmacies::{self, NewPharmacy};
use santhium::server::repo::users::{self, NewUser};
use sqlx::Row;

const NOW: i64 = 1_780_000_000;

async fn pharmacy(db: &TestDatabase, name: &str) -> pharmacies::Pharmacy {
    let new = NewPharmacy {
        name,
        address: Some("1 place de la Mairie, 75001 Paris"),
        retention_days: 30,
        require_second_factor: false,
    };
    pharmacies::insert(&db.pool, &new, NOW).await.expect("insert pharmacy")
}

fn staff<'a>(pharmacy_id: &'a str, email: &'a str) -> NewUser<'a> {
    NewUser {
        pharmacy_id,
        email,
        full_name: "Camille Martin",
        password_hash: "$argon2id$placeholder",
        role: Role::Admin,
        temporary_until: None,
        invited_rpps: None,
    }
}

on_both_databases!(
    pharmacies_round_trip,
    users_round_trip_and_unique_email,
    users_need_an_existing_pharmacy,
    audit_is_listed_newest_first_and_cannot_be_changed,
    deleting_a_pharmacy_removes_everything_it_owns,
    migrations_can_run_again,
);

async fn pharmacies_round_trip(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    let created = pharmacy(db, "Pharmacie du Centre").await;
    assert_eq!(created.id.len(), 36, "random UUID text ids");
    let found = pharmacies::find(&db.pool, &created.id).await.expect("find");
    assert_eq!(found, Some(created));
    assert_eq!(pharmacies::find(&db.pool, "missing").await.expect("find"), None);
}

async fn users_round_trip_and_unique_email(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    let p = pharmacy(db, "Pharmacie du Port").await;
    let user = users::insert(&db.pool, &staff(&p.id, "camille@pharmacie.fr"), NOW)
        .await
        .expect("insert user");
    assert_eq!(user.role, Role::Admin);
    assert!(user.is_active);
    let found = users::find_by_email(&db.pool, "camille@pharmacie.fr")
        .await
        .expect("find")
        .expect("present");
    assert_eq!(found, user);
    let duplicate = users::insert(&db.pool, &staff(&p.id, "camille@pharmacie.fr"), NOW)
        .await
        .expect_err("duplicate");
    assert!(
        duplicate.as_database_error().is_some_and(|e| e.is_unique_violation()),
        "{duplicate}"
    );
}

async fn users_need_an_existing_pharmacy(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    let orphan = users::insert(&db.pool, &staff("no-such-pharmacy", "x@pharmacie.fr"), NOW)
        .await
        .expect_err("orphan");
    assert!(
        orphan.as_database_error().is_some_and(|e| e.is_foreign_key_violation()),
        "{orphan}"
    );
}

async fn audit_is_listed_newest_first_and_cannot_be_changed(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    let p = pharmacy(db, "Pharmacie des Halles").await;
    let other = pharmacy(db, "Autre pharmacie").await;
    for (pharmacy_id, action) in [
        (&p.id, "login"),
        (&other.id, "login"),
        (&p.id, "code_created"),
        (&p.id, "logout"),
    ] {
        let event = NewAuditEvent {
            pharmacy_id: Some(pharmacy_id),
            user_id: None,
            ip: Some("203.0.113.7"),
            action,
            object_type: None,
            object_id: None,
            details: None,
        };
        audit::append(&db.pool, &event, NOW).await.expect("append");
    }
    let actions = |events: &[audit::ListedEvent]| events.iter().map(|e| e.action.clone()).collect::<Vec<_>>();
    let page = audit::page_before(&db.pool, &p.id, i64::MAX, &audit::EventFilter::default(), 10)
        .await
        .expect("list");
    assert_eq!(actions(&page), ["logout", "code_created", "login"]);
    let second_page = audit::page_before(&db.pool, &p.id, page[0].id, &audit::EventFilter::default(), 1)
        .await
        .expect("list");
    assert_eq!(actions(&second_page), ["code_created"]);
    let logins = audit::page_before(
        &db.pool,
        &p.id,
        i64::MAX,
        &audit::EventFilter {
            action: Some("login"),
            ..Default::default()
        },
        10,
    )
    .await
    .expect("list");
    assert_eq!(actions(&logins), ["login"]);

    for statement in ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"] {
        assert!(
            sqlx::query(statement).execute(&db.pool).await.is_err(),
            "{statement} must be refused"
        );
    }
    assert_eq!(
        audit::page_before(&db.pool, &p.id, i64::MAX, &audit::EventFilter::default(), 10)
            .await
            .expect("list")
            .len(),
        3
    );
}

/// The tables later features fill, checked now on both backends through the same
/// portable SQL: blobs, nullable columns and the cascade from the pharmacy.
async fn deleting_a_pharmacy_removes_everything_it_owns(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    let p = pharmacy(db, "Pharmacie de la Gare").await;
    let user = users::insert(&db.pool, &staff(&p.id, "gare@pharmacie.fr"), NOW)
        .await
        .expect("user");
    let wrapped_key = vec![0u8, 159, 146, 150, 255];
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, ip, user_agent, created_at, last_seen_at, expires_at)
         VALUES ('s1', 'hash', $1, NULL, 'Firefox', 1, 1, 2)",
    )
    .bind(&user.id)
    .execute(&db.pool)
    .await
    .expect("session");
    sqlx::query(
        "INSERT INTO transfer_codes (id, pharmacy_id, created_by, lookup_hash, code_ciphertext, max_uses, expires_at, created_at)
         VALUES ('c1', $1, $2, 'lookup', $3, 1, 2, 1)",
    )
    .bind(&p.id)
    .bind(&user.id)
    .bind(vec![1u8, 2, 3])
    .execute(&db.pool)
    .await
    .expect("transfer code");
    sqlx::query(
        "INSERT INTO documents (id, pharmacy_id, code_id, original_filename, file_type, mime_type, file_size, sha256,
                                key_id, wrapped_key, uploaded_at, deletion_date)
         VALUES ('d1', $1, 'c1', 'ordonnance.pdf', 'pdf', 'application/pdf', 1234, 'ab', 'k1', $2, 1, 2)",
    )
    .bind(&p.id)
    .bind(&wrapped_key)
    .execute(&db.pool)
    .await
    .expect("document");
    let blob: Vec<u8> = sqlx::query("SELECT wrapped_key FROM documents WHERE id = 'd1'")
        .fetch_one(&db.pool)
        .await
        .expect("document")
        .try_get("wrapped_key")
        .expect("bytes");
    assert_eq!(blob, wrapped_key);

    sqlx::query("DELETE FROM pharmacies WHERE id = $1")
        .bind(&p.id)
        .execute(&db.pool)
        .await
        .expect("delete");
    for table in ["users", "sessions", "transfer_codes", "documents"] {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert_eq!(count, 0, "{table} keeps rows of a deleted pharmacy");
    }
}

async fn migrations_can_run_again(backend: Backend) {
    let db = &TestDatabase::new(backend).await;
    db::migrate(&db.pool, db.backend).await.expect("second run is a no-op");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_a_busy_timeout_and_a_small_cache() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let pragma = |name: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query(&format!("PRAGMA {name}"))
                .fetch_one(&pool)
                .await
                .expect(name)
        }
    };
    assert_eq!(
        pragma("journal_mode").await.try_get::<String, _>(0).expect("text"),
        "wal"
    );
    assert_eq!(pragma("foreign_keys").await.try_get::<i64, _>(0).expect("int"), 1);
    assert_eq!(pragma("busy_timeout").await.try_get::<i64, _>(0).expect("int"), 5000);
    assert_eq!(
        pragma("synchronous").await.try_get::<i64, _>(0).expect("int"),
        1,
        "NORMAL"
    );
    assert_eq!(
        pragma("cache_size").await.try_get::<i64, _>(0).expect("int"),
        -512,
        "a page cache of 512 KiB"
    );
}

/// The migration files of one database, by name.
fn migration_names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("migrations")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every `table.column` of a migrated database, sorted.
async fn columns(db: &TestDatabase) -> Vec<String> {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'"
        }
    };
    let mut columns: Vec<String> = sqlx::query_scalar(sql).fetch_all(&db.pool).await.expect("columns");
    columns.sort();
    columns
}

#[tokio::test]
async fn both_databases_have_the_same_migrations_tables_and_columns() {
    assert_eq!(migration_names("sqlite"), migration_names("postgres"));
    let sqlite = columns(&TestDatabase::new(Backend::Sqlite).await).await;
    let postgres = columns(&TestDatabase::new(Backend::Postgres).await).await;
    assert!(sqlite.contains(&"documents.search_name".to_owned()), "{sqlite:?}");
    let only_sqlite: Vec<&String> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
    let only_postgres: Vec<&String> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
    assert_eq!(
        (only_sqlite, only_postgres),
        (vec![], vec![]),
        "columns on one database only"
    );
}
