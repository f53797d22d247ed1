//! A patient's access to a transfer code. The code, scanned or typed, is looked up once
//! (within the look-up limits) and traded for a short-lived upload cookie naming the
//! code, signed with the server secret: the code itself then stays out of the address
//! bar, the history and later requests. Every upload checks the code again. The cookie
//! also carries a random id of its own, recorded with each document it sends, so that
//! the page shows this browser's receipts again after a reload, and no one else's.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::send::{DocumentReceipt, SendAccess, SendStatus};
use crate::server::code_lookups;
use crate::server::documents::reference;
use crate::server::files::{self, FileType};
use crate::server::http::web::{RequestMeta, SiteCookie};
use crate::server::intake::{self, Assembled, FileBody, Received, Screening, Upload};
use crate::server::page_assembly::{self, MAX_PAGES, Page};
use crate::server::repo::transfer_codes::{self, CodeRow};
use crate::server::repo::{documents, pharmacies};
use crate::server::state::AppState;
use crate::server::transfer_codes::{self as codes, TransferCode};
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use http_body_util::LengthLimitError;
use leptos::server_fn::error::ServerFnErrorWrapper;
use std::sync::Arc;

const UPLOAD_COOKIE: SiteCookie = SiteCookie("santhium_upload");
/// How long an opened code stays open in the patient's browser, at most.
const GRANT_SECS: i64 = 2 * 3600;

/// Neither revoked, used up nor expired.
pub fn usable(code: &CodeRow, now: i64) -> bool {
    code.revoked_at.is_none() && code.current_uses < code.max_uses && code.expires_at > now
}

const GRANT_PURPOSE: &str = "upload-grant";

/// The upload cookie for `code`. A browser opening the code it already holds keeps its
/// id, and so its receipts.
fn grant_cookie(state: &AppState, meta: &RequestMeta, code: &CodeRow, now: i64) -> String {
    let expires_at = code.expires_at.min(now + GRANT_SECS);
    let sender = granted(state, meta)
        .filter(|held| held.code_id == code.id)
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), |held| held.sender);
    let payload = format!("{}:{sender}", code.id);
    let grant = state.settings.secret_key.grant(GRANT_PURPOSE, &payload, expires_at);
    UPLOAD_COOKIE.set(&state.settings, &grant, expires_at - now)
}

/// What a genuine upload cookie holds: the code it opens, and its own id.
pub struct Grant {
    pub code_id: String,
    pub sender: String,
}

/// The caller's upload cookie, if it is genuine and has not expired.
pub fn granted(state: &AppState, meta: &RequestMeta) -> Option<Grant> {
    let grant = meta.cookie(&UPLOAD_COOKIE.name(&state.settings))?;
    let payload = state
        .settings
        .secret_key
        .granted(GRANT_PURPOSE, grant, state.clock.now())?;
    let (code_id, sender) = payload.split_once(':')?;
    Some(Grant {
        code_id: code_id.to_owned(),
        sender: sender.to_owned(),
    })
}

/// What the page shows of a code: `remaining` documents may still be sent (none once
/// it is closed), and this browser's receipts.
async fn send_status(
    state: &AppState,
    code: &CodeRow,
    remaining: i64,
    sent: Vec<DocumentReceipt>,
) -> Result<SendStatus, AppError> {
    let pharmacy = pharmacies::find(&state.db, &code.pharmacy_id)
        .await?
        .ok_or_else(AppError::invalid_code)?;
    Ok(SendStatus {
        pharmacy_name: pharmacy.name.clone(),
        remaining: u32::try_from(remaining).unwrap_or(0),
        expires_at: code.expires_at,
        max_file_bytes: state.settings.max_file_size_bytes(),
        extensions: state.settings.allowed_extensions.clone(),
        retention_days: u32::try_from(pharmacy.retention_days).unwrap_or(0),
        time_zone: pharmacy.zone(),
        sent,
    })
}

