//! Two release servers on one PostgreSQL database and one S3 bucket (SeaweedFS, started
//! by `make test`), as several instances run behind a load balancer: whatever instance
//! a request lands on, the answer is the same, limits count across both, and an
//! instance killed mid-upload leaves nothing and burns nothing.

use super::{PASSWORD, Server, free_port, loopback, request, wrong_login};
use leptos::server_fn::ServerFn;
use santhium::api::auth::Login;
use santhium::api::documents::PreviewDocument;
use santhium::server::blob_store::BlobStore;
use santhium::server::config::storage::Storage;
use santhium::server::config::{DatabaseUrl, Env, Settings};
use santhium::server::db;
use serde_json::json;
use sqlx::{AnyPool, Executor};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn postgres_server() -> String {
    std::env::var("SANTHIUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Runs `statement` on the tests' PostgreSQL server.
async fn on_postgres(statement: &str) {
    let url = DatabaseUrl::parse(&format!("{}/postgres", postgres_server())).expect("URL");
    let admin = db::connect(&url)
        .await
        .expect("PostgreSQL answers (make test starts it)");
    admin.execute(statement).await.expect("a statement on the server");
    admin.close().await;
}

/// What both instances share: the database, the bucket and the keys.
fn shared_settings(database: &str, bucket: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database.to_owned()),
        ("STORAGE_URL", format!("s3://santhium-test/{bucket}")),
        (
            "AWS_ENDPOINT_URL",
            std::env::var("SANTHIUM_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:8333".into()),
        ),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "santhium-test".into()),
        ("AWS_SECRET_ACCESS_KEY", "santhium-test-secret".into()),
        (
            "SECRET_KEY",
            "c2FudGhpdW0gaW5zdGFuY2VzIHRlc3Qgc2VjcmV0IGtleSAxMjM0NTY=".into(),
        ),
        (
            "ENCRYPTION_KEY",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
        ),
        // One site for both, as behind a load balancer.
        ("PUBLIC_URL", SITE.into()),
        ("PREVIEW_URL", PREVIEWS.into()),
        ("LOGIN_MAX_FAILURES", "3".into()),
        ("CODE_LOOKUPS_PER_MINUTE", "4".into()),
        ("RETENTION_SWEEP_MINUTES", "1".into()),
        // An upload lasts at most 8 MiB at 1 MB/s plus half a minute: 38 s.
        ("MAX_FILE_SIZE_MB", "8".into()),
        ("BODY_MIN_BYTES_PER_SECOND", "1000000".into()),
    ]
}

/// The bucket's documents, as the instances see them.
async fn bucket_ids(vars: &[(&str, String)]) -> Vec<String> {
    let vars: HashMap<&str, &String> = vars.iter().map(|(k, v)| (*k, v)).collect();
    let settings = Settings::from_env(&Env(|name| vars.get(name).map(|v| v.to_string()))).expect("settings");
    assert!(matches!(settings.storage, Storage::S3(_)), "a bucket");
    let store = BlobStore::connect(&settings.storage).await.expect("the bucket");
    store.ids().await.expect("listed")
}

/// One HTTP/1.1 exchange with a raw body; the status and the body, de-chunked.
async fn exchange(addr: SocketAddr, from: Option<IpAddr>, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = exchange_with_head(addr, from, head, body).await;
    (status, body)
}

/// One HTTP/1.1 exchange with a raw body; the status, the response's head and its body,
/// de-chunked.
async fn exchange_with_head(addr: SocketAddr, from: Option<IpAddr>, head: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut stream = super::connect(addr, from).await;
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body).await.expect("body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let (head, mut rest) = answer.split_at(split);
    let head = String::from_utf8_lossy(head).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return (status, head, rest.to_vec());
    }
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).expect("hex"), 16).expect("size");
        if size == 0 {
            return (status, head, body);
        }
        body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
}

const BOUNDARY: &str = "santhium-instances";
const SITE: &str = "http://santhium.test";
const PREVIEWS: &str = "http://apercu.santhium.test";

