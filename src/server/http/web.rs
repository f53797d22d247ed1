//! Glue between server functions and the server: the state and request they answer,
//! cookies they set, and the HTTP status their errors carry.

use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::server::config::Settings;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use ipnet::IpNet;
use leptos::prelude::*;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use time::Duration;

/// What the server knows of the client behind a request.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub cookies: CookieJar,
}

/// The client's address, as [`client_address`] established it for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Middleware: the client is the TCP peer; when the peer is a trusted proxy, the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy. Limits, audit
/// events, logs and sessions all take the address from here.
pub async fn client_address(State(trusted): State<Arc<[IpNet]>>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = client_behind(peer.ip(), request.headers(), &trusted);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// Walks `X-Forwarded-For` (all its lines, as proxies append them) from the right,
/// past trusted proxies. Only that header is read: each proxy appends the address it
/// saw, so the right-most entries are the proxies' word, while whatever a client wrote
/// itself stands to the left, and a `Forwarded` header a client sent through a proxy
/// that only appends `X-Forwarded-For` is the client's word alone. Entries that are not
/// addresses are skipped, so a client cannot void the header with junk.
fn client_behind(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|line| line.to_str().ok())
        .flat_map(|line| line.split(','))
        .filter_map(|hop| {
            let hop = hop.trim();
            hop.parse::<IpAddr>()
                .or_else(|_| hop.parse::<SocketAddr>().map(|with_port| with_port.ip()))
                .ok()
        })
        .collect();
    for hop in hops.into_iter().rev() {
        client = hop.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

impl RequestMeta {
    pub fn from_parts(parts: &Parts) -> RequestMeta {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        RequestMeta {
            ip: parts
                .extensions
                .get::<ClientAddress>()
                .map(|client| client.0.to_string()),
            user_agent: header(header::USER_AGENT).map(|ua| ua.chars().take(400).collect()),
            cookies: CookieJar::from_headers(&parts.headers),
        }
    }

    /// A cookie's value, by name, from any of the request's `Cookie` headers.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(Cookie::value)
    }

    /// The language the visitor chose (its cookie), French otherwise.
    pub fn lang(&self) -> Lang {
        self.cookie(LANG_COOKIE).and_then(Lang::from_code).unwrap_or_default()
    }
}

/// A site-wide, HTTP-only cookie. Over TLS its name takes the `__Host-` prefix, which
/// pins it to this host and to HTTPS (and needs `Secure`, which plain-HTTP development
/// cannot use).
pub struct SiteCookie(pub &'static str);

impl SiteCookie {
    pub fn name(&self, settings: &Settings) -> String {
        if settings.uses_tls() {
            format!("__Host-{}", self.0)
        } else {
            self.0.to_owned()
        }
    }

    /// A `Set-Cookie` value; `max_age` 0 removes the cookie.
    pub fn set(&self, settings: &Settings, value: &str, max_age: i64) -> String {
        Cookie::build((self.name(settings), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::seconds(max_age))
            .secure(settings.uses_tls())
            .build()
            .to_string()
    }
}

/// The state and the request of the server function being answered.
pub fn context() -> Result<(AppState, RequestMeta), AppError> {
    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    let parts = use_context::<Parts>().ok_or(AppError::Internal)?;
    Ok((state, RequestMeta::from_parts(&parts)))
}

pub fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(cookie)) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Middleware: a server function refused before it ran (its arguments could not be
/// read) answers with its error's status, where Leptos answers 500 to every error.
pub async fn server_fn_refusals(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Runs a server function's work; an error also sets the response's status (401, 403,
/// 404, 429...), so clients other than the app's own pages read it too.
pub async fn answer<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = work.await;
    if let (Err(error), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        response.set_status(error.status());
        if let Some(retry_after) = error.retry_after() {
            response.insert_header(header::RETRY_AFTER, retry_after);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookies(headers: &[&str]) -> RequestMeta {
        let mut request = axum::http::Request::builder();
        for header in headers {
            request = request.header(header::COOKIE, *header);
        }
        RequestMeta::from_parts(&request.body(()).expect("request").into_parts().0)
    }

    #[test]
    fn language_comes_from_the_cookie_and_defaults_to_french() {
        assert_eq!(with_cookies(&["a=b; lang=en; c=d"]).lang(), Lang::En);
        assert_eq!(with_cookies(&["lang=fr"]).lang(), Lang::Fr);
        assert_eq!(with_cookies(&["lang=de"]).lang(), Lang::Fr);
        assert_eq!(with_cookies(&["xlang=en"]).lang(), Lang::Fr);
        assert_eq!(with_cookies(&[""]).lang(), Lang::Fr);
        assert_eq!(with_cookies(&[]).lang(), Lang::Fr);
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let meta = with_cookies(&["a=1", "santhium_session=s; lang=en"]);
        assert_eq!(meta.cookie("santhium_session"), Some("s"));
        assert_eq!(meta.lang(), Lang::En);
        assert_eq!(meta.cookie("missing"), None);
    }

    fn client(peer: &str, forwarded_for: &[&str]) -> String {
        let trusted: Vec<IpNet> = ["127.0.0.1/32", "10.0.0.0/8"]
            .iter()
            .map(|net| net.parse().expect("range"))
            .collect();
        let mut headers = HeaderMap::new();
        for line in forwarded_for {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).expect("header"));
        }
        headers.insert("forwarded", HeaderValue::from_static("for=192.0.2.66"));
        client_behind(peer.parse().expect("peer"), &headers, &trusted).to_string()
    }

    #[test]
    fn the_client_is_the_right_most_address_past_trusted_proxies() {
        assert_eq!(
            client("198.51.100.1", &["203.0.113.9"]),
            "198.51.100.1",
            "an untrusted peer's header"
        );
        assert_eq!(client("127.0.0.1", &["203.0.113.9"]), "203.0.113.9");
        assert_eq!(client("127.0.0.1", &[]), "127.0.0.1", "no header: the proxy itself");
        assert_eq!(
            client("127.0.0.1", &["6.6.6.6, 203.0.113.9, 10.1.1.1"]),
            "203.0.113.9",
            "what the client wrote before is ignored, trusted hops are passed"
        );
        assert_eq!(
            client("127.0.0.1", &["6.6.6.6", "203.0.113.9"]),
            "203.0.113.9",
            "one line per proxy"
        );
        assert_eq!(
            client("127.0.0.1", &["junk, 203.0.113.9"]),
            "203.0.113.9",
            "junk cannot void the header"
        );
        assert_eq!(
            client("::ffff:127.0.0.1", &["203.0.113.9"]),
            "203.0.113.9",
            "a dual-stack listener"
        );
        assert_eq!(client("127.0.0.1", &["[2001:db8::1]:4711"]), "2001:db8::1");
        assert_eq!(client("127.0.0.1", &["::ffff:203.0.113.9"]), "203.0.113.9");
    }
}
