//! Backend settings → OpenDAL `Operator`, in one `match`, plus the data directory's layout.

use std::path::{Path, PathBuf};

use std::time::Duration;

use opendal::Operator;
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::services::{Cos, Fs, S3};
use secrecy::ExposeSecret;

use crate::{BackendSettings, BucketName, Error, Settings};

/// Directory names under `data_dir`. Bucket names start with a letter or digit, so neither can
/// be a bucket's default root.
const SYSTEM_DIR: &str = ".system";
const TMP_DIR: &str = ".tmp";

/// Where things live under `data_dir`.
pub(crate) struct Layout {
    data_dir: PathBuf,
}

impl Layout {
    pub(crate) fn new(data_dir: &Path) -> Result<Self, Error> {
        let data_dir = std::path::absolute(data_dir)
            .map_err(|e| Error::Config(format!("storage.data_dir: {}: {e}", data_dir.display())))?;
        Ok(Self { data_dir })
    }

    /// The system area (accounts, policies): `<data_dir>/.system`.
    pub(crate) fn system_dir(&self) -> PathBuf {
        self.data_dir.join(SYSTEM_DIR)
    }

    /// Where fs uploads are written before the rename that publishes them: `<data_dir>/.tmp`.
    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.data_dir.join(TMP_DIR)
    }

    /// The directory an fs bucket keeps its objects in, if it is on fs.
    pub(crate) fn fs_root(&self, name: &BucketName, backend: &BackendSettings) -> Option<PathBuf> {
        match backend {
            BackendSettings::Fs { root } => Some(match root {
                Some(root) => self.resolve(root),
                None => self.data_dir.join(name.as_str()),
            }),
            BackendSettings::S3(_) | BackendSettings::Cos(_) => None,
        }
    }

    /// A configured path: absolute as given, relative to `data_dir` otherwise.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        self.data_dir.join(path)
    }
}

/// Size of the pieces an upload is handed to a backend in: on disk small; on S3/COS each
/// piece is a multipart part, and S3 wants parts of at least 5 MiB.
const FS_WRITE_CHUNK: usize = 256 * 1024;
const REMOTE_WRITE_CHUNK: usize = 8 * 1024 * 1024;

/// A backend's operator and the traits the object operations adapt to.
pub(crate) struct Backend {
    pub(crate) op: Operator,
    /// Lists in key order and honours `start_after` and `limit` (S3, COS): a page costs
    /// O(page size). fs lists directories whole and unsorted.
    pub(crate) ordered_listing: bool,
    /// Signs its own time-limited read URLs (S3, COS); fs links are signed by the gateway.
    pub(crate) native_presign: bool,
    pub(crate) write_chunk: usize,
    /// Keeps user metadata with each object and returns it from a stat (S3, COS), so the
    /// owner can travel with the object (`owner.rs`).
    pub(crate) user_metadata: bool,
    /// Holds a write's precondition itself when the write commits (S3, COS: `If-None-Match`,
    /// `If-Match`); fs checks `if_not_exists` only when a writer opens, not at the rename.
    pub(crate) conditional_writes: bool,
    /// The directory an fs bucket's objects are files in: reads take the one-trip path of
    /// `disk.rs`. `None` for S3, COS and the system area.
    pub(crate) disk_root: Option<PathBuf>,
}

/// The operator for one bucket.
pub(crate) fn bucket_backend(
    settings: &Settings,
    layout: &Layout,
    name: &BucketName,
    backend: &BackendSettings,
) -> Result<Backend, Error> {
    let config_key = format!("buckets.{name}.backend");
    match backend {
        BackendSettings::Fs { .. } => {
            let root = layout
                .fs_root(name, backend)
                .ok_or_else(|| Error::Config(format!("{config_key}: no root")))?;
            let op = fs_operator(&config_key, &root, Some(&layout.tmp_dir()))?;
            Ok(Backend {
                disk_root: Some(root),
                ..fs_backend(op)
            })
        }
        remote => remote_backend(settings, &config_key, remote),
    }
}

/// The system area: `storage.system` if set, else `<data_dir>/.system` on disk, without
/// `atomic_write_dir` there so that `if_not_exists` is a real `O_CREAT | O_EXCL` create.
pub(crate) fn system_backend(settings: &Settings, layout: &Layout) -> Result<Backend, Error> {
    match &settings.system {
        None | Some(BackendSettings::Fs { root: None }) => Ok(fs_backend(fs_operator(
            "storage.data_dir",
            &layout.system_dir(),
            None,
        )?)),
        Some(BackendSettings::Fs { root: Some(root) }) => Ok(fs_backend(fs_operator(
            "storage.system.root",
            &layout.resolve(root),
            None,
        )?)),
        Some(remote) => remote_backend(settings, "storage.system", remote),
    }
}

