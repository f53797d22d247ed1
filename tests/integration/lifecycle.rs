//! The server as an operator runs it: real sockets, shutdown, logs.

use crate::support::spawn_app;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use santhium::server::startup::serve;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

#[tokio::test]
async fn shutdown_stops_accepting_and_ends_within_the_grace_period() {
    let app = spawn_app(&[("SHUTDOWN_GRACE_SECONDS", "1")]).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app.state.clone(), async {
        let _ = stopped.await;
    }));

    assert!(http_get(addr, "/health").await.starts_with("HTTP/1.1 200"));
    // A client that never finishes its request must not hold the shutdown forever.
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("send half a request");

    stop.send(()).expect("server listening");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("shutdown is bounded by the grace period")
        .expect("server task");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting connections"
    );
}

/// Collects what the log subscriber writes.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything this test binary logs. Callsite interest in `tracing` is process-wide, so
/// a per-thread subscriber would race with the other tests; one global one does not.
fn captured_logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("only this test installs a subscriber");
        logs
    })
}

#[tokio::test]
async fn request_logs_name_the_route_but_never_the_query_string() {
    let logs = captured_logs();
    let app = spawn_app(&[]).await;
    // Other tests log into the same buffer meanwhile: this request's lines are those of
    // its client address, which no other test uses.
    let client = "192.0.2.77";
    let mut request = Request::get("/health?code=K7M4PX")
        .header("cookie", "lang=en")
        .body(Body::empty())
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(client.parse().expect("address"), 40000)));
    app.send(request).await;

    let all = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("UTF-8 logs");
    let ours: Vec<&str> = all
        .lines()
        .filter(|line| line.contains(&format!("client=\"{client}\"")))
        .collect();
    assert!(
        ours.iter()
            .any(|line| line.contains(r#"route="/health""#) && line.contains("status=200")),
        "{ours:?}"
    );
    assert!(
        ours.iter()
            .any(|line| line.contains("method=GET") && line.contains("latency_ms=")),
        "{ours:?}"
    );
    assert!(!all.contains("K7M4PX") && !all.contains("lang=en"), "{all}");
}
