//! The one application error, shared by server and browser. It carries no internal
//! detail: the server logs the cause, the browser shows `message` in the user's language.

use crate::i18n::{Lang, Text};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("rate limited, retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// The request never got a usable answer (network, encoding).
    #[error("communication error: {0}")]
    Communication(String),
}

impl AppError {
    pub fn text(&self) -> Text {
        match self {
            AppError::NotFound => Text::ErrorNotFound,
            AppError::Unauthorized => Text::ErrorUnauthorized,
            AppError::Forbidden => Text::ErrorForbidden,
            AppError::PayloadTooLarge => Text::ErrorPayloadTooLarge,
            AppError::RateLimited { .. } => Text::ErrorRateLimited,
            AppError::Unavailable => Text::ErrorUnavailable,
            AppError::Internal => Text::ErrorInternal,
            AppError::Communication(_) => Text::ErrorCommunication,
        }
    }

    pub fn message(&self, lang: Lang) -> &'static str {
        lang.text(self.text())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Communication(value.to_string())
    }
}
