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
    #[error("the pages put together pass the size limit")]
    TooLarge,
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
            Scrubber::Jpeg(jpeg) => jpeg.scanned,
            Scrubber::Png(png) => png.phase == PngPhase::End,
        };
        complete.then_some(()).ok_or(ImageError::Malformed)
    }
}

/// An image of `width` by `height` pixels: neither empty nor over `MAX_PIXELS`.
pub fn check_pixels(width: u64, height: u64) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        Err(ImageError::Malformed)
    } else if width * height > MAX_PIXELS {
        Err(ImageError::TooManyPixels)
    } else {
        Ok(())
    }
}

/// A JPEG's header segments are held one at a time (each is at most 64 KiB) and
/// filtered; the entropy-coded image data passes straight through. The output ends at
/// the end-of-image marker: what follows (a second image of the multi-picture format, a
/// phone's motion-photo video, anything appended) is dropped.
#[derive(Default)]
pub struct Jpeg {
    pending: Vec<u8>,
    started: bool,
    phase: JpegPhase,
    /// Image data was reached: the file holds a picture.
    scanned: bool,
    /// The previous piece ended with a 0xFF inside image data, not yet written.
    held_ff: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum JpegPhase {
    #[default]
    Headers,
    Scan,
    End,
}

const SOI: [u8; 2] = [0xFF, 0xD8];
const APP0_JFIF: u8 = 0xE0;
const APP1_EXIF: u8 = 0xE1;
/// Either a colour profile (kept) or multi-picture format data (dropped).
const APP2: u8 = 0xE2;
const APP14_ADOBE: u8 = 0xEE;
const COMMENT: u8 = 0xFE;
const START_OF_SCAN: u8 = 0xDA;
const END_OF_IMAGE: u8 = 0xD9;

/// Start-of-frame markers, which carry the image's dimensions (not DHT, JPG or DAC).
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Inside image data, a 0xFF followed by one of these is data, not a marker: a stuffed
/// 0xFF, a restart marker, or a fill byte before a marker.
fn continues_image_data(next: u8) -> bool {
    matches!(next, 0x00 | 0xD0..=0xD7 | 0xFF)
}

impl Jpeg {
    fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), ImageError> {
        while !input.is_empty() {
            let used = match self.phase {
                JpegPhase::End => return Ok(()),
                JpegPhase::Scan => self.scan(input, out),
                JpegPhase::Headers => self.headers(input, out)?,
            };
            input = &input[used..];
        }
        Ok(())
    }

    /// Passes image data through until a marker; returns how much of `input` it used.
    fn scan(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        if std::mem::take(&mut self.held_ff) {
            match input[0] {
                END_OF_IMAGE => {
                    out.extend_from_slice(&[0xFF, END_OF_IMAGE]);
                    self.phase = JpegPhase::End;
                    return 1;
                }
                next if continues_image_data(next) => out.push(0xFF),
                _ => {
                    self.pending = vec![0xFF];
                    self.phase = JpegPhase::Headers;
                    return 0;
                }
            }
        }
        let mut from = 0;
        while let Some(found) = input[from..].iter().position(|&b| b == 0xFF) {
            let at = from + found;
            match input.get(at + 1) {
                None => {
                    out.extend_from_slice(&input[..at]);
                    self.held_ff = true;
                    return input.len();
                }
                Some(&END_OF_IMAGE) => {
                    out.extend_from_slice(&input[..at + 2]);
                    self.phase = JpegPhase::End;
                    return at + 2;
                }
                Some(&next) if continues_image_data(next) => from = at + 1,
                Some(_) => {
                    // Another segment (tables, the next scan of a progressive image).
                    out.extend_from_slice(&input[..at]);
                    self.phase = JpegPhase::Headers;
                    return at;
                }
            }
        }
        out.extend_from_slice(input);
        input.len()
    }

