//! The server: everything that touches keys, files or the database. Nothing here is
//! compiled into the browser's WASM. Bottom to top: `repo` (SQL), the services (one
//! domain each), then HTTP (`web`, `rest`, the routes) and `startup`, `router`, `cli`.

pub mod accounts;
pub mod api_docs;
pub mod api_keys;
pub mod api_tokens;
pub mod audit;
pub mod audit_trail;
pub mod blob_store;
pub mod cli;
pub mod clock;
pub mod code_lookups;
pub mod code_work;
pub mod config;
pub mod db;
pub mod documents;
pub mod downloads;
pub mod error;
pub mod files;
pub mod health;
pub mod http;
pub mod intake;
pub mod jobs;
pub mod key_rotation;
pub mod keys;
pub mod login_limit;
pub mod metadata;
pub mod meters;
pub mod notifications;
pub mod page_assembly;
pub mod passwords;
pub mod qr_reading;
pub mod rate_limit;
pub mod repo;
pub mod rest;
pub mod retention;
pub mod router;
pub mod sealed_stream;
pub mod session;
pub mod staff;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod totp;
pub mod transfer_codes;
pub mod upload_access;
