//! Reusable pieces of the interface.

mod footer;
pub mod form;
mod header;
mod language_switch;
pub mod session;

pub use footer::Footer;
pub use header::Header;
pub use language_switch::LanguageSwitch;
