//! The harness: a `Storage` with an `images` and a `files` bucket on the chosen backend, in a
//! fresh temporary data directory, and on S3 in a fresh `s3s-fs` with random credentials.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use secrecy::SecretString;
use storage::{
    BackendSettings, BucketName, BucketSettings, ObjectBody, ObjectKey, ObjectMeta, Policy, Remote,
    Settings, Storage, WriteMode,
};
use tempfile::TempDir;
pub use testkit::{Backend, S3Server};

/// `images`: public-read, image/*, at most `IMAGE_LIMIT` bytes. `files`: private, any type,
/// at most `FILE_LIMIT` bytes — room for uploads that go multipart on S3 (from 8 MiB).
pub const IMAGE_LIMIT: u64 = 64 * 1024;
pub const FILE_LIMIT: u64 = 24 * 1024 * 1024;

/// Where each area lives on S3, as (remote bucket, root): `images` has a remote bucket of its
/// own; `files` and the system area share one under distinct roots.
const S3_IMAGES: (&str, &str) = ("pictures", "");
const S3_FILES: (&str, &str) = ("shared", "files/");
const S3_SYSTEM: (&str, &str) = ("shared", "system/");

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
    pub backend: Backend,
    /// The S3 server, on [`Backend::S3`].
    pub s3: Option<S3Server>,
    pub table: BTreeMap<String, BucketSettings>,
}

/// The bucket table of the fs backend.
pub fn bucket_table() -> BTreeMap<String, BucketSettings> {
    let mut buckets = BTreeMap::new();
    buckets.insert(
        "images".to_owned(),
        BucketSettings {
            policy: Policy::PublicRead,
            max_object_bytes: IMAGE_LIMIT,
            allowed_types: vec!["image/*".to_owned()],
            write: WriteMode::default(),
            key_template: Default::default(),
            backend: BackendSettings::Fs { root: None },
        },
    );
    buckets.insert(
        "files".to_owned(),
        BucketSettings {
            policy: Policy::Private,
            max_object_bytes: FILE_LIMIT,
            allowed_types: vec!["*/*".to_owned()],
            write: WriteMode::default(),
            key_template: Default::default(),
            backend: BackendSettings::Fs { root: None },
        },
    );
    buckets
}

pub fn signing_key() -> SecretString {
    SecretString::from("test signing key".to_owned())
}

/// How to reach `(remote bucket, root)` on this server.
pub fn remote(s3: &S3Server, (bucket, root): (&str, &str)) -> Remote {
    Remote {
        endpoint: Some(s3.endpoint()),
        region: None,
        bucket: bucket.to_owned(),
        root: (!root.is_empty()).then(|| root.to_owned()),
        access_key_id: Some(SecretString::from(s3.access_key().to_owned())),
        secret_access_key: Some(SecretString::from(s3.secret_key().to_owned())),
        virtual_host_style: false,
    }
}

pub fn spawn(backend: Backend) -> TestStorage {
    spawn_with(backend, |_| {})
}

/// Like [`spawn`], with the bucket table changed by `edit` first.
pub fn spawn_with(
    backend: Backend,
    edit: impl FnOnce(&mut BTreeMap<String, BucketSettings>),
) -> TestStorage {
    let dir = tempfile::tempdir().expect("temporary directory");
    let s3 = (backend == Backend::S3).then(|| {
        let s3 = S3Server::start();
        for (bucket, _) in [S3_IMAGES, S3_FILES, S3_SYSTEM] {
            s3.create_bucket(bucket);
        }
        s3
    });
    let mut table = bucket_table();
    if let Some(s3) = &s3 {
        for (name, place) in [("images", S3_IMAGES), ("files", S3_FILES)] {
            if let Some(b) = table.get_mut(name) {
                b.backend = BackendSettings::S3(remote(s3, place));
            }
        }
    }
    edit(&mut table);
    let storage = Storage::new(&settings(dir.path(), s3.as_ref()), &table, signing_key())
        .expect("valid storage settings");
    TestStorage {
        storage,
        dir,
        images: bucket("images"),
        files: bucket("files"),
        backend,
        s3,
        table,
    }
}

/// Everything on disk under `data_dir`; with an S3 server, the system area there too.
fn settings(data_dir: &Path, s3: Option<&S3Server>) -> Settings {
    let mut settings = Settings::on_disk(data_dir);
    if let Some(s3) = s3 {
        settings.system = Some(BackendSettings::S3(remote(s3, S3_SYSTEM)));
    }
    settings
}

impl TestStorage {
    /// The storage settings: everything on disk under `dir`, or on S3 the system area too.
    pub fn settings(&self) -> Settings {
        settings(self.dir.path(), self.s3.as_ref())
    }

    /// Another `Storage` (another instance) over the same data.
    pub fn reopen(&self) -> Storage {
        Storage::new(&self.settings(), &self.table, signing_key()).expect("valid storage settings")
    }

    /// Another instance over the same data, with its storage settings changed by `edit`.
    pub fn instance(&self, edit: impl FnOnce(&mut Settings)) -> Storage {
        let mut settings = self.settings();
        edit(&mut settings);
        Storage::new(&settings, &self.table, signing_key()).expect("valid storage settings")
    }