/// The receipts of the documents still kept that this cookie sent with its code.
async fn receipts(state: &AppState, grant: &Grant) -> Result<Vec<DocumentReceipt>, AppError> {
    let sent = documents::sent_by(&state.db, &grant.code_id, &grant.sender, state.clock.now()).await?;
    Ok(sent
        .into_iter()
        .map(|document| DocumentReceipt {
            reference: reference(&document.id),
            filename: document.original_filename,
            size: u64::try_from(document.file_size).unwrap_or(0),
            received_at: document.uploaded_at,
            sha256: document.sha256,
            page_count: document.page_count.and_then(|count| u32::try_from(count).ok()),
        })
        .collect())
}

/// A typed code, if usable, within the guessing limits (and with a proof of work while
/// the budget of failures is spent).
pub async fn find_usable(
    state: &AppState,
    meta: &RequestMeta,
    input: &str,
    proof: Option<&str>,
) -> Result<CodeRow, AppError> {
    let hits = code_lookups::admit(state, meta.ip.as_deref(), proof).await?;
    let found = match TransferCode::parse(input) {
        Some(code) => transfer_codes::find_by_lookup_hash(&state.db, &code.lookup_hash(state)).await?,
        None => None,
    };
    // Not found: the hits stay and count a failure.
    let code = found
        .filter(|code| usable(code, state.clock.now()))
        .ok_or_else(AppError::invalid_code)?;
    code_lookups::found(state, hits).await?;
    Ok(code)
}

/// Looks up a typed code; returns what the patient may do with it and the upload
/// cookie to set.
pub async fn open(
    state: &AppState,
    meta: &RequestMeta,
    input: &str,
    proof: Option<&str>,
) -> Result<(SendStatus, String), AppError> {
    let code = find_usable(state, meta, input, proof).await?;
    let cookie = grant_cookie(state, meta, &code, state.clock.now());
    let remaining = code.max_uses - code.current_uses;
    Ok((send_status(state, &code, remaining, Vec::new()).await?, cookie))
}

/// The upload cookie for a QR link's token, if its code is usable. Tokens cannot be
/// guessed, so opening one spends nothing of the guessing limits.
async fn open_link(state: &AppState, meta: &RequestMeta, token: &str) -> Result<String, AppError> {
    let now = state.clock.now();
    let code = transfer_codes::find_by_link_hash(&state.db, &codes::link_hash(state, token))
        .await?
        .filter(|code| usable(code, now))
        .ok_or_else(AppError::invalid_code)?;
    Ok(grant_cookie(state, meta, &code, now))
}

/// What the send page offers the caller: the code its cookie opens, or, once that
/// code can send no more, what this browser sent with it.
pub async fn access(state: &AppState, meta: &RequestMeta) -> Result<SendAccess, AppError> {
    let Some(grant) = granted(state, meta) else {
        return Ok(SendAccess::NoCode);
    };
    let Some(code) = transfer_codes::find(&state.db, &grant.code_id).await? else {
        return Ok(SendAccess::Closed);
    };
    let sent = receipts(state, &grant).await?;
    if usable(&code, state.clock.now()) {
        let remaining = code.max_uses - code.current_uses;
        Ok(SendAccess::Open(send_status(state, &code, remaining, sent).await?))
    } else if sent.is_empty() {
        Ok(SendAccess::Closed)
    } else {
        Ok(SendAccess::Sent(send_status(state, &code, 0, sent).await?))
    }
}

/// The upload cookie for a QR link's token. A six-character code in its place (a link
/// printed before links had tokens) is looked up as if typed.
pub async fn open_by_link(state: &AppState, meta: &RequestMeta, token: &str) -> Result<String, AppError> {
    if TransferCode::parse(token).is_some() {
        open(state, meta, token, None).await.map(|(_, cookie)| cookie)
    } else {
        open_link(state, meta, token).await
    }
}

impl FileBody for multer::Field<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        self.chunk().await.map_err(multipart_error)
    }
}

