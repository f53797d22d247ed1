//! Any bytes as an image (a JPEG, a PNG, or a PDF holding JPEG images) searched for QR
//! codes: never a panic, and never more than a few short texts found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use santhium::server::files::FileType;
use santhium::server::qr_reading::read;

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (kind, bytes) = input;
    let file_type = [FileType::Jpeg, FileType::Png, FileType::Pdf][usize::from(kind % 3)];
    let found = read(file_type, &bytes);
    assert!(found.len() <= 8);
    assert!(found.iter().all(|text| text.chars().count() <= 512));
});
