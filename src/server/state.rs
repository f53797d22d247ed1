//! What every request handler, server function and job is handed: the database, the
//! settings, the clock, the password hasher and the document store. Never global.

use crate::server::config::Settings;
use crate::server::{blob_store, clock, passwords, psc_provider, qr_reading};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::AnyPool;
use std::sync::Arc;

/// Everything a request handler or server function may use; handed to them, never global.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: AnyPool,
    pub settings: Arc<Settings>,
    pub clock: clock::Clock,
    pub hasher: passwords::PasswordHasher,
    pub blobs: blob_store::BlobStore,
    pub qr_reader: qr_reading::QrReader,
    /// The Pro Santé Connect client, when `OIDC_ISSUER` is set.
    pub pro_sante_connect: Option<psc_provider::Connector>,
}
