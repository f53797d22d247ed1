//! Integration tests: the HTTP application through its router, and every repository on
//! a real SQLite file and a real PostgreSQL database.

mod accounts;
mod api;
mod audit;
mod codes;
mod database;
mod documents;
mod downloads;
// The provider's record of end-session requests is read by the browser tests only.
#[allow(dead_code)]
#[path = "../fixtures/fake_psc.rs"]
mod fake_psc;
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
mod pro_sante_connect;
mod retention;
mod rotation;
mod support;
mod uploads;
