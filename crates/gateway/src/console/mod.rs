//! The web console's files (`console/index.html` and everything under `console/assets/`),
//! embedded in the binary at compile time, and the catalogue built from them once per process:
//! the asset version, the rendered page, and each file's type, tag and compressed forms.
//!
//! `console/tests/` (the browser tests and their `node_modules`) is never embedded: only the
//! page and the `assets/` folder are named. `build.rs` reruns when either changes, so adding a
//! file rebuilds the binary too (`include_bytes!` alone tracks only the files already there).

mod coding;
mod kind;
mod policy;

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use bytes::Bytes;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

pub use coding::Coding;
pub use kind::{Kind, kind_of};
pub use policy::{ConsolePolicy, origin_of};

/// The placeholder in `index.html` replaced by the assets' base path, `/console/<version>`.
pub const ASSETS_PLACEHOLDER: &str = "{{ASSETS}}";

/// How many hex digits of the SHA-256 the asset version keeps.
pub const VERSION_LEN: usize = 12;

/// How many hex digits of a file's SHA-256 its `ETag` keeps (64 bits).
const TAG_LEN: usize = 16;

#[derive(RustEmbed)]
#[folder = "../../console/assets/"]
// Editor and OS leftovers (`.DS_Store`, `.gitkeep`, swap files) are not part of the console.
#[exclude = "**/.*"]
struct Assets;

/// `console/index.html`, the shell whose `{{ASSETS}}` references the server fills in.
const INDEX_HTML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../console/index.html"
));

/// Everything the console routes serve: built once, on first use (`Application::build` asks
/// for it, so the hashing happens at start and not in a request).
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
        let files = Assets::iter().filter_map(|path| {
            let file = Assets::get(&path)?;
            let bytes = match file.data {
                std::borrow::Cow::Borrowed(data) => Bytes::from_static(data),
                std::borrow::Cow::Owned(data) => Bytes::from(data),
            };
            Some((path.into_owned(), bytes))
        });
        Catalogue::new(INDEX_HTML, files)
    });
    &CATALOGUE
}

/// The page, the assets by path (relative to `console/assets/`, `/`-separated) and the
/// version that names them.
#[derive(Debug)]
pub struct Catalogue {
    version: String,
    index: Entry,
    assets: HashMap<String, Entry>,
}

impl Catalogue {
    /// Builds the catalogue from the page's source and the assets: the version is the first
    /// [`VERSION_LEN`] hex digits of a SHA-256 over every asset's path and bytes (in path
    /// order, each length-prefixed), and the page gets `/console/<version>` for each
    /// [`ASSETS_PLACEHOLDER`].
    pub fn new(index_html: &str, assets: impl IntoIterator<Item = (String, Bytes)>) -> Self {
        let mut assets: Vec<(String, Bytes)> = assets.into_iter().collect();
        assets.sort_by(|a, b| a.0.cmp(&b.0));
        let mut hasher = Sha256::new();
        for (path, bytes) in &assets {
            hasher.update((path.len() as u64).to_be_bytes());
            hasher.update(path.as_bytes());
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
        let mut version = hex::encode(hasher.finalize());
        version.truncate(VERSION_LEN);
        let page = index_html.replace(ASSETS_PLACEHOLDER, &format!("/console/{version}"));
        let index = Entry::new("index.html", Bytes::from(page));
        let assets = assets
            .into_iter()
            .map(|(path, bytes)| {
                let entry = Entry::new(&path, bytes);
                (path, entry)
            })
            .collect();
        Self {
            version,
            index,
            assets,
        }
    }

    /// The asset version: [`VERSION_LEN`] lower-case hex digits.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The page, its placeholders filled in.
    pub fn index(&self) -> &Entry {
        &self.index
    }

    /// The asset at `path` under `version`; `None` for another version (an older or newer
    /// build) or a path that is not an asset.
    pub fn asset(&self, version: &str, path: &str) -> Option<&Entry> {
        (version == self.version)
            .then(|| self.assets.get(path))
            .flatten()
    }
}

/// One file: its bytes, type and tag, and its gzip and brotli forms, each made on first
/// request and kept (`None` when not smaller than the file).
#[derive(Debug)]
pub struct Entry {
    kind: Kind,
    tag: String,
    identity: Bytes,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

/// What goes out for one request: the body in the chosen coding and the tag of exactly that
/// representation (`"<hash>"`, `"<hash>-gzip"` or `"<hash>-br"`, so that each coding has a
/// strong validator of its own, RFC 9110 §8.8.3).
#[derive(Debug, Clone)]
pub struct Representation {
    pub coding: Coding,
    pub etag: String,
    pub body: Bytes,
}

impl Entry {
    fn new(path: &str, identity: Bytes) -> Self {
        let mut tag = hex::encode(Sha256::digest(&identity));
        tag.truncate(TAG_LEN);
        Self {
            kind: kind_of(path),
            tag,
            identity,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The file's `Content-Type` and whether it is worth compressing.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The codings this file is offered in: identity only for files already compressed
    /// (images, fonts).
    pub fn codings(&self) -> &'static [Coding] {
        if self.kind.compressible {
            &[Coding::Brotli, Coding::Gzip, Coding::Identity]
        } else {
            &[Coding::Identity]
        }
    }

    /// The file in `coding`, compressing it on a blocking thread the first time; the identity
    /// form when the compressed one would not be smaller or compressing failed.
    pub async fn representation(&'static self, coding: Coding) -> Representation {
        let compressed = match self.cell(coding) {
            None => None,
            Some(cell) => match cell.get() {
                Some(done) => done.clone(),
                None => tokio::task::spawn_blocking(move || self.compressed(coding))
                    .await
                    .ok()
                    .flatten(),
            },
        };
        match compressed {
            Some(body) => Representation {
                coding,
                etag: self.etag(coding),
                body,
            },
            None => Representation {
                coding: Coding::Identity,
                etag: self.etag(Coding::Identity),
                body: self.identity.clone(),
            },
        }
    }

    fn cell(&self, coding: Coding) -> Option<&OnceLock<Option<Bytes>>> {
        match coding {
            Coding::Identity => None,
            Coding::Gzip => Some(&self.gzip),
            Coding::Brotli => Some(&self.brotli),
        }
    }

    /// The compressed form, made once (blocking: call it off the async workers).
    fn compressed(&self, coding: Coding) -> Option<Bytes> {
        let cell = self.cell(coding)?;
        cell.get_or_init(|| match coding.compress(&self.identity) {
            Ok(out) if out.len() < self.identity.len() => Some(Bytes::from(out)),
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(error = %err, coding = coding.token(), "compressing a console file failed");
                None
            }
        })
        .clone()
    }

