//! The retention sweep, with the clock moved forward, on SQLite and PostgreSQL.

use crate::on_both_databases;
use crate::support::{TestApp, invalid, spawn_app_on};
use crate::uploads::{new_code, patient, prescription};
use santhium::api::codes::CreateTransferCode;
use santhium::api::staff::{ListStaff, SetRetentionDays};
use santhium::i18n::Text;
use santhium::model::codes::CodeView;
use santhium::model::staff::StaffOverview;
use santhium::server::config::Backend;
use santhium::server::retention::{Swept, sweep};

on_both_databases!(
    documents_go_after_their_retention_and_ended_codes_after_the_grace,
    nothing_is_deleted_when_auto_delete_is_off,
    the_admin_sets_the_retention_and_documents_follow,
);

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&app.state.db)
        .await
        .expect("count")
}

async fn documents_go_after_their_retention_and_ended_codes_after_the_grace(backend: Backend) {
    let app = spawn_app_on(
        backend,
        &[("DATA_RETENTION_DAYS", "30"), ("SESSION_IDLE_MINUTES", "1440")],
    )
    .await;
    let (mut staff, used) = new_code(&app, "2").await;
    let form = [("lifetime_hours", "720"), ("max_uses", "1"), ("note", "")];
    let long_lived: CodeView = staff.call::<CreateTransferCode, _>(&form).await.expect("created");
    let (sender, _) = patient(&app, &used.code).await;
    sender.send_file("a.pdf", &prescription()).await.expect("sent");
    app.state.clock.advance(HOUR);
    sender.send_file("b.pdf", &prescription()).await.expect("sent");
    assert_eq!(sweep(&app.state).await.expect("swept"), Swept::default());

    // 30 days after the first upload: it goes, the second stays one more hour.
    app.state.clock.advance(30 * DAY - HOUR);
    assert_eq!(
        sweep(&app.state).await.expect("swept"),
        Swept { documents: 1, codes: 1 }
    );
    assert_eq!(count(&app, "documents").await, 1);
    assert_eq!(
        app.state.blobs.ids().await.expect("blobs").len(),
        1,
        "its content went with it"
    );
    assert_eq!(sweep(&app.state).await.expect("swept"), Swept::default(), "idempotent");

    app.state.clock.advance(HOUR);
    assert_eq!(sweep(&app.state).await.expect("swept").documents, 1);
    assert_eq!(count(&app, "documents").await, 0);
    assert!(app.state.blobs.ids().await.expect("blobs").is_empty());

    // The used-up code went a week after its last use; the 30-day code is still there
    // until a week after it expires.
    let remaining: Vec<String> = sqlx::query_scalar("SELECT id FROM transfer_codes")
        .fetch_all(&app.state.db)
        .await
        .expect("codes");
    assert_eq!(remaining, [long_lived.id]);
    app.state.clock.advance(7 * DAY);
    assert_eq!(sweep(&app.state).await.expect("swept").codes, 1);
    assert_eq!(count(&app, "transfer_codes").await, 0);
}

async fn nothing_is_deleted_when_auto_delete_is_off(backend: Backend) {
    let app = spawn_app_on(backend, &[("AUTO_DELETE_ENABLED", "false")]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("a.pdf", &prescription()).await.expect("sent");
    app.state.clock.advance(400 * DAY);
    assert_eq!(sweep(&app.state).await.expect("swept").documents, 0);
    assert_eq!(count(&app, "documents").await, 1);
    assert_eq!(app.state.blobs.ids().await.expect("blobs").len(), 1);
}

async fn the_admin_sets_the_retention_and_documents_follow(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (mut admin, code) = new_code(&app, "1").await;
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("a.pdf", &prescription()).await.expect("sent");
    admin.call::<SetRetentionDays, ()>(&[("days", "7")]).await.expect("set");
    let overview: StaffOverview = admin.call::<ListStaff, _>(&[]).await.expect("listed");
    assert_eq!(overview.retention_days, 7);
    let kept: i64 = sqlx::query_scalar("SELECT deletion_date - uploaded_at FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    assert_eq!(kept, 7 * DAY, "documents already received follow the new period");
    for days in ["0", "91"] {
        assert_eq!(
            admin.call::<SetRetentionDays, ()>(&[("days", days)]).await,
            Err(invalid("days", Text::RetentionOutOfRange))
        );
    }
    app.state.clock.advance(7 * DAY);
    assert_eq!(sweep(&app.state).await.expect("swept").documents, 1);
}
