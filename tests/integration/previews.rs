//! Previews from the preview origin, on SQLite and PostgreSQL. The tests' site is
//! `http://127.0.0.1:3000`, so its preview origin is `http://localhost:3000`.

use crate::on_both_databases;
use crate::support::{TestApp, TestResponse, Visitor};
use crate::uploads::{new_code, patient};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use santhium::api::auth::Logout;
use santhium::api::codes::CreateTransferCode;
use santhium::api::documents::{ListDocuments, PreviewDocument};
use santhium::model::codes::CodeView;
use santhium::model::documents::DocumentPage;
use santhium::model::documents::download_path;
use santhium::server::config::Backend;

on_both_databases!(
    a_preview_shows_the_document_from_the_preview_origin_only,
    a_preview_address_ends_with_its_time_or_its_session,
);

const PREVIEW_ORIGIN: &str = "http://localhost:3000";
const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");
const SCAN: &[u8] = include_bytes!("../fixtures/scan-with-text.png");

/// A GET for `host`, as a browser sends it: with no cookie of the site.
async fn get_on(app: &TestApp, host: &str, path: &str) -> TestResponse {
    let request = Request::get(path)
        .header("host", host)
        .body(Body::empty())
        .expect("request");
    app.send(request).await
}

async fn preview_address(staff: &mut Visitor<'_>, document_id: &str) -> String {
    staff
        .call::<PreviewDocument, String>(&[("document_id", document_id)])
        .await
        .expect("a preview address")
}

/// The pharmacy's staff, and the id of the PNG a patient sent them.
async fn sent_scan(app: &TestApp) -> (Visitor<'_>, String) {
    let (mut staff, code) = new_code(app, "2").await;
    let (sender, _) = patient(app, &code.code).await;
    sender.send_file("scan.png", SCAN).await.expect("sent");
    let page: DocumentPage = staff
        .call::<ListDocuments, _>(&[("skip", "0"), ("limit", "20")])
        .await
        .expect("listed");
    assert!(page.previews, "the test site has a preview origin");
    (staff, page.documents[0].id.clone())
}

async fn a_preview_shows_the_document_from_the_preview_origin_only(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (mut staff, id) = sent_scan(&app).await;

    let address = preview_address(&mut staff, &id).await;
    let path = address.strip_prefix(PREVIEW_ORIGIN).expect("on the preview origin");
    let preview = get_on(&app, "localhost:3000", path).await;
    assert_eq!(preview.status, StatusCode::OK);
    let download = app.send(staff.request("GET", &download_path(&id), Body::empty())).await;
    assert_eq!(preview.bytes, download.bytes, "the document as stored");
    assert!(preview.bytes.starts_with(b"\x89PNG"));
    assert_eq!(preview.header("content-type"), "image/png");
    assert!(preview.header("content-disposition").starts_with("inline;"));
    assert_eq!(preview.header("x-content-type-options"), "nosniff");
    assert_eq!(preview.header("cache-control"), "no-store");
    assert_eq!(preview.header("referrer-policy"), "no-referrer");
    assert!(
        preview
            .header("content-security-policy")
            .ends_with("frame-ancestors http://127.0.0.1:3000"),
        "only the site may frame it: {}",
        preview.header("content-security-policy")
    );
    assert_eq!(
        preview.header("x-frame-options"),
        "",
        "framing is allowed, by the site only"
    );
    assert!(preview.header("set-cookie").is_empty());

    let viewed: Option<i64> = sqlx::query_scalar("SELECT viewed_at FROM documents WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    assert!(viewed.is_some(), "a preview marks the document viewed");
    let previews: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'document_previewed'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(previews, 1);

    // The preview origin serves nothing of the site: it sends the same path to the
    // site, without a cookie. The site serves no preview.
    for site_path in ["/", "/dashboard", "/login?next=%2Faudit", &download_path(&id)] {
        let answer = get_on(&app, "localhost:3000", site_path).await;
        assert_eq!(
            answer.status,
            StatusCode::TEMPORARY_REDIRECT,
            "{site_path} on the preview origin"
        );
        assert_eq!(answer.header("location"), format!("http://127.0.0.1:3000{site_path}"));
        assert_eq!(answer.header("set-cookie"), "");
    }
    let posted = Request::post("/api/login")
        .header("host", "localhost:3000")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.send(posted).await.status,
        StatusCode::NOT_FOUND,
        "only reads are redirected"
    );
    assert_eq!(get_on(&app, "127.0.0.1:3000", path).await.status, StatusCode::NOT_FOUND);

    // A page of the site may frame the preview origin and nothing else.
    let page = get_on(&app, "127.0.0.1:3000", "/").await;
    assert!(
        page.header("content-security-policy")
            .contains("frame-src http://localhost:3000;"),
        "{}",
        page.header("content-security-policy")
    );

    // An altered address opens nothing, another document included.
    let photo = {
        let mut other = crate::accounts::register(&app, "Pharmacie du Marché", "marche@pharmacie.fr").await;
        let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")];
        let code: CodeView = other.call::<CreateTransferCode, _>(&form).await.expect("created");
        let (sender, _) = patient(&app, &code.code).await;
        sender.send_file("photo.jpg", PHOTO).await.expect("sent");
        sqlx::query_scalar::<_, String>("SELECT id FROM documents WHERE mime_type = 'image/jpeg'")
            .fetch_one(&app.state.db)
            .await
            .expect("photo")
    };
    for altered in [path.replacen(&id, &photo, 1), format!("{}x", path)] {
        assert_eq!(
            get_on(&app, "localhost:3000", &altered).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // The other pharmacy's photo cannot be previewed by this one's staff either.
    assert_eq!(
        staff
            .call::<PreviewDocument, String>(&[("document_id", &photo)])
            .await
            .expect_err("another pharmacy's")
            .status,
        StatusCode::NOT_FOUND
    );

    // Without a preview origin there are no previews at all.
    let public = app.restarted(&[("PUBLIC_URL", "https://pharmacie.example.fr")]).await;
    let mut staff = crate::accounts::login(&public, "port@pharmacie.fr", crate::accounts::PASSWORD)
        .await
        .0;
    let page: DocumentPage = staff
        .call::<ListDocuments, _>(&[("skip", "0"), ("limit", "20")])
        .await
        .expect("listed");
    assert!(!page.previews);
    let refused = staff
        .call::<PreviewDocument, String>(&[("document_id", &id)])
        .await
        .expect_err("no preview origin");
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

async fn a_preview_address_ends_with_its_time_or_its_session(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (mut staff, id) = sent_scan(&app).await;
    let address = preview_address(&mut staff, &id).await;
    let path = address
        .strip_prefix(PREVIEW_ORIGIN)
        .expect("on the preview origin")
        .to_owned();

    app.state.clock.advance(4 * 60);
    assert_eq!(get_on(&app, "localhost:3000", &path).await.status, StatusCode::OK);
    app.state.clock.advance(60);
    assert_eq!(
        get_on(&app, "localhost:3000", &path).await.status,
        StatusCode::NOT_FOUND,
        "five minutes at most"
    );

    let fresh = preview_address(&mut staff, &id).await;
    let fresh = fresh.strip_prefix(PREVIEW_ORIGIN).expect("on the preview origin");
    assert_eq!(get_on(&app, "localhost:3000", fresh).await.status, StatusCode::OK);
    staff.call::<Logout, ()>(&[]).await.expect("signed out");
    assert_eq!(
        get_on(&app, "localhost:3000", fresh).await.status,
        StatusCode::NOT_FOUND,
        "signing out ends the previews of the session"
    );
}
