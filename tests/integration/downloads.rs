//! Downloading documents from the dashboard's plain link, on SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::support::{TestApp, TestResponse, Visitor};
use crate::uploads::{new_code, patient, prescription};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use santhium::model::documents::download_path;
use santhium::server::config::Backend;
use sqlx::Row;

on_both_databases!(
    staff_download_the_decrypted_document_with_safe_headers,
    another_pharmacy_or_no_session_cannot_download,
    a_download_says_its_length_and_serves_any_range_of_it,
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

/// A download as a browser or a PDF viewer asks for it: `Accept-Encoding` as every
/// browser sends it, then byte ranges.
async fn ask(app: &TestApp, staff: &Visitor<'_>, path: &str, headers: &[(&'static str, &str)]) -> TestResponse {
    let mut request = staff.request("GET", path, Body::empty());
    request
        .headers_mut()
        .insert("accept-encoding", HeaderValue::from_static("gzip, br"));
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).expect("header"));
    }
    app.send(request).await
}

async fn a_download_says_its_length_and_serves_any_range_of_it(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (staff, code) = new_code(&app, "2").await;
    let (sender, _) = patient(&app, &code.code).await;
    let pdf = prescription();
    sender.send_file("ordonnance.pdf", &pdf).await.expect("sent");
    sender.send_file("photo.jpg", PHOTO).await.expect("sent");
    let documents = document_ids(&app).await;
    let path = download_path(&documents[0].0);
    let len = pdf.len();

    let whole = ask(&app, &staff, &path, &[]).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.bytes, pdf);
    assert_eq!(
        whole.header("content-length"),
        len.to_string(),
        "a browser can show progress"
    );
    assert_eq!(
        whole.header("content-encoding"),
        "",
        "a document is sent as it is, never compressed"
    );
    assert_eq!(whole.header("accept-ranges"), "bytes");
    let etag = whole.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");

    // Within the first 64 KiB chunk, across the boundary of two chunks, within a later
    // chunk only, and the document's tail.
    for (range, from, to) in [
        ("bytes=100-199".to_owned(), 100, 200),
        ("bytes=65530-65545".to_owned(), 65530, 65546),
        ("bytes=200000-200009".to_owned(), 200_000, 200_010),
        ("bytes=-10".to_owned(), len - 10, len),
        (format!("bytes={}-", len - 70_000), len - 70_000, len),
    ] {
        let part = ask(&app, &staff, &path, &[("range", &range)]).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(part.bytes, pdf[from..to], "{range}: exactly those bytes");
        assert_eq!(part.header("content-range"), format!("bytes {from}-{}/{len}", to - 1));
        assert_eq!(part.header("content-length"), (to - from).to_string());
    }

    // A resumed download of the same version gets the rest; of another, all of it.
    let resumed = ask(&app, &staff, &path, &[("range", "bytes=1000-"), ("if-range", &etag)]).await;
    assert_eq!(
        (resumed.status, resumed.bytes.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &pdf[1000..])
    );
    let changed = ask(
        &app,
        &staff,
        &path,
        &[("range", "bytes=1000-"), ("if-range", "\"another\"")],
    )
    .await;
    assert_eq!((changed.status, changed.bytes.len()), (StatusCode::OK, len));

    for range in [
        format!("bytes={len}-"),
        "bytes=500-20".to_owned(),
        "bytes=x-y".to_owned(),
    ] {
        let refused = ask(&app, &staff, &path, &[("range", &range)]).await;
        assert_eq!(refused.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(refused.header("content-range"), format!("bytes */{len}"));
    }

    // What begins at the first byte is recorded (the two whole downloads); what a viewer
    // or a resumed download asks for after it, or a HEAD, is not.
    let head = app.send(staff.request("HEAD", &path, Body::empty())).await;
    assert_eq!(head.header("content-length"), len.to_string());
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'document_downloaded'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(recorded, 2);

    // A photo is stored without its camera metadata: its length is the stored one.
    let photo = ask(&app, &staff, &download_path(&documents[1].0), &[]).await;
    assert_eq!(photo.header("content-length"), photo.bytes.len().to_string());
    assert!(photo.bytes.len() < PHOTO.len());
    let photo_tail = ask(&app, &staff, &download_path(&documents[1].0), &[("range", "bytes=-2")]).await;
    assert_eq!(photo_tail.bytes, [0xFF, 0xD9], "a JPEG's end marker");
}