    /// Filters whole header segments; returns how much of `input` it used (all of it,
    /// unless image data starts).
    fn headers(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ImageError> {
        let held = self.pending.len();
        self.pending.extend_from_slice(input);
        let bytes = &self.pending;
        let mut pos = 0;
        if !self.started {
            if bytes.len() < 2 {
                return Ok(input.len());
            }
            if bytes[..2] != SOI {
                return Err(ImageError::Malformed);
            }
            out.extend_from_slice(&SOI);
            self.started = true;
            pos = 2;
        }
        while bytes.len() - pos >= 2 {
            let rest = &bytes[pos..];
            if rest[0] != 0xFF {
                return Err(ImageError::Malformed);
            }
            let marker = rest[1];
            if marker == 0xFF {
                pos += 1; // a fill byte
                continue;
            }
            if marker == END_OF_IMAGE && self.scanned {
                out.extend_from_slice(&rest[..2]);
                let used = pos + 2 - held;
                self.pending = Vec::new();
                self.phase = JpegPhase::End;
                return Ok(used);
            }
            if marker == END_OF_IMAGE || marker == SOI[1] {
                return Err(ImageError::Malformed);
            }
            let Some(length) = rest.get(2..4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else {
                break;
            };
            if length < 2 {
                return Err(ImageError::Malformed);
            }
            let Some(segment) = rest.get(..2 + length) else {
                break; // the rest of this segment has not arrived yet
            };
            let data = &segment[4..];
            match marker {
                APP0_JFIF | APP14_ADOBE => out.extend_from_slice(segment),
                APP2 if data.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
                APP1_EXIF => {
                    if let Some(orientation) = data.strip_prefix(b"Exif\0\0").and_then(orientation) {
                        out.extend_from_slice(&orientation_segment(orientation));
                    }
                }
                // Other application data (multi-picture format, IPTC, XMP...) and comments.
                APP2..=0xEF | COMMENT => {}
                START_OF_SCAN => {
                    out.extend_from_slice(segment);
                    let used = pos + 2 + length - held;
                    self.pending = Vec::new();
                    self.scanned = true;
                    self.phase = JpegPhase::Scan;
                    return Ok(used);
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
        Ok(input.len())
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
    fn a_jpeg_ends_at_its_end_of_image_marker() {
        // A phone's motion photo or multi-picture file: a second image, with its own
        // EXIF and GPS position, after the first one's end.
        let motion_photo = [PHOTO, PHOTO, b"ftypmp42 video track"].concat();
        let alone = scrub(FileType::Jpeg, PHOTO, PHOTO.len()).expect("scrubs");
        assert!(alone.ends_with(&[0xFF, END_OF_IMAGE]));
        for piece in [1, 2, 7, 4096, motion_photo.len()] {
            let after = scrub(FileType::Jpeg, &motion_photo, piece).expect("scrubs");
            assert_eq!(after, alone, "piece {piece}: nothing after the first image");
        }
    }

    #[test]
    fn multi_picture_segments_are_dropped_and_colour_profiles_kept() {
        let segment = |marker: u8, data: &[u8]| {
            let length = (data.len() + 2) as u16;
            [&[0xFF, marker][..], &length.to_be_bytes(), data].concat()
        };
        let mpf = segment(APP2, b"MPF\0MM\0\x2A\0\0\0\x08 second image at 48213, GPS 48.85N");
        let icc = segment(APP2, b"ICC_PROFILE\0\x01\x01 display profile");
        let jpeg = [&SOI[..], &mpf, &icc, &PHOTO[2..]].concat();
        let after = scrub(FileType::Jpeg, &jpeg, 3).expect("scrubs");
        assert!(!after.windows(4).any(|w| w == b"MPF\0"), "multi-picture data dropped");
        assert!(after.windows(icc.len()).any(|w| w == icc), "the colour profile stays");
    }

    #[test]
    fn image_data_with_stuffed_bytes_and_several_scans_passes_whole() {
        // A progressive JPEG's shape: tables between scans, stuffed 0xFF and restart
        // markers inside the data, then junk after the end.
        let frame = [0xFF, 0xC2, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0];
        let scan = [0xFF, START_OF_SCAN, 0, 8, 1, 1, 0, 0, 63, 0];
        let tables = [0xFF, 0xC4, 0, 5, 0x10, 0xFF, 0xD9];
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0x00];
        let jpeg = [
            &SOI[..],
            &frame,
            &scan,
            &data,
            &tables,
            &scan,
            &data,
            &[0xFF, END_OF_IMAGE],
        ]
        .concat();
        let with_trailer = [&jpeg[..], b"\xFF\xD8\xFF\xE1 trailing EXIF"].concat();
        for piece in [1, 2, 3, with_trailer.len()] {
            assert_eq!(
                scrub(FileType::Jpeg, &with_trailer, piece),
                Ok(jpeg.clone()),
                "piece {piece}"
            );
        }
    }

    #[test]
    fn a_png_ends_at_iend() {
        let with_trailer = [SCAN, b"tEXtAuthor\0Camille Martin, 12 rue des Lilas"].concat();
        let alone = scrub(FileType::Png, SCAN, SCAN.len()).expect("scrubs");
        for piece in [1, 5, with_trailer.len()] {
            assert_eq!(
                scrub(FileType::Png, &with_trailer, piece),
                Ok(alone.clone()),
                "piece {piece}"
            );
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