fn fs_backend(op: Operator) -> Backend {
    Backend {
        op,
        ordered_listing: false,
        native_presign: false,
        write_chunk: FS_WRITE_CHUNK,
        // OpenDAL's fs claims `write_with_user_metadata` on unix, as extended attributes. Not
        // used: they are set after the rename that publishes the file (an object without its
        // owner for a moment, and left so if setting them fails), survive a rewrite of the file
        // in place, and are silently absent on file systems without `user.` xattrs.
        user_metadata: false,
        conditional_writes: false,
        disk_root: None,
    }
}

/// S3 and COS: one builder each, then the same timeout and retry layers.
fn remote_backend(
    settings: &Settings,
    config_key: &str,
    backend: &BackendSettings,
) -> Result<Backend, Error> {
    let bad = |e: opendal::Error| Error::Config(format!("{config_key}: {e}"));
    if let BackendSettings::S3(r) | BackendSettings::Cos(r) = backend
        && (r.access_key_id.is_none() || r.secret_access_key.is_none())
    {
        return Err(Error::Config(format!(
            "{config_key}: needs access_key_id and secret_access_key (from the environment, \
             e.g. PICGATE__BUCKETS__<NAME>__BACKEND__SECRET_ACCESS_KEY, or a *_file)"
        )));
    }
    // The process-wide HTTP transport of S3 and COS (reqwest); idempotent.
    opendal::install_default();
    let op = match backend {
        BackendSettings::Fs { .. } => {
            return Err(Error::Config(format!("{config_key}: not a remote backend")));
        }
        BackendSettings::S3(r) => {
            let mut b = S3::default()
                .bucket(&r.bucket)
                .region(r.region.as_deref().unwrap_or(DEFAULT_S3_REGION))
                .disable_config_load()
                .disable_ec2_metadata();
            if let Some(endpoint) = &r.endpoint {
                b = b.endpoint(endpoint);
            }
            if let Some(root) = &r.root {
                b = b.root(root);
            }
            if let Some(id) = &r.access_key_id {
                b = b.access_key_id(id.expose_secret());
            }
            if let Some(key) = &r.secret_access_key {
                b = b.secret_access_key(key.expose_secret());
            }
            if r.virtual_host_style {
                b = b.enable_virtual_host_style();
            }
            Operator::new(b).map_err(bad)?
        }
        BackendSettings::Cos(r) => {
            let endpoint = r.endpoint.as_deref().ok_or_else(|| {
                Error::Config(format!("{config_key}.endpoint: COS needs an endpoint"))
            })?;
            let mut b = Cos::default()
                .bucket(&r.bucket)
                .endpoint(endpoint)
                .disable_config_load();
            if let Some(root) = &r.root {
                b = b.root(root);
            }
            if let Some(id) = &r.access_key_id {
                b = b.secret_id(id.expose_secret());
            }
            if let Some(key) = &r.secret_access_key {
                b = b.secret_key(key.expose_secret());
            }
            Operator::new(b).map_err(bad)?
        }
    };
    // `timeout_secs` bounds a whole call, retries included: each of the `retries + 1`
    // attempts gets its share. A step of a streamed read or write (sending one 8 MiB part,
    // completing a multipart upload the backend must assemble) gets the whole `timeout_secs`,
    // or `io_timeout_secs` when set (slow uplinks).
    let attempts = u32::try_from(settings.retries.saturating_add(1)).unwrap_or(u32::MAX);
    let budget = Duration::from_secs(settings.timeout_secs.max(1));
    let per_attempt = (budget / attempts).max(MIN_ATTEMPT_TIMEOUT);
    let op = op
        .layer(
            TimeoutLayer::new()
                .with_timeout(per_attempt)
                .with_io_timeout(
                    settings
                        .io_timeout_secs
                        .map_or(budget, |s| Duration::from_secs(s.max(1))),
                ),
        )
        .layer(
            RetryLayer::new()
                .with_max_times(settings.retries)
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(1))
                .with_jitter(),
        );
    let capability = op.info().capability();
    Ok(Backend {
        ordered_listing: capability.list_with_start_after && capability.list_with_limit,
        native_presign: capability.presign_read,
        write_chunk: REMOTE_WRITE_CHUNK,
        user_metadata: capability.write_with_user_metadata,
        conditional_writes: true,
        disk_root: None,
        op,
    })
}

const DEFAULT_S3_REGION: &str = "us-east-1";

