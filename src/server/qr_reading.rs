//! QR codes found in what a patient sends: an electronic prescription carries its unique
//! number as one, which the pharmacy's software reads with a scanner. Photos (and the
//! JPEG images a PDF holds) are brought down towards `SCAN_SIDE` pixels on their longer
//! side as they are decoded, in grey, then searched with `rqrr`. A few searches run at
//! once, on blocking threads, each stopping at a time limit: a document is never refused
//! or held up long because of its codes.

use crate::server::files::{FileType, unsafe_char};
use crate::server::metadata::check_pixels;
use crate::server::page_assembly::{Page, png_rows};
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The longer side, in pixels, an image is searched at, at least (when it has as many)
/// and under twice that: a code two centimetres wide on a photographed A4 page keeps 3
/// pixels or more a module.
const SCAN_SIDE: usize = 1800;
/// Most memory the JPEG decoder may take for one image (a progressive JPEG keeps all its
/// coefficients, whatever the scale it is decoded at): past it, the image is not searched.
const MAX_DECODING_BYTES: usize = 96 << 20;
/// Most codes kept from one document, and most characters of each.
const MAX_CODES: usize = 8;
const MAX_TEXT: usize = 512;
/// Most images of one PDF searched.
const MAX_IMAGES: usize = 20;
/// Searches running at once in this process.
const AT_ONCE: usize = 2;
/// How long a document waits for a search to start, and then for it to end.
const WAIT: Duration = Duration::from_secs(5);
const LIMIT: Duration = Duration::from_secs(10);

/// The searches of this process.
#[derive(Clone)]
pub struct QrReader {
    slots: Arc<Semaphore>,
}

impl Default for QrReader {
    fn default() -> QrReader {
        QrReader {
            slots: Arc::new(Semaphore::new(AT_ONCE)),
        }
    }
}

impl QrReader {
    /// The codes in the images (JPEG or PNG): none when there are none, or when the
    /// search could not start or end in time.
    pub async fn read(&self, images: Arc<Vec<Page>>) -> Vec<String> {
        let Ok(Ok(slot)) = tokio::time::timeout(WAIT, self.slots.clone().acquire_owned()).await else {
            tracing::warn!("QR codes not searched: every search slot stayed busy");
            return Vec::new();
        };
        let searched = tokio::task::spawn_blocking(move || {
            // Held until the search ends.
            let _slot = slot;
            search(&images, Instant::now() + LIMIT)
        });
        match tokio::time::timeout(LIMIT, searched).await {
            Ok(Ok(found)) => found,
            _ => {
                tracing::warn!("QR codes not searched: the search ran out of time");
                Vec::new()
            }
        }
    }
}

fn distinct(found: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for text in found {
        if !kept.contains(&text) && kept.len() < MAX_CODES {
            kept.push(text);
        }
    }
    kept
}

/// The texts of the QR codes in one file; anything unreadable holds none.
pub fn read(file_type: FileType, bytes: &[u8]) -> Vec<String> {
    let mut searchable = Searchable::new(file_type);
    searchable.push(bytes);
    search(&searchable.into_images(), Instant::now() + LIMIT)
}

/// The texts of the codes in JPEG and PNG images found before `deadline`, which is
/// checked between images and between codes.
fn search(images: &[Page], deadline: Instant) -> Vec<String> {
    let found = images
        .iter()
        .take_while(|_| Instant::now() < deadline)
        .filter_map(|image| match image.file_type {
            FileType::Jpeg => jpeg(&image.bytes),
            FileType::Png => png(&image.bytes),
            FileType::Pdf => None,
        })
        .flat_map(|image| image.codes(deadline))
        .collect();
    distinct(found)
}

/// An image in grey levels, a byte a pixel, row after row.
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    /// The texts of its codes, without the characters a scanner would type as keys (line
    /// ends, tabs) or that reorder text.
    fn codes(&self, deadline: Instant) -> Vec<String> {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(self.width, self.height, |x, y| {
            self.pixels[y * self.width + x]
        });
        prepared
            .detect_grids()
            .iter()
            .take(MAX_CODES)
            .take_while(|_| Instant::now() < deadline)
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, text)| text.chars().filter(|c| !unsafe_char(*c)).take(MAX_TEXT).collect())
            .filter(|text: &String| !text.trim().is_empty())
            .collect()
    }
}

