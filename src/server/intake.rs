//! Receiving a document: one use of the code is taken first (so parallel uploads cannot
//! exceed it), then the file streams through a pipeline that counts it against the size
//! limit, fingerprints it, checks its first bytes against its extension, strips photo
//! metadata and seals it, chunk by chunk, into the blob store. Only then is its row
//! written. Plaintext never touches the disk, and memory stays at a few chunks (and one
//! part for the store) whatever the file's size. On any failure the use is given back
//! and nothing is kept.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::audit::Action;
use crate::model::send::DocumentReceipt;
use crate::server::blob_store::{BlobWriter, storage_error};
use crate::server::documents::{reference, search_name};
use crate::server::files::{self, FileType};
use crate::server::keys::{DataKey, Keyring, bound_to};
use crate::server::metadata::{ImageError, Scrubber};
use crate::server::meters;
use crate::server::qr_reading::Searchable;
use crate::server::repo::audit::{self, NewAuditEvent};
use crate::server::repo::documents::{self, NewDocument};
use crate::server::repo::{new_id, pharmacies};
use crate::server::repo::{transfer_codes, upload_reservations};
use crate::server::sealed_stream::Sealer;
use crate::server::state::AppState;
use axum::body::Bytes;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// The checks every file and every page goes through as it streams: its size against a
/// limit, its first bytes against its declared type, and its metadata removed.
pub struct Screening {
    declared: FileType,
    max_bytes: u64,
    size: u64,
    /// The first bytes, held until there are enough to recognise the type.
    head: Vec<u8>,
    scrubber: Option<Scrubber>,
}

pub fn image_error(error: ImageError) -> AppError {
    match error {
        ImageError::Malformed => AppError::invalid("file", Text::ImageUnreadable),
        ImageError::TooManyPixels => AppError::invalid("file", Text::ImageTooLarge),
        ImageError::TooLarge => AppError::PayloadTooLarge,
    }
}

impl Screening {
    pub fn new(declared: FileType, max_bytes: u64) -> Screening {
        Screening {
            declared,
            max_bytes,
            size: 0,
            head: Vec::with_capacity(FileType::SNIFF_LEN),
            scrubber: None,
        }
    }

    /// Takes the next bytes of the file and appends what is kept of them to `clean`.
    pub fn push(&mut self, bytes: &[u8], clean: &mut Vec<u8>) -> Result<(), AppError> {
        self.size += bytes.len() as u64;
        if self.size > self.max_bytes {
            return Err(AppError::PayloadTooLarge);
        }
        match &mut self.scrubber {
            Some(scrubber) => scrubber.push(bytes, clean).map_err(image_error),
            None => {
                self.head.extend_from_slice(bytes);
                if self.head.len() < FileType::SNIFF_LEN {
                    return Ok(());
                }
                let mut scrubber = match FileType::sniff(&self.head) {
                    Some(found) if found == self.declared => Scrubber::new(found),
                    _ => return Err(AppError::invalid("file", Text::FileTypeMismatch)),
                };
                scrubber.push(&self.head, clean).map_err(image_error)?;
                self.scrubber = Some(scrubber);
                self.head = Vec::new();
                Ok(())
            }
        }
    }

    /// Checks the file was whole; returns its size as sent.
    pub fn finish(self) -> Result<u64, AppError> {
        if self.size == 0 {
            return Err(AppError::invalid("file", Text::FileEmpty));
        }
        let scrubber = self
            .scrubber
            .ok_or_else(|| AppError::invalid("file", Text::FileTypeMismatch))?;
        scrubber.finish().map_err(image_error)?;
        Ok(self.size)
    }
}

/// One file on its way in, as a pure pipeline: bytes in, screened, fingerprinted and
/// sealed bytes out.
pub struct Intake {
    screening: Screening,
    sha256: Sha256,
    sealer: Sealer,
    clean: Vec<u8>,
    /// What is kept of the file as stored, to search it for QR codes once it is whole.
    searchable: Option<Searchable>,
}

/// What an intake produced once the whole file went through it.
pub struct Intaken {
    pub sealed_tail: Vec<u8>,
    pub size: u64,
    pub sha256: String,
    pub searchable: Option<Searchable>,
}