    /// The strong `ETag` of this file in `coding`, quoted.
    pub fn etag(&self, coding: Coding) -> String {
        match coding {
            Coding::Identity => format!("\"{}\"", self.tag),
            other => format!("\"{}-{}\"", self.tag, other.token()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(js: &'static str) -> Catalogue {
        Catalogue::new(
            "<script type=\"module\" src=\"{{ASSETS}}/app.js\"></script><link href=\"{{ASSETS}}/styles.css\">",
            [
                ("app.js".to_owned(), Bytes::from_static(js.as_bytes())),
                ("styles.css".to_owned(), Bytes::from_static(b"body{}")),
            ],
        )
    }

    #[test]
    fn the_page_names_the_assets_under_their_version() {
        let catalogue = sample("export {};");
        let version = catalogue.version();
        assert_eq!(version.len(), VERSION_LEN);
        assert!(version.chars().all(|c| c.is_ascii_hexdigit()));
        let page = std::str::from_utf8(&catalogue.index().identity).unwrap_or_default();
        assert!(page.contains(&format!("src=\"/console/{version}/app.js\"")));
        assert!(page.contains(&format!("href=\"/console/{version}/styles.css\"")));
        assert!(!page.contains(ASSETS_PLACEHOLDER));
    }

    #[test]
    fn any_change_to_an_asset_changes_the_version_and_order_does_not() {
        let a = sample("export {};");
        let b = sample("export {} ;");
        assert_ne!(a.version(), b.version());
        let reversed = Catalogue::new(
            "",
            [
                ("styles.css".to_owned(), Bytes::from_static(b"body{}")),
                ("app.js".to_owned(), Bytes::from_static(b"export {};")),
            ],
        );
        assert_eq!(a.version(), reversed.version());
        // A byte moved from one file's name to its content is another catalogue.
        let moved = Catalogue::new(
            "",
            [("app.j".to_owned(), Bytes::from_static(b"sexport {};"))],
        );
        let unmoved = Catalogue::new(
            "",
            [("app.js".to_owned(), Bytes::from_static(b"export {};"))],
        );
        assert_ne!(moved.version(), unmoved.version());
    }

    #[test]
    fn assets_are_found_only_under_the_current_version() {
        let catalogue = sample("export {};");
        let version = catalogue.version().to_owned();
        assert!(catalogue.asset(&version, "app.js").is_some());
        assert!(catalogue.asset("000000000000", "app.js").is_none());
        assert!(catalogue.asset(&version, "missing.js").is_none());
        assert!(catalogue.asset(&version, "../index.html").is_none());
        assert!(catalogue.asset(&version, "styles.css").is_some());
    }

    #[tokio::test]
    async fn each_coding_has_its_own_tag_and_a_small_file_stays_identity() {
        let big = "export const words = 'the console the console the console';\n".repeat(50);
        let catalogue: &'static Catalogue =
            Box::leak(Box::new(sample(Box::leak(big.into_boxed_str()))));
        let version = catalogue.version().to_owned();
        let app = catalogue.asset(&version, "app.js").expect("app.js");
        let br = app.representation(Coding::Brotli).await;
        let gz = app.representation(Coding::Gzip).await;
        let plain = app.representation(Coding::Identity).await;
        assert_eq!((br.coding, gz.coding), (Coding::Brotli, Coding::Gzip));
        assert!(br.body.len() < plain.body.len() && gz.body.len() < plain.body.len());
        assert_eq!(br.etag, format!("\"{}-br\"", app.tag));
        assert_eq!(gz.etag, format!("\"{}-gzip\"", app.tag));
        assert_eq!(plain.etag, format!("\"{}\"", app.tag));

        let css = catalogue.asset(&version, "styles.css").expect("styles.css");
        let tiny = css.representation(Coding::Brotli).await;
        assert_eq!(tiny.coding, Coding::Identity, "6 bytes do not shrink");
        assert_eq!(&tiny.body[..], b"body{}");
    }
}
