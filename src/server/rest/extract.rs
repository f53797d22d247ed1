//! What REST handlers take from a request: a JSON body (malformed, a 400 with a
//! `detail`), the bearer credential and the member of staff it acts for, and the
//! request's metadata.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::api_keys::KeyScope;
use crate::server::http::web::RequestMeta;
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::server::{api_keys, api_tokens};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;

/// A JSON body; a malformed one is a 400 with a `detail`, as every other error.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Body<T>, AppError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(malformed(&rejection)),
        }
    }
}

fn malformed(rejection: &JsonRejection) -> AppError {
    tracing::debug!(%rejection, "malformed JSON body");
    AppError::invalid("body", Text::MalformedRequest)
}

/// What a request proves with its `Authorization: Bearer` header: a login's access
/// token (everything the account may do) or a named API key (its scope).
pub enum Credential {
    Login { family_id: String },
    Key(KeyScope),
}

/// The member of staff a request acts for, and by which credential.
pub struct Bearer {
    pub staff: Staff,
    pub credential: Credential,
}

impl Bearer {
    /// The member of staff, if the credential allows what `needs` names; a key without
    /// it is refused with 403.
    pub fn allowed(&self, needs: KeyScope) -> Result<&Staff, AppError> {
        match self.credential {
            Credential::Key(scope) if !scope.covers(needs) => Err(AppError::Forbidden),
            _ => Ok(&self.staff),
        }
    }
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Bearer, AppError> {
        let meta = RequestMeta::from_parts(parts);
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Some(secret) = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .filter(|s| s.starts_with(api_keys::PREFIX))
        {
            let (staff, scope) = api_keys::authenticate(state, &meta, secret.trim())
                .await?
                .ok_or(AppError::Unauthorized)?;
            api_tokens::owes_nothing(&staff)?;
            return Ok(Bearer {
                staff,
                credential: Credential::Key(scope),
            });
        }
        let (staff, family_id) = api_tokens::bearer(state, &meta, authorization).await?;
        api_tokens::owes_nothing(&staff)?;
        Ok(Bearer {
            staff,
            credential: Credential::Login { family_id },
        })
    }
}

pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Meta, AppError> {
        Ok(Meta(RequestMeta::from_parts(parts)))
    }
}
