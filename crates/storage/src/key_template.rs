//! How an uploaded file's key is made: a bucket's `key_template`, with the placeholders
//! `{folder}`, `{name}` (the client's file name), `{stem}` (the name without its extension),
//! `{ext}` (the extension, without its dot), `{uuid}` (32 random hex digits), `{hash}` (the first
//! [`HASH_DIGITS`] hex digits of the content's SHA-256), `{yyyy}`, `{mm}`, `{dd}` (the upload's
//! UTC date). Empty segments vanish, so `{folder}/{name}` without a folder is the name alone,
//! and `.{ext}` vanishes for a name without an extension.

use std::fmt;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::{ObjectKey, ObjectKeyError};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "folder", "name", "stem", "ext", "uuid", "hash", "yyyy", "mm", "dd",
];

/// How many hex digits of the content's SHA-256 `{hash}` stands for (64 bits).
pub const HASH_DIGITS: usize = 16;

/// A checked `key_template` (see the module docs). Default `{folder}/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct KeyTemplate(String);

impl Default for KeyTemplate {
    fn default() -> Self {
        Self("{folder}/{name}".to_owned())
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for KeyTemplate {
    type Error = String;

    /// Errors: an unknown placeholder, an unclosed `{`, or a template that names no file
    /// (neither `{name}`, `{stem}`, `{uuid}` nor `{hash}`).
    fn try_from(template: String) -> Result<Self, String> {
        let mut rest = template.as_str();
        let mut names_a_file = false;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("'{template}' has a '{{' without its '}}'"))?;
            let placeholder = &after[..close];
            if !PLACEHOLDERS.contains(&placeholder) {
                return Err(format!(
                    "'{{{placeholder}}}' is not a placeholder; use {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ));
            }
            names_a_file |= matches!(placeholder, "name" | "stem" | "uuid" | "hash");
            rest = &after[close + 1..];
        }
        if !names_a_file {
            return Err(format!(
                "'{template}' needs {{name}}, {{stem}}, {{uuid}} or {{hash}}: keys would repeat"
            ));
        }
        Ok(Self(template))
    }
}

impl KeyTemplate {
    /// Whether every key it makes is new: it holds `{uuid}`.
    pub fn is_unique(&self) -> bool {
        self.0.contains("{uuid}")
    }

    /// Whether keys depend on the content: it holds `{hash}`.
    pub fn uses_hash(&self) -> bool {
        self.0.contains("{hash}")
    }

    /// The key for the file `name` (already stripped of client paths) under `folder`, uploaded
    /// at `now`, whose content has the SHA-256 `sha256` (hex; needed for `{hash}` only, which
    /// stays empty without it). Errors: the key breaks the key rules.
    pub fn render(
        &self,
        folder: &str,
        name: &str,
        now: OffsetDateTime,
        sha256: Option<&str>,
    ) -> Result<ObjectKey, ObjectKeyError> {
        let (stem, ext) = split_extension(name);
        let mut key = self.0.clone();
        if ext.is_empty() {
            key = key.replace(".{ext}", "");
        }
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let hash = sha256.map_or("", |h| &h[..HASH_DIGITS.min(h.len())]);
        for (placeholder, value) in [
            ("{folder}", folder.trim_matches('/')),
            ("{name}", name),
            ("{stem}", stem),
            ("{ext}", ext),
            ("{uuid}", uuid.as_str()),
            ("{hash}", hash),
            ("{yyyy}", &format!("{:04}", now.year())),
            ("{mm}", &format!("{:02}", u8::from(now.month()))),
            ("{dd}", &format!("{:02}", now.day())),
        ] {
            key = key.replace(placeholder, value);
        }
        let segments: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
        ObjectKey::parse(segments.join("/"))
    }
}

/// An uploaded file's key before its content is read: the template and what fills it. A
/// template with `{hash}` is rendered once the content's SHA-256 is known
/// ([`PlannedKey::needs_hash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedKey {
    template: KeyTemplate,
    folder: String,
    name: String,
    at: OffsetDateTime,
    sha256: Option<String>,
}

impl PlannedKey {
    /// The key of file `name` under `folder`, uploaded at `at`. Errors: the key it makes
    /// breaks the key rules (checked now, with a stand-in for `{hash}`).
    pub fn new(
        template: KeyTemplate,
        folder: &str,
        name: &str,
        at: OffsetDateTime,
    ) -> Result<Self, ObjectKeyError> {
        let stand_in = "0".repeat(HASH_DIGITS);
        template.render(folder, name, at, Some(&stand_in))?;
        Ok(Self {
            template,
            folder: folder.to_owned(),
            name: name.to_owned(),
            at,
            sha256: None,
        })
    }

