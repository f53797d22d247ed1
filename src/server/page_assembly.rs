//! A prescription's pages, photographed one by one, put together as one PDF document. A
//! JPEG page goes in as it is (a PDF image with the DCT filter holds JPEG bytes
//! unchanged: no loss, little work); a PNG page is decoded row by row and deflated again,
//! which is lossless too. Each page takes its photo's proportions, turned upright as its
//! EXIF orientation says, the longer side as long as an A4 page's.

use crate::server::files::FileType;
use crate::server::metadata::{ImageError, check_pixels};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};
use std::io::{Cursor, Write};

/// Most pages one document may have.
pub const MAX_PAGES: usize = 20;

/// The longer side of every page, in points: an A4 page's height.
const LONG_SIDE: f32 = 842.0;

/// A page (or any file) as it arrived, its metadata removed.
pub struct Page {
    pub file_type: FileType,
    pub bytes: Vec<u8>,
}

/// How an image's pixels are laid out in the PDF.
struct Raster {
    width: u32,
    height: u32,
    color: Color,
    bits: i32,
    filter: Filter,
    data: Vec<u8>,
    /// A PNG's transparency, as its own deflated grey image.
    alpha: Option<Vec<u8>>,
    /// EXIF orientation, 1 (upright) to 8.
    orientation: u16,
}

#[derive(Clone, Copy)]
enum Color {
    Gray,
    Rgb,
    Cmyk,
}

/// The pages in order as one PDF, its images within `max_bytes` together (a PNG of
/// few bytes may hold pixels that deflate again to far more: that stops at the limit).
pub fn assemble(pages: &[Page], max_bytes: u64) -> Result<Vec<u8>, ImageError> {
    if pages.is_empty() || pages.len() > MAX_PAGES {
        return Err(ImageError::Malformed);
    }
    let mut left = max_bytes;
    let mut pdf = Pdf::new();
    let mut ids = (1..).map(Ref::new);
    let mut next = || ids.next().expect("ids never run out");
    let catalog = next();
    let tree = next();
    let page_ids: Vec<Ref> = pages.iter().map(|_| next()).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    let image_name = Name(b"Page");
    for (page, &page_id) in pages.iter().zip(&page_ids) {
        let raster = raster(page, left)?;
        let size = (raster.data.len() + raster.alpha.as_ref().map_or(0, Vec::len)) as u64;
        left = left.checked_sub(size).ok_or(ImageError::TooLarge)?;
        let (image_id, content_id) = (next(), next());
        let (width, height) = page_size(&raster);
        let mut pdf_page = pdf.page(page_id);
        pdf_page.media_box(Rect::new(0.0, 0.0, width, height));
        pdf_page.parent(tree);
        pdf_page.contents(content_id);
        pdf_page.resources().x_objects().pair(image_name, image_id);
        pdf_page.finish();

        let mask_id = raster.alpha.as_ref().map(|_| next());
        let mut image = pdf.image_xobject(image_id, &raster.data);
        image.filter(raster.filter);
        image.width(raster.width as i32);
        image.height(raster.height as i32);
        match raster.color {
            Color::Gray => image.color_space().device_gray(),
            Color::Rgb => image.color_space().device_rgb(),
            Color::Cmyk => image.color_space().device_cmyk(),
        };
        image.bits_per_component(raster.bits);
        if let Some(mask_id) = mask_id {
            image.s_mask(mask_id);
        }
        image.finish();
        if let (Some(mask_id), Some(alpha)) = (mask_id, &raster.alpha) {
            let mut mask = pdf.image_xobject(mask_id, alpha);
            mask.filter(Filter::FlateDecode);
            mask.width(raster.width as i32);
            mask.height(raster.height as i32);
            mask.color_space().device_gray();
            mask.bits_per_component(raster.bits);
            mask.finish();
        }

        let mut content = Content::new();
        content.save_state();
        content.transform(placement(raster.orientation, width, height));
        content.x_object(image_name);
        content.restore_state();
        pdf.stream(content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// The page's width and height in points: the photo's proportions, upright.
fn page_size(raster: &Raster) -> (f32, f32) {
    let (width, height) = (raster.width as f32, raster.height as f32);
    let (width, height) = if raster.orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    let scale = LONG_SIDE / width.max(height);
    (width * scale, height * scale)
}

/// Where the image's unit square goes on a page of `width` by `height` so that it shows
/// upright: EXIF orientations 2 to 8 mirror and turn it by quarter turns.
fn placement(orientation: u16, width: f32, height: f32) -> [f32; 6] {
    let (w, h) = (width, height);
    match orientation {
        2 => [-w, 0.0, 0.0, h, w, 0.0],
        3 => [-w, 0.0, 0.0, -h, w, h],
        4 => [w, 0.0, 0.0, -h, 0.0, h],
        // Turned a quarter: the photo's rows run down or up the page.
        5 => [0.0, -h, -w, 0.0, w, h],
        6 => [0.0, -h, w, 0.0, 0.0, h],
        7 => [0.0, h, w, 0.0, 0.0, 0.0],
        8 => [0.0, h, -w, 0.0, w, 0.0],
        _ => [w, 0.0, 0.0, h, 0.0, 0.0],
    }
}

/// The page's image, its pixels within `max_bytes`.
fn raster(page: &Page, max_bytes: u64) -> Result<Raster, ImageError> {
    match page.file_type {
        FileType::Jpeg => jpeg(&page.bytes),
        FileType::Png => png(&page.bytes, max_bytes),
        FileType::Pdf => Err(ImageError::Malformed),
    }
}

fn jpeg(bytes: &[u8]) -> Result<Raster, ImageError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|_| ImageError::Malformed)?;
    let info = decoder.info().ok_or(ImageError::Malformed)?;
    let color = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Color::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Color::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => Color::Cmyk,
        jpeg_decoder::PixelFormat::L16 => return Err(ImageError::Malformed),
    };
    Ok(Raster {
        width: u32::from(info.width),
        height: u32::from(info.height),
        color,
        bits: 8,
        filter: Filter::DctDecode,
        data: bytes.to_vec(),
        alpha: None,
        orientation: jpeg_orientation(bytes),
    })
}

