//! Where sealed documents live, through the `object_store` crate: a local directory for
//! one instance, or an S3-compatible bucket that several instances share (and, in unit
//! tests, its in-memory store). Its operations: create, read (the start of a blob with its
//! size, or its bytes from any offset), delete, list, ping.
//!
//! A blob becomes visible only once complete. One smaller than a part is sent whole when
//! committed. A larger one is written in parts: in a directory, to a staged file renamed
//! at the end; in a bucket, as an S3 multipart upload of 5 MiB parts (S3's minimum), so
//! memory per upload stays one part whatever the file size. The upload's id is handed
//! to the caller, which records it with the upload's reservation so that any instance
//! can abort an upload left by a crash. A writer dropped before `commit` aborts its
//! upload.
//!
//! The database row of a document is written after its blob and deleted before it, so a
//! failure can leave a blob without a row, never a row without its blob; the retention
//! sweep removes such orphans once they are older than any upload can last.

use crate::error::AppError;
use crate::server::config::storage::{S3Bucket, Storage};
use crate::server::meters;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    ClientOptions, GetOptions, GetRange, GetResultPayload, MultipartId, MultipartUpload, ObjectStore, ObjectStoreExt,
    PutPayloadMut, RetryConfig,
};
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncRead;
use tokio_util::either::Either;
use tokio_util::io::StreamReader;

pub use object_store::Error as StoreError;

/// Parts sent to a bucket: S3 refuses smaller ones, except the last.
const BUCKET_PART: usize = 5 * 1024 * 1024;
/// Parts written to a staged file: any size works; small keeps memory low.
const DIRECTORY_PART: usize = 256 * 1024;

/// A store several instances can share: it takes multipart uploads by id.
trait SharedStore: ObjectStore + MultipartStore {}
impl<T: ObjectStore + MultipartStore> SharedStore for T {}

#[derive(Clone, Debug)]
enum Backend {
    Directory(Arc<LocalFileSystem>),
    Shared(Arc<dyn SharedStore>),
}

