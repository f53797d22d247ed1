//! Integration tests: the HTTP application through its router, and every repository on
//! a real SQLite file and a real PostgreSQL database.

mod accounts;
mod api;
mod audit;
mod codes;
mod database;
mod documents;
mod downloads;
mod http;
// The unit tests and the benchmark make photos of pages with it too; these tests use the
// photo kept in `tests/fixtures/page-with-qr.jpg` instead, made in seconds unoptimised.
#[allow(dead_code)]
#[path = "../fixtures/images.rs"]
mod images;
mod lifecycle;
mod limits;
mod notifications;
mod pages;
mod previews;
mod retention;
mod rotation;
mod support;
mod uploads;
