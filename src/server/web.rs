//! Glue between server functions and the server: the state and request they answer,
//! cookies they set, and the HTTP status their errors carry.

use crate::error::AppError;
use crate::server::AppState;
use crate::server::config::Settings;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

/// What the server knows of the client behind a request.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub cookies: String,
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
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
            user_agent: header(header::USER_AGENT).map(|ua| ua.chars().take(400).collect()),
            cookies: header(header::COOKIE).unwrap_or_default(),
        }
    }

    /// A cookie's value, by name.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
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
        let secure = if settings.uses_tls() { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name(settings)
        )
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

/// Runs a server function's work; an error also sets the response's status (401, 403,
/// 404, 429...), so clients other than the app's own pages read it too.
pub async fn answer<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = work.await;
    if let (Err(error), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        response.set_status(error.status());
        if let AppError::RateLimited { retry_after_secs } = error {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
    }
    result
}
