//! The pharmacy's documents: listing, filters, pagination, viewed marks and deletion,
//! on SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::support::{Refused, Visitor};
use crate::uploads::{new_code, patient, prescription};
use axum::body::Body;
use axum::http::StatusCode;
use santhium::api::codes::CreateTransferCode;
use santhium::api::documents::{DeleteDocuments, ListDocuments, SetDocumentViewed};
use santhium::error::AppError;
use santhium::model::codes::CodeView;
use santhium::model::documents::DocumentPage;
use santhium::model::documents::download_path;
use santhium::server::config::Backend;

on_both_databases!(
    documents_are_listed_filtered_and_paged,
    documents_are_marked_viewed_or_new_and_deleted_for_good,
    names_are_found_whatever_their_accents_and_case,
);

async fn page(staff: &mut Visitor<'_>, form: &[(&str, &str)]) -> DocumentPage {
    staff.call::<ListDocuments, DocumentPage>(form).await.expect("listed")
}

fn names(page: &DocumentPage) -> Vec<&str> {
    page.documents.iter().map(|d| d.filename.as_str()).collect()
}

fn not_found() -> Refused {
    Refused {
        status: StatusCode::NOT_FOUND,
        error: AppError::NotFound,
    }
}

/// The names of the documents found by a search, newest first.
async fn search(staff: &mut Visitor<'_>, text: &str) -> String {
    let form = [("filter[search]", text), ("skip", "0"), ("limit", "20")];
    names(&page(staff, &form).await).join(", ")
}

async fn names_are_found_whatever_their_accents_and_case(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (mut staff, code) = new_code(&app, "3").await;
    let (patient, _) = patient(&app, &code.code).await;
    for name in ["Émilie Dupré.pdf", "emilie.pdf", "ordonnance.pdf"] {
        patient.send_file(name, &prescription()).await.expect("sent");
        app.state.clock.advance(60);
    }
    for typed in ["émilie", "EMILIE", "Émilie"] {
        assert_eq!(
            search(&mut staff, typed).await,
            "emilie.pdf, Émilie Dupré.pdf",
            "{typed}"
        );
    }
    assert_eq!(search(&mut staff, "dupre").await, "Émilie Dupré.pdf");

    // Documents received before names were indexed (by an older instance, during an
    // upgrade) are found by their lower-cased name meanwhile, and by their search name
    // from the next start.
    sqlx::query("UPDATE documents SET search_name = NULL")
        .execute(&app.state.db)
        .await
        .expect("older rows");
    assert_eq!(search(&mut staff, "emilie").await, "emilie.pdf");
    let restarted = app.restarted(&[]).await;
    let mut again = restarted.visitor();
    again.cookie = staff.cookie.clone();
    assert_eq!(search(&mut again, "émilie").await, "emilie.pdf, Émilie Dupré.pdf");
}