impl Backend {
    fn objects(&self) -> &dyn ObjectStore {
        match self {
            Backend::Directory(store) => store.as_ref(),
            Backend::Shared(store) => store.as_ref(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    backend: Backend,
    prefix: Path,
}

/// A blob being written; dropped before `commit`, it leaves nothing behind.
pub struct BlobWriter {
    backend: Backend,
    location: Path,
    /// The pieces of the next part, gathered without copying.
    part: PutPayloadMut,
    part_size: usize,
    upload: Upload,
}

enum Upload {
    /// No part sent yet: a blob smaller than one part goes out whole at commit.
    NotBegun,
    Staged(Box<dyn MultipartUpload>),
    Parts {
        store: Arc<dyn SharedStore>,
        id: MultipartId,
        parts: Vec<PartId>,
    },
    /// Committed or aborted.
    Ended,
}

/// A blob store failure as callers answer it: logged with its cause and counted; to the
/// client, the service is unavailable for now (a blob missing under a row is an
/// internal error).
pub fn storage_error(error: StoreError) -> AppError {
    report(&error, "the document store failed");
    match error {
        StoreError::NotFound { .. } => AppError::Internal,
        _ => AppError::Unavailable,
    }
}

/// Logs a blob store failure with its cause, and counts it.
pub fn report(error: &dyn std::error::Error, what: &str) {
    tracing::error!(%error, "{what}");
    metrics::counter!(meters::BLOB_ERRORS).increment(1);
}

/// Blob names are document ids: letters, digits and dashes only, never a path.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A name that is no document id: no such blob can exist.
fn invalid_id(id: &str) -> StoreError {
    StoreError::NotFound {
        path: id.to_owned(),
        source: "not a document id".into(),
    }
}

/// The store answered: whether what was asked for is there does not matter.
fn found_or_not<T>(answer: Result<T, StoreError>) -> Result<(), StoreError> {
    match answer {
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Times one store operation for the metrics.
async fn timed<T>(operation: &'static str, work: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = work.await;
    metrics::histogram!(meters::BLOB_SECONDS, "operation" => operation).record(started.elapsed().as_secs_f64());
    result
}

impl BlobStore {
    /// The store `STORAGE_URL` names; a directory is created if missing, and files left
    /// staged by an interrupted run are removed (a directory serves one instance).
    pub async fn connect(storage: &Storage) -> Result<BlobStore, StoreError> {
        match storage {
            Storage::Directory(dir) => BlobStore::directory(dir.clone()).await,
            Storage::S3(bucket) => BlobStore::bucket(bucket),
        }
    }

    async fn directory(dir: PathBuf) -> Result<BlobStore, StoreError> {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| StoreError::Generic {
                store: "directory",
                source: Box::new(source),
            })?;
        let mut entries = tokio::fs::read_dir(&dir).await.map_err(|source| StoreError::Generic {
            store: "directory",
            source: Box::new(source),
        })?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name
                .split_once('#')
                .is_some_and(|(id, suffix)| valid_id(id) && suffix.bytes().all(|b| b.is_ascii_digit()))
            {
                tracing::warn!("removed a document left unfinished by an interrupted run");
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        let store = LocalFileSystem::new_with_prefix(&dir)?.with_fsync(true);
        Ok(BlobStore {
            backend: Backend::Directory(Arc::new(store)),
            prefix: Path::default(),
        })
    }

    fn bucket(bucket: &S3Bucket) -> Result<BlobStore, StoreError> {
        // From the process environment, the credentials `object_store` finds by itself
        // when no keys are given (a session token, web identity, a container's role);
        // then what the settings say.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&bucket.bucket)
            .with_region(&bucket.region)
            // An unreachable bucket is answered within seconds, not after minutes of retries.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            // The body of a request is not hashed into its signature: each sealed chunk is
            // authenticated by AES-GCM already, and TLS guards the way to a real bucket.
            .with_unsigned_payload(true)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(bucket.allow_http)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(120)),
            );
        if let Some(endpoint) = &bucket.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let (Some(id), Some(secret)) = (&bucket.access_key_id, &bucket.secret_access_key) {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret);
        }
        Ok(BlobStore::shared(Arc::new(builder.build()?), &bucket.prefix))
    }

    /// A store in memory, shared by clones: for tests.
    #[cfg(test)]
    fn in_memory() -> BlobStore {
        BlobStore::shared(Arc::new(object_store::memory::InMemory::new()), "")
    }

    fn shared(store: Arc<dyn SharedStore>, prefix: &str) -> BlobStore {
        BlobStore {
            backend: Backend::Shared(store),
            prefix: Path::from(prefix),
        }
    }

    fn objects(&self) -> &dyn ObjectStore {
        self.backend.objects()
    }

    fn location(&self, id: &str) -> Result<Path, StoreError> {
        valid_id(id)
            .then(|| self.prefix.clone().join(id))
            .ok_or_else(|| invalid_id(id))
    }

    /// Starts blob `id`. Nothing reaches the store until a part is full or the blob
    /// is committed.
    pub fn create(&self, id: &str) -> Result<BlobWriter, StoreError> {
        let part_size = match self.backend {
            Backend::Directory(_) => DIRECTORY_PART,
            Backend::Shared(_) => BUCKET_PART,
        };
        Ok(BlobWriter {
            backend: self.backend.clone(),
            location: self.location(id)?,
            part: PutPayloadMut::new(),
            part_size,
            upload: Upload::NotBegun,
        })
    }

    /// The blob's whole size, and its first `len` bytes (fewer if it is shorter).
    pub async fn start(&self, id: &str, len: usize) -> Result<(u64, Bytes), StoreError> {
        let location = self.location(id)?;
        let options = GetOptions {
            range: Some(GetRange::Bounded(0..len as u64)),
            ..GetOptions::default()
        };
        let found = timed("open", self.objects().get_opts(&location, options)).await?;
        let size = found.meta.size;
        Ok((size, found.bytes().await?))
    }

    /// The blob's bytes from `offset` on, as they stream from the store. A file in a
    /// directory is read as a file: `object_store` would read it 8 KiB at a time.
    pub async fn open(&self, id: &str, offset: u64) -> Result<impl AsyncRead + Send + Unpin + use<>, StoreError> {
        let location = self.location(id)?;
        let options = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        let found = timed("open", self.objects().get_opts(&location, options)).await?;
        Ok(match found.payload {
            GetResultPayload::File(mut file, _) => {
                file.seek(SeekFrom::Start(found.range.start))
                    .map_err(|source| StoreError::Generic {
                        store: "directory",
                        source: Box::new(source),
                    })?;
                Either::Left(tokio::fs::File::from_std(file))
            }
            GetResultPayload::Stream(stream) => Either::Right(StreamReader::new(stream.map_err(std::io::Error::from))),
        })
    }

    /// Removes a blob; one already gone is not an error.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        found_or_not(timed("delete", self.objects().delete(&self.location(id)?)).await)
    }

    /// Aborts the multipart upload `upload` of blob `id`, left by a crash.
    pub async fn abort(&self, id: &str, upload: &str) -> Result<(), StoreError> {
        let Backend::Shared(store) = &self.backend else {
            return Ok(());
        };
        let upload = upload.to_owned();
        found_or_not(timed("abort", store.abort_multipart(&self.location(id)?, &upload)).await)
    }

    /// The ids of the blobs present, with the time each was written (Unix seconds): the
    /// objects right under the prefix whose names are ids, nothing deeper.
    pub async fn list(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let listed: Vec<_> = timed("list", self.objects().list(prefix).try_collect()).await?;
        let depth = self.prefix.parts().count() + 1;
        Ok(listed
            .into_iter()
            .filter(|meta| meta.location.parts().count() == depth)
            .filter_map(|meta| {
                let id = meta.location.filename()?.to_owned();
                valid_id(&id).then_some((id, meta.last_modified.timestamp()))
            })
            .collect())
    }

    /// The ids of the blobs present.
    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = self.list().await?.into_iter().map(|(id, _)| id).collect();
        ids.sort();
        Ok(ids)
    }

