//! `santhium-bench`: starts the release server on a temporary database, drives it with
//! concurrent HTTP clients and prints a JSON report. Later features add scenarios here.
//!
//! Usage: santhium-bench [--seconds N] [--server target/release/santhium] [--site-root target/site]
//! [--only transfers|photos]
//!
//! `--only transfers` measures just the uploads and downloads, in a directory and in a
//! bucket; `--only photos` just the QR code search and the page assembly on 12-megapixel
//! phone photos, in this process (also part of the whole run).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

struct Options {
    seconds: u64,
    server: PathBuf,
    site_root: PathBuf,
    only: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        seconds: 5,
        server: "target/release/santhium".into(),
        site_root: "target/site".into(),
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => options.seconds = value.parse().map_err(|_| "--seconds takes a whole number")?,
            "--server" => options.server = value.into(),
            "--site-root" => options.site_root = value.into(),
            "--only" if ["transfers", "photos"].contains(&value.as_str()) => options.only = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

/// The defaults, for a server started without settings of its own.
const NO_SETTINGS: &[(&str, &str)] = &[];

/// A running release server on its own data directory and port.
struct Server {
    child: Child,
    base: String,
    _data_dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server and returns it with the time until `/health` first answered.
    async fn start(
        options: &Options,
        client: &reqwest::Client,
        settings: &[(&str, impl AsRef<std::ffi::OsStr>)],
    ) -> Result<(Server, Duration), String> {
        let data_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let started = Instant::now();
        let child = Command::new(&options.server)
            .env("DATA_DIR", data_dir.path())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", &options.site_root)
            .env("RUST_LOG", "warn")
            .envs(settings.iter().map(|(name, value)| (name, value)))
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {}: {e} (build it with `cargo leptos build --release --precompress --split`)",
                    options.server.display()
                )
            })?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data_dir: data_dir,
        };
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(response) = client.get(format!("{}/health", server.base)).send().await
                && response.status().is_success()
            {
                return Ok((server, started.elapsed()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err("the server did not answer /health within 30 s".into())
    }

    /// Peak resident memory of the server process so far, in KiB.
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:")?.trim().strip_suffix(" kB")?.parse().ok())
    }
}

/// Builds one request of a scenario.
type MakeRequest = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

fn get(url: String) -> MakeRequest {
    Arc::new(move |client| client.get(url.as_str()))
}

/// Requests per second and latency percentiles of a request sent by `concurrency`
/// clients, each waiting for its answer before sending again, for `duration`.
async fn load(
    client: &reqwest::Client,
    request: MakeRequest,
    concurrency: usize,
    duration: Duration,
) -> serde_json::Value {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (client, request) = (client.clone(), request.clone());
        tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                match timed(request(&client)).await {
                    Some(latency) => latencies.push(latency),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        })
    });
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers.collect::<Vec<_>>() {
        let (l, e) = worker.await.expect("load worker");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    serde_json::json!({
        "concurrency": concurrency,
        "requests": latencies.len(),
        "errors": errors,
        "requests_per_second": (latencies.len() as f64 / elapsed).round(),
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
    })
}

/// Sends a request and reads its answer; the time it took, if it succeeded.
async fn timed(request: reqwest::RequestBuilder) -> Option<Duration> {
    let sent = Instant::now();
    let answered = match request.send().await {
        Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
        _ => false,
    };
    answered.then(|| sent.elapsed())
}

/// The `p` percentile of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .map(|d| d.as_secs_f64() * 1000.0)
}

/// What the browser downloads for the home page: each `/pkg` asset, raw and compressed.
async fn asset_sizes(client: &reqwest::Client, base: &str) -> Result<serde_json::Value, String> {
    let page = client
        .get(format!("{base}/"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let mut paths: Vec<String> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with("/pkg/") && !s.contains(' '))
        .map(str::to_owned)
        .collect();
    // The WASM file is loaded by the JS glue, not named in the page.
    if let Some(js) = paths.iter().find(|p| p.ends_with(".js")) {
        paths.push(js.replace(".js", ".wasm"));
    }
    paths.sort();
    paths.dedup();
    let mut assets = serde_json::Map::new();
    for path in paths {
        let mut sizes = serde_json::Map::new();
        for encoding in ["identity", "gzip", "br"] {
            let response = client
                .get(format!("{base}{path}"))
                .header("accept-encoding", encoding)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                break;
            }
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            sizes.insert(format!("{encoding}_bytes"), bytes.len().into());
        }
        if !sizes.is_empty() {
            assets.insert(path, sizes.into());
        }
    }
    Ok(assets.into())
}