async fn documents_are_listed_filtered_and_paged(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[("SESSION_IDLE_MINUTES", "600")]).await;
    let (mut staff, first) = new_code(&app, "3").await;
    let form = [("lifetime_hours", "24"), ("max_uses", "2"), ("note", "Mme Durand")];
    let second: CodeView = staff.call::<CreateTransferCode, _>(&form).await.expect("created");
    let (one, _) = patient(&app, &first.code).await;
    for name in ["ordonnance-mars.pdf", "analyse_100%.pdf", "carte vitale.pdf"] {
        one.send_file(name, &prescription()).await.expect("sent");
        app.state.clock.advance(60);
    }
    let (two, _) = patient(&app, &second.code).await;
    two.send_file("Ordonnance avril.pdf", &prescription())
        .await
        .expect("sent");

    let all = page(&mut staff, &[("skip", "0"), ("limit", "20")]).await;
    assert_eq!((all.total, all.new_count), (4, 4));
    assert_eq!(
        names(&all),
        [
            "Ordonnance avril.pdf",
            "carte vitale.pdf",
            "analyse_100%.pdf",
            "ordonnance-mars.pdf"
        ],
        "newest first"
    );
    let latest = &all.documents[0];
    assert_eq!(latest.code.as_deref(), Some(second.code.as_str()));
    assert_eq!(latest.note.as_deref(), Some("Mme Durand"));
    assert_eq!((latest.viewed_at, latest.mime_type.as_str()), (None, "application/pdf"));
    assert_eq!(latest.deletion_date - latest.received_at, 30 * 86_400);

    let second_page = page(&mut staff, &[("skip", "1"), ("limit", "2")]).await;
    assert_eq!(
        (names(&second_page), second_page.total),
        (vec!["carte vitale.pdf", "analyse_100%.pdf"], 4)
    );
    let by_code = page(
        &mut staff,
        &[("filter[code_id]", &second.id), ("skip", "0"), ("limit", "20")],
    )
    .await;
    assert_eq!(names(&by_code), ["Ordonnance avril.pdf"]);
    let searched = page(
        &mut staff,
        &[("filter[search]", " ORDONNANCE "), ("skip", "0"), ("limit", "20")],
    )
    .await;
    assert_eq!(names(&searched), ["Ordonnance avril.pdf", "ordonnance-mars.pdf"]);
    let literal = page(&mut staff, &[("filter[search]", "0%"), ("skip", "0"), ("limit", "20")]).await;
    assert_eq!(
        names(&literal),
        ["analyse_100%.pdf"],
        "% is a character, not a wildcard"
    );
    let from = (all.documents[2].received_at).to_string();
    let before = (all.documents[0].received_at).to_string();
    let dated = page(
        &mut staff,
        &[
            ("filter[received_from]", &from),
            ("filter[received_before]", &before),
            ("skip", "0"),
            ("limit", "20"),
        ],
    )
    .await;
    assert_eq!(names(&dated), ["carte vitale.pdf", "analyse_100%.pdf"]);

    let downloaded = app
        .send(staff.request("GET", &download_path(&latest.id), Body::empty()))
        .await;
    assert_eq!(downloaded.status, StatusCode::OK);
    let viewed = page(
        &mut staff,
        &[("filter[viewed]", "true"), ("skip", "0"), ("limit", "20")],
    )
    .await;
    assert_eq!((names(&viewed), viewed.new_count), (vec!["Ordonnance avril.pdf"], 3));
    assert_eq!(viewed.documents[0].viewed_by.as_deref(), Some("Camille Martin"));
    let new = page(
        &mut staff,
        &[("filter[viewed]", "false"), ("skip", "0"), ("limit", "20")],
    )
    .await;
    assert_eq!(new.total, 3);

    let mut other = register(&app, "Pharmacie d'en face", "face@pharmacie.fr").await;
    let theirs = page(&mut other, &[("skip", "0"), ("limit", "20")]).await;
    assert_eq!(
        (theirs.total, theirs.documents.len()),
        (0, 0),
        "each pharmacy sees its own"
    );
}

async fn documents_are_marked_viewed_or_new_and_deleted_for_good(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (mut staff, code) = new_code(&app, "2").await;
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("a.pdf", &prescription()).await.expect("sent");
    sender.send_file("b.pdf", &prescription()).await.expect("sent");
    let listed = page(&mut staff, &[("skip", "0"), ("limit", "20")]).await;
    let (b, a) = (listed.documents[0].clone(), listed.documents[1].clone());

    staff
        .call::<SetDocumentViewed, ()>(&[("document_id", &a.id), ("viewed", "true")])
        .await
        .expect("marked viewed");
    assert_eq!(page(&mut staff, &[("skip", "0"), ("limit", "20")]).await.new_count, 1);
    staff
        .call::<SetDocumentViewed, ()>(&[("document_id", &a.id), ("viewed", "false")])
        .await
        .expect("marked new");
    assert_eq!(page(&mut staff, &[("skip", "0"), ("limit", "20")]).await.new_count, 2);

    let mut other = register(&app, "Pharmacie d'en face", "face@pharmacie.fr").await;
    let form = [("document_id", a.id.as_str()), ("viewed", "true")];
    assert_eq!(other.call::<SetDocumentViewed, ()>(&form).await, Err(not_found()));
    assert_eq!(
        other.call::<DeleteDocuments, u64>(&[("document_ids[0]", &a.id)]).await,
        Err(not_found()),
        "another pharmacy's document answers as a missing one"
    );

    let deleted = staff
        .call::<DeleteDocuments, u64>(&[("document_ids[0]", &a.id), ("document_ids[1]", &b.id)])
        .await
        .expect("deleted");
    assert_eq!(deleted, 2);
    assert!(
        app.state.blobs.ids().await.expect("blobs").is_empty(),
        "no ciphertext left behind"
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(rows, 0, "nor any wrapped key");
    let gone = app
        .send(staff.request("GET", &download_path(&a.id), Body::empty()))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        staff.call::<DeleteDocuments, u64>(&[("document_ids[0]", &a.id)]).await,
        Err(not_found())
    );
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'document_deleted'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(events, 2);
}
