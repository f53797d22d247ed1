//! The retention sweep, with the clock moved forward, on SQLite and PostgreSQL.

use crate::on_both_databases;
use crate::support::{TestApp, invalid, multipart, spawn_app_on};
use crate::uploads::{new_code, patient, prescription};
use axum::body::Body;
use futures_util::StreamExt;
use leptos::server_fn::ServerFn;
use santhium::api::codes::CreateTransferCode;
use santhium::api::send::SendDocument;
use santhium::api::staff::{ListStaff, SetRetentionDays};
use santhium::i18n::Text;
use santhium::model::codes::CodeView;
use santhium::model::staff::StaffOverview;
use santhium::server::config::Backend;
use santhium::server::repo::job_leases;
use santhium::server::retention::{Swept, sweep};

on_both_databases!(
    documents_go_after_their_retention_and_ended_codes_after_the_grace,
    nothing_is_deleted_when_auto_delete_is_off,
    the_admin_sets_the_retention_and_documents_follow,
    content_left_without_a_row_goes_once_older_than_any_upload,
    an_upload_its_instance_abandoned_gives_its_use_back_and_leaves_nothing,
    a_job_lease_goes_to_one_instance_until_it_expires,
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
        Swept {
            documents: 1,
            codes: 1,
            ..Swept::default()
        }
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

async fn content_left_without_a_row_goes_once_older_than_any_upload(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (patient, _) = patient(&app, &code.code).await;
    patient.send_file("a.pdf", &prescription()).await.expect("sent");
    let kept = app.state.blobs.ids().await.expect("blobs");
    // What a failure between writing a blob and its row leaves behind.
    let mut orphan = app.state.blobs.create("5b0c7f52-orphan").expect("create");
    orphan.write(&b"sealed"[..]).await.expect("write");
    orphan.commit().await.expect("commit");

    assert_eq!(
        sweep(&app.state).await.expect("swept").orphans,
        0,
        "it could be an upload in flight"
    );
    app.state.clock.advance(app.state.settings.longest_upload_secs() + 1);
    assert_eq!(sweep(&app.state).await.expect("swept").orphans, 1);
    assert_eq!(
        app.state.blobs.ids().await.expect("blobs"),
        kept,
        "the document's content stays"
    );
}

/// An upload whose instance died mid-way (here, its task is dropped with the body half
/// sent) holds its code's use until its reservation expires; the sweep then gives the
/// use back, once, and nothing of the upload stays.
async fn an_upload_its_instance_abandoned_gives_its_use_back_and_leaves_nothing(backend: Backend) {
    let app = spawn_app_on(backend, &[("MAX_FILE_SIZE_MB", "10")]).await;
    let (_staff, code) = new_code(&app, "1").await;
    let (sender, _) = patient(&app, &code.code).await;
    let (content_type, head) = multipart("long.pdf", b"%PDF-1.7\n");
    let head = head[..head.len() - b"\r\n--santhium-test-boundary-7MA4FWCG--\r\n".len()].to_vec();
    // Six MiB, so that in a bucket a part is sent, then nothing more.
    let sent = futures_util::stream::iter([head, vec![b'x'; 6 * 1024 * 1024]])
        .map(Ok::<_, std::io::Error>)
        .chain(futures_util::stream::pending());
    let mut request = sender.request("POST", SendDocument::PATH, Body::from_stream(sent));
    request
        .headers_mut()
        .insert("content-type", content_type.parse().expect("header"));
    let router = app.router.clone();
    let upload = tokio::spawn(async move { tower::ServiceExt::oneshot(router, request).await });
    for _ in 0..100 {
        if count(&app, "upload_reservations").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    upload.abort();
    assert_eq!(count(&app, "upload_reservations").await, 1, "the upload was under way");
    assert!(
        sender.send_file("b.pdf", &prescription()).await.is_err(),
        "its use is held"
    );

    assert_eq!(sweep(&app.state).await.expect("swept").uploads, 0, "not expired yet");
    app.state.clock.advance(app.state.settings.longest_upload_secs() + 1);
    assert_eq!(sweep(&app.state).await.expect("swept").uploads, 1);
    assert_eq!(sweep(&app.state).await.expect("swept").uploads, 0, "given back once");
    assert_eq!(count(&app, "upload_reservations").await, 0);
    let (later, _) = patient(&app, &code.code).await;
    later
        .send_file("b.pdf", &prescription())
        .await
        .expect("the use is back");
    assert_eq!(count(&app, "documents").await, 1);
    assert_eq!(
        app.state.blobs.ids().await.expect("blobs").len(),
        1,
        "nothing of the first"
    );
}

/// Ten instances racing for a job: one takes it for the period; once the period is over
/// (its holder died, or is done), another can.
async fn a_job_lease_goes_to_one_instance_until_it_expires(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let other = app.restarted(&[]).await;
    let now = app.state.clock.now();
    let races = (0..10).map(|n| {
        let db = if n % 2 == 0 {
            app.state.db.clone()
        } else {
            other.state.db.clone()
        };
        tokio::spawn(async move { job_leases::take(&db, "retention", &format!("instance-{n}"), now, now + 60).await })
    });
    let taken: Vec<bool> = futures_util::future::join_all(races)
        .await
        .into_iter()
        .map(|race| race.expect("task").expect("lease"))
        .collect();
    assert_eq!(taken.iter().filter(|t| **t).count(), 1, "{taken:?}");
    assert!(
        !job_leases::take(&app.state.db, "retention", "late", now + 59, now + 119)
            .await
            .expect("lease")
    );
    assert!(
        job_leases::take(&app.state.db, "notifications", "late", now + 59, now + 119)
            .await
            .expect("lease"),
        "each job has its own lease"
    );
    assert!(
        job_leases::take(&other.state.db, "retention", "next", now + 60, now + 120)
            .await
            .expect("lease")
    );
}
