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
// The unit tests and the benchmark also make photos of pages with it; these tests take the
// one kept in `tests/fixtures/page-with-qr.jpg`, as making one unoptimised takes seconds.
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
