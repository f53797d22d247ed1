//! Security headers on every response, and the per-page Content Security Policy whose
//! nonce lets Leptos' own inline hydration scripts run and nothing else.
//!
//! The nonce is made here, before the request reaches Leptos, which renders the page
//! with it; the policy naming it is set here too, on the HTML that comes back, so a page
//! never depends on its rendering to carry its policy.

use crate::error::AppError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::*;
use url::Url;

/// For everything that is not a page (JSON, files): nothing may load or frame it.
const DEFAULT_CSP: &str =
    "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// A page's policy; `preview_origin`, when there is one, is the only origin it may frame.
fn page_csp(nonce: &str, preview_origin: Option<&str>) -> String {
    let frames = preview_origin.unwrap_or("'none'");
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         frame-src {frames}; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Called where Leptos renders a request: its pages use the nonce `security_headers`
/// made for that request.
pub fn provide_page_nonce() {
    match use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned()) {
        Some(nonce) => provide_context(nonce),
        None => tracing::error!("a page is rendered without the nonce of its policy: its scripts will not run"),
    }
}

/// What the security headers depend on: whether the site is served over HTTPS (then HSTS
/// is sent), and the origin of previews, which pages may frame.
#[derive(Clone)]
pub struct HeaderSettings {
    pub tls: bool,
    pub preview_origin: Option<String>,
}

/// Middleware: the security headers; a page (HTML without a policy of its own) gets the
/// policy naming the nonce it was rendered with, anything else the default one.
pub async fn security_headers(State(settings): State<HeaderSettings>, mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let is_page = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let csp = is_page
            .then(|| HeaderValue::from_str(&page_csp(&nonce, settings.preview_origin.as_deref())).ok())
            .flatten();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            csp.unwrap_or(HeaderValue::from_static(DEFAULT_CSP)),
        );
    }
    if settings.tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Whether a request was sent by another site's page (CSRF), from the browser's own
/// `Sec-Fetch-Site`, else `Origin`. Clients that send neither are not browsers.
fn is_cross_site(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header(header::ORIGIN.as_str()) else {
        return false;
    };
    let same_host = match (Url::parse(origin), header(header::HOST.as_str())) {
        (Ok(origin), Some(host)) => origin.authority() == host,
        _ => false,
    };
    origin != public_url && !same_host
}

/// Middleware: state-changing requests from another site are refused with 403.
pub async fn same_origin_only(State(public_url): State<String>, request: Request, next: Next) -> Response {
    if is_cross_site(request.method(), request.headers(), &public_url) {
        return AppError::Forbidden.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cross_site(method: Method, headers: &[(&'static str, &'static str)]) -> bool {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        is_cross_site(&method, &map, "https://pharmacie.example.fr")
    }

    #[test]
    fn only_state_changing_requests_from_other_sites_are_cross_site() {
        assert!(
            !cross_site(Method::GET, &[("sec-fetch-site", "cross-site")]),
            "GET changes nothing"
        );
        assert!(cross_site(Method::POST, &[("sec-fetch-site", "cross-site")]));
        assert!(
            cross_site(Method::POST, &[("sec-fetch-site", "same-site")]),
            "a sibling subdomain is another site"
        );
        assert!(!cross_site(Method::POST, &[("sec-fetch-site", "same-origin")]));
        assert!(cross_site(Method::POST, &[("origin", "https://evil.example")]));
        assert!(cross_site(Method::DELETE, &[("origin", "null")]));
        assert!(!cross_site(Method::POST, &[("origin", "https://pharmacie.example.fr")]));
        assert!(!cross_site(
            Method::POST,
            &[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]
        ));
        assert!(!cross_site(Method::POST, &[]), "not a browser");
    }
}
