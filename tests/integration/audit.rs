//! The audit trail as the admin reads and exports it, on SQLite and PostgreSQL.

use crate::accounts::register;
use crate::on_both_databases;
use crate::uploads::{new_code, patient, prescription};
use axum::body::Body;
use axum::http::StatusCode;
use santhium::api::audit::ListAuditEvents;
use santhium::api::codes::CreateTransferCode;
use santhium::api::staff::CreateStaff;
use santhium::model::audit::{AuditFilter, AuditPage, EXPORT_PATH};
use santhium::model::codes::CodeView;
use santhium::model::staff::NewStaffAccount;
use santhium::server::config::Backend;

on_both_databases!(the_admin_pages_filters_and_exports_the_trail);

/// The cells of a CSV file, parsed as a spreadsheet would.
fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|record| record.expect("well-formed").iter().map(str::to_owned).collect())
        .collect()
}

async fn the_admin_pages_filters_and_exports_the_trail(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (mut admin, code) = new_code(&app, "1").await;
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("ordonnance.pdf", &prescription()).await.expect("sent");
    let form = [
        ("email", "formule@a.fr"),
        ("full_name", "=HYPERLINK(\"http://evil.example\",\"x\")"),
        ("role", "Pharmacist"),
    ];
    admin
        .call::<CreateStaff, NewStaffAccount>(&form)
        .await
        .expect("created");
    for _ in 0..60 {
        let form = [("lifetime_hours", "1"), ("max_uses", "1"), ("note", "")];
        admin
            .call::<CreateTransferCode, CodeView>(&form)
            .await
            .expect("created");
    }

    let first: AuditPage = admin.call::<ListAuditEvents, _>(&[]).await.expect("listed");
    assert_eq!(first.events.len(), 50);
    assert!(first.events.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let older = first.older.expect("an older page").to_string();
    let second: AuditPage = admin
        .call::<ListAuditEvents, _>(&[("before", &older)])
        .await
        .expect("listed");
    let actions: Vec<&str> = second.events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"document_received") && actions.contains(&"pharmacy_registered"),
        "{actions:?}"
    );
    assert_eq!(second.older, None);
    let received: AuditPage = admin
        .call::<ListAuditEvents, _>(&[("filter[action]", "document_received")])
        .await
        .expect("listed");
    assert_eq!(received.events.len(), 1);
    assert_eq!(received.events[0].user, None, "a patient has no account");
    assert_eq!(received.events[0].ip.as_deref(), Some("198.51.100.23"));

    let export = app.send(admin.request("GET", EXPORT_PATH, Body::empty())).await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.header("content-type"), "text/csv; charset=utf-8");
    assert!(export.header("content-disposition").starts_with("attachment;"));
    let rows = parse_csv(&export.bytes);
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE pharmacy_id IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(rows.len() as i64, events, "every event of the pharmacy, in batches");
    let created = rows
        .iter()
        .find(|r| r[4] == "user_created")
        .expect("the new member's creation");
    assert_eq!(created[1], "Camille Martin");
    let upload = rows.iter().find(|r| r[4] == "document_received").expect("the upload");
    assert_eq!(upload[5], "Document reçu");
    assert!(upload[9].contains("type=application/pdf"));
    assert!(upload[0].ends_with('Z'), "ISO 8601 in UTC: {}", upload[0]);
    assert!(
        !export.body.contains(",=HYPERLINK") && !export.body.contains("\"=HYPERLINK"),
        "no cell starts with a formula"
    );

    // Dates narrow the page and the export alike: later on, only what happens then.
    app.state.clock.advance(20 * 60);
    let later = app.state.clock.now();
    admin
        .call::<CreateTransferCode, CodeView>(&[("lifetime_hours", "1"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    let since = later.to_string();
    let recent: AuditPage = admin
        .call::<ListAuditEvents, _>(&[("filter[from]", &since)])
        .await
        .expect("listed");
    let recent: Vec<&str> = recent.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(recent, ["code_created"]);
    let before: AuditPage = admin
        .call::<ListAuditEvents, _>(&[("filter[until]", &since), ("filter[action]", "code_created")])
        .await
        .expect("listed");
    assert_eq!(before.events.len(), 50, "the 60 earlier codes, a page of them");
    assert!(before.events.iter().all(|e| e.occurred_at < later));
    let filter = AuditFilter {
        action: Some("code_created".into()),
        from: Some(later),
        until: None,
    };
    let narrowed = parse_csv(
        &app.send(admin.request("GET", &filter.export_path(), Body::empty()))
            .await
            .bytes,
    );
    assert_eq!(narrowed.len(), 1);
    assert_eq!(narrowed[0][4], "code_created");

    let other = register(&app, "Pharmacie d'en face", "face@pharmacie.fr").await;
    let theirs = parse_csv(&app.send(other.request("GET", EXPORT_PATH, Body::empty())).await.bytes);
    assert!(
        theirs.iter().all(|r| r[4] != "document_received"),
        "their own trail only"
    );
    assert_eq!(app.get(EXPORT_PATH).await.status, StatusCode::UNAUTHORIZED);
}
