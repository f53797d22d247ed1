//! Reusable pieces of the interface.

mod footer;
mod header;
mod language_switch;

pub use footer::Footer;
pub use header::Header;
pub use language_switch::LanguageSwitch;