/// A server function called from the site's pages, with `cookie`; the status, the
/// response's head and its body.
async fn page_call(addr: SocketAddr, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: santhium.test\r\nOrigin: {SITE}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        form.len()
    );
    exchange_with_head(addr, None, &head, form.as_bytes()).await
}

fn upload_head(addr: SocketAddr, length: usize) -> String {
    format!(
        "POST /api/v1/documents/upload HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
    )
}

fn upload_body(code: &str, content: &[u8]) -> Vec<u8> {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n{code}\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"ordonnance.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    [head.as_bytes(), content, format!("\r\n--{BOUNDARY}--\r\n").as_bytes()].concat()
}

async fn upload(addr: SocketAddr, from: Option<IpAddr>, code: &str, content: &[u8]) -> (u16, serde_json::Value) {
    let body = upload_body(code, content);
    let (status, answer) = exchange(addr, from, &upload_head(addr, body.len()), &body).await;
    (status, serde_json::from_slice(&answer).unwrap_or_default())
}

fn prescription(tag: u8, size: u32) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n% Ordonnance\n".to_vec();
    pdf.extend((0..size).map(|i| b"0123456789 obj endobj\n"[(i % 22) as usize] ^ (tag & 1)));
    pdf.extend(b"\n%%EOF\n");
    pdf
}

async fn new_code(addr: SocketAddr, auth: &str) -> String {
    let (status, code) = request(
        addr,
        None,
        "POST",
        "/api/v1/codes/generate",
        Some(json!({ "max_uses": 1 })),
        &[("Authorization", auth)],
    )
    .await;
    assert_eq!(status, 200, "{code}");
    code["code"].as_str().expect("a code").to_owned()
}

async fn validate(addr: SocketAddr, from: Option<IpAddr>, code: &str) -> u16 {
    request(
        addr,
        from,
        "POST",
        &format!("/api/v1/codes/validate?code={code}"),
        None,
        &[],
    )
    .await
    .0
}

