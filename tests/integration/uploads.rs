//! The patient's side: opening a code, sending documents, and what the server keeps, on
//! SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::support::{Refused, TestApp, Visitor, invalid, multipart, spawn_app_on};
use axum::body::Body;
use axum::http::StatusCode;
use futures_util::{StreamExt, stream};
use leptos::server_fn::ServerFn;
use santhium::api::codes::{CreateTransferCode, ListTransferCodes, RevokeTransferCode};
use santhium::api::send::SendDocument;
use santhium::api::send::{OpenTransferCode, SendPageAccess};
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::codes::{CodeStatus, CodeView, TransferCodes};
use santhium::model::send::{SendAccess, SendStatus};
use santhium::server::blob_store::read_all;
use santhium::server::config::Backend;
use santhium::server::keys::Sealed;
use santhium::server::keys::bound_to;
use santhium::server::sealed_stream::{HEADER_LEN, Opener};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt;

on_both_databases!(
    a_patient_opens_a_code_and_sends_documents_stored_sealed,
    fifty_parallel_uploads_on_a_single_use_code_store_one_document,
    unknown_expired_revoked_and_used_up_codes_get_one_answer,
    files_must_be_what_their_names_say,
    an_oversized_file_is_refused_before_it_is_read_whole,
    code_look_ups_are_limited_per_client_and_in_total,
    the_qr_link_trades_the_code_for_a_cookie_and_a_clean_address,
    codes_from_before_link_tokens_get_theirs_at_start,
);

const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");
const SCAN: &[u8] = include_bytes!("../fixtures/scan-with-text.png");

pub(crate) fn prescription() -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n% Ordonnance du Dr Bernard pour Camille Martin: amoxicilline 1 g\n".to_vec();
    pdf.extend((0..300_000u32).map(|i| b"0123456789 obj endobj\n"[(i % 22) as usize]));
    pdf.extend(b"%%EOF\n");
    pdf
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub(crate) async fn new_code<'a>(app: &'a TestApp, max_uses: &str) -> (Visitor<'a>, CodeView) {
    let mut staff = register(app, "Pharmacie du Port", "port@pharmacie.fr").await;
    let form = [("lifetime_hours", "24"), ("max_uses", max_uses), ("note", "")];
    let code = staff
        .call::<CreateTransferCode, CodeView>(&form)
        .await
        .expect("created");
    (staff, code)
}

/// A patient who opened `code`, from their own address.
pub(crate) async fn patient<'a>(app: &'a TestApp, code: &str) -> (Visitor<'a>, SendStatus) {
    let mut patient = app.visitor();
    patient.ip = Some(IpAddr::from([198, 51, 100, 23]));
    let status = patient
        .call::<OpenTransferCode, SendStatus>(&[("code", code)])
        .await
        .expect("the code opens");
    (patient, status)
}

fn invalid_code() -> Refused {
    invalid("code", Text::TransferCodeInvalid)
}

async fn access(visitor: &mut Visitor<'_>) -> SendAccess {
    visitor.call::<SendPageAccess, SendAccess>(&[]).await.expect("access")
}

