//! The server functions the pages call, with the types of `model`. Each authenticates
//! and authorises itself, then hands over to a service in `server::`.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod codes;
pub mod documents;
pub mod send;
pub mod staff;
