//! Arrival emails: when documents arrive, the pharmacy's notification address gets an
//! email saying how many, with a link to the dashboard, and nothing else: no patient
//! data, no file name, no code. One email covers every document received since the
//! last one, and a pharmacy gets at most one every `NOTIFICATION_INTERVAL_MINUTES`.
//!
//! The mark of what was announced lives in the database (`notified_through`), moved by
//! compare-and-set before sending, so instances sharing a database never send the same
//! news twice; a failed send moves it back, and the next round tries again.

use crate::server::config::{Smtp, SmtpSecurity};
use crate::server::jobs;
use crate::server::repo::documents::{self, ListFilter};
use crate::server::repo::pharmacies::{self, DueNotification, NotificationMark};
use crate::server::state::AppState;
use lettre::address::AddressError;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How often one of the instances looks for news to send.
const ROUND_SECS: i64 = 60;

type Mailer = AsyncSmtpTransport<Tokio1Executor>;

fn mailer(smtp: &Smtp) -> Result<Mailer, lettre::transport::smtp::Error> {
    let builder = match smtp.security {
        SmtpSecurity::Tls => Mailer::relay(&smtp.host)?,
        SmtpSecurity::StartTls => Mailer::starttls_relay(&smtp.host)?,
        SmtpSecurity::None => Mailer::builder_dangerous(&smtp.host),
    };
    let builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(20)));
    Ok(match &smtp.credentials {
        Some((user, password)) => builder.credentials(Credentials::new(user.clone(), password.clone())),
        None => builder,
    }
    .build())
}

/// The email announcing `count` documents: a count and a link, in French then English.
fn message(smtp: &Smtp, to: Mailbox, count: i64, dashboard: &str) -> Result<Message, lettre::error::Error> {
    let (fr, en) = if count == 1 {
        (
            "1 nouveau document reçu".to_owned(),
            "1 new document received".to_owned(),
        )
    } else {
        (
            format!("{count} nouveaux documents reçus"),
            format!("{count} new documents received"),
        )
    };
    let body =
        format!("{fr} sur Santhium.\nConsultez-les : {dashboard}\n\n{en} on Santhium.\nSee them at: {dashboard}\n");
    Message::builder()
        .from(smtp.from.clone())
        .to(to)
        .subject(format!("Santhium : {fr}"))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
}

/// Sends what is due now; returns how many emails went out.
pub async fn send_due(state: &AppState) -> Result<u32, sqlx::Error> {
    let Some(smtp) = &state.settings.smtp else {
        return Ok(0);
    };
    let mailer = match mailer(smtp) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(%error, "SMTP_HOST: cannot prepare the mail server connection");
            return Ok(0);
        }
    };
    let now = state.clock.now();
    // Documents of the current second go to the next email, so none is missed.
    let sending = NotificationMark {
        through: now - 1,
        sent_at: Some(now),
    };
    let last_before = now - i64::from(state.settings.notification_minutes) * 60;
    let mut sent = 0;
    for due in pharmacies::due_notifications(&state.db, sending.through, last_before).await? {
        if send_one(state, smtp, &mailer, &due, sending).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

async fn send_one(
    state: &AppState,
    smtp: &Smtp,
    mailer: &Mailer,
    due: &DueNotification,
    sending: NotificationMark,
) -> Result<bool, sqlx::Error> {
    if !pharmacies::move_notification_mark(&state.db, &due.id, due.mark(), sending).await? {
        return Ok(false);
    }
    let arrived = ListFilter {
        pharmacy_id: &due.id,
        viewed: None,
        code_id: None,
        received_from: Some(due.notified_through + 1),
        received_before: Some(sending.through + 1),
        name_like: None,
    };
    let count = documents::count(&state.db, &arrived).await?;
    let dashboard = format!("{}/dashboard", state.settings.public_url);
    let sent = async {
        if count == 0 {
            return Err("the documents were deleted meanwhile".to_owned());
        }
        let to = due
            .notification_email
            .parse()
            .map_err(|e: AddressError| e.to_string())?;
        let email = message(smtp, to, count, &dashboard).map_err(|e| e.to_string())?;
        mailer.send(email).await.map(drop).map_err(|e| e.to_string())
    }
    .await;
    match sent {
        Ok(()) => {
            tracing::info!(pharmacy = %due.id, documents = count, "arrival email sent");
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(pharmacy = %due.id, %error, "arrival email not sent; trying again next round");
            pharmacies::move_notification_mark(&state.db, &due.id, sending, due.mark()).await?;
            Ok(false)
        }
    }
}

/// Looks for news every minute on one of the instances, from start until the server
/// stops, when SMTP is set.
pub async fn run(state: AppState) {
    if state.settings.smtp.is_none() {
        return;
    }
    jobs::every(state, "notifications", ROUND_SECS, |state| async move {
        send_due(&state).await.map(drop)
    })
    .await;
}