async fn a_patient_opens_a_code_and_sends_documents_stored_sealed(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (mut staff, code) = new_code(&app, "2").await;
    let typed = format!(" {}-{} ", &code.code[..3], &code.code[3..]).to_lowercase();
    let (mut patient, status) = patient(&app, &typed).await;
    assert_eq!(status.pharmacy_name, "Pharmacie du Port");
    assert_eq!((status.remaining, status.expires_at), (2, code.expires_at));
    assert_eq!(status.max_file_bytes, 10 * 1024 * 1024);
    assert_eq!(access(&mut patient).await, SendAccess::Open(status));
    // Another browser with the same code, say a relative's.
    let (mut relative, _) = self::patient(&app, &code.code).await;

    let pdf = prescription();
    let receipt = patient.send_file("Ordonnance mars.pdf", &pdf).await.expect("sent");
    assert_eq!(receipt.filename, "Ordonnance mars.pdf");
    assert_eq!(
        (receipt.size, receipt.sha256.as_str()),
        (pdf.len() as u64, sha256(&pdf).as_str())
    );
    assert_eq!(receipt.reference.len(), 10);
    // Opening the code again in the same browser keeps what it sent.
    patient
        .call::<OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await
        .expect("opened again");
    let SendAccess::Open(reopened) = access(&mut patient).await else {
        panic!("still open");
    };
    assert_eq!(reopened.sent, std::slice::from_ref(&receipt));
    let photo = patient.send_file("../../IMG_2041.JPG", PHOTO).await.expect("sent");
    assert_eq!(
        (photo.filename.as_str(), photo.sha256.as_str()),
        ("IMG_2041.JPG", sha256(PHOTO).as_str())
    );
    assert_eq!(
        patient.send_file("encore.pdf", &pdf).await,
        Err(invalid_code()),
        "used up"
    );
    // Used up: a reload shows the receipts of what this browser sent, and the other
    // browser, which sent nothing, only that the code is closed.
    let SendAccess::Sent(done) = access(&mut patient).await else {
        panic!("the receipts after a reload");
    };
    assert_eq!(done.remaining, 0);
    let mut sent = done.sent;
    sent.sort_by(|a, b| a.filename.cmp(&b.filename));
    assert_eq!(sent, [photo, receipt], "received in the same second: in any order");
    assert_eq!(access(&mut relative).await, SendAccess::Closed);

    let codes = staff
        .call::<ListTransferCodes, TransferCodes>(&[])
        .await
        .expect("listed");
    assert!(codes.active.is_empty());
    assert_eq!(
        (codes.history[0].current_uses, codes.history[0].status),
        (2, CodeStatus::UsedUp)
    );

    // The rows name the pharmacy, the code and the master key; the blobs hold only
    // ciphertext, which opens with the wrapped key and this document's context alone.
    let rows = sqlx::query(
        "SELECT id, pharmacy_id, code_id, original_filename, mime_type, file_size, sha256, key_id, wrapped_key,
                deletion_date - uploaded_at AS kept
         FROM documents ORDER BY file_size DESC",
    )
    .fetch_all(&app.state.db)
    .await
    .expect("documents");
    assert_eq!(rows.len(), 2);
    let master = &app.state.settings.encryption_key;
    for (row, sent) in rows.iter().zip([pdf.as_slice(), PHOTO]) {
        let id: String = row.get("id");
        let pharmacy_id: String = row.get("pharmacy_id");
        assert_eq!(row.get::<String, _>("code_id"), code.id);
        assert_eq!(row.get::<String, _>("sha256"), sha256(sent));
        assert_eq!(row.get::<String, _>("key_id"), master.id());
        assert_eq!(row.get::<i64, _>("kept"), 30 * 86_400, "DATA_RETENTION_DAYS");
        let stored = read_all(&app.state.blobs, &id).await.expect("a blob per row");
        assert!(
            !stored.windows(9).any(|w| w == b"Ordonnanc" || w == b"PhoneMake"),
            "no plaintext"
        );
        assert!(!stored.windows(5).any(|w| w == b"%PDF-"));

        let context = bound_to::document(&pharmacy_id, &id, master.id());
        let wrapped = Sealed::from_blob(&row.get::<Vec<u8>, _>("wrapped_key")).expect("wrapped key");
        let key = master.unwrap(&wrapped, &context).expect("the key unwraps");
        let (header, body) = stored.split_at(HEADER_LEN);
        let content = Opener::new(&key, &context, header)
            .expect("header")
            .open_all(body)
            .expect("opens");
        if sent == PHOTO {
            assert!(
                !content.windows(10).any(|w| w == b"PhoneMaker"),
                "the photo lost its EXIF"
            );
            assert_eq!(content[..2], PHOTO[..2]);
        } else {
            assert_eq!(content, sent);
        }
        let other = bound_to::document(&pharmacy_id, "another-document", master.id());
        assert!(master.unwrap(&wrapped, &other).is_err(), "bound to its document");
    }

    let events = sqlx::query("SELECT ip, object_id, details FROM audit_events WHERE action = 'document_received'")
        .fetch_all(&app.state.db)
        .await
        .expect("events");
    assert_eq!(events.len(), 2);
    let details: String = events[0].get("details");
    assert!(details.contains(&format!("code={}", code.id)) && details.contains("type=application/pdf"));
    assert_eq!(events[0].get::<String, _>("ip"), "198.51.100.23");
}

