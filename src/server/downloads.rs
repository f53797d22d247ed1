//! Handing a document out, as a download or a preview (served on the preview origin,
//! see `previews`). Downloads are a plain GET route rather than a streaming server
//! function: Leptos answers a server function request that accepts HTML and names a
//! referrer, as a browser following a link from another site does, with a redirect to
//! that referrer instead of the file. Either way the sealed content is decrypted chunk
//! by chunk as it streams out, a chunk that does not authenticate ends the stream there,
//! nothing is cached, and nothing in it can run as this site. The answer says its length
//! and takes byte ranges (a PDF viewer seeks, an interrupted download resumes): a range
//! is served by reading and opening only the chunks it covers.

use crate::error::AppError;
use crate::model::audit::Action;
use crate::server::audit;
use crate::server::blob_store::{report, storage_error};
use crate::server::config::Settings;
use crate::server::keys::Sealed;
use crate::server::keys::bound_to;
use crate::server::meters;
use crate::server::repo::documents;
use crate::server::sealed_stream::{CHUNK, HEADER_LEN, Layout, Opener};
use crate::server::session::Staff;
use crate::server::state::AppState;
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::io;
use std::ops::Range;
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

/// Logs a document whose content or key was altered.
fn report_damaged() {
    tracing::error!("a stored document does not open: its content or key was altered");
}

/// A document that does not open, ending its stream.
fn does_not_open() -> io::Error {
    report_damaged();
    io::Error::new(io::ErrorKind::InvalidData, "a stored document does not open")
}

/// A document that does not open, as the request's answer.
fn damaged() -> AppError {
    report_damaged();
    AppError::Internal
}

/// What a request asks of a document, from its method and its `Range` and `If-Range`
/// headers.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Whole,
    /// Plaintext bytes `start..end`.
    Part(Range<u64>),
    /// A malformed range, or one outside the document: answered 416.
    Unsatisfiable,
}

/// One byte range as RFC 9110 writes it: `bytes=a-b`, `bytes=a-` or `bytes=-n` (the
/// last `n`), cut at the end of a document of `len` bytes. A `Range` a server may
/// ignore is ignored: on a `HEAD`, in another unit, of several ranges, or whose
/// `If-Range` names another version than `etag` (a resumed download gets the whole new
/// version rather than a piece of it).
fn wanted(method: &Method, request: &HeaderMap, len: u64, etag: &str) -> Wanted {
    let Some(range) = request.get(header::RANGE).and_then(|value| value.to_str().ok()) else {
        return Wanted::Whole;
    };
    let other_version = request
        .get(header::IF_RANGE)
        .is_some_and(|version| version.as_bytes() != etag.as_bytes());
    let Some(spec) = range.strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if *method != Method::GET || other_version || spec.contains(',') {
        return Wanted::Whole;
    }
    // Digits only; a position too large for u64 is past any end.
    let position = |digits: &str| {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().unwrap_or(u64::MAX))
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    let span = match (position(first), position(last)) {
        (Some(start), Some(end)) if start <= end => start..end.saturating_add(1).min(len),
        (Some(start), None) if last.is_empty() => start..len,
        (None, Some(suffix)) if first.is_empty() && suffix > 0 => len.saturating_sub(suffix)..len,
        _ => return Wanted::Unsatisfiable,
    };
    if span.start < len {
        Wanted::Part(span)
    } else {
        Wanted::Unsatisfiable
    }
}

/// Plaintext bytes `span` of a sealed document, chunk by chunk, from `file` positioned
/// at the start of the chunk holding `span.start`. Only the chunks the span covers are
/// read and opened.
fn plaintext(
    file: impl AsyncRead + Send + Unpin + 'static,
    opener: Opener,
    layout: Layout,
    span: Range<u64>,
) -> impl Stream<Item = io::Result<Bytes>> {
    let first = Layout::chunk_of(span.start);
    // An empty document still has its one chunk to authenticate.
    let last = Layout::chunk_of(span.end.saturating_sub(1)).max(first);
    futures::stream::try_unfold((file, opener, first), move |(mut file, opener, index)| {
        let span = span.clone();
        async move {
            if index > last {
                return Ok(None);
            }
            let mut sealed = vec![0; layout.sealed_len(index)];
            file.read_exact(&mut sealed)
                .await
                .inspect_err(|error| report(error, "a stored document could not be read"))?;
            let plain = opener
                .open(index, layout.is_last(index), &sealed)
                .map_err(|_| does_not_open())?;
            let chunk_start = index * CHUNK as u64;
            let from = span.start.saturating_sub(chunk_start) as usize;
            let to = (span.end - chunk_start).min(plain.len() as u64) as usize;
            let part = Bytes::from(plain).slice(from..to.max(from));
            metrics::counter!(meters::BYTES_OUT).increment(part.len() as u64);
            Ok(Some((part, (file, opener, index + 1))))
        }
    })
}

