//! Where sealed documents live. The interface is four operations (create, open, delete,
//! sweep); the one store today is a local directory, and an object store for
//! deployments with several instances would be a second variant of `BlobStore`.
//!
//! A blob is written under a temporary name, flushed to disk and renamed: a reader never
//! sees half a blob. The database row of a document is written after its blob, and
//! deleted before it, so a crash can leave a blob without a row but never a row without
//! its blob; `sweep` removes such orphans at start.

use crate::error::AppError;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use tokio::fs;
use tokio::io::AsyncWriteExt;

const TEMP_SUFFIX: &str = ".partial";

#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

/// A blob being written; dropped before `commit`, it leaves nothing behind.
pub struct BlobWriter {
    file: fs::File,
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// A blob store failure as callers answer it: logged here, an internal error to them.
pub fn storage_error(error: io::Error) -> AppError {
    tracing::error!(%error, "the document store failed");
    AppError::Internal
}

/// Blob names are document ids: letters, digits and dashes only, never a path.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn invalid_id() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a blob id")
}

impl BlobStore {
    /// A store in `dir`, created if missing.
    pub async fn local(dir: PathBuf) -> io::Result<BlobStore> {
        fs::create_dir_all(&dir).await?;
        Ok(BlobStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> io::Result<PathBuf> {
        valid_id(id).then(|| self.dir.join(id)).ok_or_else(invalid_id)
    }

    pub async fn create(&self, id: &str) -> io::Result<BlobWriter> {
        let target = self.path(id)?;
        let temp = self.dir.join(format!("{id}{TEMP_SUFFIX}"));
        let file = fs::OpenOptions::new().write(true).create_new(true).open(&temp).await?;
        Ok(BlobWriter {
            file,
            temp,
            target,
            committed: false,
        })
    }

    pub async fn open(&self, id: &str) -> io::Result<fs::File> {
        fs::File::open(self.path(id)?).await
    }

    /// Removes a blob; one already gone is not an error.
    pub async fn delete(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.path(id)?).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Removes unfinished blobs, and blobs whose id `known` does not hold. Returns how
    /// many were removed.
    pub async fn sweep(&self, known: &HashSet<String>) -> io::Result<usize> {
        let mut removed = 0;
        let mut entries = fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(TEMP_SUFFIX) || (valid_id(&name) && !known.contains(&name)) {
                fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The ids of the blobs present.
    pub async fn ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut entries = fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if valid_id(&name) {
                ids.push(name);
            }
        }
        Ok(ids)
    }
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes).await
    }

    /// Makes the blob durable and visible under its id.
    pub async fn commit(mut self) -> io::Result<()> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        fs::rename(&self.temp, &self.target).await?;
        self.committed = true;
        if let Some(dir) = self.target.parent() {
            fs::File::open(dir).await?.sync_all().await?;
        }
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blob_appears_only_once_committed_and_an_abandoned_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::local(dir.path().join("documents")).await.expect("store");
        let mut writer = store.create("doc-1").await.expect("create");
        writer.write(b"sealed bytes").await.expect("write");
        assert!(store.open("doc-1").await.is_err(), "not visible before commit");
        writer.commit().await.expect("commit");
        let mut content = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut store.open("doc-1").await.expect("open"), &mut content)
            .await
            .expect("read");
        assert_eq!(content, b"sealed bytes");

        let mut abandoned = store.create("doc-2").await.expect("create");
        abandoned.write(b"half").await.expect("write");
        drop(abandoned);
        assert_eq!(store.ids().await.expect("ids"), ["doc-1"]);
        assert_eq!(std::fs::read_dir(store.dir()).expect("list").count(), 1);

        store.delete("doc-1").await.expect("delete");
        store.delete("doc-1").await.expect("deleting twice is fine");
        assert!(store.open("../etc/passwd").await.is_err(), "ids are never paths");
    }

    #[tokio::test]
    async fn the_sweep_removes_orphans_and_leftovers_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::local(dir.path().to_path_buf()).await.expect("store");
        for id in ["kept", "orphan"] {
            let mut writer = store.create(id).await.expect("create");
            writer.write(b"x").await.expect("write");
            writer.commit().await.expect("commit");
        }
        std::fs::write(dir.path().join(format!("crashed{TEMP_SUFFIX}")), b"x").expect("leftover");
        let known = HashSet::from(["kept".to_owned()]);
        assert_eq!(store.sweep(&known).await.expect("sweep"), 2);
        assert_eq!(store.ids().await.expect("ids"), ["kept"]);
    }
}