async fn run(options: Options) -> Result<serde_json::Value, String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| e.to_string())?;
    match options.only.as_deref() {
        Some("transfers") => {
            return Ok(serde_json::json!({
                "documents": document_scenarios(&options, &client).await?,
                "documents_in_a_bucket": bucket_scenarios(&options, &client).await?,
            }));
        }
        Some(_) => return Ok(serde_json::json!({ "photos": photo_scenarios() })),
        None => {}
    }
    let mut startups = Vec::new();
    for _ in 0..3 {
        let (mut server, ready) = Server::start(&options, &client, NO_SETTINGS).await?;
        startups.push(ready.as_secs_f64() * 1000.0);
        let _ = server.child.kill().await;
    }
    startups.sort_by(f64::total_cmp);

    let documents = document_scenarios(&options, &client).await?;
    let bucket = bucket_scenarios(&options, &client).await?;
    let login_burst = login_burst_scenario(&options, &client).await?;
    // Logins with the right password from one address, many at once: only the burst
    // above meets the login limits.
    let (server, _) = Server::start(&options, &client, &[("LOGIN_MAX_FAILURES", "1000")]).await?;
    let duration = Duration::from_secs(options.seconds);
    let mut scenarios = serde_json::Map::new();
    for (name, path) in [("health", "/health"), ("home_page_ssr", "/")] {
        let mut runs = Vec::new();
        for concurrency in [1, 16] {
            eprintln!("bench: {name} at concurrency {concurrency} for {} s", options.seconds);
            runs.push(load(&client, get(format!("{}{path}", server.base)), concurrency, duration).await);
        }
        scenarios.insert(name.into(), runs.into());
    }
    scenarios.insert("login".into(), login_scenario(&client, &server.base, duration).await?);
    scenarios.insert("login_burst".into(), login_burst);
    scenarios.insert("documents".into(), documents);
    scenarios.insert("documents_in_a_bucket".into(), bucket);
    scenarios.insert("photos".into(), photo_scenarios());
    Ok(serde_json::json!({
        "startup_to_ready_ms": { "median": startups[1], "runs": startups },
        "scenarios": scenarios,
        "assets": asset_sizes(&client, &server.base).await?,
        "server_peak_rss_kib": server.peak_rss_kib(),
    }))
}

#[path = "../../tests/fixtures/images.rs"]
mod images;

/// This process's resident memory now and at its peak since the peak was last reset,
/// in KiB (Linux).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Runs `work` five times: the median time in milliseconds, and how far above what it
/// started from the process's memory peaked, in KiB.
fn measured<T>(mut work: impl FnMut() -> T) -> (f64, u64, T) {
    let mut times = Vec::new();
    let mut extra = 0;
    let mut last = None;
    for _ in 0..5 {
        // Writing 5 to clear_refs resets the peak (VmHWM) to the current size.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (before, _) = rss_kib();
        let started = Instant::now();
        last = Some(work());
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        extra = extra.max(rss_kib().1.saturating_sub(before));
    }
    times.sort_by(f64::total_cmp);
    (times[2], extra, last.expect("ran"))
}

/// The QR code search on a 12-megapixel phone photo of a page carrying a small code (and
/// on one without), and three such photos put together as one PDF.
fn photo_scenarios() -> serde_json::Value {
    use santhium::server::files::FileType;
    use santhium::server::page_assembly::{Page, assemble};
    use santhium::server::qr_reading::read;
    eprintln!("bench: QR codes and pages on 12-megapixel photos");
    let number = "2025-BENCH-0000-0001";
    let with_code = images::page_photo(4000, 3000, Some(number));
    let without = images::page_photo(4000, 3000, None);
    let (found_ms, found_kib, found) = measured(|| read(FileType::Jpeg, &with_code));
    let (none_ms, none_kib, _) = measured(|| read(FileType::Jpeg, &without));
    let pages = || {
        (0..3)
            .map(|_| Page {
                file_type: FileType::Jpeg,
                bytes: with_code.clone(),
            })
            .collect::<Vec<_>>()
    };
    let (assembly_ms, assembly_kib, pdf) = measured(|| assemble(&pages(), 100 << 20).map(|pdf| pdf.len()));
    serde_json::json!({
        "photo_bytes": with_code.len(),
        "qr_search_12_mp": { "median_ms": found_ms, "peak_extra_kib": found_kib, "found": found == [number] },
        "qr_search_12_mp_no_code": { "median_ms": none_ms, "peak_extra_kib": none_kib },
        "three_12_mp_pages_to_pdf": { "median_ms": assembly_ms, "peak_extra_kib": assembly_kib, "pdf_bytes": pdf.ok() },
    })
}

