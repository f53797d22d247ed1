//! Settings from environment variables (optionally a `.env` file), with the original
//! backend's names. Every value is checked at start-up; a bad one stops the server
//! with one line naming the variable and what it expects.

pub mod dev_keys;
pub mod pro_sante_connect;
pub mod storage;

use crate::server::keys::{Keyring, MasterKey, SecretKey};
use axum::http::HeaderValue;
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// File types a pharmacy can receive; `ALLOWED_EXTENSIONS` picks among them.
pub const SUPPORTED_EXTENSIONS: [&str; 4] = ["pdf", "jpg", "jpeg", "png"];

#[derive(Debug)]
pub struct Settings {
    /// `ENVIRONMENT=production`: secrets must be given, never generated.
    pub production: bool,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    /// `STORAGE_URL`: where sealed documents are kept.
    pub storage: storage::Storage,
    /// `METRICS_ADDR`: where `GET /metrics` is served, apart from the site; unset, nowhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub secret_key: SecretKey,
    /// `ENCRYPTION_KEY` seals; it and `PREVIOUS_ENCRYPTION_KEYS` open.
    pub encryption_key: Keyring,
    pub public_url: String,
    /// The second origin previews are served from, so a document never runs as the
    /// site (`PREVIEW_URL`); previews are off without one.
    pub preview_url: Option<String>,
    pub cors_origins: Vec<HeaderValue>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); none by
    /// default, so the TCP peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    pub max_file_size_mb: u64,
    pub allowed_extensions: Vec<String>,
    pub data_retention_days: u32,
    pub auto_delete_enabled: bool,
    /// Minutes between two retention sweeps.
    pub retention_sweep_minutes: u32,
    /// Days an ended transfer code stays in the history before it is purged.
    pub ended_code_grace_days: u32,
    pub code_expiration_hours: u32,
    pub rate_limit_per_minute: u32,
    pub access_token_expire_minutes: u32,
    /// Days an API refresh token can be used (once).
    pub refresh_token_expire_days: u32,
    pub shutdown_grace_seconds: u64,
    pub connections: ConnectionLimits,
    pub sessions: SessionPolicy,
    pub login_limit: LoginLimit,
    /// How long a temporary password set by an admin stays usable.
    pub temporary_password_hours: u32,
    pub code_lookups: CodeLookupLimits,
    pub registrations: RegistrationLimits,
    /// Whether a newly registered pharmacy requires the second factor of its staff
    /// (by default in production only).
    pub new_pharmacies_require_second_factor: bool,
    /// Passwords waiting for a hashing thread at most; past it, 503 at once.
    pub password_hash_queue: usize,
    /// Where arrival emails go out (`SMTP_HOST` unset: none are sent).
    pub smtp: Option<Smtp>,
    /// Least minutes between two arrival emails to one pharmacy.
    pub notification_minutes: u32,
    /// The Pro Santé Connect client (`OIDC_*`); unset, passwords only.
    pub pro_sante_connect: Option<pro_sante_connect::ProSanteConnect>,
}

/// The mail server arrival notifications are sent through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Username and password, when the server asks for them.
    pub credentials: Option<(String, String)>,
    pub from: lettre::message::Mailbox,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain, then upgraded by STARTTLS, which is required (usually port 587).
    StartTls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

/// How many transfer codes a client may look up per minute, and how many look-ups may
/// fail per hour, all clients together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeLookupLimits {
    pub per_client_per_minute: u32,
    pub failures_per_hour: u32,
    /// The difficulty of the proof of work typed codes need once the budget is spent.
    pub proof_of_work_bits: u8,
}

/// What one connection and one request may take of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// A request's headers must have arrived within this.
    pub header_read_timeout: Duration,
    /// A request body's least average rate, after a grace period.
    pub body_min_bytes_per_second: u64,
    /// The longest a request that does not stream a file may take to be answered.
    pub request_timeout: Duration,
}

/// How many pharmacies may register from one client address per day, and from all
/// clients together per hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationLimits {
    pub per_address_per_day: u32,
    pub per_hour: u32,
}

/// When a signed-in session ends by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_minutes: u32,
    pub max_hours: u32,
}

