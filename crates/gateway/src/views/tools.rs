//! What upload tools read: one success body that PicList's Lsky Pro uploader, PicGo's SM.MS
//! uploader (old and new), PicList's server uploader and ShareX templates all accept, and the
//! Lsky Pro key that stands for an object in `DELETE /api/v1/images/{key}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use storage::{BucketName, ObjectKey, SignedLink, split_extension};

use time::OffsetDateTime;

use super::{Links, ObjectView, SignedLinkView, UploadView};
use crate::error::{ApiError, Code};
use crate::service::ToolUpload;

/// A tool upload's answer, HTTP 200: `status: true` (Lsky Pro 2.x), `success: true` (PicList
/// server), `code: "success"` (SM.MS, PicGo before 2.0.3), `message: "success"` (PicGo from
/// 2.0.3); `data` in Lsky Pro's image shape plus SM.MS's `url`, `hash`, `delete`;
/// `result`/`fullResult` as the PicList server answers. Shapes: `../shared/clients/`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnswer {
    pub status: bool,
    pub success: bool,
    pub code: &'static str,
    pub message: &'static str,
    pub data: ToolImage,
    /// The file's URL, once.
    pub result: Vec<String>,
    pub full_result: Vec<PicListItem>,
}

/// Lsky Pro 2.x's image (`app/Models/Image.php`), with SM.MS's and picgate's extra fields.
#[derive(Debug, Clone, Serialize)]
pub struct ToolImage {
    /// [`lsky_key`]: stands for the object in `DELETE /api/v1/images/{key}`; no `/`.
    pub key: String,
    /// The same, as SM.MS calls it (PicList keeps it to delete).
    pub hash: String,
    /// The stored file's name (the key's last segment).
    pub name: String,
    /// The object key.
    pub pathname: String,
    /// The name the file had on the client.
    pub origin_name: String,
    /// In KiB, as Lsky Pro counts.
    pub size: f64,
    pub mimetype: String,
    pub extension: String,
    pub md5: String,
    pub sha1: String,
    pub bucket: String,
    pub url: String,
    /// The deletion link (SM.MS's `delete`).
    pub delete: String,
    pub delete_url: String,
    pub links: LskyLinks,
    /// When the links stop working: set for a private bucket, whose links are signed.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
}

/// Lsky Pro's `links`.
#[derive(Debug, Clone, Serialize)]
pub struct LskyLinks {
    pub url: String,
    pub html: String,
    pub bbcode: String,
    pub markdown: String,
    pub markdown_with_link: String,
    /// A small variant of an image (`?v=thumb`, signed in a private bucket); the file itself
    /// for anything else.
    pub thumbnail_url: String,
}

/// One `fullResult` item, as the PicList server answers (`imgUrl` is what it reads).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PicListItem {
    pub img_url: String,
    pub file_name: String,
    pub key: String,
    pub delete_url: String,
}

impl ToolImage {
    /// `deletion_url` is the signed deletion link of the upload.
    pub fn new(upload: &ToolUpload, links: &Links, deletion_url: String) -> Result<Self, ApiError> {
        let meta = &upload.meta;
        let mut object = ObjectView::new(&upload.bucket, meta, links);
        let mut expires_at = None;
        if let Some(signed) = &upload.signed {
            let link = SignedLinkView::new(links, &upload.bucket, &meta.key, signed)?;
            object.url = link.url;
            expires_at = Some(link.expires_at);
        }
        let view = UploadView::linked(object, &upload.name);
        let key = lsky_key(&upload.bucket, &meta.key);
        let name = meta.key.file_name().to_owned();
        let url = view.object.url.clone();
        let thumbnail_url = match &upload.thumbnail {
            None => url.clone(),
            Some((form, None)) => {
                crate::variants::with_form(&links.file(&upload.bucket, &meta.key), form)
            }
            Some((form, Some(signed))) => {
                let link = SignedLink::Gateway(signed.clone());
                SignedLinkView::new(links, &upload.bucket, &meta.key, &link)?
                    .for_variant(Some(form))
                    .url
            }
        };
        Ok(Self {
            hash: key.clone(),
            key,
            extension: split_extension(&name).1.to_ascii_lowercase(),
            name,
            pathname: meta.key.to_string(),
            origin_name: upload.name.clone(),
            size: meta.size as f64 / 1024.0,
            mimetype: meta.content_type.clone(),
            md5: upload.digests.md5.clone(),
            sha1: upload.digests.sha1.clone(),
            bucket: upload.bucket.to_string(),
            delete: deletion_url.clone(),
            delete_url: deletion_url,
            links: LskyLinks {
                url: url.clone(),
                html: view.html,
                bbcode: view.bbcode,
                markdown: view.markdown,
                markdown_with_link: view.markdown_with_link,
                thumbnail_url,
            },
            url,
            expires_at,
        })
    }
}

impl ToolAnswer {
    pub fn new(image: ToolImage) -> Self {
        Self {
            status: true,
            success: true,
            code: "success",
            message: "success",
            result: vec![image.url.clone()],
            full_result: vec![PicListItem {
                img_url: image.url.clone(),
                file_name: image.name.clone(),
                key: image.key.clone(),
                delete_url: image.delete_url.clone(),
            }],
            data: image,
        }
    }
}

/// The Lsky Pro key of an object: `<bucket>/<key>` in base64url without padding (RFC 4648
/// §5), so that PicList can paste it into a path as it is.
pub fn lsky_key(bucket: &BucketName, key: &ObjectKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("{bucket}/{key}"))
}

/// The object a Lsky Pro key stands for. Errors: `object_not_found` for a key no upload made.
pub fn object_of_lsky_key(lsky: &str) -> Result<(BucketName, ObjectKey), ApiError> {
    let unknown = || {
        ApiError::new(
            Code::ObjectNotFound,
            "no image has this key (keys come from upload answers)",
        )
    };
    let text = URL_SAFE_NO_PAD
        .decode(lsky.trim_end_matches('='))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(unknown)?;
    let (bucket, key) = text.split_once('/').ok_or_else(unknown)?;
    let bucket = BucketName::parse(bucket).map_err(|_| unknown())?;
    let key = ObjectKey::parse(key).map_err(|_| unknown())?;
    Ok((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lsky_key_has_no_slash_and_names_its_object_again() {
        let bucket = BucketName::parse("images").unwrap();
        let key = ObjectKey::parse("2026/11/30/截图 1.png").unwrap();
        let lsky = lsky_key(&bucket, &key);
        assert!(!lsky.contains(['/', '+', '=']), "{lsky}");
        assert_eq!(object_of_lsky_key(&lsky).unwrap(), (bucket, key));
        for bad in ["AbCdEf", "", "!!", &URL_SAFE_NO_PAD.encode("images")] {
            assert_eq!(
                object_of_lsky_key(bad).unwrap_err().code(),
                Code::ObjectNotFound
            );
        }
    }
}
