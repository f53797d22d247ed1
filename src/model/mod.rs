//! What crosses the wire between browser and server: plain types with `Serialize` and
//! `Deserialize`, shared by pages, server functions, services and the REST API. Nothing
//! here runs on the server only.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod codes;
pub mod documents;
pub mod send;
pub mod session;
pub mod staff;
