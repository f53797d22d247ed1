//! Arrival emails, sent to a real SMTP server: Python's aiosmtpd, started by the test,
//! which files each message it receives into a maildir. On SQLite and PostgreSQL.

use crate::on_both_databases;
use crate::support::{Refused, TestApp};
use crate::uploads::{new_code, patient, prescription};
use axum::http::StatusCode;
use santhium::api::staff::{ListStaff, SetNotificationEmail};
use santhium::model::staff::StaffOverview;
use santhium::server::config::Backend;
use santhium::server::notifications::send_due;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

on_both_databases!(
    arrivals_are_announced_by_count_at_most_once_per_interval,
    an_email_that_cannot_be_sent_is_sent_in_a_later_round,
);

/// An SMTP server on a free local port, stopped when dropped.
struct SmtpSink {
    process: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts aiosmtpd on a port that was free a moment ago. Another test may take that
    /// port first: then aiosmtpd cannot bind and exits, and it starts again elsewhere.
    async fn start() -> SmtpSink {
        for _ in 0..5 {
            if let Some(sink) = SmtpSink::start_on(free_port()).await {
                return sink;
            }
        }
        panic!("aiosmtpd found no free port in five tries");
    }

    async fn start_on(port: u16) -> Option<SmtpSink> {
        let maildir = tempfile::tempdir().expect("temp dir");
        let mut sink = SmtpSink {
            process: Command::new("python3")
                .args(["-m", "aiosmtpd", "--nosetuid", "--listen", &format!("127.0.0.1:{port}")])
                .args(["--class", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir.path().join("mail"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 -m aiosmtpd (scripts/install.sh --test installs it)"),
            port,
            maildir,
        };
        for _ in 0..100 {
            let exited = |sink: &mut SmtpSink| sink.process.try_wait().expect("aiosmtpd status").is_some();
            if exited(&mut sink) {
                return None;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                // What answers may still be another test's server, if this one is about
                // to fail to bind: it is ours if it keeps running.
                tokio::time::sleep(Duration::from_millis(300)).await;
                return (!exited(&mut sink)).then_some(sink);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    fn settings(&self) -> Vec<(&'static str, String)> {
        smtp_settings(self.port)
    }

    /// The messages received so far, oldest first, decoded.
    fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|dir| dir.map(|entry| entry.expect("entry").path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|file| std::fs::metadata(file).and_then(|m| m.modified()).expect("mtime"));
        files.iter().map(|file| decoded(file)).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn smtp_settings(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", port.to_string()),
        ("SMTP_SECURITY", "none".into()),
        ("SMTP_FROM", "Santhium <santhium@pharmacie.example.fr>".into()),
    ]
}

/// A message as text, its quoted-printable parts decoded.
fn decoded(file: &Path) -> String {
    let raw = std::fs::read_to_string(file)
        .expect("message")
        .replace("\r\n", "\n")
        .replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = raw.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(decoded) if byte == b'=' => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}

async fn spawn_with(backend: Backend, settings: &[(&'static str, String)]) -> TestApp {
    let vars: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::support::spawn_app_on(backend, &vars).await
}

async fn arrivals_are_announced_by_count_at_most_once_per_interval(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_with(backend, &sink.settings()).await;
    let (mut admin, code) = new_code(&app, "4").await;
    let overview: StaffOverview = admin.call::<ListStaff, _>(&[]).await.expect("listed");
    assert!(overview.notifications_available);
    assert_eq!(overview.notification_email, None);

    // Without an address, nothing is sent.
    let (sender, _) = patient(&app, &code.code).await;
    sender
        .send_file("ordonnance-camille.pdf", &prescription())
        .await
        .expect("sent");
    app.state.clock.advance(1);
    assert_eq!(send_due(&app.state).await.expect("round"), 0);

    let refused: Refused = admin
        .call::<SetNotificationEmail, ()>(&[("notification_email", "pas une adresse")])
        .await
        .expect_err("not an address");
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error.field(), Some("notification_email"));
    admin
        .call::<SetNotificationEmail, ()>(&[("notification_email", " Officine@Port.fr ")])
        .await
        .expect("set");
    let overview: StaffOverview = admin.call::<ListStaff, _>(&[]).await.expect("listed");
    assert_eq!(overview.notification_email.as_deref(), Some("officine@port.fr"));

    // What arrived before the address was set is not announced; two new ones are.
    app.state.clock.advance(2);
    assert_eq!(send_due(&app.state).await.expect("round"), 0);
    sender
        .send_file("ordonnance-camille-2.pdf", &prescription())
        .await
        .expect("sent");
    sender
        .send_file("mutuelle-camille.pdf", &prescription())
        .await
        .expect("sent");
    app.state.clock.advance(1);
    assert_eq!(send_due(&app.state).await.expect("round"), 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let email = &messages[0];
    assert!(email.contains("To: officine@port.fr"), "{email}");
    assert!(email.contains("2 nouveaux documents reçus"), "{email}");
    assert!(email.contains("2 new documents received"), "{email}");
    assert!(email.contains("http://127.0.0.1:3000/dashboard"), "{email}");
    let lower = email.to_lowercase();
    for secret in ["camille", "ordonnance", "mutuelle", "pdf", &code.code.to_lowercase()] {
        assert!(!lower.contains(secret), "{secret:?} must not be in the email: {email}");
    }

    // Another arrival within the interval waits; after it, one email covers it.
    let (second, _) = {
        let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", "Mme Martin")];
        let code: santhium::model::codes::CodeView = admin
            .call::<santhium::api::codes::CreateTransferCode, _>(&form)
            .await
            .expect("created");
        patient(&app, &code.code).await
    };
    second.send_file("photo.pdf", &prescription()).await.expect("sent");
    app.state.clock.advance(60);
    assert_eq!(send_due(&app.state).await.expect("round"), 0, "batched");
    app.state.clock.advance(4 * 60);
    assert_eq!(send_due(&app.state).await.expect("round"), 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages[1].contains("1 nouveau document reçu"), "{}", messages[1]);
    assert!(!messages[1].to_lowercase().contains("martin"));

    // Nothing new, nothing sent; an empty address stops the emails.
    app.state.clock.advance(10 * 60);
    assert_eq!(send_due(&app.state).await.expect("round"), 0);
    admin
        .call::<SetNotificationEmail, ()>(&[("notification_email", "")])
        .await
        .expect("cleared");
    sender.send_file("dernier.pdf", &prescription()).await.expect("sent");
    app.state.clock.advance(10 * 60);
    assert_eq!(send_due(&app.state).await.expect("round"), 0);
    assert_eq!(sink.messages().len(), 2);
    let changes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'notification_email_changed'")
            .fetch_one(&app.state.db)
            .await
            .expect("count");
    assert_eq!(changes, 2);
}

async fn an_email_that_cannot_be_sent_is_sent_in_a_later_round(backend: Backend) {
    // A mail server that is down: the port is held by a socket that does not listen,
    // so connections are refused and no other test can start a server there.
    let held = tokio::net::TcpSocket::new_v4().expect("socket");
    held.bind("127.0.0.1:0".parse().expect("address")).expect("bound");
    let down = held.local_addr().expect("address").port();
    let app = spawn_with(backend, &smtp_settings(down)).await;
    let (mut admin, code) = new_code(&app, "1").await;
    admin
        .call::<SetNotificationEmail, ()>(&[("notification_email", "officine@port.fr")])
        .await
        .expect("set");
    let (sender, _) = patient(&app, &code.code).await;
    sender.send_file("ordonnance.pdf", &prescription()).await.expect("sent");
    app.state.clock.advance(1);
    assert_eq!(send_due(&app.state).await.expect("round"), 0);

    // Back up, on another instance: the news was kept.
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let vars: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let restarted = app.restarted(&vars).await;
    restarted.state.clock.advance(2);
    assert_eq!(send_due(&restarted.state).await.expect("round"), 1);
    assert!(sink.messages()[0].contains("1 nouveau document reçu"));
}
