//! The plain GET routes: where a QR code leads, document downloads, the audit CSV
//! export, and the way to Pro Santé Connect and back. Each is a link a browser follows,
//! which a server function cannot be (Leptos answers a server function request that
//! accepts HTML and names a referrer with a redirect to that referrer); each answers
//! from a service.

use crate::error::AppError;
use crate::model::audit::AuditFilter;
use crate::model::send::LinkRefusal;
use crate::model::session::PSC_INVITATIONS_PATH;
use crate::server::audit_trail;
use crate::server::downloads::{Delivery, deliver};
use crate::server::http::web::RequestMeta;
use crate::server::pro_sante_connect::{self, Answer, Landing};
use crate::server::session;
use crate::server::state::AppState;
use crate::server::upload_access;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /t/{token}`, where a QR code leads: opens its code and redirects to `/send`,
/// so the token leaves the address bar at once.
pub async fn follow_link(State(state): State<AppState>, Path(token): Path<String>, request: Request) -> Response {
    let meta = RequestMeta::from_parts(&request.into_parts().0);
    match upload_access::open_by_link(&state, &meta, &token).await {
        Ok(cookie) => see_other("/send", &[cookie]),
        Err(AppError::RateLimited { .. } | AppError::ProofOfWorkRequired { .. }) => {
            see_other(&format!("/send?link={}", LinkRefusal::Limited.as_ref()), &[])
        }
        Err(_) => see_other(&format!("/send?link={}", LinkRefusal::Invalid.as_ref()), &[]),
    }
}

/// `GET /documents/{id}/download`, for the staff of the document's pharmacy; another
/// pharmacy's document answers as a missing one. The first download marks it viewed.
pub async fn download(State(state): State<AppState>, Path(id): Path<String>, request: Request) -> Response {
    let (request, _) = request.into_parts();
    let meta = RequestMeta::from_parts(&request);
    let delivered = async {
        let caller = session::staff(&state, &meta).await?;
        deliver(&state, &caller, &id, Delivery::Download, &request).await
    };
    delivered.await.into_response()
}

/// `GET /audit/export.csv`: the pharmacy's trail, newest first, for its admin; the
/// query (`action`, `from`, `until`) narrows it as on the page.
pub async fn export_audit(
    State(state): State<AppState>,
    Query(filter): Query<AuditFilter>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_parts(&request.into_parts().0);
    let admin = match session::admin(&state, &meta).await {
        Ok(admin) => admin,
        Err(error) => return error.into_response(),
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"santhium-audit.csv\""),
        ),
    ];
    let csv = audit_trail::csv_export(state, &admin, filter, meta.lang());
    (headers, Body::from_stream(csv)).into_response()
}

/// A redirect to `location` that sets `cookies`.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response();
    with_cookies(response, cookies)
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies.iter().filter_map(|c| HeaderValue::from_str(c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /auth/psc/login`: off to Pro Santé Connect to sign in.
pub async fn begin_psc_login(State(state): State<AppState>) -> Response {
    match pro_sante_connect::begin(&state, None).await {
        Ok((provider, cookie)) => see_other(&provider, &[cookie]),
        Err(outcome) => see_other(&format!("/login?psc={}", outcome.as_ref()), &[]),
    }
}

/// `GET /auth/psc/callback`: the provider's answer; a session opens, or the login or
/// account page says why not.
pub async fn finish_psc(State(state): State<AppState>, Query(answer): Query<Answer>, request: Request) -> Response {
    let meta = RequestMeta::from_parts(&request.into_parts().0);
    let cleared = pro_sante_connect::cleared_cookie(&state.settings);
    match pro_sante_connect::finish(&state, &meta, answer).await {
        Ok(Landing::SignedIn { stage, token }) => see_other(
            stage.next_path(),
            &[cleared, session::session_cookie(&state.settings, &token)],
        ),
        Ok(Landing::Invited { cookie }) => see_other(PSC_INVITATIONS_PATH, &[cleared, cookie]),
        Ok(Landing::Account(outcome)) => see_other(&format!("/account?psc={}", outcome.as_ref()), &[cleared]),
        Ok(Landing::Login(outcome)) => see_other(&format!("/login?psc={}", outcome.as_ref()), &[cleared]),
        Err(AppError::Unauthorized | AppError::Forbidden) => see_other("/login", &[cleared]),
        Err(error) => with_cookies(error.into_response(), &[cleared]),
    }
}
