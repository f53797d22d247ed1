//! Downloading documents from the dashboard's plain link, on SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::support::TestApp;
use crate::uploads::{new_code, patient, prescription};
use axum::body::Body;
use axum::http::StatusCode;
use santhium::model::documents::download_path;
use santhium::server::config::Backend;
use sqlx::Row;

on_both_databases!(
    staff_download_the_decrypted_document_with_safe_headers,
    another_pharmacy_or_no_session_cannot_download,
);

const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");

async fn document_ids(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query("SELECT id, original_filename FROM documents ORDER BY file_size DESC")
        .fetch_all(&app.state.db)
        .await
        .expect("documents")
        .iter()
        .map(|row| (row.get("id"), row.get("original_filename")))
        .collect()
}

async fn staff_download_the_decrypted_document_with_safe_headers(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (staff, code) = new_code(&app, "2").await;
    let (sender, _) = patient(&app, &code.code).await;
    let pdf = prescription();
    sender.send_file("Ordonnance été.pdf", &pdf).await.expect("sent");
    sender.send_file("photo.jpg", PHOTO).await.expect("sent");
    let documents = document_ids(&app).await;
    let (pdf_id, _) = &documents[0];

    // As a browser follows the link from another page: it accepts HTML and names that
    // page (a server function would answer this with a redirect to it).
    let mut followed = staff.request("GET", &download_path(pdf_id), Body::empty());
    let headers = followed.headers_mut();
    headers.insert(
        "accept",
        "text/html,application/xhtml+xml,*/*;q=0.8".parse().expect("header"),
    );
    headers.insert("referer", "https://webmail.example.fr/inbox".parse().expect("header"));
    let response = app.send(followed).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("location"), "", "no redirect");
    assert_eq!(response.bytes, pdf, "the bytes the patient sent");
    assert_eq!(response.header("content-type"), "application/pdf");
    assert_eq!(
        response.header("content-disposition"),
        "attachment; filename=\"Ordonnance _t_.pdf\"; filename*=UTF-8''Ordonnance%20%C3%A9t%C3%A9.pdf"
    );
    assert_eq!(response.header("x-content-type-options"), "nosniff");
    assert_eq!(
        response.header("content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(response.header("cache-control"), "no-store");

    let viewed = sqlx::query("SELECT viewed_at, viewed_by FROM documents WHERE id = $1")
        .bind(pdf_id)
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    let first_view: Option<i64> = viewed.get("viewed_at");
    assert!(first_view.is_some(), "the first download marks it viewed");
    let viewer: Option<String> = viewed.get("viewed_by");
    let user_id: String = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.state.db)
        .await
        .expect("user");
    assert_eq!(viewer, Some(user_id));

    app.state.clock.advance(60);
    let again = app
        .send(staff.request("GET", &download_path(pdf_id), Body::empty()))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let still: Option<i64> = sqlx::query_scalar("SELECT viewed_at FROM documents WHERE id = $1")
        .bind(pdf_id)
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    assert_eq!(still, first_view, "later downloads keep the first view");
    let downloads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'document_downloaded'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(downloads, 2, "every download is in the audit trail");

    // The photo comes back as stored: the same pixels, without its camera metadata.
    let (photo_id, _) = &documents[1];
    let photo = app
        .send(staff.request("GET", &download_path(photo_id), Body::empty()))
        .await;
    assert_eq!(photo.header("content-type"), "image/jpeg");
    let bytes = photo.bytes;
    assert_eq!(bytes[..2], [0xFF, 0xD8]);
    assert!(!bytes.windows(10).any(|w| w == b"PhoneMaker"));
}

async fn another_pharmacy_or_no_session_cannot_download(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("ordonnance.pdf", &prescription()).await.expect("sent");
    let (id, _) = document_ids(&app).await.remove(0);
    let path = download_path(&id);

    let other = register(&app, "Pharmacie d'en face", "face@pharmacie.fr").await;
    let theirs = app.send(other.request("GET", &path, Body::empty())).await;
    let missing = app
        .send(other.request(
            "GET",
            &download_path("4f1c2a9e-0000-4000-8000-000000000000"),
            Body::empty(),
        ))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (theirs.status, theirs.body),
        (missing.status, missing.body),
        "exactly as a missing one"
    );
    assert_eq!(app.get(&path).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.send(sender.request("GET", &path, Body::empty())).await.status,
        StatusCode::UNAUTHORIZED,
        "a patient's upload cookie opens nothing"
    );
    let viewed: Option<i64> = sqlx::query_scalar("SELECT viewed_at FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    assert_eq!(viewed, None);
}
