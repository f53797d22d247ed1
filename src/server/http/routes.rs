//! The plain GET routes: where a QR code leads, document downloads and the audit CSV
//! export. Each is a link a browser follows, which a server function cannot be (Leptos
//! answers a server function request that accepts HTML and names a referrer with a
//! redirect to that referrer); each answers from a service.

use crate::error::AppError;
use crate::model::audit::AuditFilter;
use crate::model::send::LinkRefusal;
use crate::server::audit_trail;
use crate::server::downloads::{Delivery, deliver};
use crate::server::http::web::RequestMeta;
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
    let (location, cookie) = match upload_access::open_by_link(&state, &meta, &token).await {
        Ok(cookie) => ("/send".to_owned(), Some(cookie)),
        Err(AppError::RateLimited { .. } | AppError::ProofOfWorkRequired { .. }) => {
            (format!("/send?link={}", LinkRefusal::Limited.as_ref()), None)
        }
        Err(_) => (format!("/send?link={}", LinkRefusal::Invalid.as_ref()), None),
    };
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    let headers = response.headers_mut();
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
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