/// Median time of one argon2id hash with the server's parameters, in this process.
async fn raw_hash_ms() -> f64 {
    let hasher = santhium::server::passwords::PasswordHasher::new(1, 1);
    let mut times = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        hasher.hash("un mot de passe de test assez long").await.expect("hash");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// An attacker's burst on a server with the default limits: 50 wrong passwords for one
/// account, all sent at once, each on its own connection. How many were checked (401)
/// and how many refused before any hashing (429), and `/health`'s latency meanwhile.
async fn login_burst_scenario(options: &Options, client: &reqwest::Client) -> Result<serde_json::Value, String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::auth::Login;
    let (server, _) = Server::start(options, client, NO_SETTINGS).await?;
    let base = server.base.clone();
    register(client, &base, "rafale@pharmacie.example").await?;
    eprintln!("bench: 50 parallel wrong passwords for one account");
    let health = tokio::spawn({
        let client = client.clone();
        let health = get(format!("{base}/health"));
        async move { load(&client, health, 1, Duration::from_secs(3)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let attempts = (0..50).map(|_| {
        let url = format!("{base}{}", Login::PATH);
        tokio::spawn(async move {
            // A client of its own: a new connection for each attempt.
            let client = reqwest::Client::new();
            let form = [
                ("email", "rafale@pharmacie.example"),
                ("password", "pas le bon mot de passe"),
            ];
            client.post(url).form(&form).send().await.map(|r| r.status().as_u16())
        })
    });
    let mut statuses = std::collections::BTreeMap::<String, u32>::new();
    for attempt in attempts.collect::<Vec<_>>() {
        let status = match attempt.await.map_err(|e| e.to_string())? {
            Ok(status) => status.to_string(),
            Err(_) => "no answer".into(),
        };
        *statuses.entry(status).or_default() += 1;
    }
    let burst_ms = started.elapsed().as_secs_f64() * 1000.0;
    let health = health.await.map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "attempts": 50,
        "checked_401": statuses.get("401").copied().unwrap_or(0),
        "refused_429": statuses.get("429").copied().unwrap_or(0),
        "statuses": statuses,
        "burst_ms": burst_ms,
        "health_during_burst": health,
    }))
}

/// Registers a pharmacy with the benchmark's password.
async fn register(client: &reqwest::Client, base: &str, email: &str) -> Result<(), String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::auth::RegisterPharmacy;
    let registration = [
        ("pharmacy_name", "Pharmacie du banc d'essai"),
        ("address", ""),
        ("full_name", "Camille Martin"),
        ("email", email),
        ("password", "vélo citron orage 92"),
    ];
    let registered = client
        .post(format!("{base}{}", RegisterPharmacy::PATH))
        .form(&registration)
        .send()
        .await;
    if registered.as_ref().is_ok_and(|r| r.status().is_success()) {
        Ok(())
    } else {
        Err(format!("cannot register the benchmark's pharmacy: {registered:?}"))
    }
}

/// Logins with the real argon2 parameters, and what a burst of them does to an
/// unrelated request: `/health` alone, then while 50 clients log in without pause.
async fn login_scenario(client: &reqwest::Client, base: &str, duration: Duration) -> Result<serde_json::Value, String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::auth::Login;
    let (email, password) = ("bench@pharmacie.example", "vélo citron orage 92");
    register(client, base, email).await?;
    let login_url = format!("{base}{}", Login::PATH);
    let login: MakeRequest = Arc::new(move |client| {
        client
            .post(login_url.as_str())
            .form(&[("email", email), ("password", password)])
    });
    let health = get(format!("{base}/health"));

    eprintln!("bench: login, and /health during 50 parallel logins");
    let raw_hash = raw_hash_ms().await;
    let logins = load(client, login.clone(), 1, duration).await;
    let health_idle = load(client, health.clone(), 1, duration).await;
    let burst = tokio::spawn({
        let (client, login) = (client.clone(), login.clone());
        async move { load(&client, login, 50, duration).await }
    });
    let health_during_logins = load(client, health, 1, duration).await;
    let logins_50 = burst.await.map_err(|e| e.to_string())?;
    let ratio = |a: &serde_json::Value, b: &serde_json::Value, key: &str| {
        Some(a[key].as_f64()? / b[key].as_f64()?).map(|r| (r * 100.0).round() / 100.0)
    };
    Ok(serde_json::json!({
        "raw_argon2id_hash_ms": raw_hash,
        "login_p50_over_raw_hash": logins["p50_ms"].as_f64().map(|p50| (p50 / raw_hash * 100.0).round() / 100.0),
        "logins_concurrency_1": logins,
        "logins_concurrency_50": logins_50,
        "health_idle": health_idle,
        "health_during_50_logins": health_during_logins,
        "health_p99_during_logins_over_idle": ratio(&health_during_logins, &health_idle, "p99_ms"),
    }))
}