/// The answer to a range that is not in the document.
fn unsatisfiable(len: u64) -> Response {
    let range = HeaderValue::from_str(&format!("bytes */{len}")).unwrap_or(HeaderValue::from_static("bytes */0"));
    (StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, range)]).into_response()
}

/// Document `id` of the caller's pharmacy, or the part of it the `request` asks for,
/// decrypted as it streams. A delivery that begins at the document's first byte is
/// audited, and the first one marks the document viewed; the further ranges a viewer or
/// a resumed download asks for then are not (reading a whole document always takes its
/// first byte, which is recorded).
pub async fn deliver(
    state: &AppState,
    caller: &Staff,
    id: &str,
    delivery: Delivery,
    request: &Parts,
) -> Result<Response, AppError> {
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
    let (blob_len, header) = state
        .blobs
        .start(&document.id, HEADER_LEN)
        .await
        .map_err(storage_error)?;
    let layout = Layout::of_blob(blob_len).ok_or_else(damaged)?;
    let opener = Opener::new(&data_key, &context, &header).map_err(|_| damaged())?;

    // A document never changes: its id names its one version.
    let etag = format!("\"{}\"", document.id);
    let (span, partial) = match wanted(&request.method, &request.headers, layout.len, &etag) {
        Wanted::Unsatisfiable => return Ok(unsatisfiable(layout.len)),
        Wanted::Whole => (0..layout.len, false),
        Wanted::Part(span) => (span, true),
    };
    let file = state
        .blobs
        .open(&document.id, Layout::blob_offset(Layout::chunk_of(span.start)))
        .await
        .map_err(storage_error)?;

    if span.start == 0 && request.method != Method::HEAD {
        documents::mark_viewed(&state.db, &document.id, &caller.user.id, state.clock.now()).await?;
        audit::record(
            state,
            caller.into(),
            delivery.action(),
            Some(("document", &document.id)),
        )
        .await?;
    }
    let length = span.end - span.start;
    let content_range = format!("bytes {}-{}/{}", span.start, span.end.saturating_sub(1), layout.len);
    let mut response = Response::new(Body::from_stream(plaintext(file, opener, layout, span)));
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&document.mime_type);
    headers.insert(
        header::CONTENT_TYPE,
        content_type.unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        disposition(delivery, &document.original_filename),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        delivery.content_security_policy(&state.settings),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if partial {
        if let Ok(range) = HeaderValue::from_str(&content_range) {
            headers.insert(header::CONTENT_RANGE, range);
        }
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_served_as_rfc_9110_reads() {
        let asked = |method: Method, headers: &[(&'static str, &'static str)]| {
            let mut request = HeaderMap::new();
            for (name, value) in headers {
                request.insert(*name, HeaderValue::from_static(value));
            }
            wanted(&method, &request, 1000, "\"f00d\"")
        };
        let range = |value: &'static str| asked(Method::GET, &[("range", value)]);
        assert_eq!(asked(Method::GET, &[]), Wanted::Whole);
        assert_eq!(range("bytes=0-99"), Wanted::Part(0..100));
        assert_eq!(range("bytes=0-"), Wanted::Part(0..1000));
        assert_eq!(range("bytes=900-"), Wanted::Part(900..1000));
        assert_eq!(range("bytes=-100"), Wanted::Part(900..1000), "the last 100");
        assert_eq!(range("bytes=-5000"), Wanted::Part(0..1000), "more than all");
        assert_eq!(range("bytes=990-5000"), Wanted::Part(990..1000), "cut at the end");
        assert_eq!(range("bytes=0100-0199"), Wanted::Part(100..200), "leading zeros");
        assert_eq!(range("bytes=5-99999999999999999999999"), Wanted::Part(5..1000));
        for refused in [
            "bytes=1000-",
            "bytes=50-10",
            "bytes=abc",
            "bytes=-0",
            "bytes=-",
            "bytes=1-2-3",
        ] {
            assert_eq!(range(refused), Wanted::Unsatisfiable, "{refused}");
        }
        assert_eq!(range("pages=1-2"), Wanted::Whole, "another unit");
        assert_eq!(range("bytes=0-9,20-29"), Wanted::Whole, "several ranges");
        assert_eq!(range("bytes=0-9, 5000-6000"), Wanted::Whole, "several ranges");
        assert_eq!(asked(Method::HEAD, &[("range", "bytes=0-9")]), Wanted::Whole, "HEAD");
        let resumed = [("range", "bytes=10-"), ("if-range", "\"f00d\"")];
        assert_eq!(asked(Method::GET, &resumed), Wanted::Part(10..1000), "the same version");
        let changed = [("range", "bytes=10-"), ("if-range", "\"beef\"")];
        assert_eq!(asked(Method::GET, &changed), Wanted::Whole, "another version");
        let empty = HeaderMap::from_iter([(header::RANGE, HeaderValue::from_static("bytes=0-"))]);
        assert_eq!(
            wanted(&Method::GET, &empty, 0, ""),
            Wanted::Unsatisfiable,
            "nothing to give"
        );
    }

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
