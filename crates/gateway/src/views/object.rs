use serde::Serialize;
use storage::{BucketName, ListedObject, ObjectKey, ObjectMeta};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Links, ListBases, View};

/// An object's metadata and link.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectView {
    pub bucket: String,
    pub key: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub etag: String,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    /// The id of the user who wrote it; `null` when none is recorded (admins only may change it).
    pub owner: Option<String>,
    pub url: String,
    /// Images picgate makes variants of: the width in pixels, as displayed (EXIF
    /// orientation applied), measured at upload. Absent for other files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// As `width`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A 4×3-component BlurHash of the image, a placeholder to paint while it loads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
}

impl View for ObjectView {
    const RESOURCE: &'static str = "object";
    const FIELDS: &'static [&'static str] = &[
        "bucket",
        "key",
        "name",
        "size",
        "contentType",
        "etag",
        "lastModified",
        "owner",
        "url",
        "width",
        "height",
        "blurhash",
    ];
}

impl ObjectView {
    pub fn new(bucket: &BucketName, meta: &ObjectMeta, links: &Links) -> Self {
        Self {
            bucket: bucket.to_string(),
            key: meta.key.to_string(),
            name: meta.key.file_name().to_owned(),
            size: meta.size,
            content_type: meta.content_type.clone(),
            etag: meta.etag.clone(),
            last_modified: meta.last_modified,
            owner: meta.owner.clone(),
            url: links.file(bucket, &meta.key),
            width: None,
            height: None,
            blurhash: None,
        }
    }

    /// Adds an image's size and blurhash (nothing for `None`).
    pub fn facts(mut self, facts: Option<&imaging::Facts>) -> Self {
        if let Some(facts) = facts {
            self.width = Some(facts.width);
            self.height = Some(facts.height);
            self.blurhash = Some(facts.blurhash.clone());
        }
        self
    }
}

/// One object's details as `GET /api/v1/buckets/{bucket}/info/{key}` gives them: the fields of
/// [`ObjectView`] under a resource of its own (`objectInfo`), so that a profile can keep list
/// items and upload answers slim while a detail page still gets what it shows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
pub struct ObjectInfoView(pub ObjectView);

impl View for ObjectInfoView {
    const RESOURCE: &'static str = "objectInfo";
    const FIELDS: &'static [&'static str] = ObjectView::FIELDS;
}

/// An object in a listing: what the backend's list response gives, plus `contentType` and
/// `owner` only when `?fields=` names them (they cost one stat per object).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListedObjectView {
    pub bucket: String,
    pub key: String,
    pub name: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Absent when the backend's listing has none (some S3-compatible servers) and
    /// `contentType` or `owner` were not asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    /// Present when asked for: the owner's id, or `null` when none is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    pub url: String,
}

impl View for ListedObjectView {
    const RESOURCE: &'static str = ObjectView::RESOURCE;
    const FIELDS: &'static [&'static str] = ObjectView::FIELDS;
}

impl ListedObjectView {
    pub fn new(bucket: &BucketName, listed: &ListedObject, links: &Links) -> Self {
        Self {
            bucket: bucket.to_string(),
            key: listed.key.to_string(),
            name: listed.key.file_name().to_owned(),
            size: listed.size,
            content_type: listed.detail.as_ref().map(|d| d.content_type.clone()),
            etag: listed.etag.clone(),
            last_modified: listed.last_modified,
            owner: listed.detail.as_ref().map(|d| d.owner.clone()),
            url: links.file(bucket, &listed.key),
        }
    }
}

/// A stored upload with ready-to-paste links: an image embeds, anything else links.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    #[serde(flatten)]
    pub object: ObjectView,
    /// `![name](url)`, or `[name](url)` for other files.
    pub markdown: String,
    /// `[![name](url)](url)`: the image, linking to itself; as `markdown` for other files.
    pub markdown_with_link: String,
    /// `<img src="url" alt="name">`, or `<a href="url">name</a>`.
    pub html: String,
    /// `[img]url[/img]`, or `[url=url]name[/url]` (forums; brackets in the name become
    /// parentheses, BBCode has no escape).
    pub bbcode: String,
    /// The key the file's name asked for when another object held it: a `POST` upload never
    /// replaces, so the file went to `key` (`name-<6 hex>.ext`) instead. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_key: Option<String>,
    /// A small variant of the image (`?v=thumb`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// HTML `srcset`: a variant for each `variants.sizes` width below the image's, then the
    /// original at its own width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srcset: Option<String>,
}

impl View for UploadView {
    const RESOURCE: &'static str = "upload";
    const FIELDS: &'static [&'static str] = &[
        "bucket",
        "key",
        "name",
        "size",
        "contentType",
        "etag",
        "lastModified",
        "url",
        "markdown",
        "markdownWithLink",
        "html",
        "bbcode",
        "requestedKey",
        "width",
        "height",
        "blurhash",
        "thumbnailUrl",
        "srcset",
    ];
}

