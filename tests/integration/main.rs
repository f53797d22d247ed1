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
mod lifecycle;
mod limits;
mod notifications;
mod previews;
mod retention;
mod rotation;
mod support;
mod uploads;
