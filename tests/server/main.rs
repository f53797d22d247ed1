//! The release server as a process, as the internet meets it: behind a real reverse
//! proxy (Debian's nginx), and facing clients that send slowly or not at all. Run after
//! `cargo leptos build --release --precompress --split` (the test command does so);
//! `SANTHIUM_SERVER_BIN` names another build of the server.

use santhium::server::config::DatabaseUrl;
use santhium::server::db;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

mod instances;

const PASSWORD: &str = "vélo citron orage 92";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The release server on a fresh SQLite database, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    data_dir: TempDir,
}

impl Server {
    async fn start<V: AsRef<std::ffi::OsStr>>(vars: &[(&str, V)]) -> Server {
        let binary = std::env::var("SANTHIUM_SERVER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repository().join("target/release/santhium"));
        assert!(
            binary.exists(),
            "{} is missing: build it first with `cargo leptos build --release --precompress --split`",
            binary.display()
        );
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(&binary)
            .current_dir(repository())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", data_dir.path())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_OUTPUT_NAME", "santhium")
            .env("LEPTOS_ENV", "PROD")
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .envs(vars.iter().map(|(name, value)| (name, value)))
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let server = Server { child, port, data_dir };
        let started = Instant::now();
        while request(server.addr(), None, "GET", "/health", None, &[]).await.0 != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not answer in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The audit trail's addresses for one action, oldest first.
    async fn audited_addresses(&self, action: &str) -> Vec<String> {
        let url = DatabaseUrl::sqlite_in(self.data_dir.path());
        let pool = db::connect(&url).await.expect("the server's database");
        let addresses = sqlx::query_scalar("SELECT ip FROM audit_events WHERE action = $1 ORDER BY id")
            .bind(action)
            .fetch_all(&pool)
            .await
            .expect("audit events");
        pool.close().await;
        addresses
    }
}

impl Server {
    /// Stops the server at once (SIGKILL), as a crash would.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A connection to `addr` from the loopback address `from` (any of 127.0.0.0/8).
async fn connect(addr: SocketAddr, from: Option<IpAddr>) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(from) = from {
        socket.bind(SocketAddr::new(from, 0)).expect("bind the client address");
    }
    socket.connect(addr).await.expect("connect")
}

/// One HTTP/1.1 request; the status and the body as JSON (or null).
async fn request(
    addr: SocketAddr,
    from: Option<IpAddr>,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(from) = from {
        socket.bind(SocketAddr::new(from, 0)).expect("bind the client address");
    }
    let Ok(mut stream) = socket.connect(addr).await else {
        return (0, Value::Null);
    };
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(format!("{head}{body}").as_bytes()).await.is_err() {
        return (0, Value::Null);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Whether the server closes `stream` within `within` (reading until it does).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

fn loopback(last: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, last]))
}

/// nginx in front of `server`, as the README's proxy set-up; stopped when dropped.
struct Proxy {
    child: Child,
    port: u16,
    conf: PathBuf,
    dir: TempDir,
}

impl Proxy {
    async fn start(server: &Server) -> Proxy {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let prefix = dir.path().display();
        let config = format!(
            "user root;
             worker_processes 1;
             pid {prefix}/nginx.pid;
             error_log {prefix}/error.log;
             events {{ worker_connections 64; }}
             http {{
                 access_log off;
                 client_body_temp_path {prefix}/body;
                 proxy_temp_path {prefix}/proxy;
                 fastcgi_temp_path {prefix}/fastcgi;
                 uwsgi_temp_path {prefix}/uwsgi;
                 scgi_temp_path {prefix}/scgi;
                 server {{
                     listen 127.0.0.1:{port};
                     location / {{
                         proxy_pass http://127.0.0.1:{upstream};
                         proxy_set_header Host $host;
                         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                         proxy_set_header X-Forwarded-Proto $scheme;
                     }}
                 }}
             }}",
            upstream = server.port
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).expect("write the proxy's configuration");
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts (scripts/install.sh --test installs it)");
        let proxy = Proxy { child, port, conf, dir };
        let started = Instant::now();
        while request(proxy.addr(), None, "GET", "/health", None, &[]).await.0 != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "nginx did not answer in 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        proxy
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Asked to stop, nginx ends its workers too (killed, it would leave them behind).
        let stopped = Command::new("nginx")
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(self.dir.path())
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A pharmacy registered through the API; its access token.
async fn registered(addr: SocketAddr, email: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD, "pharmacy_name": "Pharmacie du Port" });
    let (status, json) = request(addr, None, "POST", "/api/v1/auth/register", Some(body), &[]).await;
    assert_eq!(status, 200, "{json}");
    json["access_token"].as_str().expect("a token").to_owned()
}

async fn wrong_login(addr: SocketAddr, from: Option<IpAddr>, forwarded_for: Option<&str>) -> u16 {
    let body = json!({ "email": "quai@pharmacie.fr", "password": "mauvais mot de passe" });
    let headers: Vec<(&str, &str)> = forwarded_for.map(|f| ("X-Forwarded-For", f)).into_iter().collect();
    request(addr, from, "POST", "/api/v1/auth/login", Some(body), &headers)
        .await
        .0
}

