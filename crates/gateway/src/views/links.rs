use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use storage::{BucketName, ObjectKey};

use super::ListBases;
use crate::error::ApiError;

/// `server.public_url`, shared with handlers.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub Option<String>);

/// Builds the public links of objects: `<base>/f/<bucket>/<key>`.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// `public_url` from config if set, else the origin the request came in on.
    pub fn new(public_url: Option<&str>, req: &HttpRequest) -> Self {
        let base = match public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => crate::proxies::origin(req),
        };
        Self { base }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The bases of a listing of `bucket` under `prefix`: its key folder (the prefix up to its
    /// last `/`) and that folder's link, `<base>/f/<bucket>/<folder>` with each segment
    /// percent-encoded.
    pub fn list_bases(&self, bucket: &BucketName, prefix: &str) -> ListBases {
        let key_base = match prefix.rfind('/') {
            Some(at) => &prefix[..=at],
            None => "",
        };
        let folder: String = key_base
            .split_terminator('/')
            .map(|segment| encode_segment(segment) + "/")
            .collect();
        ListBases {
            key_base: key_base.to_owned(),
            url_base: format!("{}/f/{}/{}", self.base, bucket, folder),
        }
    }

    pub fn file(&self, bucket: &BucketName, key: &ObjectKey) -> String {
        format!("{}{}", self.base, file_path(bucket, key))
    }
}

impl FromRequest for Links {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let configured = req
            .app_data::<web::Data<PublicUrl>>()
            .and_then(|p| p.0.clone());
        ready(Ok(Links::new(configured.as_deref(), req)))
    }
}

/// `/f/<bucket>/<key>` with each key segment percent-encoded.
pub fn file_path(bucket: &BucketName, key: &ObjectKey) -> String {
    let encoded: Vec<String> = key.as_ref().split('/').map(encode_segment).collect();
    format!("/f/{}/{}", bucket, encoded.join("/"))
}

fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_per_segment() {
        let bucket = BucketName::parse("images").unwrap();
        let key = ObjectKey::parse("a b/图.png").unwrap();
        assert_eq!(file_path(&bucket, &key), "/f/images/a%20b/%E5%9B%BE.png");
    }

    #[test]
    fn a_listing_shares_the_folder_of_its_prefix() {
        let links = Links {
            base: "http://h".into(),
        };
        let bucket = BucketName::parse("images").unwrap();
        let bases = links.list_bases(&bucket, "shots/截图 2026/IMG");
        assert_eq!(bases.key_base, "shots/截图 2026/");
        assert_eq!(
            bases.url_base,
            "http://h/f/images/shots/%E6%88%AA%E5%9B%BE%202026/"
        );
        assert_eq!(links.list_bases(&bucket, "IMG").key_base, "");
        assert_eq!(links.list_bases(&bucket, "").url_base, "http://h/f/images/");
    }
}