/// An image averaged down as its rows come, blocks of `factor` by `factor` pixels into
/// one, so that its longer side comes down towards `SCAN_SIDE`: the full-size image is
/// never held.
struct Shrinking {
    factor: usize,
    width: usize,
    height: usize,
    sums: Vec<(u32, u32)>,
}

impl Shrinking {
    fn new(width: usize, height: usize) -> Shrinking {
        let factor = reduction(width, height);
        let (width, height) = (width.div_ceil(factor), height.div_ceil(factor));
        Shrinking {
            factor,
            width,
            height,
            sums: vec![(0, 0); width * height],
        }
    }

    fn add_row(&mut self, y: usize, row: impl Iterator<Item = u8>) {
        let line = (y / self.factor) * self.width;
        for (x, grey) in row.enumerate() {
            if let Some(sum) = self.sums.get_mut(line + x / self.factor) {
                sum.0 += u32::from(grey);
                sum.1 += 1;
            }
        }
    }

    fn finish(self) -> Grey {
        let pixels = self
            .sums
            .into_iter()
            .map(|(sum, count)| (sum / count.max(1)) as u8)
            .collect();
        Grey {
            width: self.width,
            height: self.height,
            pixels,
        }
    }
}

/// By how much an image can be reduced while its longer side stays `SCAN_SIDE` or more.
fn reduction(width: usize, height: usize) -> usize {
    (width.max(height) / SCAN_SIDE).max(1)
}

/// A JPEG decoded at 1/2, 1/4 or 1/8 of its size where that is enough (the decoder
/// skips the detail instead of computing it), then averaged down if still large.
fn jpeg(bytes: &[u8]) -> Option<Grey> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_DECODING_BYTES);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    check_pixels(u64::from(info.width), u64::from(info.height)).ok()?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    // The largest power of two the reduction holds, as the decoder scales by 1/2, 1/4, 1/8.
    let reduction = reduction(width, height);
    let scale = (1 << reduction.ilog2()).min(8);
    let (width, height) = decoder
        .scale((width / scale).max(1) as u16, (height / scale).max(1) as u16)
        .ok()?;
    let (width, height) = (usize::from(width), usize::from(height));
    let decoded = decoder.decode().ok()?;
    let grey: fn(&[u8]) -> u8 = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::L16 => |p| p[0],
        jpeg_decoder::PixelFormat::RGB24 => |p| luma(p[0], p[1], p[2]),
        // Adobe's inverted CMYK, as scanners write it.
        jpeg_decoder::PixelFormat::CMYK32 => |p| luma(p[0], p[1], p[2]).saturating_sub(255 - p[3]),
    };
    let pixel = info.pixel_format.pixel_bytes();
    if decoded.len() != width * height * pixel {
        return None;
    }
    let mut image = Shrinking::new(width, height);
    for (y, row) in decoded.chunks_exact(width * pixel).enumerate() {
        image.add_row(y, row.chunks_exact(pixel).map(grey));
    }
    Some(image.finish())
}

fn luma(red: u8, green: u8, blue: u8) -> u8 {
    ((u32::from(red) * 299 + u32::from(green) * 587 + u32::from(blue) * 114) / 1000) as u8
}

/// A PNG read row by row, transparent pixels as if on white paper.
fn png(bytes: &[u8]) -> Option<Grey> {
    let mut reader = png_rows(bytes, png::Transformations::EXPAND | png::Transformations::STRIP_16).ok()?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    let grey: fn(&[u8]) -> u8 = match reader.output_color_type().0 {
        png::ColorType::Grayscale | png::ColorType::Indexed => |p| p[0],
        png::ColorType::GrayscaleAlpha => |p| on_white(p[0], p[1]),
        png::ColorType::Rgb => |p| luma(p[0], p[1], p[2]),
        png::ColorType::Rgba => |p| on_white(luma(p[0], p[1], p[2]), p[3]),
    };
    let pixel = reader.output_color_type().0.samples();
    let mut image = Shrinking::new(width, height);
    let mut y = 0;
    while let Some(row) = reader.next_row().ok()? {
        image.add_row(y, row.data().chunks_exact(pixel).map(grey));
        y += 1;
    }
    Some(image.finish())
}