async fn fifty_parallel_uploads_on_a_single_use_code_store_one_document(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (patient, _) = patient(&app, &code.code).await;
    let pdf = prescription();
    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..50 {
        let (content_type, body) = multipart(&format!("page-{n}.pdf"), &pdf);
        let mut request = patient.request("POST", SendDocument::PATH, Body::from(body));
        request
            .headers_mut()
            .insert("content-type", content_type.parse().expect("header"));
        uploads.spawn(app.router.clone().oneshot(request));
    }
    let mut statuses = Vec::new();
    while let Some(response) = uploads.join_next().await {
        statuses.push(response.expect("task").expect("response").status());
    }
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count();
    assert_eq!((accepted, refused), (1, 49), "{statuses:?}");
    let documents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(documents, 1);
    assert_eq!(app.state.blobs.ids().await.expect("blobs").len(), 1);
    let uses: i64 = sqlx::query_scalar("SELECT current_uses FROM transfer_codes")
        .fetch_one(&app.state.db)
        .await
        .expect("uses");
    assert_eq!(uses, 1);
}

async fn unknown_expired_revoked_and_used_up_codes_get_one_answer(backend: Backend) {
    let app = spawn_app_on(backend, &[("SESSION_IDLE_MINUTES", "180")]).await;
    let (mut staff, revoked) = new_code(&app, "3").await;
    let (holder, _) = patient(&app, &revoked.code).await;
    staff
        .call::<RevokeTransferCode, ()>(&[("code_id", &revoked.id)])
        .await
        .expect("revoked");
    let used_up = staff
        .call::<CreateTransferCode, CodeView>(&[("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    let (user, _) = patient(&app, &used_up.code).await;
    user.send_file("scan.png", SCAN).await.expect("sent");
    let expiring = staff
        .call::<CreateTransferCode, CodeView>(&[("lifetime_hours", "1"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    let (late, _) = patient(&app, &expiring.code).await;
    app.state.clock.advance(3600);

    let mut stranger = app.visitor();
    for code in [
        revoked.code.as_str(),
        &used_up.code,
        &expiring.code,
        "ZZZZZZ",
        "K7M-4P",
        "",
    ] {
        let opened = stranger.call::<OpenTransferCode, SendStatus>(&[("code", code)]).await;
        assert_eq!(opened, Err(invalid_code()), "{code:?}");
    }
    for visitor in [&holder, &user, &late] {
        assert_eq!(visitor.send_file("scan.png", SCAN).await, Err(invalid_code()));
    }
    assert_eq!(
        app.visitor().send_file("scan.png", SCAN).await,
        Err(invalid_code()),
        "no upload cookie"
    );
    let mut forged = app.visitor();
    forged.cookie = Some(format!("santhium_upload={}.4102444800.forged", used_up.id));
    assert_eq!(forged.send_file("scan.png", SCAN).await, Err(invalid_code()));
    assert_eq!(access(&mut forged).await, SendAccess::NoCode);
}

async fn files_must_be_what_their_names_say(backend: Backend) {
    let app = spawn_app_on(backend, &[("ALLOWED_EXTENSIONS", "pdf,png")]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (mut patient, _) = patient(&app, &code.code).await;
    let refusals = [
        ("scan.pdf", SCAN, Text::FileTypeMismatch),
        (
            "ordonnance.png",
            b"%PDF-1.7\n%%EOF\n".as_slice(),
            Text::FileTypeMismatch,
        ),
        ("photo.jpg", PHOTO, Text::FileTypeNotAllowed),
        ("setup.exe", b"MZ\x90\0\x03\0\0\0".as_slice(), Text::FileTypeNotAllowed),
        ("vide.pdf", b"".as_slice(), Text::FileEmpty),
        ("coupé.png", &SCAN[..SCAN.len() / 2], Text::ImageUnreadable),
    ];
    for (name, content, text) in refusals {
        assert_eq!(
            patient.send_file(name, content).await,
            Err(invalid("file", text)),
            "{name}"
        );
    }
    let SendAccess::Open(status) = access(&mut patient).await else {
        panic!("refused files do not use the code");
    };
    assert_eq!(status.remaining, 1);
    assert!(app.state.blobs.ids().await.expect("blobs").is_empty(), "nothing kept");
    patient
        .send_file("scan.png", SCAN)
        .await
        .expect("the right file goes through");
}

async fn an_oversized_file_is_refused_before_it_is_read_whole(backend: Backend) {
    let app = spawn_app_on(backend, &[("MAX_FILE_SIZE_MB", "1")]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (mut patient, _) = patient(&app, &code.code).await;

    // Sent without a length, as a stream of 64 KiB pieces that could go on to 100 MB.
    let (content_type, head) = multipart("énorme.pdf", b"%PDF-1.7\n");
    let head = head[..head.len() - b"\r\n--santhium-test-boundary-7MA4FWCG--\r\n".len()].to_vec();
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = pulled.clone();
    let pieces =
        stream::iter(std::iter::once(head).chain(std::iter::repeat_n(vec![b'x'; 64 * 1024], 1600))).map(move |piece| {
            counter.fetch_add(piece.len() as u64, Ordering::Relaxed);
            Ok::<_, std::io::Error>(piece)
        });
    let mut request = patient.request("POST", SendDocument::PATH, Body::from_stream(pieces));
    request
        .headers_mut()
        .insert("content-type", content_type.parse().expect("header"));
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    let pulled = pulled.load(Ordering::Relaxed);
    assert!(
        pulled < 2 * 1024 * 1024,
        "the server stopped reading after {pulled} bytes"
    );

    // Announced too large: refused before any of it is read.
    let (content_type, body) = multipart("grand.pdf", &vec![b'x'; 1024 * 1024 + 70 * 1024]);
    let mut request = patient.request("POST", SendDocument::PATH, Body::from(body));
    request
        .headers_mut()
        .insert("content-type", content_type.parse().expect("header"));
    assert_eq!(app.send(request).await.status, StatusCode::PAYLOAD_TOO_LARGE);

    let SendAccess::Open(status) = access(&mut patient).await else {
        panic!("the code is still usable");
    };
    assert_eq!(status.remaining, 1);
    assert!(app.state.blobs.ids().await.expect("blobs").is_empty());
}

async fn code_look_ups_are_limited_per_client_and_in_total(backend: Backend) {
    let app = spawn_app_on(
        backend,
        &[("CODE_LOOKUPS_PER_MINUTE", "3"), ("CODE_FAILED_LOOKUPS_PER_HOUR", "5")],
    )
    .await;
    let (_staff, code) = new_code(&app, "5").await;
    let limited = |refused: Result<SendStatus, Refused>| {
        matches!(
            refused,
            Err(Refused {
                status: StatusCode::TOO_MANY_REQUESTS,
                error: AppError::RateLimited { .. }
            })
        )
    };
    let mut guesser = app.visitor();
    guesser.ip = Some(IpAddr::from([203, 0, 113, 1]));
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC"] {
        let opened = guesser.call::<OpenTransferCode, SendStatus>(&[("code", guess)]).await;
        assert_eq!(opened, Err(invalid_code()));
    }
    let fourth = guesser
        .call::<OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await;
    assert!(limited(fourth), "even the right code, from this address, this minute");

    let mut other = app.visitor();
    other.ip = Some(IpAddr::from([203, 0, 113, 2]));
    other
        .call::<OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await
        .expect("another address is not limited");
    for guess in ["DDDDDD", "EEEEEE"] {
        assert_eq!(
            other.call::<OpenTransferCode, SendStatus>(&[("code", guess)]).await,
            Err(invalid_code())
        );
    }
    // Five failures in the hour, from any address: a typed code now needs a proof of
    // work (see the limits tests), and a QR link still opens.
    let mut newcomer = app.visitor();
    newcomer.ip = Some(IpAddr::from([192, 0, 2, 77]));
    let refused = newcomer
        .call::<OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await
        .expect_err("needs work");
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        matches!(refused.error, AppError::ProofOfWorkRequired { .. }),
        "{refused:?}"
    );
    let link = app
        .send(newcomer.request("GET", &format!("/t/{}", code.code), Body::empty()))
        .await;
    assert_eq!(link.header("location"), "/send?link=limited");

    app.state.clock.advance(3600);
    newcomer
        .call::<OpenTransferCode, SendStatus>(&[("code", &code.code)])
        .await
        .expect("the next hour");
}

async fn the_qr_link_trades_the_code_for_a_cookie_and_a_clean_address(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let mut patient = app.visitor();
    let link = code
        .upload_url
        .strip_prefix(&app.state.settings.public_url)
        .expect("on this site");
    assert!(link.starts_with("/t/") && link.len() == 3 + 22, "a long token: {link}");
    assert!(!link.contains(&code.code), "the link does not carry the code");
    let response = app.get(link).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.header("location"), "/send");
    assert_eq!(response.header("cache-control"), "no-store");
    assert_eq!(response.header("referrer-policy"), "no-referrer");
    let cookie = response.header("set-cookie");
    assert!(
        cookie.starts_with("santhium_upload=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!cookie.contains(&code.code), "the cookie does not carry the code");
    patient.cookie = cookie.split(';').next().map(str::to_owned);
    assert!(matches!(access(&mut patient).await, SendAccess::Open(_)));
    patient.send_file("scan.png", SCAN).await.expect("sent");

    let used_up = app.get(link).await;
    assert_eq!(
        used_up.header("location"),
        "/send?link=invalid",
        "a used-up code's link"
    );
    let wrong = app.get("/t/ZZZZZZ").await;
    assert_eq!(wrong.header("location"), "/send?link=invalid");
    assert_eq!(wrong.header("set-cookie"), "");
    let forged = app.get("/t/AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(forged.header("location"), "/send?link=invalid");
}

async fn codes_from_before_link_tokens_get_theirs_at_start(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    sqlx::query("UPDATE transfer_codes SET link_hash = NULL")
        .execute(&app.state.db)
        .await
        .expect("as before migration 0008");
    let link = code
        .upload_url
        .strip_prefix(&app.state.settings.public_url)
        .expect("on this site");
    assert_eq!(app.get(link).await.header("location"), "/send?link=invalid");
    let restarted = app.restarted(&[]).await;
    assert_eq!(
        restarted.get(link).await.header("location"),
        "/send",
        "the same link opens"
    );
    let printed = restarted.get(&format!("/t/{}", code.code)).await;
    assert_eq!(
        printed.header("location"),
        "/send",
        "and so does a link with the code itself"
    );
}

#[tokio::test]
async fn an_upload_that_is_not_multipart_is_refused_in_words() {
    let app = crate::support::spawn_app(&[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (patient, _) = patient(&app, &code.code).await;
    let mut request = patient.request("POST", SendDocument::PATH, Body::from("{\"file\": \"ordonnance\"}"));
    request
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.body);
    let error: AppError = serde_json::from_str(&response.body).expect("an error the page can show");
    assert_eq!(error, AppError::invalid("file", Text::UploadInterrupted));
}
