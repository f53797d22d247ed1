//! Test fixtures: a fresh database per test, on either backend, and the application
//! built on one.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use leptos::server_fn::ServerFn;
use santhium::api::send::SendDocument;
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::send::DocumentReceipt;
use santhium::server::config::storage::Storage;
use santhium::server::config::{Backend, DatabaseUrl, Env, Settings};
use santhium::server::router::app;
use santhium::server::state::AppState;
use santhium::server::{db, startup};
use serde::de::DeserializeOwned;
use sqlx::{AnyPool, Executor};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use tempfile::TempDir;
use tower::ServiceExt;

/// The PostgreSQL server the tests create their databases on (no database in the URL).
fn postgres_server() -> String {
    std::env::var("SANTHIUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The S3-compatible server the tests use, started by `make test` (scripts/seaweedfs.sh,
/// which sets the same bucket and keys).
fn s3_endpoint() -> String {
    std::env::var("SANTHIUM_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:8333".into())
}

/// A fresh place in the tests' bucket.
pub fn new_bucket_url() -> String {
    format!("s3://santhium-test/{}", uuid::Uuid::new_v4().simple())
}

/// The settings that reach the tests' bucket, at `storage_url`.
pub fn bucket_vars(storage_url: &str) -> Vec<(String, String)> {
    [
        ("STORAGE_URL", storage_url.to_owned()),
        ("AWS_ENDPOINT_URL", s3_endpoint()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "santhium-test".into()),
        ("AWS_SECRET_ACCESS_KEY", "santhium-test-secret".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

pub struct TestDatabase {
    pub pool: AnyPool,
    pub backend: Backend,
    pub url: String,
    postgres_name: Option<String>,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => TestDatabase::sqlite().await,
            Backend::Postgres => TestDatabase::postgres().await,
        }
    }

    /// A new SQLite file in a temporary directory, migrated.
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::sqlite_in(dir.path());
        let pool = db::connect(&url).await.expect("open SQLite file");
        db::migrate(&pool, Backend::Sqlite).await.expect("migrate SQLite");
        TestDatabase {
            pool,
            backend: Backend::Sqlite,
            url: url.url,
            postgres_name: None,
            _dir: Some(dir),
        }
    }

    /// A new database on the PostgreSQL server, migrated, dropped when the test ends.
    pub async fn postgres() -> TestDatabase {
        let server = postgres_server();
        let admin = db::connect(&DatabaseUrl::parse(&format!("{server}/postgres")).expect("postgres URL"))
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL is not reachable at {server} ({e}); `make test` starts it, or set SANTHIUM_TEST_POSTGRES")
            });
        let name = format!("santhium_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        admin.close().await;
        let url = DatabaseUrl::parse(&format!("{server}/{name}")).expect("postgres URL");
        let pool = db::connect(&url).await.expect("connect to test database");
        db::migrate(&pool, Backend::Postgres).await.expect("migrate PostgreSQL");
        TestDatabase {
            pool,
            backend: Backend::Postgres,
            url: url.url,
            postgres_name: Some(name),
            _dir: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread cleans up.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let admin_url = DatabaseUrl::parse(&format!("{}/postgres", postgres_server())).expect("postgres URL");
                if let Ok(admin) = db::connect(&admin_url).await {
                    let _ = admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Runs each test body (an `async fn(Backend)`) once on SQLite and once on PostgreSQL,
/// as two named tests: SQLite with documents in a local directory, as one instance runs,
/// and PostgreSQL with documents in an S3 bucket, as several instances run.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            use santhium::server::config::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test(Backend::Postgres).await;
            }
        }
    )*};
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// Owned by the first instance only; a restarted one borrows them.
    _data_dir: Option<TempDir>,
    _database: Option<TestDatabase>,
}

/// The application on a fresh SQLite data directory, with extra settings.
pub async fn spawn_app(vars: &[(&str, &str)]) -> TestApp {
    start_app(None, vars).await
}

/// The application on a fresh database of the given backend.
pub async fn spawn_app_on(backend: Backend, vars: &[(&str, &str)]) -> TestApp {
    start_app(Some(TestDatabase::new(backend).await), vars).await
}

async fn start_app(database: Option<TestDatabase>, vars: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = database.as_ref().map(|d| d.url.as_str());
    let bucket = database
        .as_ref()
        .filter(|database| database.backend == Backend::Postgres)
        .map(|_| new_bucket_url());
    let state = start_state(data_dir.path(), database_url, bucket.as_deref(), vars).await;
    TestApp {
        router: app(state.clone()),
        state,
        _data_dir: Some(data_dir),
        _database: database,
    }
}

