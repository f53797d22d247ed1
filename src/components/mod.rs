//! Reusable pieces of the interface.

mod footer;
pub mod form;
mod header;
mod language_switch;
mod qr_code;
mod refresh;
pub mod session;

pub use footer::Footer;
pub use header::Header;
pub use language_switch::LanguageSwitch;
pub use qr_code::QrCode;
pub use refresh::use_refresh;