/// The value of the cookie `name` that a response sets, as `name=value`.
fn cookie_set(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Calls a server function with a form (and a cookie); returns the response if it succeeded.
async fn call(
    client: &reqwest::Client,
    url: String,
    cookie: &str,
    form: &[(&str, &str)],
) -> Result<reqwest::Response, String> {
    let response = client
        .post(&url)
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(format!("{url} answered {}", response.status()))
    }
}

/// Documents on a server of their own, so that its peak memory is theirs alone:
/// patients' uploads of 1 MB and 10 MB PDFs, then downloads of them, at concurrency 1
/// and 8; then, unless only transfers are measured, the first dashboard page once the
/// pharmacy holds 10,000 documents.
async fn document_scenarios(options: &Options, client: &reqwest::Client) -> Result<serde_json::Value, String> {
    let (server, _) = Server::start(options, client, &[("CODE_LOOKUPS_PER_MINUTE", "10000")]).await?;
    let base = server.base.clone();
    let staff = registered_staff(client, &base).await?;
    let (uploads, downloads) = transfers(client, std::slice::from_ref(&base), &staff).await?;
    if options.only.is_some() {
        let peak_rss = server.peak_rss_kib();
        return Ok(serde_json::json!({ "uploads": uploads, "downloads": downloads, "server_peak_rss_kib": peak_rss }));
    }

    let held = document_page(client, &base, &staff, 1).await?.1;
    eprintln!("bench: filling the pharmacy up to 10,000 documents");
    upload_load(
        client,
        std::slice::from_ref(&base),
        &staff,
        &multipart_pdf(2_000),
        10_000 - held,
        8,
    )
    .await?;
    let (_, total) = document_page(client, &base, &staff, 1).await?;
    let dashboard = format!("{base}/dashboard");
    let pages = spread(1, 50, |_, _| client.get(&dashboard).header("cookie", &staff)).await?;
    Ok(serde_json::json!({
        "uploads": uploads,
        "downloads": downloads,
        "server_peak_rss_kib": server.peak_rss_kib(),
        "dashboard_first_page": {
            "documents": total,
            "requests": pages.latencies.len(),
            "errors": pages.errors,
            "p50_ms": percentile(&pages.latencies, 0.50),
            "p95_ms": percentile(&pages.latencies, 0.95),
        },
    }))
}

/// The same transfers with the documents in an S3 bucket (SeaweedFS on 127.0.0.1:8333,
/// as `make test` starts it): one instance on SQLite, then two instances on one
/// PostgreSQL database, the clients' requests spread over both in turn.
async fn bucket_scenarios(options: &Options, client: &reqwest::Client) -> Result<serde_json::Value, String> {
    let bucket = format!("s3://santhium-test/bench-{}", uuid::Uuid::new_v4().simple());
    let endpoint = std::env::var("SANTHIUM_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:8333".into());
    let mut settings = vec![
        ("CODE_LOOKUPS_PER_MINUTE", "10000".to_owned()),
        ("STORAGE_URL", bucket),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "santhium-test".into()),
        ("AWS_SECRET_ACCESS_KEY", "santhium-test-secret".into()),
        // Both instances must share the keys.
        (
            "SECRET_KEY",
            "YmVuY2ggc2VjcmV0IGtleSBvZiBzYW50aGl1bSAxMjM0NTY3OA==".into(),
        ),
        (
            "ENCRYPTION_KEY",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
        ),
    ];

    let (single, _) = Server::start(options, client, &settings).await?;
    let staff = registered_staff(client, &single.base).await?;
    let (uploads, downloads) = transfers(client, std::slice::from_ref(&single.base), &staff).await?;
    let one = serde_json::json!({
        "uploads": uploads,
        "downloads": downloads,
        "server_peak_rss_kib": single.peak_rss_kib(),
    });
    drop(single);

    let (server, database) = new_postgres_database().await?;
    settings.push(("DATABASE_URL", format!("{server}/{database}")));
    let (a, _) = Server::start(options, client, &settings).await?;
    let (b, _) = Server::start(options, client, &settings).await?;
    let staff = registered_staff(client, &a.base).await?;
    let (uploads, downloads) = transfers(client, &[a.base.clone(), b.base.clone()], &staff).await?;
    let two = serde_json::json!({
        "uploads": uploads,
        "downloads": downloads,
        "server_peak_rss_kib": [a.peak_rss_kib(), b.peak_rss_kib()],
    });
    drop((a, b));
    on_postgres(&server, &format!("DROP DATABASE {database} WITH (FORCE)")).await?;
    Ok(serde_json::json!({ "one_instance": one, "two_instances_round_robin": two }))
}