impl UploadView {
    /// Links that name the file by its key's file name.
    pub fn new(bucket: &BucketName, meta: &ObjectMeta, links: &Links) -> Self {
        let name = meta.key.file_name().to_owned();
        Self::titled(bucket, meta, links, &name)
    }

    /// Links that name the file `title` (alt text, link text): upload tools show the name the
    /// file had on the user's machine.
    pub fn titled(bucket: &BucketName, meta: &ObjectMeta, links: &Links, title: &str) -> Self {
        Self::linked(ObjectView::new(bucket, meta, links), title)
    }

    /// Links to `object.url` (a signed link, for a private bucket's upload tools), naming the
    /// file `title`.
    pub fn linked(object: ObjectView, title: &str) -> Self {
        let image = object.content_type.starts_with("image/");
        let alt = escape_markdown(title);
        let url = &object.url;
        let (markdown, markdown_with_link) = if image {
            let embed = format!("![{alt}]({url})");
            let linked = format!("[{embed}]({url})");
            (embed, linked)
        } else {
            let link = format!("[{alt}]({url})");
            (link.clone(), link)
        };
        let bbcode = if image {
            format!("[img]{url}[/img]")
        } else {
            let name = title.replace('[', "(").replace(']', ")");
            format!("[url={url}]{name}[/url]")
        };
        let html = if image {
            format!(
                "<img src=\"{}\" alt=\"{}\">",
                escape_html(&object.url),
                escape_html(title)
            )
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                escape_html(&object.url),
                escape_html(title)
            )
        };
        Self {
            object,
            markdown,
            markdown_with_link,
            html,
            bbcode,
            requested_key: None,
            thumbnail_url: None,
            srcset: None,
        }
    }

    /// Adds an image's size, blurhash and variant links (`link` turns variant parameters into
    /// a URL; see [`crate::variants::srcset`]); nothing when `facts` is `None` (not an image picgate
    /// makes variants of).
    pub fn image(
        mut self,
        facts: Option<&imaging::Facts>,
        settings: &crate::variants::VariantSettings,
        link: impl Fn(&str) -> String,
    ) -> Self {
        let Some(facts) = facts else {
            return self;
        };
        self.object = self.object.facts(Some(facts));
        self.thumbnail_url = Some(link(&crate::variants::thumbnail_form(settings)));
        self.srcset = Some(crate::variants::srcset(facts.width, settings, link));
        self
    }

    /// Names the key the file asked for, when it went elsewhere.
    pub fn requested(mut self, requested: Option<&ObjectKey>) -> Self {
        self.requested_key = requested.map(ToString::to_string);
        self
    }
}

/// One file of a several-file upload, as `data.items` lists it: the stored object with its
/// links, or only the refusal's `code` and `msg`. Only the OpenAPI document uses it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadItemView {
    #[serde(flatten)]
    pub upload: UploadView,
    /// The client's file name.
    pub name: String,
    /// Whether the file was stored.
    pub stored: bool,
    /// 201, or the status the refusal would have alone.
    pub status: u16,
    /// When refused: the error code.
    pub code: Option<crate::error::Code>,
    /// When refused: what went wrong.
    pub msg: Option<String>,
}

/// A page of a listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListView {
    /// For profiles that send links once (`list_url_base`), unless `fields=` names `url`: the
    /// key folder every item's (then relative) `key` follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub key_base: Option<String>,
    /// With `keyBase`: the link of that folder; an item's link is this followed by its key's
    /// segments, each percent-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub url_base: Option<String>,
    /// The objects, shaped for the client.
    #[schema(value_type = Vec<ListedObjectView>)]
    pub items: Vec<serde_json::Value>,
    /// With `delimiter=/`: the folders (key prefixes ending in `/`) at this level.
    pub folders: Vec<String>,
    /// Cursor mode: the `cursor` of the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub next_cursor: Option<String>,
    /// `pageNum` mode: how many entries the whole prefix has.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = usize)]
    pub total: Option<usize>,
}

impl ListView {
    /// A page of `items` and `folders`, with the bases its items follow, if any.
    pub fn new(
        bases: Option<ListBases>,
        items: Vec<serde_json::Value>,
        folders: Vec<String>,
        next_cursor: Option<String>,
        total: Option<usize>,
    ) -> Self {
        let (key_base, url_base) = match bases {
            Some(b) => (Some(b.key_base), Some(b.url_base)),
            None => (None, None),
        };
        Self {
            key_base,
            url_base,
            items,
            folders,
            next_cursor,
            total,
        }
    }
}

fn escape_markdown(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '[' | ']' | '(' | ')' | '\\' | '<' | '>' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(escape_html("<a \"b\">&"), "&lt;a &quot;b&quot;&gt;&amp;");
        assert_eq!(escape_markdown("a](x)"), "a\\]\\(x\\)");
        // Renderers that allow inline HTML must not see a tag.
        assert_eq!(escape_markdown("<script>x"), "\\<script\\>x");
    }
}