/// The backend's own presigned GET URL for `path`. The link points at the backend's origin,
/// so content that must not render there is presigned as an attachment.
pub(crate) async fn presign(
    op: &Operator,
    path: &str,
    expires_in: Duration,
    attachment: bool,
) -> Result<String, opendal::Error> {
    let mut request = op.presign_read_with(path, expires_in);
    if attachment {
        request = request.override_content_disposition("attachment");
    }
    Ok(request.await?.uri().to_string())
}

/// Shortest time one attempt of a remote call gets, however small its share of the budget.
const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(200);

fn fs_operator(
    config_key: &str,
    root: &Path,
    atomic_dir: Option<&Path>,
) -> Result<Operator, Error> {
    let utf8 = |p: &Path| {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::Config(format!("{config_key}: {} is not UTF-8", p.display())))
    };
    let mut builder = Fs::default().root(&utf8(root)?);
    if let Some(dir) = atomic_dir {
        builder = builder.atomic_write_dir(&utf8(dir)?);
    }
    Operator::new(builder).map_err(|e| Error::Config(format!("{config_key}: {e}")))
}

/// Where a bucket or the system area keeps its objects, for the overlap check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    Disk(PathBuf),
    /// Service, endpoint, remote bucket, root (`""` or `"a/b/"`).
    Remote(&'static str, String, String, String),
}

impl Placement {
    pub(crate) fn of(layout: &Layout, default_root: PathBuf, backend: &BackendSettings) -> Self {
        match backend {
            BackendSettings::Fs { root } => {
                Placement::Disk(root.as_deref().map_or(default_root, |r| layout.resolve(r)))
            }
            BackendSettings::S3(r) | BackendSettings::Cos(r) => {
                let root = r.root.as_deref().unwrap_or("").trim_matches('/');
                let root = if root.is_empty() {
                    String::new()
                } else {
                    format!("{root}/")
                };
                Placement::Remote(
                    backend.kind(),
                    r.endpoint.clone().unwrap_or_default(),
                    r.bucket.clone(),
                    root,
                )
            }
        }
    }

    fn overlaps(&self, other: &Placement) -> bool {
        match (self, other) {
            (Placement::Disk(a), Placement::Disk(b)) => a.starts_with(b) || b.starts_with(a),
            (Placement::Remote(s1, e1, b1, r1), Placement::Remote(s2, e2, b2, r2)) => {
                s1 == s2
                    && e1 == e2
                    && b1 == b2
                    && (r1.starts_with(r2.as_str()) || r2.starts_with(r1.as_str()))
            }
            _ => false,
        }
    }
}

