//! Serving connections with bounds an attacker cannot stretch: at most `MAX_CONNECTIONS`
//! open at once (more wait in the kernel's backlog), HTTP/1.1 only (what a reverse proxy
//! speaks to its upstream; browsers use HTTP/2 only over TLS, which the proxy ends), the
//! first bytes and every request's headers within `HEADER_READ_TIMEOUT_SECONDS` (an
//! idle kept-alive connection too), request bodies at `BODY_MIN_BYTES_PER_SECOND` on
//! average, answers within `REQUEST_TIMEOUT_SECONDS`, a client that stops reading its
//! answer cut off after `WRITE_TIMEOUT`, and on shutdown a bounded time for requests in
//! flight.

use crate::error::AppError;
use crate::server::config::ConnectionLimits;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_io_timeout::TimeoutStream;
use tower::Service;

/// How long a request body may take to start flowing before its rate is judged.
pub const BODY_GRACE: Duration = Duration::from_secs(10);

/// Request body bytes handed to a reader before it is made to wait a turn: a reader that
/// drains whatever is ready (multer does) then holds at most this much, however fast the
/// client sends.
const READ_BATCH: u64 = 256 * 1024;

/// How long a client may leave the server unable to write any of its answer.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `shutdown` resolves, then lets open connections
/// finish their requests for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    grace: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((stream, peer, permit)) = accepted else {
            continue;
        };
        // Pages stream in several chunks; without TCP_NODELAY each later chunk waits
        // ~40 ms for the client's delayed acknowledgement.
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().call(request)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(Box::pin(stream)), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("stopped"),
        () = tokio::time::sleep(grace) => tracing::warn!("stopped with requests still in flight after the grace period"),
    }
}

/// The next connection, once one of the permits is free.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, permit)),
        Err(error) => {
            // Out of file descriptors, or a connection reset before it was accepted.
            tracing::warn!(%error, "accepting a connection failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// `router` with the request timeout and the body's minimum rate, for every origin the
/// server answers.
pub fn bounded<S: Clone + Send + Sync + 'static>(router: Router<S>, limits: ConnectionLimits) -> Router<S> {
    router
        .layer(axum::middleware::from_fn_with_state(limits, request_timeout))
        .layer(axum::middleware::from_fn_with_state(limits, min_body_rate))
}

/// Middleware: a request is answered within `REQUEST_TIMEOUT_SECONDS`, or gets 503.
/// Uploads (multipart bodies) are bounded by their size and rate instead, since a
/// large file on a slow phone connection may rightly take longer.
pub async fn request_timeout(State(limits): State<ConnectionLimits>, request: Request, next: Next) -> Response {
    let uploads_a_file = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if uploads_a_file {
        return next.run(request).await;
    }
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("a request was not answered in time");
            AppError::Unavailable.into_response()
        }
    }
}

/// Middleware: the request body must keep up `BODY_MIN_BYTES_PER_SECOND` on average
/// after a grace period; a slower one fails, as if the client had gone.
pub async fn min_body_rate(State(limits): State<ConnectionLimits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = Body::new(MinRateBody::new(body, limits.body_min_bytes_per_second));
    next.run(Request::from_parts(parts, body)).await
}

pin_project_lite::pin_project! {
    /// A request body that fails when it falls behind its minimum rate, and hands out
    /// at most `READ_BATCH` bytes between two waits of its reader.
    struct MinRateBody {
        #[pin]
        inner: Body,
        #[pin]
        deadline: Sleep,
        started: Instant,
        received: u64,
        bytes_per_second: u64,
        batch: u64,
    }
}

impl MinRateBody {
    fn new(inner: Body, bytes_per_second: u64) -> MinRateBody {
        let started = Instant::now();
        MinRateBody {
            inner,
            deadline: tokio::time::sleep_until(started + BODY_GRACE),
            started,
            received: 0,
            bytes_per_second,
            batch: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct TooSlow;

impl http_body::Body for MinRateBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let mut this = self.project();
        if *this.batch >= READ_BATCH {
            *this.batch = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.received += data.len() as u64;
                    *this.batch += data.len() as u64;
                    // What has arrived buys time at the minimum rate.
                    let earned = Duration::from_secs_f64(*this.received as f64 / *this.bytes_per_second as f64);
                    this.deadline.as_mut().reset(*this.started + BODY_GRACE + earned);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                *this.batch = 0;
                match this.deadline.poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(TooSlow.into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        max_connections: 10,
        header_read_timeout: Duration::from_secs(10),
        body_min_bytes_per_second: 1000,
        request_timeout: Duration::from_secs(30),
    };

    async fn slowly() -> &'static str {
        tokio::time::sleep(Duration::from_secs(60)).await;
        "done"
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_becomes_503_but_an_upload_may_take_its_time() {
        let app = Router::new()
            .route("/slow", get(slowly))
            .route("/upload", post(slowly))
            .layer(axum::middleware::from_fn_with_state(LIMITS, request_timeout));
        let answer = app
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert_eq!(answer.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.headers().contains_key(header::RETRY_AFTER));
        let upload = Request::post("/upload")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
            .body(Body::empty())
            .expect("request");
        let answer = app.oneshot(upload).await.expect("answer");
        assert_eq!(answer.status(), axum::http::StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_fails_once_behind_its_rate() {
        let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 5000])) });
        let stalled = Body::from_stream(futures_util::StreamExt::chain(first, futures_util::stream::pending()));
        let started = Instant::now();
        let read = axum::body::to_bytes(Body::new(MinRateBody::new(stalled, 1000)), usize::MAX).await;
        assert!(read.is_err(), "the stalled body fails");
        let waited = started.elapsed();
        assert!(
            waited >= BODY_GRACE + Duration::from_secs(5) && waited < BODY_GRACE + Duration::from_secs(6),
            "5000 bytes at 1000 B/s buy 5 s after the grace: {waited:?}"
        );

        let steady = futures_util::stream::iter((0..30).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 2000]))));
        let steady = futures_util::StreamExt::then(steady, |chunk| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            chunk
        });
        let read = axum::body::to_bytes(Body::new(MinRateBody::new(Body::from_stream(steady), 1000)), usize::MAX).await;
        assert_eq!(read.map(|b| b.len()).ok(), Some(60_000), "2000 B/s keeps going");
    }

    #[tokio::test]
    async fn a_fast_body_is_handed_out_in_batches() {
        let frames =
            futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 64 * 1024]))));
        let mut body = std::pin::pin!(MinRateBody::new(Body::from_stream(frames), 1000));
        let (mut received, mut batches) = (0, Vec::new());
        loop {
            // As multer reads: everything ready, until told to wait.
            let mut batch = 0;
            let frame = std::future::poll_fn(|cx| {
                loop {
                    match http_body::Body::poll_frame(body.as_mut(), cx) {
                        Poll::Ready(Some(Ok(frame))) => batch += frame.into_data().map_or(0, |data| data.len()),
                        Poll::Pending if batch > 0 => return Poll::Ready(true),
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(_) => return Poll::Ready(false),
                    }
                }
            })
            .await;
            received += batch;
            batches.push(batch);
            if !frame {
                break;
            }
        }
        assert_eq!(received, 64 * 64 * 1024, "all of it arrives");
        assert!(
            batches.iter().all(|&batch| batch as u64 <= READ_BATCH),
            "no more than a batch at a time: {batches:?}"
        );
    }
}