    /// Whether the store answers: a blob that cannot exist is looked up.
    pub async fn ping(&self) -> Result<(), StoreError> {
        found_or_not(timed("ping", self.objects().head(&self.location("health-check")?)).await)
    }
}

impl BlobWriter {
    /// Takes more of the blob, sending each part as it fills. Returns the id of the
    /// bucket's multipart upload when this write began one: the caller records it, so
    /// that any instance can abort the upload if this one dies.
    pub async fn write(&mut self, bytes: impl Into<Bytes>) -> Result<Option<MultipartId>, StoreError> {
        let mut bytes = bytes.into();
        let mut begun = None;
        while !bytes.is_empty() {
            let room = self.part_size - self.part.content_length();
            self.part.push(bytes.split_to(room.min(bytes.len())));
            if self.part.content_length() == self.part_size {
                if matches!(self.upload, Upload::NotBegun) {
                    begun = self.begin().await?;
                }
                self.send_part().await?;
            }
        }
        Ok(begun)
    }

    /// Begins the multipart upload; in a bucket, its id.
    async fn begin(&mut self) -> Result<Option<MultipartId>, StoreError> {
        let (upload, id) = match &self.backend {
            Backend::Directory(store) => (
                Upload::Staged(timed("begin", store.put_multipart(&self.location)).await?),
                None,
            ),
            Backend::Shared(store) => {
                let id = timed("begin", store.create_multipart(&self.location)).await?;
                let upload = Upload::Parts {
                    store: store.clone(),
                    id: id.clone(),
                    parts: Vec::new(),
                };
                (upload, Some(id))
            }
        };
        self.upload = upload;
        Ok(id)
    }

    async fn send_part(&mut self) -> Result<(), StoreError> {
        let part = std::mem::take(&mut self.part).freeze();
        match &mut self.upload {
            Upload::Staged(upload) => timed("part", upload.put_part(part)).await,
            Upload::Parts { store, id, parts } => {
                let sent = timed("part", store.put_part(&self.location, id, parts.len(), part)).await?;
                parts.push(sent);
                Ok(())
            }
            Upload::NotBegun | Upload::Ended => Ok(()),
        }
    }

    /// Sends what is left and makes the blob visible under its id.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if matches!(self.upload, Upload::NotBegun) {
            self.upload = Upload::Ended;
            let whole = std::mem::take(&mut self.part).freeze();
            return timed("put", self.backend.objects().put(&self.location, whole))
                .await
                .map(drop);
        }
        if !self.part.is_empty() {
            self.send_part().await?;
        }
        match std::mem::replace(&mut self.upload, Upload::Ended) {
            Upload::Staged(mut upload) => timed("commit", upload.complete()).await.map(drop),
            Upload::Parts { store, id, parts } => {
                let completed = timed("commit", store.complete_multipart(&self.location, &id, parts)).await;
                if completed.is_err() {
                    let _ = store.abort_multipart(&self.location, &id).await;
                }
                completed.map(drop)
            }
            Upload::NotBegun | Upload::Ended => Ok(()),
        }
    }

    /// Gives the blob up: nothing of it stays.
    pub async fn abort(mut self) {
        abort_upload(
            std::mem::replace(&mut self.upload, Upload::Ended),
            self.location.clone(),
        )
        .await;
    }
}

/// Aborts an unfinished upload; a failure is reported and left to the bucket's lifecycle
/// rule.
async fn abort_upload(upload: Upload, location: Path) {
    let aborted = match upload {
        Upload::Staged(mut upload) => upload.abort().await,
        Upload::Parts { store, id, .. } => store.abort_multipart(&location, &id).await,
        Upload::NotBegun | Upload::Ended => Ok(()),
    };
    if let Err(error) = aborted {
        report(
            &error,
            "an unfinished upload could not be aborted; the bucket's lifecycle rule will",
        );
    }
}

impl Drop for BlobWriter {
    /// A writer dropped mid-way (the client went away) aborts its upload in the background.
    fn drop(&mut self) {
        if matches!(self.upload, Upload::NotBegun | Upload::Ended) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let upload = std::mem::replace(&mut self.upload, Upload::Ended);
            runtime.spawn(abort_upload(upload, self.location.clone()));
        }
    }
}

