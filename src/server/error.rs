//! How the shared `AppError` leaves the server: a status, a JSON `{"detail": ...}` body
//! as the original API answered (with the challenge of a proof of work asked for), and
//! the internal cause in the log only.

use crate::error::AppError;
use crate::i18n::Lang;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::SetupRequired => StatusCode::FORBIDDEN,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } | AppError::ProofOfWorkRequired { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal | AppError::Communication(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Seconds an unavailable server asks clients to wait before trying again.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl AppError {
    /// The `Retry-After` this error answers with, if any.
    pub fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(HeaderValue::from(*retry_after_secs)),
            AppError::Unavailable => Some(HeaderValue::from(UNAVAILABLE_RETRY_SECS)),
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The original API spoke French; integrators keep getting French details.
        let mut body = serde_json::json!({ "detail": self.message(Lang::Fr) });
        if let AppError::ProofOfWorkRequired { challenge, bits } = &self {
            body["challenge"] = challenge.as_str().into();
            body["bits"] = (*bits).into();
        }
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        if matches!(self, AppError::Unauthorized | AppError::InvalidCredentials) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(retry_after) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, retry_after);
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> AppError {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(%error, "database unavailable");
                AppError::Unavailable
            }
            _ => {
                tracing::error!(%error, "database error");
                AppError::Internal
            }
        }
    }
}