/// A new database on the PostgreSQL server the tests use: the server's URL and the
/// database's name.
async fn new_postgres_database() -> Result<(String, String), String> {
    let server =
        std::env::var("SANTHIUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("santhium_bench_{}", uuid::Uuid::new_v4().simple());
    on_postgres(&server, &format!("CREATE DATABASE {name}")).await?;
    Ok((server, name))
}

/// Runs `statement` on the PostgreSQL server `server`.
async fn on_postgres(server: &str, statement: &str) -> Result<(), String> {
    use santhium::server::config::DatabaseUrl;
    use sqlx::Executor;
    let url =
        DatabaseUrl::parse(&format!("{server}/postgres")).ok_or("SANTHIUM_TEST_POSTGRES is no postgres:// URL")?;
    let admin = santhium::server::db::connect(&url).await.map_err(|e| e.to_string())?;
    admin.execute(statement).await.map_err(|e| e.to_string())?;
    admin.close().await;
    Ok(())
}

/// A pharmacy registered on `base`; its staff's session cookie.
async fn registered_staff(client: &reqwest::Client, base: &str) -> Result<String, String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::auth::RegisterPharmacy;
    let registration = [
        ("pharmacy_name", "Pharmacie des envois"),
        ("address", ""),
        ("full_name", "Camille Martin"),
        ("email", "uploads@pharmacie.example"),
        ("password", "vélo citron orage 92"),
    ];
    let registered = call(client, format!("{base}{}", RegisterPharmacy::PATH), "", &registration).await?;
    cookie_set(&registered, "santhium_session").ok_or_else(|| "no session cookie".into())
}

/// Uploads then downloads of 1 MB and 10 MB files at concurrency 1 and 8, the requests
/// spread over `bases` in turn.
async fn transfers(
    client: &reqwest::Client,
    bases: &[String],
    staff: &str,
) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>), String> {
    let (mut uploads, mut downloads) = (Vec::new(), Vec::new());
    for (file_bytes, count) in [(1_000_000, 160), (10_000_000, 48)] {
        let body = multipart_pdf(file_bytes);
        for concurrency in [1, 8] {
            eprintln!("bench: {count} uploads of {file_bytes} bytes at concurrency {concurrency} on {bases:?}");
            let stats = upload_load(client, bases, staff, &body, count, concurrency).await?;
            uploads.push(throughput(stats, file_bytes, concurrency));
        }
        let newest = document_page(client, &bases[0], staff, 1).await?.0;
        let path = santhium::model::documents::download_path(&newest);
        for concurrency in [1, 8] {
            eprintln!("bench: {count} downloads of {file_bytes} bytes at concurrency {concurrency} on {bases:?}");
            let stats = spread(concurrency, count / concurrency, |patient, n| {
                let base = &bases[(patient + n) % bases.len()];
                // As every browser asks, so that a compressed answer would show here.
                client
                    .get(format!("{base}{path}"))
                    .header("cookie", staff)
                    .header("accept-encoding", "gzip, br")
            })
            .await?;
            downloads.push(throughput(stats, file_bytes, concurrency));
        }
    }
    Ok((uploads, downloads))
}

/// The id of the newest document and how many the pharmacy holds.
async fn document_page(
    client: &reqwest::Client,
    base: &str,
    staff: &str,
    limit: u32,
) -> Result<(String, usize), String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::documents::ListDocuments;
    use santhium::model::documents::DocumentPage;
    let limit = limit.to_string();
    let listed = call(
        client,
        format!("{base}{}", ListDocuments::PATH),
        staff,
        &[("skip", "0"), ("limit", &limit)],
    )
    .await?;
    let page: DocumentPage =
        serde_json::from_slice(&listed.bytes().await.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let newest = page.documents.first().map(|d| d.id.clone()).unwrap_or_default();
    Ok((newest, usize::try_from(page.total).unwrap_or(0)))
}