/// A body cut by the request body limit is too large (told by the limit's error, or
/// through a server function by the error its codec made of it); any other broken body
/// was interrupted.
fn multipart_error(error: multer::Error) -> AppError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(error) = cause {
        let through_server_fn = error.downcast_ref::<ServerFnErrorWrapper<AppError>>();
        if error.is::<LengthLimitError>() || through_server_fn.is_some_and(|e| e.0 == AppError::PayloadTooLarge) {
            return AppError::PayloadTooLarge;
        }
        cause = error.source();
    }
    AppError::invalid("file", Text::UploadInterrupted)
}

/// Where an upload's code comes from.
#[derive(Clone, Copy)]
pub enum CodeFrom<'a> {
    /// The upload cookie the page's code opened.
    Cookie,
    /// A multipart field `code` before the file (the REST API), with the proof of work
    /// answering a `ProofOfWorkRequired` refusal, when one came.
    Field { proof: Option<&'a str> },
}

/// Longest text a `code` field may hold.
const MAX_CODE_FIELD: usize = 64;

/// A short text field; none when it is longer than `max` bytes or not UTF-8.
async fn text_field(field: &mut multer::Field<'_>, max: usize) -> Result<Option<String>, AppError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.next_chunk().await? {
        text.extend_from_slice(&chunk);
        if text.len() > max {
            return Ok(None);
        }
    }
    Ok(String::from_utf8(text).ok())
}

/// The multipart boundary a request's `Content-Type` names; without one, the upload is
/// refused as interrupted.
pub fn boundary(headers: &HeaderMap) -> Result<String, AppError> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|content_type| multer::parse_boundary(content_type).ok())
        .ok_or_else(|| AppError::invalid("file", Text::UploadInterrupted))
}

/// The multipart body of a request, as the REST API's upload receives it.
pub fn multipart(request: Request) -> Result<(RequestMeta, multer::Multipart<'static>), AppError> {
    let (parts, body) = request.into_parts();
    let boundary = boundary(&parts.headers)?;
    let meta = RequestMeta::from_parts(&parts);
    Ok((meta, multer::Multipart::new(body.into_data_stream(), boundary)))
}

/// One file (multipart field `file`) for a code, streamed into the store; or, after a
/// field `combine` saying `true`, every `file` field that follows as the pages of one
/// PDF, named by the field `name` when one came before them.
pub async fn receive(
    state: &AppState,
    meta: &RequestMeta,
    mut multipart: multer::Multipart<'_>,
    from: CodeFrom<'_>,
) -> Result<Received, AppError> {
    let (mut code_id, sender) = match from {
        CodeFrom::Cookie => {
            let grant = granted(state, meta).ok_or_else(AppError::invalid_code)?;
            (Some(grant.code_id), Some(grant.sender))
        }
        CodeFrom::Field { .. } => (None, None),
    };
    let mut combine = false;
    let mut name = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match (field.name(), from) {
            (Some("code"), CodeFrom::Field { proof }) if code_id.is_none() => {
                let code = text_field(&mut field, MAX_CODE_FIELD)
                    .await?
                    .ok_or_else(AppError::invalid_code)?;
                code_id = Some(find_usable(state, meta, &code, proof).await?.id);
            }
            (Some("combine"), _) => {
                combine = text_field(&mut field, "true".len()).await?.as_deref() == Some("true");
            }
            (Some("name"), _) => {
                let text = text_field(&mut field, MAX_NAME_FIELD).await?;
                name = Some(text.ok_or_else(|| AppError::invalid("name", Text::NameTooLong))?);
            }
            (Some("file"), _) => {
                let code_id = code_id.as_deref().ok_or_else(AppError::invalid_code)?;
                let filename = if combine {
                    combined_name(name.as_deref())
                } else {
                    field.file_name().unwrap_or_default().to_owned()
                };
                let upload = Upload {
                    code_id,
                    sender: sender.as_deref(),
                    filename: &filename,
                    ip: meta.ip.as_deref(),
                };
                return if combine {
                    intake::receive(state, upload, &mut Pages::new(state, field, &mut multipart)).await
                } else {
                    intake::receive(state, upload, &mut field).await
                };
            }
            _ => {}
        }
    }
    Err(AppError::invalid("file", Text::FileMissing))
}

