//! A tool's multipart request as a [`ToolForm`]: its one file field (named per tool: `file`,
//! `smfile`, `image`), the bucket (`strategy_id`, `bucket`) and the `folder`, in any order;
//! every other field (`ssl`, `album_id`, `permission`, …) is read and ignored.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_LENGTH;
use futures::StreamExt;

use crate::error::{ApiError, Code};
use crate::routes::upload::{
    bad_multipart, checked_folder, client_name, drain, file_name, read_text,
};
use crate::service::{ToolForm, ToolPart};

pub struct ToolMultipart {
    payload: Multipart,
    declared_len: Option<u64>,
    file_field: &'static str,
    /// Parts given in the query (`?bucket=`, `?folder=`), handed out first.
    given: Vec<ToolPart<Field>>,
}

impl ToolMultipart {
    /// The parts of `payload` (the body of `req`), whose file is the field `file_field`.
    pub fn new(req: &HttpRequest, payload: Multipart, file_field: &'static str) -> Self {
        let declared_len = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Self {
            payload,
            declared_len,
            file_field,
            given: Vec::new(),
        }
    }

    /// Also `bucket` and `folder` from the query (fields in the body come later and win).
    pub fn with_query(
        mut self,
        bucket: Option<String>,
        folder: Option<String>,
    ) -> Result<Self, ApiError> {
        if let Some(folder) = folder {
            self.given.push(ToolPart::Folder(checked_folder(folder)?));
        }
        if let Some(bucket) = bucket.filter(|b| !b.trim().is_empty()) {
            self.given.push(ToolPart::Bucket(bucket));
        }
        Ok(self)
    }
}

impl ToolForm for ToolMultipart {
    type Body = Field;
    type BodyError = MultipartError;

    fn declared_len(&self) -> Option<u64> {
        self.declared_len
    }

    async fn next_part(&mut self) -> Option<Result<ToolPart<Field>, ApiError>> {
        if let Some(part) = self.given.pop() {
            return Some(Ok(part));
        }
        loop {
            let field = match self.payload.next().await? {
                Ok(field) => field,
                Err(
                    MultipartError::ContentTypeMissing
                    | MultipartError::ContentTypeParse
                    | MultipartError::ContentTypeIncompatible,
                ) => return Some(Err(not_a_form(self.file_field))),
                Err(e) => return Some(Err(bad_multipart(e))),
            };
            let part = match field.name() {
                Some(name) if name == self.file_field => {
                    match client_name(&field).as_deref().and_then(file_name) {
                        Some(name) => Ok(ToolPart::File { name, body: field }),
                        None => Err(ApiError::new(
                            Code::InvalidMultipart,
                            format!("the `{}` field needs a filename", self.file_field),
                        )),
                    }
                }
                Some("strategy_id" | "bucket") => match read_text(field).await {
                    Ok(text) if text.trim().is_empty() => continue,
                    Ok(text) => Ok(ToolPart::Bucket(text)),
                    Err(e) => Err(e),
                },
                Some("folder") => read_text(field)
                    .await
                    .and_then(checked_folder)
                    .map(ToolPart::Folder),
                _ => match drain(field).await {
                    Ok(()) => continue,
                    Err(e) => Err(e),
                },
            };
            return Some(part);
        }
    }
}

/// A body that is no multipart form: tools that send JSON or the raw file (uPic's default,
/// ShareX's `Binary`) are told how to send the file instead.
fn not_a_form(file_field: &str) -> ApiError {
    ApiError::new(
        Code::InvalidMultipart,
        format!(
            "send the file as multipart/form-data in the field `{file_field}` (uPic: add the header `Content-Type: multipart/form-data`; ShareX: Body `MultipartFormData`)"
        ),
    )
}