/// The orientation a JPEG's EXIF block gives, 1 (upright) when it gives none.
pub fn jpeg_orientation(bytes: &[u8]) -> u16 {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|exif| {
            exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
                .value
                .get_uint(0)
        })
        .and_then(|value| u16::try_from(value).ok())
        .filter(|value| (1..=8).contains(value))
        .unwrap_or(1)
}

/// A PNG's reader, its rows to come top to bottom as `transformations` make them, once
/// its size is checked. An interlaced PNG, whose rows come pass by pass, is refused.
pub fn png_rows(bytes: &[u8], transformations: png::Transformations) -> Result<png::Reader<Cursor<&[u8]>>, ImageError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(transformations);
    let reader = decoder.read_info().map_err(|_| ImageError::Malformed)?;
    let info = reader.info();
    check_pixels(u64::from(info.width), u64::from(info.height))?;
    if info.interlaced {
        return Err(ImageError::Malformed);
    }
    Ok(reader)
}

fn png(bytes: &[u8], max_bytes: u64) -> Result<Raster, ImageError> {
    // Palettes and grey levels under 8 bits become plain channels; 16 bits stay.
    let mut reader = png_rows(bytes, png::Transformations::EXPAND)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let (color_type, depth) = reader.output_color_type();
    let (color, has_alpha) = match color_type {
        png::ColorType::Grayscale => (Color::Gray, false),
        png::ColorType::GrayscaleAlpha => (Color::Gray, true),
        png::ColorType::Rgb => (Color::Rgb, false),
        png::ColorType::Rgba => (Color::Rgb, true),
        png::ColorType::Indexed => return Err(ImageError::Malformed),
    };
    let bytes_per_sample = if depth == png::BitDepth::Sixteen { 2 } else { 1 };
    let channels = match color {
        Color::Gray => 1,
        _ => 3,
    };
    let mut pixels = ZlibEncoder::new(Vec::new(), Compression::fast());
    let mut alpha = has_alpha.then(|| ZlibEncoder::new(Vec::new(), Compression::fast()));
    while let Some(row) = reader.next_row().map_err(|_| ImageError::Malformed)? {
        let written = pixels.get_ref().len() + alpha.as_ref().map_or(0, |alpha| alpha.get_ref().len());
        if written as u64 > max_bytes {
            return Err(ImageError::TooLarge);
        }
        let row = row.data();
        match &mut alpha {
            None => pixels.write_all(row),
            Some(alpha) => {
                let pixel = (channels + 1) * bytes_per_sample;
                row.chunks_exact(pixel).try_for_each(|sample| {
                    let (color, opacity) = sample.split_at(channels * bytes_per_sample);
                    pixels.write_all(color).and_then(|()| alpha.write_all(opacity))
                })
            }
        }
        .map_err(|_| ImageError::Malformed)?;
    }
    let finish = |encoder: ZlibEncoder<Vec<u8>>| encoder.finish().map_err(|_| ImageError::Malformed);
    Ok(Raster {
        width,
        height,
        color,
        bits: 8 * bytes_per_sample as i32,
        filter: Filter::FlateDecode,
        data: finish(pixels)?,
        alpha: alpha.map(finish).transpose()?,
        orientation: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::metadata::Scrubber;

    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/photo-with-gps.jpg");
    const SCAN: &[u8] = include_bytes!("../../tests/fixtures/scan-with-text.png");

    fn scrubbed(file_type: FileType, bytes: &[u8]) -> Vec<u8> {
        let mut scrubber = Scrubber::new(file_type);
        let mut out = Vec::new();
        scrubber.push(bytes, &mut out).expect("scrubbed");
        scrubber.finish().expect("whole");
        out
    }

    fn page(file_type: FileType, bytes: &[u8]) -> Page {
        Page {
            file_type,
            bytes: scrubbed(file_type, bytes),
        }
    }

    /// The page sizes, in order, and the streams of the PDF's images.
    fn read(pdf: &[u8]) -> (Vec<(f32, f32)>, Vec<Vec<u8>>) {
        let text = String::from_utf8_lossy(pdf);
        let sizes = text
            .match_indices("/MediaBox [")
            .map(|(at, found)| {
                let numbers: Vec<f32> = text[at + found.len()..]
                    .split(']')
                    .next()
                    .expect("closed")
                    .split_whitespace()
                    .map(|n| n.parse().expect("number"))
                    .collect();
                (numbers[2], numbers[3])
            })
            .collect();
        let mut streams = Vec::new();
        let mut rest = pdf;
        while let Some(start) = find(rest, b"/Subtype /Image") {
            let from = start + find(&rest[start..], b"stream\n").expect("stream") + b"stream\n".len();
            let to = from + find(&rest[from..], b"\nendstream").expect("end");
            streams.push(rest[from..to].to_vec());
            rest = &rest[to..];
        }
        (sizes, streams)
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|window| window == needle)
    }

    #[test]
    fn photos_become_one_pdf_with_a_page_each_their_jpeg_bytes_unchanged() {
        let pages = [
            page(FileType::Jpeg, PHOTO),
            page(FileType::Png, SCAN),
            page(FileType::Jpeg, PHOTO),
        ];
        let pdf = assemble(&pages, 1 << 20).expect("assembled");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 3"));
        let (sizes, streams) = read(&pdf);
        assert_eq!(sizes.len(), 3);
        assert_eq!(streams[0], pages[0].bytes, "the JPEG as sent, less its metadata");
        assert_eq!(streams[2], pages[2].bytes);
        assert!(find(&pdf, b"PhoneMaker").is_none(), "no camera metadata");
    }

    #[test]
    fn each_page_takes_its_photos_proportions_upright() {
        let png = page(FileType::Png, SCAN);
        let info = png::Decoder::new(Cursor::new(&png.bytes))
            .read_info()
            .expect("png")
            .info()
            .clone();
        let (sizes, _) = read(&assemble(&[png], 1 << 20).expect("assembled"));
        let (width, height) = sizes[0];
        assert_eq!(width.max(height), LONG_SIDE);
        let ratio = info.width as f32 / info.height as f32;
        assert!(
            (width / height - ratio).abs() < 0.01,
            "{width}x{height} for {}x{}",
            info.width,
            info.height
        );

        // The same photo lying on its side (orientation 6): the page stands.
        let jpeg = page(FileType::Jpeg, PHOTO);
        let decoder_info = {
            let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(&jpeg.bytes));
            decoder.read_info().expect("jpeg");
            decoder.info().expect("info")
        };
        let turned = with_orientation(&jpeg.bytes, 6);
        assert_eq!(jpeg_orientation(&turned), 6);
        let (sizes, _) = read(
            &assemble(
                &[Page {
                    file_type: FileType::Jpeg,
                    bytes: turned,
                }],
                1 << 20,
            )
            .expect("assembled"),
        );
        let (width, height) = sizes[0];
        let photo_ratio = f32::from(decoder_info.width) / f32::from(decoder_info.height);
        assert!((height / width - photo_ratio).abs() < 0.01, "width and height swap");
        let upright = placement(6, width, height);
        // The photo's top-left corner (0, 1) lands at the page's top-right corner.
        let corner = (upright[2] + upright[4], upright[3] + upright[5]);
        assert_eq!(corner, (width, height));
    }

    /// The JPEG with an EXIF block giving `orientation` in place of its own.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let segment = [b"Exif\0\0".as_slice(), &tiff].concat();
        let length = u16::try_from(segment.len() + 2).expect("short");
        let app1 = [&[0xFF, 0xE1], length.to_be_bytes().as_slice(), &segment].concat();
        let without = scrubbed(FileType::Jpeg, &strip_app1(jpeg));
        [&without[..2], &app1, &without[2..]].concat()
    }

    /// A JPEG without its APP1 segments.
    fn strip_app1(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut at = 2;
        while jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            if jpeg[at + 1] != 0xE1 {
                out.extend_from_slice(&jpeg[at..at + 2 + length]);
            }
            at += 2 + length;
        }
        out.extend_from_slice(&jpeg[at..]);
        out
    }

    #[test]
    fn no_page_too_many_pages_and_broken_pages_are_refused() {
        assert_eq!(assemble(&[], 1 << 20).err(), Some(ImageError::Malformed));
        let many: Vec<Page> = (0..=MAX_PAGES).map(|_| page(FileType::Png, SCAN)).collect();
        assert_eq!(assemble(&many, 1 << 20).err(), Some(ImageError::Malformed));
        let broken = Page {
            file_type: FileType::Jpeg,
            bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 2],
        };
        assert_eq!(assemble(&[broken], 1 << 20).err(), Some(ImageError::Malformed));
        // Pixels that deflate again to more than is left of the limit stop there.
        let scan = page(FileType::Png, SCAN);
        assert_eq!(assemble(&[scan], 16).err(), Some(ImageError::TooLarge));
    }
}