/// How many failed logins an account, or a client address, may make in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimit {
    pub max_failures: u32,
    pub window_minutes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    pub url: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Option<DatabaseUrl> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return None;
        };
        Some(DatabaseUrl {
            backend,
            url: url.to_owned(),
        })
    }

    /// The embedded database: a SQLite file in the data directory, created if missing.
    pub fn sqlite_in(data_dir: &std::path::Path) -> DatabaseUrl {
        DatabaseUrl {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}?mode=rwc", data_dir.join("santhium.db").display()),
        }
    }
}

/// A setting that cannot be used, named with what it should be.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}: expected {}",
            self.variable, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// Reads variables through `var`, so tests can pass a map instead of the process
/// environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The value, with surrounding blanks removed; empty counts as unset.
    fn get(&self, variable: &str) -> Option<String> {
        (self.0)(variable)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn number<T>(&self, variable: &'static str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.get(variable) else {
            return Ok(default);
        };
        raw.parse::<T>()
            .ok()
            .filter(|n| *n >= min && *n <= max)
            .ok_or_else(|| expected(variable, format!("a whole number from {min} to {max}")))
    }

    fn flag(&self, variable: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(variable).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(_) => Err(expected(variable, "true or false")),
        }
    }
}

pub(crate) fn expected(variable: &'static str, what: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        expected: what.into(),
    }
}

/// The host of an origin, without its scheme or port (IPv6 in brackets).
fn host_of(origin: &str) -> Option<String> {
    Url::parse(origin).ok()?.host_str().map(str::to_owned)
}

/// `PREVIEW_URL`, or on a local address the other local name for the same server
/// (`localhost` for `127.0.0.1` and back). It must name another host than
/// `PUBLIC_URL`: cookies are shared across ports, never across hosts.
fn preview_url<F: Fn(&str) -> Option<String>>(env: &Env<F>, public_url: &str) -> Result<Option<String>, ConfigError> {
    let preview = match env.get("PREVIEW_URL") {
        Some(url) => http_url("PREVIEW_URL", &url)?,
        None => {
            let other_name = match host_of(public_url).as_deref() {
                Some("127.0.0.1") => "localhost",
                Some("localhost") => "127.0.0.1",
                _ => return Ok(None),
            };
            let mut other =
                Url::parse(public_url).map_err(|_| expected("PUBLIC_URL", "an http:// or https:// origin"))?;
            other
                .set_host(Some(other_name))
                .map_err(|_| expected("PREVIEW_URL", "an http:// or https:// origin"))?;
            other.origin().ascii_serialization()
        }
    };
    if host_of(&preview) == host_of(public_url) {
        return Err(expected(
            "PREVIEW_URL",
            "an origin on another host name than PUBLIC_URL",
        ));
    }
    Ok(Some(preview))
}

fn smtp<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Option<Smtp>, ConfigError> {
    let Some(host) = env.get("SMTP_HOST") else {
        return Ok(None);
    };
    let security = match env.get("SMTP_SECURITY").as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(_) => return Err(expected("SMTP_SECURITY", "starttls, tls or none")),
    };
    let default_port = if security == SmtpSecurity::Tls { 465 } else { 587 };
    let credentials = match (env.get("SMTP_USERNAME"), env.get("SMTP_PASSWORD")) {
        (Some(user), Some(password)) => Some((user, password)),
        (None, None) => None,
        _ => return Err(expected("SMTP_USERNAME", "to be set together with SMTP_PASSWORD")),
    };
    let from = env.get("SMTP_FROM").and_then(|from| from.parse().ok()).ok_or_else(|| {
        expected(
            "SMTP_FROM",
            "the sender's address, such as Santhium <santhium@pharmacie.example.fr>",
        )
    })?;
    Ok(Some(Smtp {
        host,
        port: env.number("SMTP_PORT", default_port, 1, u16::MAX)?,
        security,
        credentials,
        from,
    }))
}

/// An `http://` or `https://` origin (scheme, host and port, nothing after), as
/// `scheme://host[:port]`.
fn http_url(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let invalid = || {
        expected(
            variable,
            "an http:// or https:// origin such as https://pharmacie.example.fr",
        )
    };
    let url = Url::parse(value).map_err(|_| invalid())?;
    let origin_only = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !origin_only {
        return Err(invalid());
    }
    Ok(url.origin().ascii_serialization())
}