impl Intake {
    pub fn new(declared: FileType, max_bytes: u64, sealer: Sealer) -> Intake {
        Intake {
            screening: Screening::new(declared, max_bytes),
            sha256: Sha256::new(),
            sealer,
            clean: Vec::new(),
            searchable: None,
        }
    }

    /// Keeps what can be searched for QR codes, for reading them before the row is written.
    pub fn searching(self, declared: FileType) -> Intake {
        Intake {
            searchable: Some(Searchable::new(declared)),
            ..self
        }
    }

    /// Takes the next bytes of the file; returns the sealed bytes ready to store.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>, AppError> {
        self.clean.clear();
        self.screening.push(bytes, &mut self.clean)?;
        self.sha256.update(bytes);
        if let Some(searchable) = &mut self.searchable {
            searchable.push(&self.clean);
        }
        Ok(self.sealer.push(&self.clean))
    }

    pub fn finish(self) -> Result<Intaken, AppError> {
        let size = self.screening.finish()?;
        Ok(Intaken {
            sealed_tail: self.sealer.finish(),
            size,
            sha256: format!("{:x}", self.sha256.finalize()),
            searchable: self.searchable,
        })
    }
}

/// Where the file's bytes come from: a multipart field, as the upload routes give it.
pub trait FileBody {
    /// Whether the file is put together from pages, whose QR codes are read page by page
    /// (the file made of them is then not read again).
    const ASSEMBLED: bool = false;

    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, AppError>> + Send;

    /// What the pages put together were, once read.
    fn assembled(&self) -> Option<&Assembled> {
        None
    }
}

/// A file the server put together from pages: how many, and the QR codes found on them.
pub struct Assembled {
    pub page_count: u32,
    pub qr_codes: Vec<String>,
}

/// A document arriving with a code.
pub struct Upload<'a> {
    pub code_id: &'a str,
    /// The patient's upload cookie, when the page sent it (see `upload_access::Grant`).
    pub sender: Option<&'a str>,
    pub filename: &'a str,
    pub ip: Option<&'a str>,
}

/// A document just received: its id and type, and the patient's receipt.
pub struct Received {
    pub id: String,
    pub code_id: String,
    pub mime_type: &'static str,
    pub receipt: DocumentReceipt,
    /// For the REST answer to whoever sent it, not the patient page's receipt.
    pub qr_codes: Vec<String>,
}

/// Receives one document for the code. The use it takes is a reservation: given back if
/// the upload fails here, or by the retention sweep if this instance dies mid-way.
pub async fn receive(state: &AppState, upload: Upload<'_>, body: &mut impl FileBody) -> Result<Received, AppError> {
    let filename = files::sanitise_filename(upload.filename);
    let declared = files::allowed_type(&filename, &state.settings.allowed_extensions)
        .ok_or_else(|| AppError::invalid("file", Text::FileTypeNotAllowed))?;
    let id = new_id();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(pharmacy_id) = transfer_codes::take_use(&mut *tx, upload.code_id, now).await? else {
        return Err(AppError::invalid_code());
    };
    let expires_at = now + state.settings.longest_upload_secs();
    upload_reservations::insert(&mut *tx, &id, upload.code_id, expires_at).await?;
    tx.commit().await?;
    let received = store(state, &id, &upload, &pharmacy_id, declared, &filename, body).await;
    metrics::counter!(meters::UPLOADS, "outcome" => if received.is_ok() { "stored" } else { "refused" }).increment(1);
    if received.is_err()
        && let Err(error) = give_back(state, &id, upload.code_id).await
    {
        tracing::error!(%error, "a use of a transfer code could not be given back; the retention sweep will");
    }
    received
}

/// Ends the reservation `id` of an upload that did not complete, giving its use back;
/// nothing when it already ended (swept after it expired).
async fn give_back(state: &AppState, id: &str, code_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    if upload_reservations::remove(&mut *tx, id).await? {
        transfer_codes::give_back_use(&mut *tx, code_id).await?;
    }
    tx.commit().await
}

