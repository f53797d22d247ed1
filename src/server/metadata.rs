//! Photos lose what their camera wrote about them (GPS position, device, dates,
//! comments) while they stream in, without being re-encoded: the JPEG and PNG segments
//! that carry metadata are dropped and the pixels pass through untouched. A JPEG keeps
//! only its orientation, so the photo still shows the right way up. Image dimensions are
//! read on the way and bounded, against pixel floods in the pharmacist's browser.

use crate::server::files::FileType;

/// Largest image accepted, in pixels (a 50-megapixel camera's full resolution).
pub const MAX_PIXELS: u64 = 50_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("not a well-formed image")]
    Malformed,
    #[error("the image has too many pixels")]
    TooManyPixels,
}

/// Removes metadata from one file as it streams; PDFs pass through unchanged.
pub enum Scrubber {
    Pdf,
    Jpeg(Jpeg),
    Png(Png),
}

impl Scrubber {
    pub fn new(file_type: FileType) -> Scrubber {
        match file_type {
            FileType::Pdf => Scrubber::Pdf,
            FileType::Jpeg => Scrubber::Jpeg(Jpeg::default()),
            FileType::Png => Scrubber::Png(Png::default()),
        }
    }

    /// Takes the next bytes of the file and appends what is kept of them to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ImageError> {
        match self {
            Scrubber::Pdf => {
                out.extend_from_slice(input);
                Ok(())
            }
            Scrubber::Jpeg(jpeg) => jpeg.push(input, out),
            Scrubber::Png(png) => png.push(input, out),
        }
    }

    /// Checks that the file was whole: a JPEG reached its image data, a PNG its end.
    pub fn finish(self) -> Result<(), ImageError> {
        let complete = match self {
            Scrubber::Pdf => true,
            Scrubber::Jpeg(jpeg) => jpeg.in_scan,
            Scrubber::Png(png) => png.phase == PngPhase::End,
        };
        complete.then_some(()).ok_or(ImageError::Malformed)
    }
}

fn check_pixels(width: u64, height: u64) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        Err(ImageError::Malformed)
    } else if width * height > MAX_PIXELS {
        Err(ImageError::TooManyPixels)
    } else {
        Ok(())
    }
}

/// A JPEG's header segments are held one at a time (each is at most 64 KiB) and
/// filtered; from the start of the image data on, bytes pass straight through.
#[derive(Default)]
pub struct Jpeg {
    pending: Vec<u8>,
    started: bool,
    in_scan: bool,
}

const SOI: [u8; 2] = [0xFF, 0xD8];
const APP0_JFIF: u8 = 0xE0;
const APP1_EXIF: u8 = 0xE1;
const APP2_ICC: u8 = 0xE2;
const APP14_ADOBE: u8 = 0xEE;
const COMMENT: u8 = 0xFE;
const START_OF_SCAN: u8 = 0xDA;
const END_OF_IMAGE: u8 = 0xD9;

/// Start-of-frame markers, which carry the image's dimensions (not DHT, JPG or DAC).
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

impl Jpeg {
    fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ImageError> {
        if self.in_scan {
            out.extend_from_slice(input);
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        let bytes = &self.pending;
        let mut pos = 0;
        if !self.started {
            if bytes.len() < 2 {
                return Ok(());
            }
            if bytes[..2] != SOI {
                return Err(ImageError::Malformed);
            }
            out.extend_from_slice(&SOI);
            self.started = true;
            pos = 2;
        }
        while bytes.len() - pos >= 4 {
            let rest = &bytes[pos..];
            if rest[0] != 0xFF {
                return Err(ImageError::Malformed);
            }
            let marker = rest[1];
            if marker == 0xFF {
                pos += 1; // a fill byte
                continue;
            }
            if marker == END_OF_IMAGE || marker == SOI[1] {
                return Err(ImageError::Malformed);
            }
            let length = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            if length < 2 {
                return Err(ImageError::Malformed);
            }
            let Some(segment) = rest.get(..2 + length) else {
                break; // the rest of this segment has not arrived yet
            };
            let data = &segment[4..];
            match marker {
                APP0_JFIF | APP2_ICC | APP14_ADOBE => out.extend_from_slice(segment),
                APP1_EXIF => {
                    if let Some(orientation) = data.strip_prefix(b"Exif\0\0").and_then(orientation) {
                        out.extend_from_slice(&orientation_segment(orientation));
                    }
                }
                0xE3..=0xEF | COMMENT => {} // other application data (IPTC, XMP...) and comments
                START_OF_SCAN => {
                    out.extend_from_slice(&bytes[pos..]);
                    self.in_scan = true;
                    self.pending = Vec::new();
                    return Ok(());
                }
                marker if is_start_of_frame(marker) => {
                    let dimensions = data.get(1..5).ok_or(ImageError::Malformed)?;
                    let height = u64::from(u16::from_be_bytes([dimensions[0], dimensions[1]]));
                    let width = u64::from(u16::from_be_bytes([dimensions[2], dimensions[3]]));
                    check_pixels(width, height)?;
                    out.extend_from_slice(segment);
                }
                _ => out.extend_from_slice(segment),
            }
            pos += 2 + length;
        }
        self.pending.drain(..pos);
        Ok(())
    }
}

/// The orientation tag of an EXIF block, when it turns the photo (1 is upright).
fn orientation(tiff: &[u8]) -> Option<u16> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = u16::try_from(field.value.get_uint(0)?).ok()?;
    (2..=8).contains(&value).then_some(value)
}