async fn count(pool: &AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

/// Waits up to `within` for `done`, checking every half second.
async fn eventually<F: Future<Output = bool>>(within: Duration, mut done: impl FnMut() -> F) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory").flatten() {
        if entry.path().is_dir() {
            files.extend(files_under(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[tokio::test]
async fn two_instances_serve_one_database_and_one_bucket_as_one() {
    let name = format!("santhium_instances_{}", uuid::Uuid::new_v4().simple());
    on_postgres(&format!("CREATE DATABASE {name}")).await;
    let database = format!("{}/{name}", postgres_server());
    let shared = shared_settings(&database, &uuid::Uuid::new_v4().simple().to_string());
    let with_metrics_on = |port: u16| {
        let mut vars = shared.clone();
        vars.push(("METRICS_ADDR", format!("127.0.0.1:{port}")));
        vars
    };
    let (metrics_a, metrics_b) = (free_port(), free_port());
    let mut a = Server::start(&with_metrics_on(metrics_a)).await;
    let b = Server::start(&with_metrics_on(metrics_b)).await;
    let pool = db::connect(&DatabaseUrl::parse(&database).expect("URL"))
        .await
        .expect("the database");

    // Registered on A, signed in on B; a code made on B is used on A.
    let body = json!({ "email": "port@pharmacie.fr", "password": PASSWORD, "pharmacy_name": "Pharmacie du Port" });
    let (status, _) = request(a.addr(), None, "POST", "/api/v1/auth/register", Some(body), &[]).await;
    assert_eq!(status, 200);
    let body = json!({ "email": "port@pharmacie.fr", "password": PASSWORD });
    let (status, tokens) = request(b.addr(), None, "POST", "/api/v1/auth/login", Some(body), &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let auth = format!("Bearer {}", tokens["access_token"].as_str().expect("a token"));
    let code = new_code(b.addr(), &auth).await;
    let sent = prescription(0, 200_000);
    let (status, document) = upload(a.addr(), loopback(10), &code, &sent).await;
    assert_eq!(status, 200, "{document}");
    let id = document["id"].as_str().expect("an id").to_owned();

    // Listed and downloaded byte-exact on B, deleted on A.
    let (status, listed) = request(
        b.addr(),
        None,
        "GET",
        "/api/v1/documents",
        None,
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["documents"][0]["id"], id.as_str(), "{listed}");
    let download = format!(
        "GET /api/v1/documents/{id}/download HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: {auth}\r\n\r\n",
        b.addr()
    );
    let (status, content) = exchange(b.addr(), None, &download, b"").await;
    assert_eq!(status, 200);
    assert!(content == sent, "the download on B is the upload on A, byte for byte");
    assert_eq!(
        bucket_ids(&shared).await,
        std::slice::from_ref(&id),
        "its content is in the bucket"
    );

    // Previewed on B, in a session opened on A: sessions and preview grants hold on both.
    let credentials = [("email", "port@pharmacie.fr"), ("password", PASSWORD)];
    let (status, head, _) = page_call(a.addr(), Login::PATH, "", &credentials).await;
    assert_eq!(status, 200, "signed in on A");
    let session = head
        .lines()
        .filter_map(|line| {
            line.split_once(": ")
                .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        })
        .filter_map(|(_, cookie)| cookie.split(';').next())
        .find(|cookie| cookie.starts_with("santhium_session="))
        .expect("a session cookie")
        .to_owned();
    let (status, _, link) = page_call(b.addr(), PreviewDocument::PATH, &session, &[("document_id", &id)]).await;
    assert_eq!(status, 200, "a preview address from B");
    let link: String = serde_json::from_slice(&link).expect("an address");
    let path = link.strip_prefix(PREVIEWS).expect("on the preview origin");
    let preview = format!("GET {path} HTTP/1.1\r\nHost: apercu.santhium.test\r\nConnection: close\r\n\r\n");
    let (status, content) = exchange(b.addr(), None, &preview, b"").await;
    assert_eq!(status, 200);
    assert!(content == sent, "the preview on B is the upload on A, byte for byte");
    let (status, _) = request(
        a.addr(),
        None,
        "DELETE",
        &format!("/api/v1/documents/{id}"),
        None,
        &[("Authorization", &auth)],
    )
    .await;
    assert!(status == 200 || status == 204, "deleted on A: {status}");
    assert!(bucket_ids(&shared).await.is_empty(), "and gone from the bucket");

    // 20 parallel uploads on a single-use code, split across A and B, from 20 addresses.
    let single = new_code(a.addr(), &auth).await;
    let uploads = (0..20u8).map(|n| {
        let addr = if n % 2 == 0 { a.addr() } else { b.addr() };
        let single = single.clone();
        tokio::spawn(async move {
            upload(addr, loopback(30 + n), &single, &prescription(n, 200_000))
                .await
                .0
        })
    });
    let statuses: Vec<u16> = futures::future::join_all(uploads)
        .await
        .into_iter()
        .map(|s| s.expect("task"))
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(count(&pool, "documents").await, 1);
    assert_eq!(bucket_ids(&shared).await.len(), 1, "one object for one document");

    // Code look-ups from one address count across both instances (4 per minute).
    let guesser = loopback(60);
    for n in 0..4 {
        let addr = if n % 2 == 0 { a.addr() } else { b.addr() };
        assert_ne!(validate(addr, guesser, "ABCD-EFGH").await, 429, "look-up {n}");
    }
    assert_eq!(validate(a.addr(), guesser, "ABCD-EFGH").await, 429);
    assert_eq!(validate(b.addr(), guesser, "ABCD-EFGH").await, 429);

    // So do login failures (3 in the window).
    for n in 0..3 {
        let addr = if n % 2 == 0 { a.addr() } else { b.addr() };
        assert_eq!(wrong_login(addr, loopback(61), None).await, 401, "failure {n}");
    }
    assert_eq!(wrong_login(b.addr(), loopback(61), None).await, 429);
    assert_eq!(wrong_login(a.addr(), loopback(61), None).await, 429);

    // The retention sweep, run by one instance per period, deletes the expired document.
    sqlx::query("UPDATE documents SET deletion_date = 0")
        .execute(&pool)
        .await
        .expect("expired");
    assert!(
        eventually(Duration::from_secs(90), || async {
            count(&pool, "documents").await == 0
        })
        .await,
        "the expired document is deleted within a period and a look"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            bucket_ids(&shared).await.is_empty()
        })
        .await,
        "with its content"
    );
    let runs = |port: u16| async move {
        let metrics = metrics_text(port).await;
        metrics
            .lines()
            .filter(|line| line.starts_with("santhium_job_runs_total{"))
            .filter(|line| line.contains("job=\"retention\"") && line.contains("outcome=\"done\""))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>()
    };
    // The run is counted once the whole sweep is over, a moment after its deletions.
    assert!(
        eventually(Duration::from_secs(10), || async {
            runs(metrics_a).await + runs(metrics_b).await >= 2
        })
        .await,
        "a sweep at start and one after the expiry: {} + {}",
        runs(metrics_a).await,
        runs(metrics_b).await
    );

    // A is killed in the middle of an upload, once a first 5 MiB part is in the bucket:
    // no row, its use comes back once its reservation expires, and the sweep, on B,
    // aborts the multipart upload and leaves no object.
    let last = new_code(b.addr(), &auth).await;
    let body = upload_body(&last, &prescription(1, 7_000_000));
    let mut stream = super::connect(a.addr(), loopback(70)).await;
    stream
        .write_all(upload_head(a.addr(), body.len()).as_bytes())
        .await
        .expect("head");
    stream.write_all(&body[..6_500_000]).await.expect("most of the body");
    let upload_id = || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT upload_id FROM upload_reservations")
            .fetch_optional(&pool)
            .await
            .expect("reservations")
            .flatten()
    };
    assert!(
        eventually(Duration::from_secs(5), || async { upload_id().await.is_some() }).await,
        "the upload is under way"
    );
    let multipart = upload_id().await.expect("a multipart upload");
    assert!(
        eventually(Duration::from_secs(5), || async {
            pending_uploads().await.contains(&multipart)
        })
        .await,
        "its multipart upload is in the bucket"
    );
    a.kill();
    drop(stream);
    assert_eq!(count(&pool, "documents").await, 0, "no row");
    assert_ne!(validate(b.addr(), loopback(71), &last).await, 200, "the use is held");
    assert!(
        eventually(Duration::from_secs(120), || async {
            count(&pool, "upload_reservations").await == 0
        })
        .await,
        "the reservation ends after it expires"
    );
    assert_eq!(validate(b.addr(), loopback(72), &last).await, 200, "the use is back");
    assert!(bucket_ids(&shared).await.is_empty(), "nothing of the killed upload");
    assert!(
        !pending_uploads().await.contains(&multipart),
        "its multipart upload is aborted"
    );

    for server in [&a, &b] {
        let left = files_under(server.data_dir.path());
        assert!(left.is_empty(), "nothing of a document is under DATA_DIR: {left:?}");
    }
    drop(b);
    pool.close().await;
    on_postgres(&format!("DROP DATABASE {name} WITH (FORCE)")).await;
}

/// The multipart uploads in progress in the tests' bucket, by id, as SeaweedFS's filer
/// (on 127.0.0.1:8888) lists them: each is a folder under `.uploads`.
async fn pending_uploads() -> Vec<String> {
    let filer = SocketAddr::from(([127, 0, 0, 1], 8888));
    let (status, listing) = exchange(
        filer,
        None,
        &format!(
            "GET /buckets/santhium-test/.uploads/?limit=10000 HTTP/1.1\r\nHost: {filer}\r\n\
             Accept: application/json\r\nConnection: close\r\n\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(status, 200);
    let listing: serde_json::Value = serde_json::from_slice(&listing).expect("JSON");
    listing["Entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry["FullPath"].as_str()?.rsplit('/').next()?.to_owned()))
        .collect()
}

/// `GET /metrics` on a metrics listener, as text.
async fn metrics_text(port: u16) -> String {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (status, body) = exchange(
        addr,
        None,
        &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 200);
    String::from_utf8(body).expect("text")
}