/// Refuses placements that are equal to or nested in one another: objects of one bucket would
/// show up in another, or the system area (password hashes) inside a bucket.
pub(crate) fn check_disjoint(placements: &[(String, Placement)]) -> Result<(), Error> {
    for (i, (a_name, a)) in placements.iter().enumerate() {
        for (b_name, b) in &placements[i + 1..] {
            if a.overlaps(b) {
                return Err(Error::Config(format!(
                    "{a_name} and {b_name} overlap: give them separate roots"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Remote;
    use secrecy::SecretString;
    use std::collections::BTreeMap;

    fn remote(endpoint: &str, bucket: &str) -> Remote {
        Remote {
            endpoint: Some(endpoint.to_owned()),
            region: None,
            bucket: bucket.to_owned(),
            root: Some("team/".to_owned()),
            access_key_id: Some(SecretString::from("AKIDexample")),
            secret_access_key: Some(SecretString::from("secret-example")),
            virtual_host_style: false,
        }
    }

    fn operator(backend: BackendSettings) -> Operator {
        remote_backend(&Settings::on_disk("/nonexistent"), "test", &backend)
            .expect("a valid config builds without touching the network")
            .op
    }

    fn query(url: &str) -> BTreeMap<String, String> {
        url.split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.replace("%3B", ";")))
            .collect()
    }

    #[tokio::test]
    async fn a_cos_link_carries_cos_signature_parameters_for_the_asked_expiry() {
        let op = operator(BackendSettings::Cos(remote(
            "https://cos.ap-guangzhou.myqcloud.com",
            "pics-1250000000",
        )));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();

        let url = presign(&op, "a/cat.png", Duration::from_secs(600), false)
            .await
            .expect("COS signs offline");

        assert!(
            url.starts_with(
                "https://pics-1250000000.cos.ap-guangzhou.myqcloud.com/team/a/cat.png?"
            ),
            "{url}"
        );
        let q = query(&url);
        assert_eq!(q.get("q-sign-algorithm").map(String::as_str), Some("sha1"));
        assert_eq!(q.get("q-ak").map(String::as_str), Some("AKIDexample"));
        let time = q.get("q-sign-time").expect("q-sign-time");
        let (start, end) = time.split_once(';').expect("start;end");
        let (start, end): (i64, i64) = (start.parse().expect("start"), end.parse().expect("end"));
        assert_eq!(end - start, 600, "{time}");
        assert!((start - now).abs() <= 2, "{start} vs {now}");
        assert!(q.contains_key("q-signature"));
        assert!(!url.contains("secret-example"));
    }

    #[tokio::test]
    async fn an_s3_link_is_presigned_by_sigv4_for_the_asked_expiry() {
        let op = operator(BackendSettings::S3(remote("http://127.0.0.1:9", "pics")));

        let url = presign(&op, "cat.svg", Duration::from_secs(900), true)
            .await
            .expect("S3 signs offline");

        assert!(
            url.starts_with("http://127.0.0.1:9/pics/team/cat.svg?"),
            "{url}"
        );
        let q = query(&url);
        assert_eq!(
            q.get("X-Amz-Algorithm").map(String::as_str),
            Some("AWS4-HMAC-SHA256")
        );
        assert_eq!(q.get("X-Amz-Expires").map(String::as_str), Some("900"));
        assert_eq!(
            q.get("response-content-disposition").map(String::as_str),
            Some("attachment")
        );
        assert!(q.contains_key("X-Amz-Signature"));
    }

    #[test]
    fn the_system_area_may_not_sit_inside_a_bucket() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut buckets = BTreeMap::new();
        buckets.insert(
            "images".to_owned(),
            crate::BucketSettings {
                policy: crate::Policy::PublicRead,
                max_object_bytes: 1024,
                allowed_types: vec!["image/*".to_owned()],
                write: crate::WriteMode::default(),
                key_template: Default::default(),
                backend: BackendSettings::Fs { root: None },
            },
        );
        let mut settings = Settings::on_disk(dir.path());
        settings.system = Some(BackendSettings::Fs {
            root: Some(PathBuf::from("images/accounts")),
        });

        let built = crate::Storage::new(&settings, &buckets, SecretString::from("k"));

        let err = built.err().expect("refused");
        assert!(err.to_string().contains("system area"), "{err}");
    }

    #[test]
    fn a_remote_backend_without_credentials_is_refused_at_start() {
        let mut r = remote("http://127.0.0.1:9", "pics");
        r.secret_access_key = None;
        let settings = Settings::on_disk("/tmp");
        let err = remote_backend(&settings, "buckets.images.backend", &BackendSettings::S3(r))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("secret_access_key"), "{err}");
    }

    #[test]
    fn a_cos_bucket_needs_an_endpoint() {
        let mut r = remote("x", "pics-1250000000");
        r.endpoint = None;
        let settings = Settings::on_disk("/tmp");
        let err = remote_backend(
            &settings,
            "buckets.images.backend",
            &BackendSettings::Cos(r),
        )
        .err()
        .expect("refused");
        assert!(err.to_string().contains("endpoint"), "{err}");
    }

    #[test]
    fn nested_roots_are_refused() {
        let disk = |p: &str| Placement::Disk(PathBuf::from(p));
        let apart = vec![
            ("a".to_owned(), disk("/d/images")),
            ("b".to_owned(), disk("/d/files")),
        ];
        assert!(check_disjoint(&apart).is_ok());
        let nested = vec![
            ("a".to_owned(), disk("/d")),
            ("b".to_owned(), disk("/d/.system")),
        ];
        assert!(matches!(check_disjoint(&nested), Err(Error::Config(_))));
    }

    #[test]
    fn remote_placements_may_share_a_bucket_but_not_a_root() {
        let place = |bucket: &str, root: Option<&str>| {
            let mut r = remote("http://s3:9000", bucket);
            r.root = root.map(str::to_owned);
            Placement::of(
                &Layout::new(Path::new("/d")).expect("layout"),
                PathBuf::new(),
                &BackendSettings::S3(r),
            )
        };
        let shared = vec![
            (
                "buckets.images".to_owned(),
                place("shared", Some("images/")),
            ),
            ("buckets.files".to_owned(), place("shared", Some("/files"))),
            (
                "storage.system".to_owned(),
                place("shared", Some("system/")),
            ),
            ("buckets.other".to_owned(), place("other", None)),
        ];
        assert!(check_disjoint(&shared).is_ok());
        let exposed = vec![
            ("buckets.images".to_owned(), place("shared", None)),
            (
                "storage.system".to_owned(),
                place("shared", Some("system/")),
            ),
        ];
        let err = check_disjoint(&exposed).expect_err("the system area inside a bucket");
        assert!(err.to_string().contains("storage.system"), "{err}");
    }
}
