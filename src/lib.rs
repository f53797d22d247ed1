//! Santhium: patients send prescriptions to their pharmacy from a phone, safely.
//!
//! Shared modules (`app`, `pages`, `components`, `i18n`, `error`) build for both the
//! server and the browser; `server` holds everything that touches keys or the database.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod i18n;
pub mod model;
pub mod pages;
pub mod proof_of_work;
pub mod time_format;

#[cfg(feature = "ssr")]
pub mod server;

/// Browser entry point: attaches the interactive app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
