//! Any typed code: what parses is exactly six symbols of the alphabet, and parses back
//! to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use santhium::server::transfer_codes::{ALPHABET, LENGTH, TransferCode};

fuzz_target!(|typed: &str| {
    if let Some(code) = TransferCode::parse(typed) {
        assert_eq!(code.as_str().len(), LENGTH);
        assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(TransferCode::parse(code.as_str()), Some(code));
    }
});