/// A minimal EXIF segment holding nothing but the orientation.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2A\0\0\0\x08"); // big-endian TIFF, first directory at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the value field
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next directory
    let length = (2 + 6 + tiff.len()) as u16;
    [&[0xFF, APP1_EXIF][..], &length.to_be_bytes(), b"Exif\0\0", &tiff].concat()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PngPhase {
    #[default]
    Signature,
    ChunkHeader,
    /// Inside a chunk's data and CRC: how many bytes remain, and whether they are kept.
    ChunkBody {
        remaining: u64,
        keep: bool,
    },
    End,
}

/// A PNG streams chunk by chunk: text, EXIF and time chunks are skipped, the others
/// (pixels, palette, colour profile...) pass through. Anything after IEND is dropped.
#[derive(Default)]
pub struct Png {
    pending: Vec<u8>,
    phase: PngPhase,
    seen_header: bool,
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// Length and type of a chunk, then (for IHDR) width and height.
const CHUNK_HEAD: usize = 8;
const IHDR_PREFIX: usize = CHUNK_HEAD + 8;

fn is_metadata_chunk(kind: &[u8]) -> bool {
    matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME")
}

impl Png {
    fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), ImageError> {
        while !input.is_empty() {
            match self.phase {
                PngPhase::End => return Ok(()),
                PngPhase::ChunkBody { remaining, keep } => {
                    let take = input.len().min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    if keep {
                        out.extend_from_slice(&input[..take]);
                    }
                    input = &input[take..];
                    let remaining = remaining - take as u64;
                    self.phase = if remaining > 0 {
                        PngPhase::ChunkBody { remaining, keep }
                    } else if self.pending.as_slice() == b"IEND" {
                        PngPhase::End
                    } else {
                        PngPhase::ChunkHeader
                    };
                    if remaining == 0 {
                        self.pending.clear();
                    }
                }
                PngPhase::Signature => {
                    let needed = PNG_SIGNATURE.len() - self.pending.len();
                    let take = input.len().min(needed);
                    self.pending.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.pending.len() == PNG_SIGNATURE.len() {
                        if self.pending.as_slice() != PNG_SIGNATURE {
                            return Err(ImageError::Malformed);
                        }
                        out.extend_from_slice(PNG_SIGNATURE);
                        self.pending.clear();
                        self.phase = PngPhase::ChunkHeader;
                    }
                }
                PngPhase::ChunkHeader => {
                    // The first chunk must be IHDR; its width and height are read too.
                    let wanted = if self.seen_header { CHUNK_HEAD } else { IHDR_PREFIX };
                    let take = input.len().min(wanted - self.pending.len());
                    self.pending.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.pending.len() == wanted {
                        self.start_chunk(out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Decides what to do with the chunk whose head is in `pending`; keeps only the type
    /// there, to recognise IEND at the chunk's end.
    fn start_chunk(&mut self, out: &mut Vec<u8>) -> Result<(), ImageError> {
        let head = &self.pending;
        let length = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(ImageError::Malformed);
        }
        let mut consumed = CHUNK_HEAD as u64;
        if !self.seen_header {
            if &kind != b"IHDR" || length != 13 {
                return Err(ImageError::Malformed);
            }
            let width = u64::from(u32::from_be_bytes([head[8], head[9], head[10], head[11]]));
            let height = u64::from(u32::from_be_bytes([head[12], head[13], head[14], head[15]]));
            check_pixels(width, height)?;
            self.seen_header = true;
            consumed = IHDR_PREFIX as u64;
        }
        let keep = !is_metadata_chunk(&kind);
        if keep {
            out.extend_from_slice(head);
        }
        // The data left to read, then the 4-byte CRC.
        let remaining = CHUNK_HEAD as u64 + length + 4 - consumed;
        self.pending = kind.to_vec();
        self.phase = PngPhase::ChunkBody { remaining, keep };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/photo-with-gps.jpg");
    const SCAN: &[u8] = include_bytes!("../../tests/fixtures/scan-with-text.png");

    fn scrub(file_type: FileType, bytes: &[u8], piece: usize) -> Result<Vec<u8>, ImageError> {
        let mut scrubber = Scrubber::new(file_type);
        let mut out = Vec::new();
        for part in bytes.chunks(piece) {
            scrubber.push(part, &mut out)?;
        }
        scrubber.finish()?;
        Ok(out)
    }

    fn exif_of_jpeg(jpeg: &[u8]) -> Option<exif::Exif> {
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(jpeg))
            .ok()
    }

    /// Everything from the start of the image data on: the pixels, untouched.
    fn image_data(jpeg: &[u8]) -> &[u8] {
        let at = jpeg
            .windows(2)
            .position(|w| w == [0xFF, START_OF_SCAN])
            .expect("a scan");
        &jpeg[at..]
    }

    #[test]
    fn a_photo_loses_its_gps_position_and_keeps_pixels_size_and_orientation() {
        let before = exif_of_jpeg(PHOTO).expect("the fixture has EXIF");
        assert!(before.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
        assert!(before.get_field(exif::Tag::Make, exif::In::PRIMARY).is_some());

        for piece in [1, 7, 100, PHOTO.len()] {
            let after = scrub(FileType::Jpeg, PHOTO, piece).expect("scrubs");
            let exif = exif_of_jpeg(&after).expect("the orientation stays");
            let tags: Vec<exif::Tag> = exif.fields().map(|f| f.tag).collect();
            assert_eq!(tags, [exif::Tag::Orientation], "piece {piece}");
            assert_eq!(
                exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                    .and_then(|f| f.value.get_uint(0)),
                Some(6)
            );
            assert!(!after.windows(10).any(|w| w == b"PhoneMaker"));
            assert_eq!(image_data(&after), image_data(PHOTO), "the pixels are not re-encoded");
            let sof = |j: &[u8]| {
                let at = j.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a frame");
                j[at + 5..at + 9].to_vec()
            };
            assert_eq!(sof(&after), sof(PHOTO), "same height and width");
        }
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks_only() {
        assert!(SCAN.windows(4).any(|w| w == b"tEXt") && SCAN.windows(4).any(|w| w == b"eXIf"));
        for piece in [1, 5, 64, SCAN.len()] {
            let after = scrub(FileType::Png, SCAN, piece).expect("scrubs");
            assert!(!after.windows(4).any(|w| w == b"tEXt" || w == b"eXIf"), "piece {piece}");
            assert!(!after.windows(7).any(|w| w == b"Camille"));
            for kept in [b"IHDR", b"IDAT", b"IEND"] {
                assert!(after.windows(4).any(|w| w == kept));
            }
            assert_eq!(&after[16..24], &SCAN[16..24], "same width and height");
        }
    }

    #[test]
    fn pixel_floods_and_broken_images_are_refused() {
        let mut flood = SCAN.to_vec();
        flood[16..24].copy_from_slice(&[0, 0, 0x40, 0, 0, 0, 0x40, 0]); // 16384 x 16384
        assert_eq!(scrub(FileType::Png, &flood, 64), Err(ImageError::TooManyPixels));

        let mut flood = PHOTO.to_vec();
        let at = flood.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a frame");
        flood[at + 5..at + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(scrub(FileType::Jpeg, &flood, 64), Err(ImageError::TooManyPixels));

        assert_eq!(
            scrub(FileType::Jpeg, &PHOTO[..200], 64),
            Err(ImageError::Malformed),
            "cut before its image data"
        );
        assert_eq!(
            scrub(FileType::Png, &SCAN[..SCAN.len() - 12], 64),
            Err(ImageError::Malformed),
            "cut before IEND"
        );
        assert_eq!(
            scrub(FileType::Jpeg, b"\xFF\xD8\x00\x00\x00", 64),
            Err(ImageError::Malformed)
        );
        assert_eq!(
            scrub(FileType::Png, b"\x89PNG\r\n\x1a\nXXXX", 64),
            Err(ImageError::Malformed)
        );
    }

    #[test]
    fn pdfs_pass_through() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Author (Camille) >> endobj\n%%EOF\n";
        assert_eq!(scrub(FileType::Pdf, pdf, 3), Ok(pdf.to_vec()));
    }
}