async fn store<B: FileBody>(
    state: &AppState,
    id: &str,
    upload: &Upload<'_>,
    pharmacy_id: &str,
    declared: FileType,
    filename: &str,
    body: &mut B,
) -> Result<Received, AppError> {
    let pharmacy = pharmacies::find(&state.db, pharmacy_id)
        .await?
        .ok_or(AppError::Internal)?;
    let master = &state.settings.encryption_key;
    let context = bound_to::document(&pharmacy.id, id, master.id());
    let data_key = DataKey::generate();
    let (sealer, header) = Sealer::new(&data_key, &context);
    let mut blob = state.blobs.create(id).map_err(storage_error)?;
    let intake = Intake::new(declared, state.settings.max_file_size_bytes(), sealer);
    let intake = if B::ASSEMBLED {
        intake
    } else {
        intake.searching(declared)
    };
    // Done before the reservation expires, or given up: past it, the sweep may end it.
    let deadline = Duration::from_secs(state.settings.longest_upload_secs().unsigned_abs());
    // The QR codes are read within the same time: past it, the reservation may be gone.
    let sealed = async {
        let mut intaken = seal_into(state, id, &mut blob, intake, header, body).await?;
        let qr_codes = match (body.assembled(), intaken.searchable.take()) {
            (Some(assembled), _) => assembled.qr_codes.clone(),
            (None, Some(searchable)) => state.qr_reader.read(Arc::new(searchable.into_images())).await,
            (None, None) => Vec::new(),
        };
        Ok::<_, AppError>((intaken, qr_codes))
    };
    let (intaken, qr_codes) = match tokio::time::timeout(deadline, sealed).await {
        Ok(Ok(sealed)) => sealed,
        Ok(Err(error)) => {
            blob.abort().await;
            return Err(error);
        }
        Err(_) => {
            blob.abort().await;
            tracing::warn!("an upload outlasted its reservation and was given up");
            return Err(AppError::Unavailable);
        }
    };
    blob.commit().await.map_err(storage_error)?;
    let page_count = body.assembled().map(|assembled| assembled.page_count);

    let now = state.clock.now();
    let size = i64::try_from(intaken.size).unwrap_or(i64::MAX);
    let file_type = files::extension(filename).unwrap_or_default();
    let sealed_qr_codes = seal_qr_codes(master, id, &qr_codes);
    let row = NewDocument {
        id,
        pharmacy_id: &pharmacy.id,
        code_id: upload.code_id,
        original_filename: filename,
        search_name: &search_name(filename),
        file_type: &file_type,
        mime_type: declared.mime(),
        file_size: size,
        sha256: &intaken.sha256,
        key_id: master.id(),
        wrapped_key: &master.wrap(&data_key, &context).to_blob(),
        deletion_date: now + pharmacy.retention_days * 86_400,
        sender: upload.sender,
        page_count: page_count.map(i64::from),
        qr_codes_ciphertext: sealed_qr_codes.as_deref(),
    };
    let mut details = format!("code={} size={size} type={}", upload.code_id, declared.mime());
    if let Some(count) = page_count {
        details.push_str(&format!(" pages={count}"));
    }
    // How many codes, never what they say.
    if !qr_codes.is_empty() {
        details.push_str(&format!(" qr_codes={}", qr_codes.len()));
    }
    let event = NewAuditEvent {
        pharmacy_id: Some(&pharmacy.id),
        user_id: None,
        ip: upload.ip,
        action: Action::DocumentReceived.as_ref(),
        object_type: Some("document"),
        object_id: Some(id),
        details: Some(&details),
    };
    let recorded = async {
        let mut tx = state.db.begin().await?;
        if !upload_reservations::remove_unexpired(&mut *tx, id, now).await? {
            // Outlived its reservation: the use is given back already.
            return Ok(false);
        }
        documents::insert(&mut *tx, &row, now).await?;
        audit::append(&mut *tx, &event, now).await?;
        tx.commit().await.map(|()| true)
    }
    .await;
    if !matches!(recorded, Ok(true)) {
        // The row is not there: neither may its content be.
        state.blobs.delete(id).await.map_err(storage_error)?;
        return Err(recorded.map_or_else(AppError::from, |_| AppError::invalid_code()));
    }
    metrics::counter!(meters::BYTES_IN).increment(intaken.size);
    Ok(Received {
        receipt: DocumentReceipt {
            reference: reference(id),
            filename: filename.to_owned(),
            size: intaken.size,
            received_at: now,
            sha256: intaken.sha256,
            page_count,
        },
        mime_type: declared.mime(),
        qr_codes,
        code_id: upload.code_id.to_owned(),
        id: id.to_owned(),
    })
}

