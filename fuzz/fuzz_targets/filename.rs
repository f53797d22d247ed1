//! Any client file name: the stored name is never empty, never too long, and holds no
//! directory separator, control or direction character; sanitising it again changes
//! nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use santhium::server::files::{MAX_NAME_CHARS, sanitise_filename};

fuzz_target!(|name: &str| {
    let safe = sanitise_filename(name);
    assert!(!safe.is_empty());
    assert!(safe.chars().count() <= MAX_NAME_CHARS);
    assert!(!safe.contains(['/', '\\']));
    assert!(!safe.chars().any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)));
    assert_eq!(sanitise_filename(&safe), safe);
});