#[tokio::test]
async fn behind_nginx_each_client_is_limited_and_audited_by_its_own_address() {
    let server = Server::start(&[("TRUSTED_PROXIES", "127.0.0.1"), ("LOGIN_MAX_FAILURES", "3")]).await;
    let proxy = Proxy::start(&server).await;
    registered(server.addr(), "quai@pharmacie.fr").await;

    // A guesser at 127.0.0.2 sends three wrong passwords through the proxy, forging a
    // header to pass for someone else.
    for _ in 0..3 {
        assert_eq!(wrong_login(proxy.addr(), loopback(2), Some("203.0.113.7")).await, 401);
    }
    assert_eq!(
        wrong_login(proxy.addr(), loopback(2), Some("203.0.113.8")).await,
        429,
        "the guesser's own address is limited, whatever it claims"
    );
    let (status, _) = request(
        proxy.addr(),
        loopback(2),
        "POST",
        "/api/v1/auth/login",
        Some(json!({ "email": "autre@pharmacie.fr", "password": "mauvais mot de passe" })),
        &[
            ("Forwarded", "for=198.51.100.77"),
            ("X-Real-IP", "198.51.100.78"),
            ("X-Forwarded-For", "junk"),
        ],
    )
    .await;
    assert_eq!(status, 429, "nor with a forged Forwarded, X-Real-IP or junk");
    // The account is limited for everyone now; another client's address is not.
    let other = json!({ "email": "autre@pharmacie.fr", "password": "mauvais mot de passe" });
    let (status, _) = request(
        proxy.addr(),
        loopback(3),
        "POST",
        "/api/v1/auth/login",
        Some(other),
        &[],
    )
    .await;
    assert_eq!(status, 401, "another client behind the same proxy is not limited");

    let audited = server.audited_addresses("login_failed").await;
    assert_eq!(audited[..3], ["127.0.0.2", "127.0.0.2", "127.0.0.2"], "{audited:?}");
    assert_eq!(audited.last().map(String::as_str), Some("127.0.0.3"));

    // Straight to the server, from an address that is no trusted proxy: its header is
    // ignored.
    let (status, _) = request(
        server.addr(),
        loopback(4),
        "POST",
        "/api/v1/auth/login",
        Some(json!({ "email": "x@pharmacie.fr", "password": "mauvais mot de passe" })),
        &[("X-Forwarded-For", "203.0.113.9")],
    )
    .await;
    assert_eq!(status, 401);
    let audited = server.audited_addresses("login_failed").await;
    assert_eq!(audited.last().map(String::as_str), Some("127.0.0.4"), "{audited:?}");
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_headers_are_ignored() {
    let server = Server::start(&[("LOGIN_MAX_FAILURES", "3")]).await;
    let proxy = Proxy::start(&server).await;
    registered(server.addr(), "quai@pharmacie.fr").await;
    for n in 0..3 {
        let forged = format!("203.0.113.{n}");
        wrong_login(server.addr(), loopback(5), Some(&forged)).await;
    }
    assert_eq!(
        wrong_login(server.addr(), loopback(5), Some("203.0.113.99")).await,
        429,
        "the forged addresses counted as one client"
    );
    let audited = server.audited_addresses("login_failed").await;
    assert!(audited.iter().all(|a| a == "127.0.0.5"), "{audited:?}");
    drop(proxy);
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_cut_off() {
    let server = Server::start(&[("HEADER_READ_TIMEOUT_SECONDS", "2")]).await;
    let mut slow = connect(server.addr(), None).await;
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: santhium\r\n")
        .await
        .expect("a first header line");
    // Nothing more: the headers never end.
    assert!(
        closed_within(&mut slow, Duration::from_secs(20)).await,
        "the server keeps a connection whose headers never end"
    );
    let mut idle = connect(server.addr(), None).await;
    assert!(
        closed_within(&mut idle, Duration::from_secs(20)).await,
        "the server keeps a connection that sends nothing"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_place() {
    let server = Server::start(&[("MAX_CONNECTIONS", "2"), ("HEADER_READ_TIMEOUT_SECONDS", "3")]).await;
    let _first = connect(server.addr(), None).await;
    let _second = connect(server.addr(), None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = tokio::spawn(request(server.addr(), None, "GET", "/health", None, &[]));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection is not served while two are open"
    );
    let (status, _) = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("served once the idle ones are cut off")
        .expect("task");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_stalled_upload_ends_and_gives_its_use_back() {
    let server = Server::start(&[("BODY_MIN_BYTES_PER_SECOND", "1000")]).await;
    let token = registered(server.addr(), "port@pharmacie.fr").await;
    let auth = format!("Bearer {token}");
    let (_, code) = request(
        server.addr(),
        None,
        "POST",
        "/api/v1/codes/generate",
        Some(json!({ "max_uses": 1 })),
        &[("Authorization", &auth)],
    )
    .await;
    let code = code["code"].as_str().expect("a code").to_owned();

    // An upload announcing 200 kB that stops after the first kilobyte.
    let boundary = "santhium-slow";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n{code}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"ordonnance.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    );
    let mut stream = connect(server.addr(), None).await;
    let request_head = format!(
        "POST /api/v1/documents/upload HTTP/1.1\r\nHost: santhium\r\nContent-Type: multipart/form-data; \
         boundary={boundary}\r\nContent-Length: 200000\r\n\r\n"
    );
    stream.write_all(request_head.as_bytes()).await.expect("head");
    stream.write_all(head.as_bytes()).await.expect("first part");
    stream.write_all(&[b'0'; 1000]).await.expect("a first kilobyte");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(40), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the stalled upload is still open after 40 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "ended by the server ({:?} after {:?})",
        answer.lines().next(),
        started.elapsed()
    );

    let (status, json) = request(
        server.addr(),
        None,
        "POST",
        &format!("/api/v1/codes/validate?code={code}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "the single use was given back: {json}");
}