/// The QR codes of document `id`, sealed for its row; none when there are none.
fn seal_qr_codes(master: &Keyring, id: &str, qr_codes: &[String]) -> Option<Vec<u8>> {
    let json = serde_json::to_vec(qr_codes).ok()?;
    (!qr_codes.is_empty()).then(|| master.seal(&json, &bound_to::document_qr_codes(id)).to_blob())
}

/// Streams the body through the intake into the blob `id`, header first.
async fn seal_into(
    state: &AppState,
    id: &str,
    blob: &mut BlobWriter,
    mut intake: Intake,
    header: Vec<u8>,
    body: &mut impl FileBody,
) -> Result<Intaken, AppError> {
    write(state, id, blob, header).await?;
    while let Some(chunk) = body.next_chunk().await? {
        let sealed = intake.push(&chunk)?;
        if !sealed.is_empty() {
            write(state, id, blob, sealed).await?;
        }
    }
    let mut intaken = intake.finish()?;
    write(state, id, blob, std::mem::take(&mut intaken.sealed_tail)).await?;
    Ok(intaken)
}

/// Writes sealed bytes to the blob `id`; a multipart upload they begin is recorded with
/// the reservation, so that any instance can abort it if this one dies.
async fn write(state: &AppState, id: &str, blob: &mut BlobWriter, sealed: Vec<u8>) -> Result<(), AppError> {
    if let Some(upload_id) = blob.write(sealed).await.map_err(storage_error)? {
        upload_reservations::set_upload_id(&state.db, id, &upload_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::sealed_stream::Opener;

    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/photo-with-gps.jpg");

    fn run(declared: FileType, max: u64, bytes: &[u8], piece: usize) -> Result<(Vec<u8>, Intaken), AppError> {
        let key = DataKey::generate();
        let (sealer, header) = Sealer::new(&key, b"context");
        let mut intake = Intake::new(declared, max, sealer);
        let mut sealed = Vec::new();
        for part in bytes.chunks(piece) {
            sealed.extend(intake.push(part)?);
        }
        let intaken = intake.finish()?;
        sealed.extend(&intaken.sealed_tail);
        let opener = Opener::new(&key, b"context", &header).expect("header");
        let plain = opener.open_all(&sealed).expect("opens");
        Ok((plain, intaken))
    }

    #[test]
    fn a_pdf_goes_through_sealed_and_fingerprinted() {
        let pdf = b"%PDF-1.7\nordonnance\n%%EOF\n".repeat(5000);
        let (plain, intaken) = run(FileType::Pdf, 1 << 20, &pdf, 3000).expect("accepted");
        assert_eq!(plain, pdf);
        assert_eq!(intaken.size, pdf.len() as u64);
        assert_eq!(intaken.sha256, format!("{:x}", Sha256::digest(&pdf)));
    }

    #[test]
    fn a_photo_is_fingerprinted_as_sent_and_stored_without_its_gps() {
        let (plain, intaken) = run(FileType::Jpeg, 1 << 20, PHOTO, 5).expect("accepted");
        assert_eq!(
            intaken.sha256,
            format!("{:x}", Sha256::digest(PHOTO)),
            "what the patient sent"
        );
        assert!(plain.len() < PHOTO.len());
        assert!(!plain.windows(10).any(|w| w == b"PhoneMaker"));
    }

    #[test]
    fn wrong_type_empty_and_oversized_files_are_refused() {
        let png_named_pdf = include_bytes!("../../tests/fixtures/scan-with-text.png");
        assert_eq!(
            run(FileType::Pdf, 1 << 20, png_named_pdf, 3).err(),
            Some(AppError::invalid("file", Text::FileTypeMismatch))
        );
        assert_eq!(
            run(FileType::Pdf, 1 << 20, b"", 1).err(),
            Some(AppError::invalid("file", Text::FileEmpty))
        );
        assert_eq!(
            run(FileType::Pdf, 1 << 20, b"%PDF", 1).err(),
            Some(AppError::invalid("file", Text::FileTypeMismatch)),
            "too short to be a document"
        );
        let big = [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 2000]].concat();
        assert_eq!(
            run(FileType::Pdf, 1000, &big, 100).err(),
            Some(AppError::PayloadTooLarge)
        );
    }
}
