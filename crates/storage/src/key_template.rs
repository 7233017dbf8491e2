//! How an uploaded file's key is made: a bucket's `key_template`, with the placeholders
//! `{folder}`, `{name}` (the client's file name), `{stem}` (the name without its extension),
//! `{ext}` (the extension, without its dot), `{uuid}` (32 random hex digits), `{yyyy}`, `{mm}`,
//! `{dd}` (the upload's UTC date). Empty segments vanish, so `{folder}/{name}` without a folder
//! is the name alone, and `.{ext}` vanishes for a name without an extension.

use std::fmt;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::{ObjectKey, ObjectKeyError};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 8] = ["folder", "name", "stem", "ext", "uuid", "yyyy", "mm", "dd"];

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
    /// (neither `{name}`, `{stem}` nor `{uuid}`).
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
            names_a_file |= matches!(placeholder, "name" | "stem" | "uuid");
            rest = &after[close + 1..];
        }
        if !names_a_file {
            return Err(format!(
                "'{template}' needs {{name}}, {{stem}} or {{uuid}}: keys would repeat"
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

    /// The key for the file `name` (already stripped of client paths) under `folder`, uploaded
    /// at `now`. Errors: the key breaks the key rules.
    pub fn render(
        &self,
        folder: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<ObjectKey, ObjectKeyError> {
        let (stem, ext) = split_extension(name);
        let mut key = self.0.clone();
        if ext.is_empty() {
            key = key.replace(".{ext}", "");
        }
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        for (placeholder, value) in [
            ("{folder}", folder.trim_matches('/')),
            ("{name}", name),
            ("{stem}", stem),
            ("{ext}", ext),
            ("{uuid}", uuid.as_str()),
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
        assert_eq!(default.render("", "a.png", at()).unwrap().as_str(), "a.png");
        assert_eq!(
            default.render("/shots/", "a.png", at()).unwrap().as_str(),
            "shots/a.png"
        );
        let dated = template("{folder}/{yyyy}/{mm}/{dd}/{stem}.{ext}");
        assert_eq!(
            dated.render("x", "shot.PNG", at()).unwrap().as_str(),
            "x/2026/03/07/shot.PNG"
        );
        assert_eq!(
            dated.render("", "README", at()).unwrap().as_str(),
            "2026/03/07/README"
        );
        let unique = template("{uuid}.{ext}");
        let a = unique.render("", "image.png", at()).unwrap();
        let b = unique.render("", "image.png", at()).unwrap();
        assert_ne!(a, b);
        assert!(
            a.as_str().ends_with(".png") && a.as_str().len() == 36,
            "{a}"
        );
        assert!(unique.is_unique() && !default.is_unique());
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
