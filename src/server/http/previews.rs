//! Previews of documents inside the dashboard, served from a second origin.
//!
//! A patient's file is untrusted: a PDF can carry scripts, and an image can be crafted
//! to be something else. The download route makes its answer a sandboxed document, but
//! the browser's PDF viewer refuses to run in a sandbox, so a preview cannot be made
//! safe that way on the site's own origin. Previews are therefore served on another host
//! name (`PREVIEW_URL`) by the same server, which answers nothing else there: whatever
//! runs in a preview runs as that origin, which holds no cookie, no session and no page
//! of the site, and may only be framed by the site. Any other address on that host
//! redirects to the same path on the site (`http://localhost:3000/`, as people type it
//! for a local server, reaches the site at `http://127.0.0.1:3000/`).
//!
//! With no cookie to go on, a preview's address carries a grant: the document and the
//! viewer's session, valid for a few minutes, signed with `SECRET_KEY`. The session is
//! checked again at each request, so signing out or being disabled ends it at once.

use crate::error::AppError;
use crate::server::downloads::{Delivery, deliver};
use crate::server::http::connections;
use crate::server::http::web::RequestMeta;
use crate::server::repo::documents;
use crate::server::session::{self, Caller};
use crate::server::state::AppState;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;
use url::Url;

const GRANT_PURPOSE: &str = "preview";

/// How long a preview address opens its document.
const GRANT_SECS: i64 = 5 * 60;

/// The address on the preview origin that shows document `id` to the caller, if the
/// server has a preview origin; another pharmacy's document answers as a missing one.
pub async fn link(state: &AppState, caller: &Caller, id: &str) -> Result<String, AppError> {
    let origin = state.settings.preview_url.as_deref().ok_or(AppError::NotFound)?;
    documents::find_for_pharmacy(&state.db, id, &caller.pharmacy.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let expires_at = state.clock.now() + GRANT_SECS;
    let payload = format!("{id}:{}", caller.session.id);
    let grant = state.settings.secret_key.grant(GRANT_PURPOSE, &payload, expires_at);
    Ok(format!("{origin}/preview/{grant}"))
}

/// `GET /preview/{grant}` on the preview origin.
async fn preview(State(state): State<AppState>, Path(grant): Path<String>, request: Request) -> Response {
    let (request, _) = request.into_parts();
    let meta = RequestMeta::from_parts(&request);
    let delivered = async {
        let payload = state
            .settings
            .secret_key
            .granted(GRANT_PURPOSE, &grant, state.clock.now())
            .ok_or(AppError::NotFound)?;
        let (id, session_id) = payload.split_once(':').ok_or(AppError::NotFound)?;
        let caller = session::staff_in_session(&state, session_id, &meta)
            .await
            .map_err(|_| AppError::NotFound)?;
        deliver(&state, &caller, id, Delivery::Preview, &request).await
    };
    delivered.await.into_response()
}

/// Anything else read on the preview origin: the same path on the site. Nothing is
/// ever sent to it but previews.
async fn to_site(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return AppError::NotFound.into_response();
    }
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let location = format!("{}{path}", state.settings.public_url);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response()
}

/// Everything the preview origin serves.
fn router(state: AppState) -> Router {
    let previews = Router::new().route("/preview/{grant}", get(preview)).fallback(to_site);
    connections::bounded(previews, state.settings.connections)
        .layer(axum::middleware::from_fn(|request: Request, next: Next| async move {
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers
                .entry(header::CONTENT_SECURITY_POLICY)
                .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
            response
        }))
        .with_state(state)
}

/// Middleware in front of the whole site: a request for the preview origin's host goes
/// to the preview router and never reaches the site.
pub async fn by_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(preview_host) = state.settings.preview_url.as_deref().and_then(authority) else {
        return next.run(request).await;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(|host| host.eq_ignore_ascii_case(&preview_host)) {
        router(state)
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {})
    } else {
        next.run(request).await
    }
}

/// `host[:port]` of an origin, as a `Host` header names it.
fn authority(origin: &str) -> Option<String> {
    Url::parse(origin).ok().map(|url| url.authority().to_owned())
}