impl Settings {
    /// Reads and checks every setting. In development, missing keys are taken from (or
    /// generated into) the data directory, so a restart can still decrypt what it stored.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Settings, ConfigError> {
        let production = match env.get("ENVIRONMENT").as_deref() {
            None | Some("development") => false,
            Some("production") => true,
            Some(_) => return Err(expected("ENVIRONMENT", "development or production")),
        };
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database = match env.get("DATABASE_URL") {
            None => DatabaseUrl::sqlite_in(&data_dir),
            Some(url) => {
                DatabaseUrl::parse(&url).ok_or_else(|| expected("DATABASE_URL", "a sqlite:// or postgres:// URL"))?
            }
        };
        let secret_key = env
            .get("SECRET_KEY")
            .map(|v| SecretKey::parse(&v).ok_or_else(|| expected("SECRET_KEY", SecretKey::FORMAT)))
            .transpose()?;
        let encryption_key = env
            .get("ENCRYPTION_KEY")
            .map(|v| MasterKey::parse(&v).ok_or_else(|| expected("ENCRYPTION_KEY", MasterKey::FORMAT)))
            .transpose()?;
        let (secret_key, encryption_key) = if production {
            let required = |format: &str| format!("{format} (required when ENVIRONMENT=production)");
            (
                secret_key.ok_or_else(|| expected("SECRET_KEY", required(SecretKey::FORMAT)))?,
                encryption_key.ok_or_else(|| expected("ENCRYPTION_KEY", required(MasterKey::FORMAT)))?,
            )
        } else {
            dev_keys::development_keys(&data_dir, secret_key, encryption_key)?
        };
        let previous_keys = env
            .get("PREVIOUS_ENCRYPTION_KEYS")
            .unwrap_or_default()
            .split(',')
            .filter(|key| !key.trim().is_empty())
            .map(|key| {
                MasterKey::parse(key.trim())
                    .filter(|key| key.id() != encryption_key.id())
                    .ok_or_else(|| {
                        expected(
                            "PREVIOUS_ENCRYPTION_KEYS",
                            "comma-separated keys in ENCRYPTION_KEY's format, with ids other than ENCRYPTION_KEY's",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let encryption_key = Keyring::new(encryption_key, previous_keys);
        let public_url = http_url(
            "PUBLIC_URL",
            &env.get("PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        )?;
        let preview_url = preview_url(env, &public_url)?;
        let cors_origins = env
            .get("CORS_ORIGINS")
            .unwrap_or_else(|| "http://localhost:3000".into())
            .split(',')
            .map(|origin| {
                let origin = http_url("CORS_ORIGINS", origin.trim())?;
                HeaderValue::from_str(&origin).map_err(|_| expected("CORS_ORIGINS", "comma-separated origins"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_proxies = env
            .get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        expected(
                            "TRUSTED_PROXIES",
                            "comma-separated addresses or CIDR ranges, such as 127.0.0.1,10.0.0.0/8",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_extensions = env
            .get("ALLOWED_EXTENSIONS")
            .unwrap_or_else(|| SUPPORTED_EXTENSIONS.join(","))
            .split(',')
            .map(|ext| ext.trim().trim_start_matches('.').to_ascii_lowercase())
            .map(|ext| {
                SUPPORTED_EXTENSIONS
                    .contains(&ext.as_str())
                    .then_some(ext)
                    .ok_or_else(|| {
                        expected(
                            "ALLOWED_EXTENSIONS",
                            format!("a comma-separated list from {}", SUPPORTED_EXTENSIONS.join(", ")),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let settings = Settings {
            production,
            database,
            public_url,
            preview_url,
            cors_origins,
            trusted_proxies,
            allowed_extensions,
            max_file_size_mb: env.number("MAX_FILE_SIZE_MB", 10, 1, 100)?,
            data_retention_days: env.number("DATA_RETENTION_DAYS", 30, 1, 3650)?,
            auto_delete_enabled: env.flag("AUTO_DELETE_ENABLED", true)?,
            retention_sweep_minutes: env.number("RETENTION_SWEEP_MINUTES", 60, 1, 1440)?,
            ended_code_grace_days: env.number("ENDED_CODE_GRACE_DAYS", 7, 1, 365)?,
            code_expiration_hours: env.number("CODE_EXPIRATION_HOURS", 24, 1, 720)?,
            rate_limit_per_minute: env.number("RATE_LIMIT_PER_MINUTE", 60, 1, 100_000)?,
            access_token_expire_minutes: env.number("ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1, 1440)?,
            refresh_token_expire_days: env.number("REFRESH_TOKEN_EXPIRE_DAYS", 14, 1, 365)?,
            shutdown_grace_seconds: env.number("SHUTDOWN_GRACE_SECONDS", 10, 0, 600)?,
            connections: ConnectionLimits {
                max_connections: env.number("MAX_CONNECTIONS", 1000, 1, 100_000)?,
                header_read_timeout: Duration::from_secs(env.number("HEADER_READ_TIMEOUT_SECONDS", 10, 1, 300)?),
                body_min_bytes_per_second: env.number("BODY_MIN_BYTES_PER_SECOND", 1024, 1, 10_000_000)?,
                request_timeout: Duration::from_secs(env.number("REQUEST_TIMEOUT_SECONDS", 30, 1, 3600)?),
            },
            sessions: SessionPolicy {
                idle_minutes: env.number("SESSION_IDLE_MINUTES", 30, 1, 1440)?,
                max_hours: env.number("SESSION_MAX_HOURS", 12, 1, 720)?,
            },
            login_limit: LoginLimit {
                max_failures: env.number("LOGIN_MAX_FAILURES", 10, 1, 1000)?,
                window_minutes: env.number("LOGIN_FAILURE_WINDOW_MINUTES", 15, 1, 1440)?,
            },
            temporary_password_hours: env.number("TEMPORARY_PASSWORD_HOURS", 72, 1, 720)?,
            code_lookups: CodeLookupLimits {
                per_client_per_minute: env.number("CODE_LOOKUPS_PER_MINUTE", 10, 1, 10_000)?,
                failures_per_hour: env.number("CODE_FAILED_LOOKUPS_PER_HOUR", 500, 1, 1_000_000)?,
                proof_of_work_bits: env.number("CODE_PROOF_OF_WORK_BITS", 20, 1, 24)?,
            },
            registrations: RegistrationLimits {
                per_address_per_day: env.number("REGISTRATIONS_PER_ADDRESS_PER_DAY", 5, 1, 10_000)?,
                per_hour: env.number("REGISTRATIONS_PER_HOUR", 30, 1, 100_000)?,
            },
            new_pharmacies_require_second_factor: env.flag("NEW_PHARMACIES_REQUIRE_SECOND_FACTOR", production)?,
            password_hash_queue: env.number("PASSWORD_HASH_QUEUE", 32, 1, 10_000)?,
            smtp: smtp(env)?,
            notification_minutes: env.number("NOTIFICATION_INTERVAL_MINUTES", 5, 1, 1440)?,
            storage: storage::storage(env, &data_dir)?,
            pro_sante_connect: pro_sante_connect::pro_sante_connect(env, production)?,
            metrics_addr: env
                .get("METRICS_ADDR")
                .map(|addr| {
                    addr.parse()
                        .map_err(|_| expected("METRICS_ADDR", "an address and port, like 127.0.0.1:9100"))
                })
                .transpose()?,
            data_dir,
            secret_key,
            encryption_key,
        };
        Ok(settings)
    }

    /// Served over TLS, so browsers are told to stay on HTTPS.
    pub fn uses_tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn max_file_size_bytes(&self) -> u64 {
        self.max_file_size_mb * 1024 * 1024
    }

    /// The longest an upload can last: the largest file at the slowest rate allowed, and
    /// half a minute for the body's grace period and the commit. An upload's reservation lasts
    /// this long, and a blob without a row is an orphan only once older than this.
    pub fn longest_upload_secs(&self) -> i64 {
        let streaming = self.max_file_size_bytes() / self.connections.body_min_bytes_per_second;
        i64::try_from(streaming).unwrap_or(i64::MAX / 2) + 30
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.entry("DATA_DIR".into())
            .or_insert_with(|| dir.path().display().to_string());
        Settings::from_env(&Env(|name| map.get(name).cloned()))
    }

    fn failing_variable(vars: &[(&str, &str)]) -> &'static str {
        settings(vars).expect_err("should be refused").variable
    }

    const SECRET: &str = "c2FudGhpdW0tc2VjcmV0LWtleS0zMi1ieXRlcy1sb25nIQ==";
    const MASTER: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert!(
            settings(&[]).expect("defaults").trusted_proxies.is_empty(),
            "none by default"
        );
        let s = settings(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")]).expect("valid");
        assert_eq!(s.trusted_proxies.len(), 3);
        assert!(s.trusted_proxies[1].contains(&"10.2.3.4".parse::<IpAddr>().expect("address")));
        assert!(!s.trusted_proxies[0].contains(&"127.0.0.2".parse::<IpAddr>().expect("address")));
        assert_eq!(
            failing_variable(&[("TRUSTED_PROXIES", "proxy.local")]),
            "TRUSTED_PROXIES"
        );
        assert_eq!(
            failing_variable(&[("TRUSTED_PROXIES", "10.0.0.0/40")]),
            "TRUSTED_PROXIES"
        );
    }

    #[test]
    fn new_pharmacies_require_the_second_factor_in_production_only_by_default() {
        assert!(!settings(&[]).expect("defaults").new_pharmacies_require_second_factor);
        let production = [
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", SECRET),
            ("ENCRYPTION_KEY", MASTER),
        ];
        assert!(
            settings(&production)
                .expect("valid")
                .new_pharmacies_require_second_factor
        );
        let relaxed = [
            production.as_slice(),
            &[("NEW_PHARMACIES_REQUIRE_SECOND_FACTOR", "false")],
        ]
        .concat();
        assert!(!settings(&relaxed).expect("valid").new_pharmacies_require_second_factor);
    }

    #[test]
    fn defaults_follow_the_original_backend() {
        let s = settings(&[]).expect("defaults are valid");
        assert!(!s.production);
        assert_eq!(s.database.backend, Backend::Sqlite);
        assert!(s.database.url.ends_with("santhium.db?mode=rwc"));
        assert_eq!(s.max_file_size_mb, 10);
        assert_eq!(s.allowed_extensions, ["pdf", "jpg", "jpeg", "png"]);
        assert_eq!(s.data_retention_days, 30);
        assert!(s.auto_delete_enabled);
        assert_eq!((s.retention_sweep_minutes, s.ended_code_grace_days), (60, 7));
        assert_eq!(s.code_expiration_hours, 24);
        assert_eq!(s.rate_limit_per_minute, 60);
        assert_eq!(s.access_token_expire_minutes, 30);
        assert_eq!(
            s.sessions,
            SessionPolicy {
                idle_minutes: 30,
                max_hours: 12
            }
        );
        assert_eq!(
            s.login_limit,
            LoginLimit {
                max_failures: 10,
                window_minutes: 15
            }
        );
        assert_eq!(s.temporary_password_hours, 72);
        assert_eq!(
            s.code_lookups,
            CodeLookupLimits {
                per_client_per_minute: 10,
                failures_per_hour: 500,
                proof_of_work_bits: 20,
            }
        );
        assert_eq!(s.cors_origins, ["http://localhost:3000"]);
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(!s.uses_tls());
    }

    #[test]
    fn values_are_read_and_normalised() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://santhium@db.internal/santhium"),
            ("ALLOWED_EXTENSIONS", " PDF, .png "),
            ("MAX_FILE_SIZE_MB", "25"),
            ("AUTO_DELETE_ENABLED", "false"),
            ("PUBLIC_URL", "https://pharmacie.example.fr/"),
            ("CORS_ORIGINS", "https://a.example, https://b.example"),
        ])
        .expect("valid");
        assert_eq!(s.database.backend, Backend::Postgres);
        assert_eq!(s.allowed_extensions, ["pdf", "png"]);
        assert_eq!(s.max_file_size_bytes(), 25 * 1024 * 1024);
        assert!(!s.auto_delete_enabled);
        assert_eq!(s.public_url, "https://pharmacie.example.fr");
        assert!(s.uses_tls());
        assert_eq!(s.cors_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn each_invalid_value_names_its_variable() {
        assert_eq!(failing_variable(&[("DATABASE_URL", "mysql://x")]), "DATABASE_URL");
        assert_eq!(failing_variable(&[("MAX_FILE_SIZE_MB", "ten")]), "MAX_FILE_SIZE_MB");
        assert_eq!(failing_variable(&[("MAX_FILE_SIZE_MB", "0")]), "MAX_FILE_SIZE_MB");
        assert_eq!(
            failing_variable(&[("DATA_RETENTION_DAYS", "-1")]),
            "DATA_RETENTION_DAYS"
        );
        assert_eq!(
            failing_variable(&[("CODE_EXPIRATION_HOURS", "1.5")]),
            "CODE_EXPIRATION_HOURS"
        );
        assert_eq!(
            failing_variable(&[("RATE_LIMIT_PER_MINUTE", "lots")]),
            "RATE_LIMIT_PER_MINUTE"
        );
        assert_eq!(
            failing_variable(&[("ACCESS_TOKEN_EXPIRE_MINUTES", "0")]),
            "ACCESS_TOKEN_EXPIRE_MINUTES"
        );
        assert_eq!(
            failing_variable(&[("AUTO_DELETE_ENABLED", "maybe")]),
            "AUTO_DELETE_ENABLED"
        );
        assert_eq!(
            failing_variable(&[("ALLOWED_EXTENSIONS", "pdf,exe")]),
            "ALLOWED_EXTENSIONS"
        );
        for not_an_origin in [
            "pharmacie.example.fr",
            "https://pharmacie.example.fr/envoi",
            "https://pharmacie.example.fr/?a=b",
            "https://camille@pharmacie.example.fr",
            "ftp://pharmacie.example.fr",
            "https://",
        ] {
            assert_eq!(
                failing_variable(&[("PUBLIC_URL", not_an_origin)]),
                "PUBLIC_URL",
                "{not_an_origin}"
            );
        }
        let spelt = settings(&[("PUBLIC_URL", "HTTPS://Pharmacie.Example.fr:443/")]).expect("an origin");
        assert_eq!(spelt.public_url, "https://pharmacie.example.fr");
        assert_eq!(
            failing_variable(&[("CORS_ORIGINS", "https://ok.example,javascript:x")]),
            "CORS_ORIGINS"
        );
        assert_eq!(failing_variable(&[("ENVIRONMENT", "prod")]), "ENVIRONMENT");
        assert_eq!(
            failing_variable(&[("SESSION_IDLE_MINUTES", "0")]),
            "SESSION_IDLE_MINUTES"
        );
        assert_eq!(failing_variable(&[("SESSION_MAX_HOURS", "a day")]), "SESSION_MAX_HOURS");
        assert_eq!(failing_variable(&[("LOGIN_MAX_FAILURES", "0")]), "LOGIN_MAX_FAILURES");
        assert_eq!(
            failing_variable(&[("LOGIN_FAILURE_WINDOW_MINUTES", "-5")]),
            "LOGIN_FAILURE_WINDOW_MINUTES"
        );
        assert_eq!(
            failing_variable(&[("TEMPORARY_PASSWORD_HOURS", "0")]),
            "TEMPORARY_PASSWORD_HOURS"
        );
        assert_eq!(failing_variable(&[("SECRET_KEY", "too-short")]), "SECRET_KEY");
        assert_eq!(
            failing_variable(&[("ENCRYPTION_KEY", "no-key-id-here")]),
            "ENCRYPTION_KEY"
        );
        assert_eq!(
            failing_variable(&[("ENCRYPTION_KEY", MASTER), ("PREVIOUS_ENCRYPTION_KEYS", MASTER)]),
            "PREVIOUS_ENCRYPTION_KEYS"
        );
        assert_eq!(
            failing_variable(&[("PREVIOUS_ENCRYPTION_KEYS", "k0:short")]),
            "PREVIOUS_ENCRYPTION_KEYS"
        );
    }

    #[test]
    fn previews_come_from_another_host_than_the_site() {
        let local = settings(&[]).expect("valid");
        assert_eq!(local.preview_url.as_deref(), Some("http://localhost:3000"));
        let named = settings(&[("PUBLIC_URL", "http://localhost:3100")]).expect("valid");
        assert_eq!(named.preview_url.as_deref(), Some("http://127.0.0.1:3100"));
        let public = settings(&[("PUBLIC_URL", "https://pharmacie.example.fr")]).expect("valid");
        assert_eq!(public.preview_url, None, "off until a second host name is given");
        let given = settings(&[
            ("PUBLIC_URL", "https://pharmacie.example.fr"),
            ("PREVIEW_URL", "https://apercu.pharmacie.example.fr/"),
        ])
        .expect("valid");
        assert_eq!(
            given.preview_url.as_deref(),
            Some("https://apercu.pharmacie.example.fr")
        );
        assert_eq!(
            failing_variable(&[
                ("PUBLIC_URL", "https://pharmacie.example.fr"),
                ("PREVIEW_URL", "https://pharmacie.example.fr:8443"),
            ]),
            "PREVIEW_URL",
            "another port of the same host shares its cookies"
        );
    }

    #[test]
    fn smtp_is_off_unless_a_host_is_given_and_then_checked() {
        assert_eq!(settings(&[]).expect("valid").smtp, None);
        let smtp = settings(&[
            ("SMTP_HOST", "smtp.example.fr"),
            ("SMTP_FROM", "santhium@pharmacie.example.fr"),
            ("SMTP_USERNAME", "santhium"),
            ("SMTP_PASSWORD", "secret"),
        ])
        .expect("valid")
        .smtp
        .expect("on");
        assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::StartTls));
        assert_eq!(smtp.credentials, Some(("santhium".into(), "secret".into())));
        let tls = [
            ("SMTP_HOST", "smtp.example.fr"),
            ("SMTP_FROM", "a@b.fr"),
            ("SMTP_SECURITY", "tls"),
        ];
        assert_eq!(settings(&tls).expect("valid").smtp.map(|s| s.port), Some(465));
        assert_eq!(failing_variable(&[("SMTP_HOST", "smtp.example.fr")]), "SMTP_FROM");
        assert_eq!(
            failing_variable(&[("SMTP_HOST", "h"), ("SMTP_FROM", "a@b.fr"), ("SMTP_SECURITY", "ssl")]),
            "SMTP_SECURITY"
        );
        assert_eq!(
            failing_variable(&[("SMTP_HOST", "h"), ("SMTP_FROM", "a@b.fr"), ("SMTP_USERNAME", "u")]),
            "SMTP_USERNAME"
        );
    }

    #[test]
    fn previous_master_keys_still_open_what_they_sealed() {
        let old = settings(&[("ENCRYPTION_KEY", MASTER)]).expect("valid");
        let sealed = old.encryption_key.seal(b"note", b"context");
        let rotated = settings(&[
            ("ENCRYPTION_KEY", "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="),
            ("PREVIOUS_ENCRYPTION_KEYS", &format!(" {MASTER} ")),
        ])
        .expect("valid");
        assert_eq!(rotated.encryption_key.id(), "k2");
        assert_eq!(
            rotated.encryption_key.open(&sealed, b"context").map(|p| p.to_vec()),
            Ok(b"note".to_vec())
        );
    }

    #[test]
    fn the_error_is_one_line_naming_the_variable_and_never_the_secret() {
        let message = settings(&[("SECRET_KEY", "hunter2")]).expect_err("refused").to_string();
        assert!(
            message.starts_with("invalid configuration: SECRET_KEY: expected base64"),
            "{message}"
        );
        assert!(!message.contains("hunter2") && !message.contains('\n'), "{message}");
    }

    #[test]
    fn production_refuses_to_start_without_real_secrets() {
        assert_eq!(failing_variable(&[("ENVIRONMENT", "production")]), "SECRET_KEY");
        assert_eq!(
            failing_variable(&[("ENVIRONMENT", "production"), ("SECRET_KEY", SECRET)]),
            "ENCRYPTION_KEY"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().display().to_string();
        let s = settings(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", SECRET),
            ("ENCRYPTION_KEY", MASTER),
            ("DATA_DIR", &data_dir),
        ])
        .expect("valid production settings");
        assert!(s.production);
        assert_eq!(s.encryption_key.id(), "k1");
        assert!(
            !dir.path().join(dev_keys::DEV_KEYS_FILE).exists(),
            "production never generates keys"
        );
    }

    #[test]
    fn development_generates_keys_into_the_data_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("nested").display().to_string();
        let first = settings(&[("DATA_DIR", &data_dir)]).expect("first start");
        let second = settings(&[("DATA_DIR", &data_dir)]).expect("restart");
        assert_eq!(first.secret_key.as_bytes(), second.secret_key.as_bytes());
        assert_eq!(first.encryption_key.id(), second.encryption_key.id());
    }
}
