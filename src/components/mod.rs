//! Reusable pieces of the interface.

mod api_keys_section;
mod documents_panel;
mod footer;
pub mod form;
mod found_codes;
mod header;
mod language_switch;
pub mod pro_sante_connect;
mod qr_code;
mod refresh;
pub mod session;

pub use api_keys_section::ApiKeysSection;
pub use documents_panel::DocumentsPanel;
pub use footer::Footer;
pub use found_codes::FoundCodes;
pub use header::Header;
pub use language_switch::LanguageSwitch;
pub use qr_code::QrCode;
pub use refresh::use_refresh;
