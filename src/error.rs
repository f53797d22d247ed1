//! The one application error, shared by server and browser. It carries no internal
//! detail: the server logs the cause, the browser shows `message` in the user's language.

use crate::i18n::{Lang, Text};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A field of a form is not acceptable; `text` says why, next to that field.
    #[error("invalid {field}: {text:?}")]
    Invalid { field: String, text: Text },
    /// Unknown email, wrong password or disabled account: one answer for all three.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// The account owes a step in the browser first (a temporary password to replace, a
    /// second factor to set up) before it may use the API.
    #[error("account setup required")]
    SetupRequired,
    /// A request the server cannot read (malformed arguments).
    #[error("bad request")]
    BadRequest,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("rate limited, retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Too many failed code look-ups of late: the browser must solve `challenge` at
    /// `bits` of difficulty (see `proof_of_work`) and try again with its proof.
    #[error("proof of work required")]
    ProofOfWorkRequired { challenge: String, bits: u8 },
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// The request never got a usable answer (network, encoding).
    #[error("communication error: {0}")]
    Communication(String),
}

impl AppError {
    /// The form field `field` is not acceptable, for the reason `text`.
    pub fn invalid(field: &str, text: Text) -> AppError {
        AppError::Invalid {
            field: field.to_owned(),
            text,
        }
    }

    /// The one answer for an unknown, expired, used-up or revoked transfer code.
    pub fn invalid_code() -> AppError {
        AppError::invalid("code", Text::TransferCodeInvalid)
    }

    pub fn text(&self) -> Text {
        match self {
            AppError::Invalid { text, .. } => *text,
            AppError::InvalidCredentials => Text::ErrorInvalidCredentials,
            AppError::NotFound => Text::ErrorNotFound,
            AppError::Unauthorized => Text::ErrorUnauthorized,
            AppError::Forbidden => Text::ErrorForbidden,
            AppError::SetupRequired => Text::ErrorSetupRequired,
            AppError::BadRequest => Text::ErrorBadRequest,
            AppError::PayloadTooLarge => Text::ErrorPayloadTooLarge,
            AppError::RateLimited { .. } => Text::ErrorRateLimited,
            AppError::ProofOfWorkRequired { .. } => Text::ErrorProofOfWorkRequired,
            AppError::Unavailable => Text::ErrorUnavailable,
            AppError::Internal => Text::ErrorInternal,
            AppError::Communication(_) => Text::ErrorCommunication,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let text = lang.text(self.text());
        match self {
            AppError::RateLimited { retry_after_secs } => format!("{text} {} min.", retry_after_secs.div_ceil(60)),
            _ => text.to_owned(),
        }
    }

    /// The form field this error belongs next to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The server could not read the arguments it was sent.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
            // A streamed argument (an upload) cut by the server's request body limit: the
            // codec passes the limit's error (`http_body_util::LengthLimitError`) on as
            // its text only.
            ServerFnErrorErr::Deserialization(cause) if cause == "length limit exceeded" => AppError::PayloadTooLarge,
            other => AppError::Communication(other.to_string()),
        }
    }
}
