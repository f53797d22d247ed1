//! Handing a document out, as a download or a preview (served on the preview origin,
//! see `previews`). Downloads are a plain GET route rather than a streaming server
//! function: Leptos answers a server function request that accepts HTML and names a
//! referrer, as a browser following a link from another site does, with a redirect to
//! that referrer instead of the file. Either way
//! the sealed content is decrypted chunk by chunk as it streams out, a chunk that does
//! not authenticate ends the stream there, nothing is cached, and nothing in it can run
//! as this site.

use crate::error::AppError;
use crate::model::audit::Action;
use crate::server::audit;
use crate::server::blob_store::{read_failed, report, storage_error};
use crate::server::config::Settings;
use crate::server::keys::Sealed;
use crate::server::keys::bound_to;
use crate::server::meters;
use crate::server::repo::documents;
use crate::server::sealed_stream::{HEADER_LEN, Opener, SEALED_CHUNK};
use crate::server::session::Staff;
use crate::server::state::AppState;
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Characters RFC 5987 lets through unencoded in `filename*` (attr-char).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// How a document leaves the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Saved as a file by the browser, never shown.
    Download,
    /// Shown inside the dashboard, from the preview origin only.
    Preview,
}

impl Delivery {
    fn disposition(self) -> &'static str {
        match self {
            Delivery::Download => "attachment",
            Delivery::Preview => "inline",
        }
    }

    fn action(self) -> Action {
        match self {
            Delivery::Download => Action::DocumentDownloaded,
            Delivery::Preview => Action::DocumentPreviewed,
        }
    }

    /// A download is a sandboxed document in any case; a preview must let the
    /// browser's PDF viewer run, so it relies on its own origin instead, and only the
    /// site may frame it.
    fn content_security_policy(self, settings: &Settings) -> HeaderValue {
        match self {
            Delivery::Download => HeaderValue::from_static("default-src 'none'; sandbox"),
            Delivery::Preview => HeaderValue::from_str(&format!(
                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors {}",
                settings.public_url
            ))
            .unwrap_or(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")),
        }
    }
}

/// `Content-Disposition` naming the file (RFC 6266): an ASCII fallback in which
/// anything else becomes `_`, and the exact UTF-8 name percent-encoded. No CR, LF or
/// quote can reach the header.
pub fn disposition(delivery: Delivery, filename: &str) -> HeaderValue {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(filename, ATTR_CHAR);
    let kind = delivery.disposition();
    HeaderValue::from_str(&format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static(kind))
}

fn does_not_open() -> io::Error {
    tracing::error!("a stored document does not open: its content or key was altered");
    io::Error::new(io::ErrorKind::InvalidData, "a stored document does not open")
}

/// The plaintext of a sealed blob, chunk by chunk: the sealed bytes are read a whole
/// chunk at a time, however small the pieces the store hands out.
fn plaintext(file: impl AsyncRead + Send + Unpin + 'static, opener: Opener) -> impl Stream<Item = io::Result<Bytes>> {
    futures::stream::try_unfold(Some((file, opener)), |open| async move {
        let Some((mut file, mut opener)) = open else {
            return Ok(None);
        };
        let mut sealed = Vec::with_capacity(SEALED_CHUNK);
        while sealed.len() < SEALED_CHUNK {
            let read = (&mut file)
                .take((SEALED_CHUNK - sealed.len()) as u64)
                .read_buf(&mut sealed)
                .await
                .inspect_err(|error| report(error, "a stored document could not be read"))?;
            if read == 0 {
                break;
            }
        }
        let (plain, rest) = if sealed.is_empty() {
            (opener.finish(), None)
        } else {
            (opener.push(&sealed), Some((file, opener)))
        };
        let plain = plain.map_err(|_| does_not_open())?;
        metrics::counter!(meters::BYTES_OUT).increment(plain.len() as u64);
        Ok(Some((Bytes::from(plain), rest)))
    })
}

/// A document on its way out: the headers it leaves with, and its plaintext as it is
/// decrypted.
pub struct Delivered {
    pub headers: [(HeaderName, HeaderValue); 5],
    pub content: BoxStream<'static, io::Result<Bytes>>,
}

impl IntoResponse for Delivered {
    fn into_response(self) -> Response {
        (self.headers, Body::from_stream(self.content)).into_response()
    }
}

/// Document `id` of the caller's pharmacy, decrypted as it streams; the first delivery
/// marks it viewed, and every one is audited.
pub async fn deliver(state: &AppState, caller: &Staff, id: &str, delivery: Delivery) -> Result<Delivered, AppError> {
    let document = documents::find_for_pharmacy(&state.db, id, &caller.pharmacy.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let context = bound_to::document(&document.pharmacy_id, &document.id, &document.key_id);
    let wrapped = Sealed::from_blob(&document.wrapped_key).ok_or(AppError::Internal)?;
    let data_key = state
        .settings
        .encryption_key
        .unwrap(&wrapped, &context)
        .map_err(|error| {
            tracing::error!(%error, "a document key does not unwrap");
            AppError::Internal
        })?;
    let mut file = state.blobs.open(&document.id).await.map_err(storage_error)?;
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header).await.map_err(read_failed)?;
    let opener = Opener::new(&data_key, &context, &header).map_err(|_| {
        does_not_open();
        AppError::Internal
    })?;

    documents::mark_viewed(&state.db, &document.id, &caller.user.id, state.clock.now()).await?;
    audit::record(
        state,
        caller.into(),
        delivery.action(),
        Some(("document", &document.id)),
    )
    .await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_str(&document.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ),
        (
            header::CONTENT_DISPOSITION,
            disposition(delivery, &document.original_filename),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (
            header::CONTENT_SECURITY_POLICY,
            delivery.content_security_policy(&state.settings),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok(Delivered {
        headers,
        content: plaintext(file, opener).boxed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_reach_the_header_quoted_and_encoded_never_raw() {
        assert_eq!(
            disposition(Delivery::Download, "Ordonnance été.pdf"),
            "attachment; filename=\"Ordonnance _t_.pdf\"; filename*=UTF-8''Ordonnance%20%C3%A9t%C3%A9.pdf"
        );
        let tricky = disposition(Delivery::Download, "a\"b\\c\r\nSet-Cookie: x.pdf");
        let tricky = tricky.to_str().expect("ASCII");
        assert!(
            tricky.starts_with("attachment; filename=\"a_b_c__Set-Cookie: x.pdf\";"),
            "{tricky}"
        );
        assert!(!tricky.contains(['\r', '\n']));
        assert!(tricky.ends_with("filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.pdf"));
        assert_eq!(
            disposition(Delivery::Preview, "scan.png"),
            "inline; filename=\"scan.png\"; filename*=UTF-8''scan.png"
        );
    }
}