/// Reads a whole blob: for tests.
pub async fn read_all(store: &BlobStore, id: &str) -> Result<Vec<u8>, std::io::Error> {
    let mut reader = store.open(id, 0).await?;
    let mut content = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut content).await?;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn written(store: &BlobStore, id: &str, bytes: &[u8]) {
        let mut writer = store.create(id).expect("create");
        writer.write(bytes.to_vec()).await.expect("write");
        writer.commit().await.expect("commit");
    }

    async fn a_blob_appears_only_once_committed(store: BlobStore) {
        let big: Vec<u8> = (0..BUCKET_PART * 2 + 123).map(|i| (i % 251) as u8).collect();
        let mut writer = store.create("doc-1").expect("create");
        for piece in big.chunks(64 * 1024) {
            writer.write(piece.to_vec()).await.expect("write");
        }
        assert!(store.open("doc-1", 0).await.is_err(), "not visible before commit");
        writer.commit().await.expect("commit");
        assert_eq!(read_all(&store, "doc-1").await.expect("read"), big);
        let mut tail = store.open("doc-1", BUCKET_PART as u64 + 7).await.expect("open");
        let mut read = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut tail, &mut read)
            .await
            .expect("read");
        assert_eq!(read, big[BUCKET_PART + 7..], "the bytes from the offset on");
        let (size, start) = store.start("doc-1", 11).await.expect("start");
        assert_eq!(
            (size, start.as_ref()),
            (big.len() as u64, &big[..11]),
            "size and first bytes"
        );

        let mut abandoned = store.create("doc-2").expect("create");
        abandoned.write(big.clone()).await.expect("write");
        abandoned.abort().await;
        assert_eq!(store.ids().await.expect("ids"), ["doc-1"]);

        store.delete("doc-1").await.expect("delete");
        store.delete("doc-1").await.expect("deleting twice is fine");
        assert!(store.ids().await.expect("ids").is_empty());
        assert!(store.create("../etc/passwd").is_err(), "ids are never paths");
        store.ping().await.expect("the store answers");
    }

    #[tokio::test]
    async fn in_memory_blobs_appear_only_once_committed_and_abandoned_ones_leave_nothing() {
        a_blob_appears_only_once_committed(BlobStore::in_memory()).await;
    }

    #[tokio::test]
    async fn a_bucket_upload_begins_with_its_first_full_part_and_a_small_blob_goes_whole() {
        let store = BlobStore::in_memory();
        let mut small = store.create("small").expect("create");
        assert_eq!(small.write(vec![1; 1000]).await.expect("write"), None);
        small.commit().await.expect("commit");
        assert_eq!(read_all(&store, "small").await.expect("read"), vec![1; 1000]);

        let mut big = store.create("big").expect("create");
        assert_eq!(
            big.write(vec![2; BUCKET_PART - 1]).await.expect("write"),
            None,
            "no part full yet"
        );
        let begun = big.write(vec![2; 2]).await.expect("write");
        assert!(begun.is_some(), "the first full part begins the upload");
        assert_eq!(
            big.write(vec![2; BUCKET_PART]).await.expect("write"),
            None,
            "begun once"
        );
        big.commit().await.expect("commit");
        assert_eq!(
            read_all(&store, "big").await.expect("read"),
            vec![2; BUCKET_PART * 2 + 1]
        );
    }

    #[tokio::test]
    async fn directory_blobs_appear_only_once_committed_and_abandoned_ones_leave_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::connect(&Storage::Directory(dir.path().join("documents")))
            .await
            .expect("store");
        a_blob_appears_only_once_committed(store).await;
        assert_eq!(
            std::fs::read_dir(dir.path().join("documents")).expect("list").count(),
            0
        );
    }

    #[tokio::test]
    async fn a_dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::connect(&Storage::Directory(dir.path().to_path_buf()))
            .await
            .expect("store");
        let mut writer = store.create("dropped").expect("create");
        let begun = writer.write(vec![7; DIRECTORY_PART + 1]).await.expect("write");
        assert_eq!(begun, None, "a directory has no upload to name");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1, "staged");
        drop(writer);
        for _ in 0..100 {
            if std::fs::read_dir(dir.path()).expect("list").count() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the staged file of a dropped writer is still there");
    }

    #[tokio::test]
    async fn a_restarted_directory_store_removes_what_a_crash_left_staged() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::Directory(dir.path().to_path_buf());
        let store = BlobStore::connect(&storage).await.expect("store");
        written(&store, "kept", b"x").await;
        std::fs::write(dir.path().join("crashed#1"), b"half").expect("leftover");
        let reopened = BlobStore::connect(&storage).await.expect("reopen");
        assert_eq!(reopened.ids().await.expect("ids"), ["kept"]);
        assert!(!dir.path().join("crashed#1").exists());
    }
}
