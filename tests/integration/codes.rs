//! Transfer codes from the pharmacist's side, on SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::support::{Refused, invalid, spawn_app_on};
use axum::http::StatusCode;
use santhium::api::codes::{CreateTransferCode, ListTransferCodes, RevokeTransferCode};
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::codes::{CodeStatus, CodeView, TransferCodes};
use santhium::server::config::Backend;
use santhium::server::transfer_codes::TransferCode;
use sqlx::Row;

on_both_databases!(
    codes_are_created_listed_revoked_and_expire,
    code_choices_are_checked,
    codes_and_notes_are_stored_sealed,
    another_pharmacy_neither_sees_nor_revokes_a_code,
);

async fn codes_are_created_listed_revoked_and_expire(backend: Backend) {
    // Sessions outlive the hour the clock moves forward below.
    let app = spawn_app_on(
        backend,
        &[
            ("PUBLIC_URL", "https://pharmacie.example.fr"),
            ("SESSION_IDLE_MINUTES", "120"),
            ("CODE_EXPIRATION_HOURS", "48"),
        ],
    )
    .await;
    let mut staff = register(&app, "Pharmacie du Centre", "centre@pharmacie.fr").await;
    let form = [
        ("lifetime_hours", "24"),
        ("max_uses", "2"),
        ("note", " Mme Durand, renouvellement "),
    ];
    let code: CodeView = staff.call::<CreateTransferCode, _>(&form).await.expect("created");
    assert!(TransferCode::parse(&code.code).is_some(), "{}", code.code);
    let token = code
        .upload_url
        .strip_prefix("https://pharmacie.example.fr/t/")
        .expect("a link to this site");
    assert_eq!(token.len(), 22, "{token}");
    assert!(!token.contains(&code.code), "the link is no way to the code");
    assert_eq!(
        (code.max_uses, code.current_uses, code.status),
        (2, 0, CodeStatus::Active)
    );
    assert_eq!(code.note.as_deref(), Some("Mme Durand, renouvellement"));
    assert_eq!(code.expires_at - code.created_at, 24 * 3600);

    let codes: TransferCodes = staff.call::<ListTransferCodes, _>(&[]).await.expect("listed");
    assert_eq!(
        codes.default_lifetime_hours, 48,
        "the form offers CODE_EXPIRATION_HOURS first"
    );
    assert_eq!((codes.active, codes.history), (vec![code.clone()], vec![]));

    staff
        .call::<RevokeTransferCode, ()>(&[("code_id", &code.id)])
        .await
        .expect("revoked");
    let again = staff.call::<RevokeTransferCode, ()>(&[("code_id", &code.id)]).await;
    assert_eq!(
        again,
        Err(Refused {
            status: StatusCode::NOT_FOUND,
            error: AppError::NotFound
        })
    );
    let short: CodeView = staff
        .call::<CreateTransferCode, _>(&[("lifetime_hours", "1"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    assert_eq!(short.note, None);
    app.state.clock.advance(3600);

    let codes: TransferCodes = staff.call::<ListTransferCodes, _>(&[]).await.expect("listed");
    assert!(codes.active.is_empty());
    // Both were created within the same second, so their order is not asserted.
    let mut statuses: Vec<(String, CodeStatus)> = codes.history.into_iter().map(|c| (c.id, c.status)).collect();
    let mut expected = vec![(short.id, CodeStatus::Expired), (code.id, CodeStatus::Revoked)];
    statuses.sort_by(|a, b| a.0.cmp(&b.0));
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(statuses, expected);
}

async fn code_choices_are_checked(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut staff = register(&app, "Pharmacie du Port", "port@pharmacie.fr").await;
    let long_note = "n".repeat(201);
    for (lifetime, uses, note, expected) in [
        ("0", "1", "", invalid("lifetime_hours", Text::CodeLifetimeOutOfRange)),
        ("721", "1", "", invalid("lifetime_hours", Text::CodeLifetimeOutOfRange)),
        ("24", "0", "", invalid("max_uses", Text::CodeUsesOutOfRange)),
        ("24", "21", "", invalid("max_uses", Text::CodeUsesOutOfRange)),
        ("24", "1", long_note.as_str(), invalid("note", Text::TooLong)),
    ] {
        let form = [("lifetime_hours", lifetime), ("max_uses", uses), ("note", note)];
        assert_eq!(
            staff.call::<CreateTransferCode, CodeView>(&form).await,
            Err(expected),
            "{lifetime} h, {uses} uses"
        );
    }
    let longest = [
        ("lifetime_hours", "720"),
        ("max_uses", "20"),
        ("note", &"n".repeat(200)),
    ];
    assert!(
        staff.call::<CreateTransferCode, CodeView>(&longest).await.is_ok(),
        "30 days, 20 documents"
    );
}

async fn codes_and_notes_are_stored_sealed(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut staff = register(&app, "Pharmacie des Halles", "halles@pharmacie.fr").await;
    let note = "Mme Durand, renouvellement";
    let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", note)];
    let code: CodeView = staff.call::<CreateTransferCode, _>(&form).await.expect("created");
    let row = sqlx::query("SELECT lookup_hash, code_ciphertext, note_ciphertext FROM transfer_codes WHERE id = $1")
        .bind(&code.id)
        .fetch_one(&app.state.db)
        .await
        .expect("row");
    let lookup: String = row.try_get("lookup_hash").expect("text");
    let sealed_code: Vec<u8> = row.try_get("code_ciphertext").expect("bytes");
    let sealed_note: Vec<u8> = row.try_get("note_ciphertext").expect("bytes");
    assert!(!lookup.contains(&code.code));
    assert!(
        !sealed_code.windows(6).any(|w| w == code.code.as_bytes()),
        "the code is sealed"
    );
    assert!(!sealed_note.windows(6).any(|w| w == b"Durand"), "the note is sealed");
}

async fn another_pharmacy_neither_sees_nor_revokes_a_code(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut ours = register(&app, "Pharmacie A", "a@pharmacie.fr").await;
    let mut theirs = register(&app, "Pharmacie B", "b@pharmacie.fr").await;
    let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")];
    let code: CodeView = ours.call::<CreateTransferCode, _>(&form).await.expect("created");

    let listed: TransferCodes = theirs.call::<ListTransferCodes, _>(&[]).await.expect("listed");
    assert!(listed.active.is_empty() && listed.history.is_empty());
    let revoke = theirs.call::<RevokeTransferCode, ()>(&[("code_id", &code.id)]).await;
    assert_eq!(
        revoke,
        Err(Refused {
            status: StatusCode::NOT_FOUND,
            error: AppError::NotFound
        })
    );
    let mut anonymous = app.visitor();
    let refused = anonymous
        .call::<CreateTransferCode, CodeView>(&form)
        .await
        .map_err(|r| r.status);
    assert_eq!(refused, Err(StatusCode::UNAUTHORIZED));
    let still: TransferCodes = ours.call::<ListTransferCodes, _>(&[]).await.expect("listed");
    assert_eq!(still.active.len(), 1);
}
