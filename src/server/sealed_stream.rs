//! Documents encrypted as they stream in, and decrypted as they stream out, with a
//! memory cost of one chunk whatever the file size.
//!
//! Format (version 1): a header of `SEALED_STREAM_V1` (4 bytes) and a random 7-byte nonce
//! prefix, then the plaintext in 64 KiB chunks, each sealed with AES-256-GCM under the
//! document's data key in the STREAM construction (a 32-bit chunk counter and a last-chunk
//! flag in the nonce). Every chunk but the last is exactly `CHUNK + TAG` bytes; the last
//! holds the 0 to 64 KiB that remain (an empty document is one empty chunk), so the size of
//! the blob tells where each chunk lies and a part of the document is read by opening only
//! the chunks it covers. Reordered, dropped or truncated chunks fail to open, and so does a
//! stream opened with other associated data (another document's). A part that stops
//! before the last chunk is authentic too, but the total length is only vouched for by
//! opening the last chunk, which every whole read does.

use crate::server::keys::DataKey;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::stream::{EncryptorBE32, NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::{OsRng, Payload};
use rand::RngCore;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
/// Bytes per sealed chunk: its plaintext and the tag that authenticates it.
pub const SEALED_CHUNK: usize = CHUNK + TAG;
const MAGIC: &[u8; 4] = b"STH1";
const NONCE_PREFIX: usize = 7;
pub const HEADER_LEN: usize = MAGIC.len() + NONCE_PREFIX;

/// The stream does not open: wrong key or document, tampered, reordered or truncated.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the sealed stream does not open")]
pub struct OpenError;

/// Encrypts a document chunk by chunk as its bytes arrive.
pub struct Sealer {
    encryptor: EncryptorBE32<Aes256Gcm>,
    associated_data: Vec<u8>,
    pending: Vec<u8>,
}

impl Sealer {
    /// A sealer, and the header to store before the chunks it produces.
    pub fn new(key: &DataKey, associated_data: &[u8]) -> (Sealer, Vec<u8>) {
        let mut prefix = [0u8; NONCE_PREFIX];
        OsRng.fill_bytes(&mut prefix);
        let encryptor = EncryptorBE32::from_aead(key.cipher(), GenericArray::from_slice(&prefix));
        let header = [MAGIC.as_slice(), &prefix].concat();
        (
            Sealer {
                encryptor,
                associated_data: associated_data.to_vec(),
                pending: Vec::with_capacity(CHUNK),
            },
            header,
        )
    }

    /// Takes more plaintext; returns the sealed chunks it completed. A full chunk is only
    /// sealed once more bytes follow it, since the last chunk is sealed differently.
    pub fn push(&mut self, mut plaintext: &[u8]) -> Vec<u8> {
        let mut sealed = Vec::new();
        while !plaintext.is_empty() {
            if self.pending.len() == CHUNK {
                let chunk = Payload {
                    msg: &self.pending,
                    aad: &self.associated_data,
                };
                sealed.extend(self.encryptor.encrypt_next(chunk).expect("a 64 KiB chunk always seals"));
                self.pending.clear();
            }
            let take = plaintext.len().min(CHUNK - self.pending.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
        }
        sealed
    }

    /// Seals what remains as the last chunk.
    pub fn finish(self) -> Vec<u8> {
        let chunk = Payload {
            msg: &self.pending,
            aad: &self.associated_data,
        };
        self.encryptor.encrypt_last(chunk).expect("the last chunk always seals")
    }
}

/// Where a sealed document's chunks lie, known from the size of its blob: every chunk but
/// the last is full, so any chunk can be found, and opened, on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Plaintext bytes.
    pub len: u64,
}

impl Layout {
    /// The layout of a blob of `blob_len` bytes, header included; `None` when no sealed
    /// document has that size (a truncated blob, for one).
    pub fn of_blob(blob_len: u64) -> Option<Layout> {
        let body = blob_len.checked_sub(HEADER_LEN as u64)?;
        let (full, rest) = (body / SEALED_CHUNK as u64, body % SEALED_CHUNK as u64);
        let len = match rest {
            0 if full > 0 => full * CHUNK as u64,
            rest if rest >= TAG as u64 => full * CHUNK as u64 + rest - TAG as u64,
            _ => return None,
        };
        Some(Layout { len })
    }

    /// How many chunks there are: an empty document is one empty chunk.
    pub fn chunks(self) -> u64 {
        self.len.div_ceil(CHUNK as u64).max(1)
    }

    /// The chunk holding plaintext byte `offset`.
    pub fn chunk_of(offset: u64) -> u64 {
        offset / CHUNK as u64
    }

    /// Where chunk `index` begins in the blob.
    pub fn blob_offset(index: u64) -> u64 {
        HEADER_LEN as u64 + index * SEALED_CHUNK as u64
    }

    /// Sealed bytes in chunk `index`.
    pub fn sealed_len(self, index: u64) -> usize {
        let plain = self.len.saturating_sub(index * CHUNK as u64).min(CHUNK as u64);
        plain as usize + TAG
    }

    pub fn is_last(self, index: u64) -> bool {
        index + 1 == self.chunks()
    }
}

/// Decrypts a sealed document's chunks, each on its own given its place.
pub struct Opener {
    stream: StreamBE32<Aes256Gcm>,
    associated_data: Vec<u8>,
}

impl Opener {
    pub fn new(key: &DataKey, associated_data: &[u8], header: &[u8]) -> Result<Opener, OpenError> {
        let prefix = header
            .strip_prefix(MAGIC.as_slice())
            .filter(|p| p.len() == NONCE_PREFIX)
            .ok_or(OpenError)?;
        Ok(Opener {
            stream: StreamBE32::from_aead(key.cipher(), GenericArray::from_slice(prefix)),
            associated_data: associated_data.to_vec(),
        })
    }

    /// The plaintext of chunk `index`, which `last` says ends the document. A chunk
    /// opened at another place, or as last when it is not (or the reverse), fails.
    pub fn open(&self, index: u64, last: bool, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let position = u32::try_from(index).map_err(|_| OpenError)?;
        let chunk = Payload {
            msg: sealed,
            aad: &self.associated_data,
        };
        self.stream.decrypt(position, last, chunk).map_err(|_| OpenError)
    }

    /// A whole sealed document held in memory (the bytes after the header).
    pub fn open_all(&self, body: &[u8]) -> Result<Vec<u8>, OpenError> {
        let layout = Layout::of_blob((HEADER_LEN + body.len()) as u64).ok_or(OpenError)?;
        let mut plaintext = Vec::with_capacity(layout.len as usize);
        for (index, sealed) in (0..).zip(body.chunks(SEALED_CHUNK)) {
            plaintext.extend(self.open(index, layout.is_last(index), sealed)?);
        }
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAD: &[u8] = b"v1/pharmacy-a/document-1/k1";

    fn plaintext(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Seals `data` fed in pieces of `piece` bytes; returns header and sealed body.
    fn seal(key: &DataKey, data: &[u8], piece: usize) -> (Vec<u8>, Vec<u8>) {
        let (mut sealer, header) = Sealer::new(key, AAD);
        let mut body = Vec::new();
        for part in data.chunks(piece.max(1)) {
            body.extend(sealer.push(part));
        }
        body.extend(sealer.finish());
        (header, body)
    }

    fn open(key: &DataKey, aad: &[u8], header: &[u8], body: &[u8]) -> Result<Vec<u8>, OpenError> {
        Opener::new(key, aad, header)?.open_all(body)
    }

    #[test]
    fn round_trips_at_every_chunk_boundary_and_feed_size() {
        let key = DataKey::generate();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let data = plaintext(len);
            for piece in [1000, CHUNK, 3 * CHUNK + 100] {
                let (header, body) = seal(&key, &data, piece);
                let chunks = len.div_ceil(CHUNK).max(1);
                assert_eq!(body.len(), len + chunks * TAG, "len {len}: one tag per chunk");
                assert_eq!(
                    open(&key, AAD, &header, &body),
                    Ok(data.clone()),
                    "len {len}, piece {piece}"
                );
            }
        }
    }

    #[test]
    fn any_chunk_opens_on_its_own_at_its_place_only() {
        let key = DataKey::generate();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let data = plaintext(len);
            let (header, body) = seal(&key, &data, CHUNK);
            let layout = Layout::of_blob((HEADER_LEN + body.len()) as u64).expect("the size of a sealed document");
            assert_eq!(layout.len, len as u64);
            let opener = Opener::new(&key, AAD, &header).expect("header");
            for index in 0..layout.chunks() {
                let start = Layout::blob_offset(index) as usize - HEADER_LEN;
                let sealed = &body[start..start + layout.sealed_len(index)];
                let from = index as usize * CHUNK;
                let last = layout.is_last(index);
                assert_eq!(
                    opener.open(index, last, sealed),
                    Ok(data[from..(from + CHUNK).min(len)].to_vec()),
                    "len {len}, chunk {index}"
                );
                assert_eq!(opener.open(index + 1, last, sealed), Err(OpenError), "another place");
                assert_eq!(opener.open(index, !last, sealed), Err(OpenError), "last or not");
            }
        }
        assert_eq!(Layout::of_blob(HEADER_LEN as u64 + 15), None, "shorter than a tag");
        assert_eq!(Layout::of_blob(3), None, "shorter than the header");
    }

    #[test]
    fn nothing_of_the_plaintext_shows_in_the_sealed_bytes() {
        let key = DataKey::generate();
        let data = b"%PDF-1.7 ordonnance de Camille Martin, amoxicilline 1 g".repeat(2000);
        let (header, body) = seal(&key, &data, 5000);
        let all = [header, body].concat();
        assert!(!all.windows(10).any(|w| w == b"ordonnance"));
        assert!(!all.windows(5).any(|w| w == b"%PDF-"));
    }

    #[test]
    fn fails_for_another_document_or_key() {
        let key = DataKey::generate();
        let data = plaintext(2 * CHUNK + 5);
        let (header, body) = seal(&key, &data, CHUNK);
        assert_eq!(
            open(&key, b"v1/pharmacy-a/document-2/k1", &header, &body),
            Err(OpenError)
        );
        assert_eq!(open(&DataKey::generate(), AAD, &header, &body), Err(OpenError));
        assert_eq!(
            Opener::new(&key, AAD, b"XXXX1234567").err(),
            Some(OpenError),
            "unknown format"
        );
    }

    #[test]
    fn fails_when_tampered_reordered_dropped_or_truncated() {
        let key = DataKey::generate();
        let data = plaintext(3 * CHUNK + 10);
        let (header, body) = seal(&key, &data, CHUNK);
        let chunk = |n: usize| &body[n * SEALED_CHUNK..((n + 1) * SEALED_CHUNK).min(body.len())];

        let mut flipped = body.clone();
        flipped[CHUNK + 3] ^= 0x01;
        assert_eq!(open(&key, AAD, &header, &flipped), Err(OpenError), "a flipped bit");

        let reordered = [chunk(1), chunk(0), chunk(2), chunk(3)].concat();
        assert_eq!(open(&key, AAD, &header, &reordered), Err(OpenError), "reordered chunks");

        let dropped = [chunk(0), chunk(2), chunk(3)].concat();
        assert_eq!(open(&key, AAD, &header, &dropped), Err(OpenError), "a dropped chunk");

        let truncated = [chunk(0), chunk(1), chunk(2)].concat();
        assert_eq!(
            open(&key, AAD, &header, &truncated),
            Err(OpenError),
            "the last chunk cut off"
        );
        assert_eq!(
            open(&key, AAD, &header, &body[..body.len() - 1]),
            Err(OpenError),
            "one byte short"
        );

        let mut other_prefix = header.clone();
        other_prefix[5] ^= 0x01;
        assert_eq!(
            open(&key, AAD, &other_prefix, &body),
            Err(OpenError),
            "another nonce prefix"
        );
    }
}
