//! Any bytes as the pages of one document, each taken for a JPEG or a PNG: putting them
//! together never panics, and what it makes is a PDF with a page for each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use santhium::server::files::FileType;
use santhium::server::page_assembly::{Page, assemble};

fuzz_target!(|pages: Vec<(bool, Vec<u8>)>| {
    let pages: Vec<Page> = pages
        .into_iter()
        .map(|(png, bytes)| Page {
            file_type: if png { FileType::Png } else { FileType::Jpeg },
            bytes,
        })
        .collect();
    if let Ok(pdf) = assemble(&pages, 1 << 24) {
        assert!(pdf.starts_with(b"%PDF-"));
        let count = format!("/Count {}", pages.len());
        assert!(pdf.windows(count.len()).any(|w| w == count.as_bytes()));
    }
});