    /// The same key, for content whose SHA-256 (hex) is `sha256`.
    pub fn with_sha256(mut self, sha256: String) -> Self {
        self.sha256 = Some(sha256);
        self
    }

    /// Whether the key waits for the content's SHA-256 ([`PlannedKey::with_sha256`]).
    pub fn needs_hash(&self) -> bool {
        self.template.uses_hash() && self.sha256.is_none()
    }

    /// The key. Errors: the key breaks the key rules.
    pub fn key(&self) -> Result<ObjectKey, ObjectKeyError> {
        self.template
            .render(&self.folder, &self.name, self.at, self.sha256.as_deref())
    }
}

/// `shot.png` → (`shot`, `png`); `archive.tar.gz` → (`archive.tar`, `gz`); `README` and
/// `.env` → (the name, ``).
pub fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && dot + 1 < name.len() => (&name[..dot], &name[dot + 1..]),
        _ => (name, ""),
    }
}

impl ObjectKey {
    /// This key with `-<suffix>` before the extension of its file name: `a/shot.png` →
    /// `a/shot-3f9c1a.png`. Errors: the result breaks the key rules (too long).
    pub fn with_suffix(&self, suffix: &str) -> Result<ObjectKey, ObjectKeyError> {
        let key = self.as_str();
        let (folder, name) = match key.rsplit_once('/') {
            Some((folder, name)) => (format!("{folder}/"), name),
            None => (String::new(), key),
        };
        let (stem, ext) = split_extension(name);
        let renamed = match ext {
            "" => format!("{folder}{stem}-{suffix}"),
            ext => format!("{folder}{stem}-{suffix}.{ext}"),
        };
        ObjectKey::parse(renamed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-03-07 10:00 UTC)
    }

    fn template(t: &str) -> KeyTemplate {
        KeyTemplate::try_from(t.to_owned()).unwrap()
    }

    #[test]
    fn placeholders_fill_and_empty_segments_vanish() {
        let default = KeyTemplate::default();
        assert_eq!(
            default.render("", "a.png", at(), None).unwrap().as_str(),
            "a.png"
        );
        assert_eq!(
            default
                .render("/shots/", "a.png", at(), None)
                .unwrap()
                .as_str(),
            "shots/a.png"
        );
        let dated = template("{folder}/{yyyy}/{mm}/{dd}/{stem}.{ext}");
        assert_eq!(
            dated.render("x", "shot.PNG", at(), None).unwrap().as_str(),
            "x/2026/03/07/shot.PNG"
        );
        assert_eq!(
            dated.render("", "README", at(), None).unwrap().as_str(),
            "2026/03/07/README"
        );
        let unique = template("{uuid}.{ext}");
        let a = unique.render("", "image.png", at(), None).unwrap();
        let b = unique.render("", "image.png", at(), None).unwrap();
        assert_ne!(a, b);
        assert!(
            a.as_str().ends_with(".png") && a.as_str().len() == 36,
            "{a}"
        );
        assert!(unique.is_unique() && !default.is_unique());
    }

    #[test]
    fn hash_stands_for_the_contents_sha256() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let hashed = template("{folder}/{hash}.{ext}");
        assert!(hashed.uses_hash() && !KeyTemplate::default().uses_hash());
        assert_eq!(
            hashed
                .render("x", "a.png", at(), Some(sha))
                .unwrap()
                .as_str(),
            "x/0123456789abcdef.png"
        );
        let planned = PlannedKey::new(hashed, "x", "a.png", at()).unwrap();
        assert!(planned.needs_hash());
        let planned = planned.with_sha256(sha.to_owned());
        assert!(!planned.needs_hash());
        assert_eq!(planned.key().unwrap().as_str(), "x/0123456789abcdef.png");
        let long = "n".repeat(300);
        assert!(PlannedKey::new(template("{name}"), "", &long, at()).is_err());
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(KeyTemplate::try_from("{folder}/{nam}".to_owned()).is_err());
        assert!(KeyTemplate::try_from("{folder}/{name".to_owned()).is_err());
        assert!(KeyTemplate::try_from("{yyyy}/{mm}".to_owned()).is_err());
    }

    #[test]
    fn a_suffix_goes_before_the_extension() {
        let key = ObjectKey::parse("a/shot.png").unwrap();
        assert_eq!(key.with_suffix("3f9c").unwrap().as_str(), "a/shot-3f9c.png");
        let bare = ObjectKey::parse("README").unwrap();
        assert_eq!(bare.with_suffix("1").unwrap().as_str(), "README-1");
        assert_eq!(split_extension(".env"), (".env", ""));
    }
}
