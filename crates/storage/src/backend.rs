//! Backend settings → OpenDAL `Operator`, in one `match`, plus the data directory's layout.

use std::path::{Path, PathBuf};

use opendal::Operator;
use opendal::services::Fs;

use crate::{BackendSettings, BucketName, Error};

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
                Some(root) => self.data_dir.join(root),
                None => self.data_dir.join(name.as_str()),
            }),
        }
    }
}

/// The operator for one bucket.
pub(crate) fn bucket_operator(
    layout: &Layout,
    name: &BucketName,
    backend: &BackendSettings,
) -> Result<Operator, Error> {
    let config_key = format!("buckets.{name}.backend");
    match backend {
        BackendSettings::Fs { .. } => {
            let root = layout
                .fs_root(name, backend)
                .ok_or_else(|| Error::Config(format!("{config_key}: no root")))?;
            fs_operator(&config_key, &root, Some(&layout.tmp_dir()))
        }
    }
}

/// The operator for the system area. Without `atomic_write_dir`, so that `if_not_exists` is a
/// real `O_CREAT | O_EXCL` create.
pub(crate) fn system_operator(layout: &Layout) -> Result<Operator, Error> {
    fs_operator("storage.data_dir", &layout.system_dir(), None)
}

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

/// Refuses fs roots that are equal to or nested in one another (or in the system area or the
/// upload area): objects of one bucket would show up in another.
pub(crate) fn check_disjoint(roots: &[(String, PathBuf)]) -> Result<(), Error> {
    for (i, (a_name, a)) in roots.iter().enumerate() {
        for (b_name, b) in &roots[i + 1..] {
            if a.starts_with(b) || b.starts_with(a) {
                return Err(Error::Config(format!(
                    "{a_name} ({}) and {b_name} ({}) overlap",
                    a.display(),
                    b.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_roots_are_refused() {
        let roots = vec![
            ("a".to_owned(), PathBuf::from("/d/images")),
            ("b".to_owned(), PathBuf::from("/d/files")),
        ];
        assert!(check_disjoint(&roots).is_ok());
        let nested = vec![
            ("a".to_owned(), PathBuf::from("/d")),
            ("b".to_owned(), PathBuf::from("/d/.system")),
        ];
        assert!(matches!(check_disjoint(&nested), Err(Error::Config(_))));
    }
}
