use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use secrecy::SecretString;
use storage::{
    BackendSettings, BucketName, BucketSettings, ObjectBody, ObjectKey, ObjectMeta, Policy,
    Settings, Storage,
};
use tempfile::TempDir;

/// `images`: public-read, image/*, at most `IMAGE_LIMIT` bytes. `files`: private, any type,
/// at most `FILE_LIMIT` bytes.
pub const IMAGE_LIMIT: u64 = 64 * 1024;
pub const FILE_LIMIT: u64 = 8 * 1024 * 1024;

/// A PNG signature and header, then filler: sniffs as image/png.
pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.extend(
        (0..)
            .map(|i: u32| (i % 251) as u8)
            .take(len.saturating_sub(bytes.len())),
    );
    bytes.truncate(len);
    bytes
}

pub struct TestStorage {
    pub storage: Storage,
    pub dir: TempDir,
    pub images: BucketName,
    pub files: BucketName,
}

pub fn bucket_table() -> BTreeMap<String, BucketSettings> {
    let mut buckets = BTreeMap::new();
    buckets.insert(
        "images".to_owned(),
        BucketSettings {
            policy: Policy::PublicRead,
            max_object_bytes: IMAGE_LIMIT,
            allowed_types: vec!["image/*".to_owned()],
            backend: BackendSettings::Fs { root: None },
        },
    );
    buckets.insert(
        "files".to_owned(),
        BucketSettings {
            policy: Policy::Private,
            max_object_bytes: FILE_LIMIT,
            allowed_types: vec!["*/*".to_owned()],
            backend: BackendSettings::Fs { root: None },
        },
    );
    buckets
}

pub fn signing_key() -> SecretString {
    SecretString::from("test signing key".to_owned())
}

pub fn spawn() -> TestStorage {
    let dir = tempfile::tempdir().expect("temporary directory");
    let storage = open(dir.path());
    TestStorage {
        storage,
        dir,
        images: bucket("images"),
        files: bucket("files"),
    }
}

/// Another `Storage` (another instance) over the same data directory.
pub fn open(data_dir: &Path) -> Storage {
    let settings = Settings::on_disk(data_dir.to_owned());
    Storage::new(&settings, &bucket_table(), signing_key()).expect("valid storage settings")
}

impl TestStorage {
    pub fn root(&self, bucket: &BucketName) -> PathBuf {
        self.dir.path().join(bucket.as_str())
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join(".tmp")
    }

    pub async fn put(&self, bucket: &BucketName, key: &str, bytes: Vec<u8>) -> ObjectMeta {
        self.storage
            .write(bucket, &self.key(key), chunks(vec![bytes]), None)
            .await
            .expect("upload succeeds")
    }

    pub async fn get(&self, bucket: &BucketName, key: &str) -> Vec<u8> {
        let body = self
            .storage
            .read(bucket, &self.key(key), None)
            .await
            .expect("object exists");
        collect(body).await
    }

    pub fn key(&self, key: &str) -> ObjectKey {
        ObjectKey::parse(key).expect("valid key")
    }

    /// Asserts that no file is left in the bucket's root or the upload area.
    pub fn assert_no_files(&self, bucket: &BucketName) {
        assert_eq!(files_under(&self.root(bucket)), Vec::<PathBuf>::new());
        assert_eq!(files_under(&self.tmp()), Vec::<PathBuf>::new());
    }
}

pub fn bucket(name: &str) -> BucketName {
    BucketName::parse(name).expect("valid bucket name")
}

/// Every file (not directory) below `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

pub type Body = futures::stream::BoxStream<'static, Result<Bytes, io::Error>>;

/// A body made of these chunks.
pub fn chunks(chunks: Vec<Vec<u8>>) -> Body {
    futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c)))).boxed()
}

/// A body that yields these chunks, then fails.
pub fn failing_after(chunks: Vec<Vec<u8>>) -> Body {
    let failure = io::Error::new(io::ErrorKind::ConnectionReset, "client went away");
    futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))))
        .chain(futures::stream::once(async move { Err(failure) }))
        .boxed()
}

/// A body that yields these chunks, then never ends.
pub fn stalling_after(chunks: Vec<Vec<u8>>) -> Body {
    futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))))
        .chain(futures::stream::pending())
        .boxed()
}

pub async fn collect(body: ObjectBody) -> Vec<u8> {
    let parts: Vec<Bytes> = body.stream.try_collect().await.expect("readable body");
    parts.concat()
}

/// Waits (briefly) until `check` holds.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    check()
}
