//! Any bytes, cut into any pieces, through the type sniffer and the metadata scrubber of
//! each type: never a panic, and what comes out of an image is never larger than what
//! went in plus the small orientation segment a JPEG may gain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use santhium::server::files::FileType;
use santhium::server::metadata::Scrubber;

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (piece, bytes) = input;
    let piece = usize::from(piece.max(1));
    let _ = FileType::sniff(&bytes);
    for file_type in [FileType::Pdf, FileType::Jpeg, FileType::Png] {
        let mut scrubber = Scrubber::new(file_type);
        let mut out = Vec::new();
        let mut accepted = true;
        for part in bytes.chunks(piece) {
            if scrubber.push(part, &mut out).is_err() {
                accepted = false;
                break;
            }
        }
        if accepted && scrubber.finish().is_ok() {
            assert!(out.len() <= bytes.len() + 64, "{file_type:?} grew");
        }
    }
});