/// The name of pages put together: the patient's, made safe and a PDF's, or
/// "Ordonnance.pdf".
fn combined_name(chosen: Option<&str>) -> String {
    let chosen = chosen
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or("Ordonnance");
    let safe = files::sanitise_filename(chosen);
    if files::extension(&safe).as_deref() == Some("pdf") {
        safe
    } else {
        files::sanitise_filename(&format!("{safe}.pdf"))
    }
}

/// Longest name a patient may give pages put together, in bytes: 120 characters (the
/// page's limit, as a file name's) of up to 4 bytes.
const MAX_NAME_FIELD: usize = 480;

/// The pages of one document, read from the multipart fields `file` one after the other
/// (each checked by its first bytes and freed of its metadata as it streams in, all of
/// them within the size limit), then put together into a PDF that goes into the store
/// like any file. Only this document's pages are ever held.
struct Pages<'a, 'r> {
    state: &'a AppState,
    first: Option<multer::Field<'r>>,
    multipart: &'a mut multer::Multipart<'r>,
    /// The PDF once put together, handed out a piece at a time.
    pdf: Option<Bytes>,
    assembled: Option<Assembled>,
}

impl<'a, 'r> Pages<'a, 'r> {
    fn new(state: &'a AppState, first: multer::Field<'r>, multipart: &'a mut multer::Multipart<'r>) -> Self {
        Pages {
            state,
            first: Some(first),
            multipart,
            pdf: None,
            assembled: None,
        }
    }

    async fn read(&mut self) -> Result<Vec<Page>, AppError> {
        let settings = &self.state.settings;
        let mut pages = Vec::new();
        let mut total = 0;
        loop {
            let field = match self.first.take() {
                Some(field) => field,
                None => match self.multipart.next_field().await.map_err(multipart_error)? {
                    Some(field) => field,
                    None => return Ok(pages),
                },
            };
            if field.name() != Some("file") {
                continue;
            }
            if pages.len() == MAX_PAGES {
                return Err(AppError::invalid("file", Text::TooManyPages));
            }
            let filename = files::sanitise_filename(field.file_name().unwrap_or_default());
            let file_type = files::allowed_type(&filename, &settings.allowed_extensions)
                .filter(|file_type| *file_type != FileType::Pdf)
                .ok_or_else(|| AppError::invalid("file", Text::PageNotPhoto))?;
            let mut screening = Screening::new(file_type, settings.max_file_size_bytes() - total);
            let mut bytes = Vec::new();
            let mut field = field;
            while let Some(chunk) = field.next_chunk().await? {
                screening.push(&chunk, &mut bytes)?;
            }
            total += screening.finish()?;
            pages.push(Page { file_type, bytes });
        }
    }
}

impl FileBody for Pages<'_, '_> {
    const ASSEMBLED: bool = true;

    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        if self.pdf.is_none() {
            let pages = Arc::new(self.read().await?);
            let page_count = u32::try_from(pages.len()).map_err(|_| AppError::Internal)?;
            let qr_codes = self.state.qr_reader.read(pages.clone()).await;
            let max_bytes = self.state.settings.max_file_size_bytes();
            let pdf = tokio::task::spawn_blocking(move || page_assembly::assemble(&pages, max_bytes))
                .await
                .map_err(|_| AppError::Internal)?
                .map_err(intake::image_error)?;
            self.pdf = Some(Bytes::from(pdf));
            self.assembled = Some(Assembled { page_count, qr_codes });
        }
        let pdf = self.pdf.as_mut().expect("put together above");
        const PIECE: usize = 64 * 1024;
        Ok((!pdf.is_empty()).then(|| pdf.split_to(pdf.len().min(PIECE))))
    }

    fn assembled(&self) -> Option<&Assembled> {
        self.assembled.as_ref()
    }
}
