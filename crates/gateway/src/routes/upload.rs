//! Reads the files of a multipart upload one after the other: each `file` field (its file name,
//! under the `folder` given before it or in the query, is its key), skipping other fields.
//! Nothing is buffered: each field's body goes to storage as it arrives.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header::{Charset, ExtendedValue};
use futures::StreamExt;
use storage::{KeyTemplate, ObjectKey, PlannedKey};

use unicode_normalization::UnicodeNormalization;

use crate::error::{ApiError, Code};
use crate::service::{Incoming, IncomingFiles};

/// Longest `folder` field, in bytes.
const MAX_FOLDER_BYTES: usize = 1024;

/// The `file` fields of a multipart body, as [`IncomingFiles`].
pub struct MultipartFiles {
    payload: Multipart,
    folder: Option<String>,
    template: KeyTemplate,
}

impl MultipartFiles {
    /// `folder` is the default folder (query or header); a `folder` field overrides it for the
    /// files after it. Keys are made by the bucket's `template`.
    pub fn new(payload: Multipart, folder: Option<String>, template: KeyTemplate) -> Self {
        Self {
            payload,
            folder,
            template,
        }
    }
}

/// Only the first `file` of a multipart body: a second one fails the request (the seed's
/// `putObject` took one file, as multer's `single('file')` does), and what the first stored is
/// removed again.
pub struct OneFile {
    files: MultipartFiles,
    taken: bool,
}

impl OneFile {
    /// The first `file` of `files`.
    pub fn new(files: MultipartFiles) -> Self {
        Self {
            files,
            taken: false,
        }
    }
}

impl IncomingFiles for OneFile {
    type Body = Field;
    type BodyError = MultipartError;

    async fn next_file(&mut self) -> Option<Result<Incoming<Field>, ApiError>> {
        let next = self.files.next_file().await?;
        if std::mem::replace(&mut self.taken, true) {
            return Some(Err(ApiError::new(
                Code::InvalidMultipart,
                "this route takes one `file` field",
            )));
        }
        Some(next)
    }
}

impl IncomingFiles for MultipartFiles {
    type Body = Field;
    type BodyError = MultipartError;

