//! Streams uploads from the socket to storage: multipart `file` fields or a raw body. Nothing
//! is buffered beyond what storage needs to sniff the type; limits are enforced while streaming.

use actix_multipart::{Field, Multipart};
use futures::StreamExt;
use storage::{BucketName, ObjectKey, ObjectMeta, Storage};

use crate::error::{ApiError, Code};
use crate::metrics::Metrics;

const MAX_FOLDER_BYTES: usize = 1024;

/// Stores every `file` field of a multipart body under `folder`. A `folder` field counts for
/// the files after it. If one file fails, the failure is answered and the objects this request
/// created are removed again; an object it replaced keeps its new, complete content (the old
/// bytes are gone once the replacement is written).
pub async fn multipart(
    storage: &Storage,
    metrics: &Metrics,
    bucket: &BucketName,
    mut folder: Option<String>,
    mut payload: Multipart,
) -> Result<Vec<ObjectMeta>, ApiError> {
    let mut stored: Vec<ObjectMeta> = Vec::new();
    let mut created: Vec<ObjectKey> = Vec::new();
    let result = async {
        while let Some(field) = payload.next().await {
            let field = field.map_err(bad_multipart)?;
            match field.name() {
                Some("file") => {
                    let key = key_for(&field, folder.as_deref())?;
                    let existed = storage.stat(bucket, &key).await.is_ok();
                    let meta = storage.write(bucket, &key, field, None).await?;
                    if !existed {
                        created.push(key);
                    }
                    metrics.record_upload(bucket.as_ref(), meta.size);
                    stored.push(meta);
                }
                Some("folder") => folder = Some(read_text(field).await?),
                _ => drain(field).await?,
            }
        }
        if stored.is_empty() {
            return Err(ApiError::new(
                Code::InvalidMultipart,
                "the multipart body has no `file` field",
            ));
        }
        Ok(())
    }
    .await;
    if let Err(err) = result {
        for key in &created {
            if let Err(cleanup) = storage.delete(bucket, key).await {
                tracing::warn!(%key, error = %cleanup, "could not remove a partial batch upload");
            }
        }
        return Err(err);
    }
    Ok(stored)
}

/// Stores a raw request body at `key`.
pub async fn raw(
    storage: &Storage,
    metrics: &Metrics,
    bucket: &BucketName,
    key: &ObjectKey,
    declared_len: Option<u64>,
    body: actix_web::web::Payload,
) -> Result<ObjectMeta, ApiError> {
    let meta = storage.write(bucket, key, body, declared_len).await?;
    metrics.record_upload(bucket.as_ref(), meta.size);
    Ok(meta)
}

fn key_for(field: &Field, folder: Option<&str>) -> Result<ObjectKey, ApiError> {
    let name = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .map(str::to_owned)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::new(Code::InvalidMultipart, "the `file` field needs a filename")
        })?;
    let key = match folder
        .map(|f| f.trim_matches('/'))
        .filter(|f| !f.is_empty())
    {
        Some(folder) => format!("{folder}/{name}"),
        None => name,
    };
    super::object_key(key)
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

fn bad_multipart(err: actix_multipart::MultipartError) -> ApiError {
    ApiError::new(
        Code::InvalidMultipart,
        format!("malformed multipart body: {err}"),
    )
}