    pub fn s3(&self) -> &S3Server {
        self.s3.as_ref().expect("an S3 test")
    }

    pub fn s3_mut(&mut self) -> &mut S3Server {
        self.s3.as_mut().expect("an S3 test")
    }

    /// The fs root of a bucket (fs only).
    pub fn root(&self, bucket: &BucketName) -> PathBuf {
        assert_eq!(
            self.backend,
            Backend::Fs,
            "only fs buckets have a root on disk"
        );
        self.dir.path().join(bucket.as_str())
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join(".tmp")
    }

    /// Where `bucket`'s objects are, as the backend stores them (file paths on fs, keys on S3).
    pub fn stored(&self, bucket: &BucketName) -> Vec<String> {
        match &self.s3 {
            None => relative_files(&self.root(bucket)),
            Some(s3) => {
                let (remote, root) = s3_place(bucket);
                s3.objects(remote, root)
            }
        }
    }

    /// The system area's documents under `prefix` (e.g. `"policies/"`).
    pub fn system_documents(&self, prefix: &str) -> Vec<String> {
        match &self.s3 {
            None => relative_files(&self.dir.path().join(".system").join(prefix)),
            Some(s3) => s3.objects(S3_SYSTEM.0, &format!("{}{prefix}", S3_SYSTEM.1)),
        }
    }

    /// Unfinished writes: temporary files on fs; on S3 dangling (multipart) uploads, and any
    /// file an S3 write should never have put in the local upload area.
    pub fn in_flight(&self) -> Vec<String> {
        let mut found = relative_files(&self.tmp());
        if let Some(s3) = &self.s3 {
            found.extend(s3.dangling_uploads());
        }
        found
    }

    pub async fn put(&self, bucket: &BucketName, key: &str, bytes: Vec<u8>) -> ObjectMeta {
        self.storage
            .write(bucket, &self.key(key), chunks(vec![bytes]), None)
            .await
            .expect("upload succeeds")
    }

    /// Like [`TestStorage::put`], recording `owner` as the object's owner.
    pub async fn put_as(
        &self,
        bucket: &BucketName,
        key: &str,
        owner: &str,
        bytes: Vec<u8>,
    ) -> ObjectMeta {
        self.storage
            .write_as(
                bucket,
                &self.key(key),
                Some(owner),
                chunks(vec![bytes]),
                None,
            )
            .await
            .expect("upload succeeds")
    }

    /// Stores `bytes` under `name` behind picgate's back, as another tool would: a file on
    /// disk (rewritten in place if it exists), or an object put by another S3 client. No key
    /// or type rules apply.
    pub async fn put_foreign(&self, bucket: &BucketName, name: &str, bytes: Vec<u8>) {
        match &self.s3 {
            None => std::fs::write(self.root(bucket).join(name), bytes).expect("writable"),
            Some(_) => {
                self.foreign_client(bucket)
                    .write(name, bytes)
                    .await
                    .expect("stored by another client");
            }
        }
    }

    /// Another S3 client's view of `bucket` (S3 only): raw keys, raw metadata.
    pub fn foreign_client(&self, bucket: &BucketName) -> opendal::Operator {
        let s3 = self.s3();
        let r = remote(s3, s3_place(bucket));
        let mut builder = opendal::services::S3::default()
            .endpoint(&s3.endpoint())
            .region("us-east-1")
            .bucket(&r.bucket)
            .access_key_id(s3.access_key())
            .secret_access_key(s3.secret_key())
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(root) = &r.root {
            builder = builder.root(root);
        }
        opendal::Operator::new(builder).expect("an S3 operator")
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

    /// Asserts that the bucket holds nothing and no write is left unfinished.
    #[track_caller]
    pub fn assert_no_files(&self, bucket: &BucketName) {
        assert_eq!(self.stored(bucket), Vec::<String>::new(), "objects left");
        self.assert_nothing_in_flight();
    }

    /// Asserts that no temporary file (fs) or dangling upload (S3) is left.
    #[track_caller]
    pub fn assert_nothing_in_flight(&self) {
        assert_eq!(
            self.in_flight(),
            Vec::<String>::new(),
            "unfinished writes left"
        );
    }
}

/// Where a bucket of the table lives on S3.
fn s3_place(bucket: &BucketName) -> (&'static str, &'static str) {
    if bucket.as_str() == "images" {
        S3_IMAGES
    } else {
        S3_FILES
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

/// Every file below `dir`, as a `/`-separated path relative to it.
fn relative_files(dir: &Path) -> Vec<String> {
    files_under(dir)
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect()
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

/// `n` MiB: a PNG head, then filler, in 64 KiB chunks (as a socket delivers them).
pub fn mebibytes(n: usize) -> Vec<Vec<u8>> {
    const CHUNK: usize = 64 * 1024;
    std::iter::once(png(CHUNK))
        .chain(std::iter::repeat_n(vec![3; CHUNK], n * 16 - 1))
        .collect()
}

pub async fn collect(body: ObjectBody) -> Vec<u8> {
    let parts: Vec<Bytes> = body
        .into_stream()
        .try_collect()
        .await
        .expect("readable body");
    parts.concat()
}

/// Waits (briefly) until `check` holds.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    check()
}