fn on_white(grey: u8, alpha: u8) -> u8 {
    255 - ((255 - u32::from(grey)) * u32::from(alpha) / 255) as u8
}

/// What of a file is kept as it streams in, to be searched once it is whole: an image
/// whole, only the JPEG images of a PDF (a PDF of text keeps nothing).
pub enum Searchable {
    Image(Page),
    Pdf(PdfJpegs),
}

impl Searchable {
    pub fn new(file_type: FileType) -> Searchable {
        match file_type {
            FileType::Pdf => Searchable::Pdf(PdfJpegs::default()),
            file_type => Searchable::Image(Page {
                file_type,
                bytes: Vec::new(),
            }),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        match self {
            Searchable::Image(image) => image.bytes.extend_from_slice(bytes),
            Searchable::Pdf(jpegs) => jpegs.push(bytes),
        }
    }

    pub fn into_images(self) -> Vec<Page> {
        match self {
            Searchable::Image(image) => vec![image],
            Searchable::Pdf(jpegs) => jpegs
                .images
                .into_iter()
                .map(|bytes| Page {
                    file_type: FileType::Jpeg,
                    bytes,
                })
                .collect(),
        }
    }
}

/// The JPEG images of a PDF, picked out as it streams past: the data of the streams
/// whose filter is `/DCTDecode` alone (at most `MAX_IMAGES`). Between them, only a few
/// bytes are held, where a keyword may be cut in two.
#[derive(Default)]
pub struct PdfJpegs {
    pending: Vec<u8>,
    phase: Phase,
    images: Vec<Vec<u8>>,
}

#[derive(Default, Clone, Copy)]
enum Phase {
    /// Looking for the next `/DCTDecode`.
    #[default]
    Filter,
    /// Past it, looking for its stream's data.
    Stream,
    /// Inside an image's data, up to its `endstream`.
    Image,
}

/// Longest stretch held between a `/DCTDecode` and its stream's data.
const MAX_DICTIONARY_TAIL: usize = 4096;

impl PdfJpegs {
    pub fn push(&mut self, bytes: &[u8]) {
        if self.images.len() >= MAX_IMAGES {
            return;
        }
        self.pending.extend_from_slice(bytes);
        loop {
            match self.phase {
                Phase::Filter => {
                    let Some(filter) = find(&self.pending, b"/DCTDecode") else {
                        // Keep what may be the start of a cut keyword.
                        self.keep_last(b"/DCTDecode".len());
                        return;
                    };
                    self.pending.drain(..filter + b"/DCTDecode".len());
                    self.phase = Phase::Stream;
                }
                Phase::Stream => {
                    let Some(stream) = find(&self.pending, b"stream") else {
                        if self.pending.len() > MAX_DICTIONARY_TAIL {
                            self.phase = Phase::Filter;
                        }
                        return;
                    };
                    let data = stream + b"stream".len();
                    // The end of line after `stream`, then the JPEG's first two bytes.
                    let Some(head) = self.pending.get(data..data + 4) else {
                        return;
                    };
                    let (start, phase) = match head {
                        [b'\r', b'\n', 0xFF, 0xD8] => (data + 2, Phase::Image),
                        [b'\n', 0xFF, 0xD8, _] => (data + 1, Phase::Image),
                        _ => (data, Phase::Filter),
                    };
                    self.pending.drain(..start);
                    self.phase = phase;
                }
                Phase::Image => {
                    let Some(end) = find(&self.pending, b"endstream") else {
                        return;
                    };
                    let mut image: Vec<u8> = self.pending.drain(..end).collect();
                    // The end of line before `endstream` is not the image's.
                    let data = image.strip_suffix(b"\n").unwrap_or(&image);
                    let data = data.strip_suffix(b"\r").unwrap_or(data);
                    image.truncate(data.len());
                    self.images.push(image);
                    self.phase = Phase::Filter;
                    if self.images.len() >= MAX_IMAGES {
                        self.pending = Vec::new();
                        return;
                    }
                }
            }
        }
    }

