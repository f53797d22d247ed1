//! Photos sent as the pages of one PDF, and the QR codes read from what patients send,
//! through the patient's page and the REST API, on SQLite and PostgreSQL.

use crate::api::{api, generated_code, registered, upload_form};
use crate::images;
use crate::on_both_databases;
use crate::support::{Part, Refused, Visitor, invalid, spawn_app_on};
use crate::uploads::{new_code, patient};
use axum::body::Body;
use axum::http::StatusCode;
use santhium::api::documents::ListDocuments;
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::documents::{DocumentPage, download_path};
use santhium::model::send::SendStatus;
use santhium::server::config::Backend;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

on_both_databases!(
    photos_sent_as_pages_arrive_as_one_pdf_with_the_codes_found_on_them,
    pages_are_checked_one_by_one_and_a_refused_document_keeps_its_use,
    integrators_send_pages_with_combine_and_read_the_codes,
);

const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");
const SCAN: &[u8] = include_bytes!("../fixtures/scan-with-text.png");
/// A phone photo of a page carrying an e-prescription's QR code (made by
/// `images::page_photo`, kept as a file so that no test spends its time making it), and
/// the number the code holds (the format is made up).
const PAGE_WITH_CODE: &[u8] = include_bytes!("../fixtures/page-with-qr.jpg");
const NUMBER: &str = "2025-E2E-PAGE-0042";

/// A page as the patient's phone names and sends it.
type Photo<'a> = (&'a str, &'a [u8]);

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

async fn listed(staff: &mut Visitor<'_>) -> DocumentPage {
    staff
        .call::<ListDocuments, DocumentPage>(&[("skip", "0"), ("limit", "20")])
        .await
        .expect("listed")
}

async fn photos_sent_as_pages_arrive_as_one_pdf_with_the_codes_found_on_them(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (mut staff, code) = new_code(&app, "2").await;
    let (patient, status) = patient(&app, &code.code).await;
    assert_eq!(status.remaining, 2);
    let pages: [Photo; 3] = [("IMG_1.jpg", PAGE_WITH_CODE), ("scan.png", SCAN), ("IMG_2.JPG", PHOTO)];

    let receipt = patient.send_pages("Ordonnance - 3 pages", &pages).await.expect("sent");
    assert_eq!(receipt.filename, "Ordonnance - 3 pages.pdf");
    assert_eq!(receipt.page_count, Some(3));

    let page = listed(&mut staff).await;
    let document = &page.documents[0];
    assert_eq!(
        (document.page_count, document.mime_type.as_str()),
        (Some(3), "application/pdf")
    );
    assert_eq!(document.qr_codes, [NUMBER]);
    let pdf = app
        .send(staff.request("GET", &download_path(&document.id), Body::empty()))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(pdf.body.contains("/Count 3"));
    assert_eq!(receipt.sha256, sha256(&pdf.bytes), "the fingerprint of what is stored");
    assert!(!pdf.bytes.windows(10).any(|w| w == b"PhoneMaker"), "no camera metadata");

    // One use taken; one photo alone is a document of its own, its code read too.
    let alone = patient.send_file("IMG_3.jpg", PAGE_WITH_CODE).await.expect("sent");
    assert_eq!(alone.page_count, None);
    let page = listed(&mut staff).await;
    let codes: Vec<_> = page.documents.iter().map(|d| d.qr_codes.clone()).collect();
    assert_eq!(codes, [[NUMBER], [NUMBER]]);

    // The codes are sealed in the row, and the audit trail counts them without saying them.
    let rows = sqlx::query("SELECT qr_codes_ciphertext FROM documents")
        .fetch_all(&app.state.db)
        .await
        .expect("rows");
    for row in rows {
        let sealed: Vec<u8> = row.get("qr_codes_ciphertext");
        assert!(!sealed.windows(NUMBER.len()).any(|w| w == NUMBER.as_bytes()));
    }
    let details: Vec<String> =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'document_received' ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .expect("events");
    assert!(details[0].ends_with("pages=3 qr_codes=1"), "{}", details[0]);
    assert!(
        details[1].ends_with("qr_codes=1") && !details[1].contains("pages"),
        "{}",
        details[1]
    );
    assert!(details.iter().all(|d| !d.contains(NUMBER)));
}

async fn pages_are_checked_one_by_one_and_a_refused_document_keeps_its_use(backend: Backend) {
    let app = spawn_app_on(backend, &[("MAX_FILE_SIZE_MB", "1")]).await;
    let (_, code) = new_code(&app, "1").await;
    let (mut patient, _) = patient(&app, &code.code).await;
    let pdf = crate::uploads::prescription();
    // Grain does not compress: each of these is about 640 kB, both more than 1 MiB.
    let mut seed = 7u32;
    let grain: Vec<u8> = (0..800 * 800)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        })
        .collect();
    let large = images::png_grey(800, 800, &grain);
    let refusals: [(&[Photo], Refused); 4] = [
        (
            &[("a.jpg", PHOTO), ("b.pdf", &pdf)],
            invalid("file", Text::PageNotPhoto),
        ),
        (
            &[("a.jpg", PHOTO), ("b.jpg", SCAN)],
            invalid("file", Text::FileTypeMismatch),
        ),
        (&[("a.png", SCAN); 21], invalid("file", Text::TooManyPages)),
        (
            &[("a.png", &large), ("b.png", &large)],
            Refused {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                error: AppError::PayloadTooLarge,
            },
        ),
    ];
    for (pages, refused) in refusals {
        assert_eq!(patient.send_pages("", pages).await, Err(refused));
    }
    let status = patient
        .call::<santhium::api::send::OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await
        .expect("still open");
    assert_eq!(status.remaining, 1, "every refusal gave its use back");
    let receipt = patient.send_pages("", &[("a.png", SCAN)]).await.expect("sent");
    assert_eq!(
        (receipt.filename.as_str(), receipt.page_count),
        ("Ordonnance.pdf", Some(1))
    );
}

async fn integrators_send_pages_with_combine_and_read_the_codes(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (token, _) = registered(&app, "port@pharmacie.fr").await;
    let code = generated_code(&app, &token, 2).await;
    let qr = images::qr_png(NUMBER, 6);
    let parts = [
        Part::Text("code", &code),
        Part::Text("combine", "true"),
        Part::Text("name", "Ordonnance Martin"),
        Part::File("page1.png", &qr),
        Part::File("page2.jpg", PHOTO),
    ];
    let answer = upload_form(&app, None, &parts).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["original_filename"], "Ordonnance Martin.pdf");
    assert_eq!(json["file_type"], "application/pdf");
    assert_eq!(json["page_count"], 2);
    assert_eq!(json["qr_codes"], json!([NUMBER]));

    let plain = upload_form(&app, None, &[Part::Text("code", &code), Part::File("IMG.jpg", PHOTO)]).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.body);
    assert_eq!(
        (plain.json()["page_count"].clone(), plain.json()["qr_codes"].clone()),
        (json!(null), json!([]))
    );

    let listed = api(&app, "GET", "/documents", Some(&token), None).await.json();
    let mut codes: Vec<_> = listed["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| {
            (
                d["original_filename"].to_string(),
                d["page_count"].clone(),
                d["qr_codes"].clone(),
            )
        })
        .collect();
    codes.sort_by(|a, b| a.0.cmp(&b.0));
    let expected = [
        (json!("IMG.jpg").to_string(), json!(null), json!([])),
        (json!("Ordonnance Martin.pdf").to_string(), json!(2), json!([NUMBER])),
    ];
    assert_eq!(codes, expected, "received in the same second: in any order");
}
