//! HTTP outside the server functions and the REST API: what a request tells of its
//! client (`web`), the glue server functions use, security headers, connection limits,
//! the preview origin, and the few plain routes (`routes`).

pub mod connections;
pub mod headers;
pub mod previews;
pub mod routes;
pub mod web;