    fn keep_last(&mut self, count: usize) {
        let keep = self.pending.len().min(count);
        self.pending.drain(..self.pending.len() - keep);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
#[path = "../../tests/fixtures/images.rs"]
mod images;

#[cfg(test)]
mod tests {
    use super::images::{page_photo, qr_png};
    use super::*;
    use crate::server::page_assembly::assemble;

    /// An e-prescription's number as its QR code holds it (the format is made up).
    const NUMBER: &str = "1A2B3C4D5E6F7G8H";

    #[test]
    fn a_plain_qr_code_is_read() {
        assert_eq!(read(FileType::Png, &qr_png(NUMBER, 6)), [NUMBER]);
    }

    #[test]
    fn keys_a_scanner_would_type_are_taken_out_of_the_text() {
        assert_eq!(read(FileType::Png, &qr_png("1234\r\n\t5678\u{202E}", 6)), ["12345678"]);
    }

    #[test]
    fn a_small_turned_code_on_a_photographed_page_is_read() {
        let photo = page_photo(1500, 2000, Some(NUMBER));
        assert_eq!(read(FileType::Jpeg, &photo), [NUMBER]);
    }

    #[test]
    fn a_code_in_a_pdf_holding_such_a_photo_is_read() {
        let photo = page_photo(1500, 2000, Some(NUMBER));
        let page = Page {
            file_type: FileType::Jpeg,
            bytes: photo,
        };
        let pdf = assemble(&[page], 1 << 24).expect("assembled");
        assert_eq!(read(FileType::Pdf, &pdf), [NUMBER]);
    }

    #[test]
    fn a_pdf_keeps_only_its_jpeg_images_whatever_the_pieces_it_comes_in() {
        let photo = page_photo(300, 400, None);
        let page = Page {
            file_type: FileType::Jpeg,
            bytes: photo.clone(),
        };
        let pdf = assemble(&[page], 1 << 24).expect("assembled");
        for piece in [1, 7, 1000, pdf.len()] {
            let mut jpegs = PdfJpegs::default();
            for part in pdf.chunks(piece) {
                jpegs.push(part);
            }
            assert_eq!(jpegs.images, std::slice::from_ref(&photo), "pieces of {piece}");
            assert!(jpegs.pending.len() <= 16, "pieces of {piece}");
        }
        let mut text = PdfJpegs::default();
        text.push(&b"%PDF-1.7 BT (Ordonnance) Tj ET stream endstream ".repeat(10_000));
        assert!(
            text.images.is_empty() && text.pending.len() <= 16,
            "a PDF of text keeps nothing"
        );
    }

    #[test]
    fn a_page_without_a_code_and_garbage_hold_none() {
        assert!(read(FileType::Jpeg, &page_photo(600, 800, None)).is_empty());
        assert!(read(FileType::Jpeg, b"\xFF\xD8\xFF\xE0 not a photo").is_empty());
        assert!(read(FileType::Png, b"\x89PNG\r\n\x1a\n broken").is_empty());
        assert!(read(FileType::Pdf, b"%PDF-1.7 /DCTDecode stream\n\xFF\xD8 cut").is_empty());
    }

    #[test]
    fn a_large_photo_is_searched_at_a_bounded_size() {
        // A 12-megapixel phone photo is decoded at half its size, then searched; a
        // 4,624-pixel-wide one too, not at a quarter.
        let photo = page_photo(4000, 3000, Some(NUMBER));
        let grey = jpeg(&photo).expect("decoded");
        assert_eq!((grey.width, grey.height), (2000, 1500));
        assert_eq!(grey.codes(Instant::now() + LIMIT), [NUMBER]);
        assert_eq!(reduction(4624, 3468), 2);
        assert_eq!(reduction(900, 1200), 1, "a small image is searched whole");
    }

    #[tokio::test]
    async fn the_reader_reads_each_image_and_keeps_each_text_once() {
        let images = vec![
            Page {
                file_type: FileType::Png,
                bytes: qr_png(NUMBER, 4),
            },
            Page {
                file_type: FileType::Png,
                bytes: qr_png(NUMBER, 5),
            },
            Page {
                file_type: FileType::Png,
                bytes: qr_png("2ND-PAGE", 4),
            },
        ];
        assert_eq!(QrReader::default().read(Arc::new(images)).await, [NUMBER, "2ND-PAGE"]);
    }

    #[test]
    fn the_browser_tests_photo_holds_its_number() {
        let photo = include_bytes!("../../tests/fixtures/page-with-qr.jpg");
        assert_eq!(read(FileType::Jpeg, photo), ["2025-E2E-PAGE-0042"]);
    }
}
