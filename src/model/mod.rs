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

/// Enums stored as text, read back from the database by their `strum` name (rows take
/// them with `#[sqlx(try_from = "String")]`).
macro_rules! stored_as_text {
    ($($stored:ty),*) => {$(
        impl TryFrom<String> for $stored {
            type Error = strum::ParseError;

            fn try_from(stored: String) -> Result<$stored, strum::ParseError> {
                stored.parse()
            }
        }
    )*};
}

stored_as_text!(staff::Role, session::SessionStage, session::SignIn);