/// A patient's upload cookie for a new code allowing `max_uses` documents.
async fn open_code(client: &reqwest::Client, base: &str, staff: &str, max_uses: usize) -> Result<String, String> {
    use leptos::server_fn::ServerFn;
    use santhium::api::codes::CreateTransferCode;
    use santhium::api::send::OpenTransferCode;
    use santhium::model::codes::CodeView;
    let max_uses = max_uses.to_string();
    let form = [("lifetime_hours", "24"), ("max_uses", max_uses.as_str()), ("note", "")];
    let created = call(client, format!("{base}{}", CreateTransferCode::PATH), staff, &form).await?;
    let created = created.bytes().await.map_err(|e| e.to_string())?;
    let code: CodeView = serde_json::from_slice(&created).map_err(|e| e.to_string())?;
    let opened = call(
        client,
        format!("{base}{}", OpenTransferCode::PATH),
        "",
        &[("code", &code.code)],
    )
    .await?;
    cookie_set(&opened, "santhium_upload").ok_or_else(|| "no upload cookie".into())
}

const BOUNDARY: &str = "santhium-bench-boundary";

/// A multipart body holding a PDF of `file_bytes` bytes.
fn multipart_pdf(file_bytes: usize) -> axum::body::Bytes {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..file_bytes - pdf.len()).map(|i| (i * 31 + i / 977) as u8));
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ordonnance.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    axum::body::Bytes::from([head.as_bytes(), &pdf, format!("\r\n--{BOUNDARY}--\r\n").as_bytes()].concat())
}

/// `count` uploads of `body`, spread over `concurrency` patients; only the uploads are
/// timed, the codes are opened before.
async fn upload_load(
    client: &reqwest::Client,
    bases: &[String],
    staff: &str,
    body: &axum::body::Bytes,
    count: usize,
    concurrency: usize,
) -> Result<Spread, String> {
    // A code allows at most 20 documents: each patient gets as many codes as needed.
    const USES: usize = 20;
    let per_patient = count / concurrency;
    let mut cookies = Vec::new();
    for _ in 0..concurrency {
        let mut patient = Vec::new();
        for _ in 0..per_patient.div_ceil(USES) {
            patient.push(open_code(client, &bases[0], staff, USES).await?);
        }
        cookies.push(patient);
    }
    use leptos::server_fn::ServerFn;
    let path = santhium::api::send::SendDocument::PATH;
    spread(concurrency, per_patient, |patient, n| {
        let base = &bases[(patient + n) % bases.len()];
        client
            .post(format!("{base}{path}"))
            .header("cookie", &cookies[patient][n / USES])
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body.clone())
    })
    .await
}

/// What `spread` measured.
struct Spread {
    latencies: Vec<Duration>,
    errors: u64,
    elapsed: Duration,
}

/// `per_client` requests from each of `concurrency` clients, each waiting for its
/// answer before the next; `request(client, n)` builds the n-th of a client.
async fn spread<F>(concurrency: usize, per_client: usize, request: F) -> Result<Spread, String>
where
    F: Fn(usize, usize) -> reqwest::RequestBuilder,
{
    let started = Instant::now();
    let clients = (0..concurrency).map(|client| {
        let request = &request;
        async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            for n in 0..per_client {
                match timed(request(client, n)).await {
                    Some(latency) => latencies.push(latency),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        }
    });
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for (l, e) in futures::future::join_all(clients).await {
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Ok(Spread {
        latencies,
        errors,
        elapsed: started.elapsed(),
    })
}

/// Throughput and latency of transfers of `file_bytes` bytes.
fn throughput(stats: Spread, file_bytes: usize, concurrency: usize) -> serde_json::Value {
    let megabytes = (stats.latencies.len() * file_bytes) as f64 / 1e6;
    serde_json::json!({
        "file_bytes": file_bytes,
        "concurrency": concurrency,
        "transfers": stats.latencies.len(),
        "errors": stats.errors,
        "megabytes_per_second": (megabytes / stats.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "p50_ms": percentile(&stats.latencies, 0.50),
        "p95_ms": percentile(&stats.latencies, 0.95),
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let report = match options() {
        Ok(options) => run(options).await,
        Err(usage) => Err(format!(
            "{usage}\nusage: santhium-bench [--seconds N] [--server PATH] [--site-root PATH] [--only transfers]"
        )),
    };
    match report {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("santhium-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