    async fn next_file(&mut self) -> Option<Result<Incoming<Field>, ApiError>> {
        loop {
            let field = match self.payload.next().await? {
                Ok(field) => field,
                Err(e) => return Some(Err(bad_multipart(e))),
            };
            match field.name() {
                Some("file") => {
                    let name = client_name(&field).unwrap_or_default();
                    let key = key_for(&name, self.folder.as_deref(), &self.template);
                    return Some(Ok(Incoming {
                        name,
                        key,
                        body: field,
                    }));
                }
                // A folder that makes no key is malformed input, wherever it comes.
                Some("folder") => match read_text(field).await.and_then(checked_folder) {
                    Ok(folder) => self.folder = Some(folder),
                    Err(e) => return Some(Err(e)),
                },
                _ => {
                    if let Err(e) = drain(field).await {
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

/// The file name of a `file` field as the client sent it: `filename*` (RFC 6266 §4.3, RFC 5987:
/// UTF-8 or ISO-8859-1, percent-encoded) when there is one, else `filename`, where `%22`
/// stands for `"` (the HTML form encoding, which browsers, PicGo and PicList use).
pub(crate) fn client_name(field: &Field) -> Option<String> {
    let cd = field.content_disposition()?;
    cd.get_filename_ext()
        .and_then(decode_ext)
        .or_else(|| raw_filename(field).map(|name| name.replace("%22", "\"")))
        .or_else(|| cd.get_filename().map(str::to_owned))
}

/// The key for a client's file name, by the bucket's key template (`{folder}/{name}` unless
/// configured); a template with `{hash}` is finished once the content is read.
fn key_for(
    name: &str,
    folder: Option<&str>,
    template: &KeyTemplate,
) -> Result<PlannedKey, ApiError> {
    let name = file_name(name).ok_or_else(|| {
        ApiError::new(Code::InvalidMultipart, "the `file` field needs a filename")
    })?;
    PlannedKey::new(
        template.clone(),
        folder.unwrap_or_default(),
        &name,
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| storage::Error::from(e).into())
}

/// A client's file name as picgate names what it stores: a path in it (`C:\\Users\\x\\shot.png`,
/// `photos/shot.png`) keeps only its last segment, and the name is brought to Unicode NFC
/// (UAX #15): macOS sends decomposed names (`e` + U+0301), while links typed or pasted
/// elsewhere are composed (`é`). Keys themselves are never rewritten. `None`: no name.
pub(crate) fn file_name(raw: &str) -> Option<String> {
    last_segment(raw).map(|n| n.nfc().collect::<String>())
}

/// The quoted `filename` as the client wrote it. Browsers encode form data the HTML way (a `"`
/// in a name becomes `%22`, a `\` stays as it is), so a backslash here is part of the name (a
/// Windows path), not the quoted-string escape that a header parser would drop.
fn raw_filename(field: &Field) -> Option<&str> {
    // Raw UTF-8, as browsers and upload tools send it (`to_str` takes visible ASCII only).
    let value = field
        .headers()
        .get(actix_web::http::header::CONTENT_DISPOSITION)?
        .as_bytes();
    let value = std::str::from_utf8(value).ok()?;
    quoted_param(value, "filename")
}

/// The quoted value of parameter `name` in a header value, up to the next `"`; a `;` inside
/// the quotes belongs to the value.
fn quoted_param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let lower = value.to_ascii_lowercase();
    let needle = format!("{name}=\"");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at;
        let boundary = value[..start]
            .chars()
            .next_back()
            .is_none_or(|c| c == ';' || c.is_whitespace());
        let rest = &value[start + needle.len()..];
        if boundary {
            return rest.split('"').next();
        }
        from = start + needle.len();
    }
    None
}

/// An RFC 5987 value as text: UTF-8, or ISO-8859-1 (each byte one code point).
fn decode_ext(value: &ExtendedValue) -> Option<String> {
    match &value.charset {
        Charset::Iso_8859_1 => Some(value.value.iter().map(|b| char::from(*b)).collect()),
        _ => String::from_utf8(value.value.clone()).ok(),
    }
}

/// The part of a client's file name after its last `/` or `\`; `None` if that is empty.
fn last_segment(name: &str) -> Option<&str> {
    name.rsplit(['/', '\\']).next().filter(|n| !n.is_empty())
}

/// `folder` if keys can live under it (the key rules of [`ObjectKey`]); empty is the root.
pub(crate) fn checked_folder(folder: String) -> Result<String, ApiError> {
    let trimmed = folder.trim_matches('/');
    if !trimmed.is_empty() {
        ObjectKey::join(trimmed, "x").map_err(|e| ApiError::from(storage::Error::from(e)))?;
    }
    Ok(folder)
}

/// A short text field (`folder`, a tool's `strategy_id`), at most [`MAX_FOLDER_BYTES`] of UTF-8.
pub(crate) async fn read_text(mut field: Field) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(bad_multipart)?;
        if buf.len() + chunk.len() > MAX_FOLDER_BYTES {
            return Err(ApiError::new(
                Code::InvalidMultipart,
                format!("`{name}` is limited to {MAX_FOLDER_BYTES} bytes"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf)
        .map_err(|_| ApiError::new(Code::InvalidMultipart, format!("`{name}` is not UTF-8")))
}

pub(crate) async fn drain(mut field: Field) -> Result<(), ApiError> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(bad_multipart)?;
    }
    Ok(())
}

pub(crate) fn bad_multipart(err: MultipartError) -> ApiError {
    if crate::body_pace::is_timeout(&err) {
        return storage::body_error(&err).into();
    }
    ApiError::new(
        Code::InvalidMultipart,
        format!("malformed multipart body: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_path_keeps_only_its_file_name() {
        assert_eq!(last_segment("C:\\Users\\x\\shot.png"), Some("shot.png"));
        assert_eq!(last_segment("photos/2026/shot.png"), Some("shot.png"));
        assert_eq!(last_segment("../../escape.png"), Some("escape.png"));
        assert_eq!(last_segment("shot.png"), Some("shot.png"));
        assert_eq!(last_segment("dir/"), None);
    }

    #[test]
    fn quoted_file_names_keep_backslashes_and_semicolons() {
        let cd = r#"form-data; name="file"; filename="C:\Users\x\a;b.png""#;
        assert_eq!(quoted_param(cd, "filename"), Some(r"C:\Users\x\a;b.png"));
        let ext_only = "form-data; name=\"file\"; filename*=UTF-8''a.png";
        assert_eq!(quoted_param(ext_only, "filename"), None);
        let other = "form-data; xfilename=\"no\"; filename=\"yes.png\"";
        assert_eq!(quoted_param(other, "filename"), Some("yes.png"));
    }

    #[test]
    fn extended_names_decode_in_their_charset() {
        let utf8 = ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: "截图 é.png".as_bytes().to_vec(),
        };
        assert_eq!(decode_ext(&utf8).as_deref(), Some("截图 é.png"));
        let latin1 = ExtendedValue {
            charset: Charset::Iso_8859_1,
            language_tag: None,
            value: vec![0x63, 0x61, 0x66, 0xE9],
        };
        assert_eq!(decode_ext(&latin1).as_deref(), Some("café"));
    }
}
