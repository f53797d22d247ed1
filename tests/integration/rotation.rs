//! Master key rotation: a new key seals at once, old values still open, and
//! `rewrap-keys` moves every sealed value to the new key, on SQLite and PostgreSQL.

use crate::accounts::enrol;
use crate::on_both_databases;
use crate::uploads::{new_code, patient};
use santhium::api::codes::{CreateTransferCode, ListTransferCodes};
use santhium::api::documents::ListDocuments;
use santhium::model::codes::{CodeView, TransferCodes};
use santhium::model::documents::DocumentPage;
use santhium::server::config::Backend;
use santhium::server::key_rotation::RotationError;
use santhium::server::key_rotation::reseal_all;
use santhium::server::keys::bound_to;
use santhium::server::keys::{ResealError, Sealed};
use santhium::server::repo::sealed::SealedColumn;
use sqlx::Row;

on_both_databases!(a_new_master_key_takes_over_and_rewrap_keys_moves_everything_to_it);

const K1: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const K2: &str = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

fn moved(report: &[santhium::server::key_rotation::Resealed]) -> Vec<(SealedColumn, usize, usize)> {
    report.iter().map(|r| (r.column, r.moved, r.total)).collect()
}

async fn a_new_master_key_takes_over_and_rewrap_keys_moves_everything_to_it(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[("ENCRYPTION_KEY", K1)]).await;
    let (mut staff, _) = new_code(&app, "2").await;
    enrol(&app, &mut staff).await;
    let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", "M. Petit")];
    let old_code = staff
        .call::<CreateTransferCode, CodeView>(&form)
        .await
        .expect("created");
    let (sender, _) = patient(&app, &old_code.code).await;
    // A scan carrying an e-prescription's QR code, whose text is sealed too.
    let scan = crate::images::qr_png("2025-ROTATION-0001", 4);
    sender.send_file("ordonnance.png", &scan).await.expect("sent");

    // A new key takes over; the old one still opens what it sealed.
    let rotated = app
        .restarted(&[("ENCRYPTION_KEY", K2), ("PREVIOUS_ENCRYPTION_KEYS", K1)])
        .await;
    let mut staff_now = rotated.visitor();
    staff_now.cookie = staff.cookie.clone();
    let new_code: CodeView = staff_now.call::<CreateTransferCode, _>(&form).await.expect("created");
    let codes: TransferCodes = staff_now
        .call::<ListTransferCodes, _>(&[])
        .await
        .expect("old and new open");
    assert_eq!(codes.active.len() + codes.history.len(), 3);
    let sealed_with = |blob: Vec<u8>| Sealed::from_blob(&blob).expect("sealed").key_id;
    let code_key: String = sqlx::query("SELECT code_ciphertext FROM transfer_codes WHERE id = $1")
        .bind(&new_code.id)
        .fetch_one(&app.state.db)
        .await
        .map(|row| sealed_with(row.get(0)))
        .expect("new code");
    assert_eq!(code_key, "k2");

    // Without the old key, old values cannot move.
    let k2_alone = app.restarted(&[("ENCRYPTION_KEY", K2)]).await;
    let refused = reseal_all(&app.state.db, &k2_alone.state.settings.encryption_key).await;
    assert!(
        matches!(refused, Err(RotationError::Reseal { source: ResealError::UnknownKey(ref id), .. }) if id == "k1"),
        "{refused:?}"
    );

    let keyring = &rotated.state.settings.encryption_key;
    let report = reseal_all(&app.state.db, keyring).await.expect("rewrapped");
    assert_eq!(
        moved(&report),
        [
            (SealedColumn::DocumentKey, 1, 1),
            (SealedColumn::DocumentQrCodes, 1, 1),
            (SealedColumn::TransferCode, 2, 3),
            (SealedColumn::TransferCodeNote, 1, 2),
            (SealedColumn::TotpSecret, 1, 1),
            (SealedColumn::PendingTotpSecret, 0, 0),
        ]
    );
    let again = reseal_all(&app.state.db, keyring).await.expect("rewrapped");
    assert!(again.iter().all(|r| r.moved == 0), "a second run has nothing to do");

    // Now the new key alone opens everything: codes, notes, the second factor, documents.
    let k2 = &k2_alone.state.settings.encryption_key;
    let mut staff_k2 = k2_alone.visitor();
    staff_k2.cookie = staff.cookie.clone();
    let codes: TransferCodes = staff_k2.call::<ListTransferCodes, _>(&[]).await.expect("opens with k2");
    assert!(
        codes
            .history
            .iter()
            .chain(&codes.active)
            .any(|c| c.note.as_deref() == Some("M. Petit"))
    );
    let user = sqlx::query("SELECT id, totp_secret FROM users")
        .fetch_one(&app.state.db)
        .await
        .expect("user");
    let totp = Sealed::from_blob(&user.get::<Vec<u8>, _>("totp_secret")).expect("sealed");
    assert!(
        k2.open(&totp, &bound_to::totp_secret(&user.get::<String, _>("id")))
            .is_ok()
    );
    let document = sqlx::query("SELECT id, pharmacy_id, key_id, wrapped_key FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    let (id, pharmacy_id, key_id): (String, String, String) =
        (document.get("id"), document.get("pharmacy_id"), document.get("key_id"));
    assert_eq!(key_id, "k1", "the key the document arrived under stays in its context");
    let wrapped = Sealed::from_blob(&document.get::<Vec<u8>, _>("wrapped_key")).expect("sealed");
    assert_eq!(wrapped.key_id, "k2");
    let data_key = k2
        .unwrap(&wrapped, &bound_to::document(&pharmacy_id, &id, &key_id))
        .expect("unwraps");
    let stored = santhium::server::blob_store::read_all(&app.state.blobs, &id)
        .await
        .expect("blob");
    let (header, body) = stored.split_at(santhium::server::sealed_stream::HEADER_LEN);
    let context = bound_to::document(&pharmacy_id, &id, &key_id);
    let content = santhium::server::sealed_stream::Opener::new(&data_key, &context, header)
        .expect("header")
        .open_all(body)
        .expect("opens");
    assert_eq!(content, scan, "the content itself never needed re-encrypting");
    let documents: DocumentPage = staff_k2
        .call::<ListDocuments, _>(&[("skip", "0"), ("limit", "20")])
        .await
        .expect("opens with k2");
    assert_eq!(documents.documents[0].qr_codes, ["2025-ROTATION-0001"]);
}
