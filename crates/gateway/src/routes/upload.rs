//! Reads the files of a multipart upload one after the other: each `file` field (its file name,
//! under the `folder` given before it or in the query, is its key), skipping other fields.
//! Nothing is buffered: each field's body goes to storage as it arrives.

use actix_multipart::{Field, Multipart, MultipartError};
use futures::StreamExt;
use storage::ObjectKey;

use crate::error::{ApiError, Code};
use crate::service::{Incoming, IncomingFiles};

/// Longest `folder` field, in bytes.
const MAX_FOLDER_BYTES: usize = 1024;

/// The `file` fields of a multipart body, as [`IncomingFiles`].
pub struct MultipartFiles {
    payload: Multipart,
    folder: Option<String>,
}

impl MultipartFiles {
    /// `folder` is the default folder (query or header); a `folder` field overrides it for the
    /// files after it.
    pub fn new(payload: Multipart, folder: Option<String>) -> Self {
        Self { payload, folder }
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
                    return Some(
                        key_for(&field, self.folder.as_deref())
                            .map(|key| Incoming { key, body: field }),
                    );
                }
                Some("folder") => match read_text(field).await {
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

/// The key of a `file` field: its file name (the client's path stripped by actix) under the
/// folder.
fn key_for(field: &Field, folder: Option<&str>) -> Result<ObjectKey, ApiError> {
    let name = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::new(Code::InvalidMultipart, "the `file` field needs a filename")
        })?;
    let folder = folder.map(|f| f.trim_matches('/')).unwrap_or_default();
    ObjectKey::join(folder, name).map_err(|e| storage::Error::from(e).into())
}

async fn read_text(mut field: Field) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(bad_multipart)?;
        if buf.len() + chunk.len() > MAX_FOLDER_BYTES {
            return Err(ApiError::new(
                Code::InvalidMultipart,
                format!("`folder` is limited to {MAX_FOLDER_BYTES} bytes"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf)
        .map_err(|_| ApiError::new(Code::InvalidMultipart, "`folder` is not UTF-8"))
}

async fn drain(mut field: Field) -> Result<(), ApiError> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(bad_multipart)?;
    }
    Ok(())
}

fn bad_multipart(err: MultipartError) -> ApiError {
    ApiError::new(
        Code::InvalidMultipart,
        format!("malformed multipart body: {err}"),
    )
}