/// The application's state on a data directory (and a database other than the
/// directory's SQLite file, and a bucket), with extra settings.
async fn start_state(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    bucket: Option<&str>,
    vars: &[(&str, &str)],
) -> AppState {
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for (name, value) in bucket.map(bucket_vars).unwrap_or_default() {
        env.entry(name).or_insert(value);
    }
    env.insert("DATA_DIR".into(), data_dir.display().to_string());
    // Tests register many pharmacies and call the API often from one address; the tests
    // of these limits set them low.
    for (limit, generous) in [
        ("REGISTRATIONS_PER_ADDRESS_PER_DAY", "1000"),
        ("REGISTRATIONS_PER_HOUR", "1000"),
        ("RATE_LIMIT_PER_MINUTE", "10000"),
    ] {
        env.entry(limit.into()).or_insert_with(|| generous.into());
    }
    if let Some(url) = database_url {
        env.insert("DATABASE_URL".into(), url.to_owned());
    }
    let settings = Settings::from_env(&Env(|name| env.get(name).cloned())).expect("valid test settings");
    let options = LeptosOptions::builder().output_name("santhium").build();
    startup::state(settings, options).await.expect("start")
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy); `bytes` holds it exactly.
    pub body: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    /// Another instance on the same database and data directory, with other settings
    /// (the development keys in the data directory still apply unless overridden).
    pub async fn restarted(&self, vars: &[(&str, &str)]) -> TestApp {
        let settings = &self.state.settings;
        let bucket = match &settings.storage {
            Storage::S3(bucket) => Some(format!("s3://{}/{}", bucket.bucket, bucket.prefix)),
            Storage::Directory(_) => None,
        };
        let state = start_state(
            &settings.data_dir,
            Some(&settings.database.url),
            bucket.as_deref(),
            vars,
        )
        .await;
        TestApp {
            router: app(state.clone()),
            state,
            _data_dir: None,
            _database: None,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("read body").to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).expect("request")).await
    }

    /// A browser on this site, without a session yet.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            cookie: None,
            ip: None,
            forwarded_for: None,
        }
    }
}

/// A call to the REST API under `/api/v1`, from `ip` when given, with a bearer token
/// and a JSON body when given.
pub async fn api_from(
    app: &TestApp,
    ip: Option<IpAddr>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(format!("/api/v1{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let mut request = request.body(body).expect("request");
    if let Some(ip) = ip {
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    }
    app.send(request).await
}

/// What a browser keeps between requests: the session cookie, and its address.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookie: Option<String>,
    pub ip: Option<IpAddr>,
    /// An `X-Forwarded-For` header, as a proxy (or someone posing as one) sends it.
    pub forwarded_for: Option<String>,
}

/// A server function's error as the browser receives it.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: StatusCode,
    pub error: AppError,
}

/// The refusal of a form field, as the browser receives it.
pub fn invalid(field: &str, text: Text) -> Refused {
    Refused {
        status: StatusCode::BAD_REQUEST,
        error: AppError::Invalid {
            field: field.into(),
            text,
        },
    }
}

const BOUNDARY: &str = "santhium-test-boundary-7MA4FWCG";

/// A multipart body holding one file in the field `file`, and its content type.
pub fn multipart(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    form(&[Part::File(filename, content)])
}

/// A field of a multipart form: text, or a file in the field `file`.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

/// A multipart body holding the parts in order, and its content type.
pub fn form(parts: &[Part]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for part in parts {
        let (disposition, content) = match part {
            Part::Text(name, value) => (format!("name=\"{name}\""), value.as_bytes()),
            Part::File(filename, content) => (format!("name=\"file\"; filename=\"{filename}\""), *content),
        };
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

impl Visitor<'_> {
    /// A request as this browser sends it: its cookie, address and origin.
    pub fn request(&self, method: &str, uri: &str, body: Body) -> Request<Body> {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("origin", self.app.state.settings.public_url.as_str());
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(forwarded_for) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded_for);
        }
        let mut request = request.body(body).expect("request");
        if let Some(ip) = self.ip {
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
        }
        request
    }

    /// Sends one file to the `send_document` server function, as the patient's page does.
    pub async fn send_file(&self, filename: &str, content: &[u8]) -> Result<DocumentReceipt, Refused> {
        self.send_form(&[Part::File(filename, content)]).await
    }

    /// Sends photos as the pages of one document, as the patient's page does.
    pub async fn send_pages(&self, name: &str, pages: &[(&str, &[u8])]) -> Result<DocumentReceipt, Refused> {
        let fields = [Part::Text("combine", "true"), Part::Text("name", name)];
        let files = pages.iter().map(|(filename, content)| Part::File(filename, content));
        self.send_form(&fields.into_iter().chain(files).collect::<Vec<_>>())
            .await
    }

    async fn send_form(&self, parts: &[Part<'_>]) -> Result<DocumentReceipt, Refused> {
        let (content_type, body) = form(parts);
        let mut request = self.request("POST", SendDocument::PATH, Body::from(body));
        request
            .headers_mut()
            .insert("content-type", content_type.parse().expect("header"));
        let response = self.app.send(request).await;
        if response.status == StatusCode::OK {
            Ok(serde_json::from_str(&response.body).expect("a receipt"))
        } else {
            Err(Refused {
                status: response.status,
                error: serde_json::from_str(&response.body).expect("an error"),
            })
        }
    }

    /// Calls server function `F` with a form, as the app's pages do.
    pub async fn call<F: ServerFn, T: DeserializeOwned>(&mut self, form: &[(&str, &str)]) -> Result<T, Refused> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = Request::post(F::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.app.state.settings.public_url.as_str())
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
            );
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(forwarded_for) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded_for);
        }
        let mut request = request.body(Body::from(body)).expect("request");
        if let Some(ip) = self.ip {
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
        }
        let response = self.app.send(request).await;
        if let Some(set_cookie) = response.headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set_cookie.split(';').next().unwrap_or_default();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair.to_owned())
            };
        }
        if response.status == StatusCode::OK {
            Ok(serde_json::from_str(&response.body)
                .unwrap_or_else(|e| panic!("{} answered {} ({e})", F::PATH, response.body)))
        } else {
            let error = serde_json::from_str(&response.body)
                .unwrap_or_else(|e| panic!("{} refused with {}: {} ({e})", F::PATH, response.status, response.body));
            Err(Refused {
                status: response.status,
                error,
            })
        }
    }
}
