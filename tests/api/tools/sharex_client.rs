//! What ShareX and the browser it opens do: an upload driven by a `.sxcu`, its `{json:…}`
//! placeholders, the form on a deletion page and its submission, and a tampered deletion link.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Sends `bytes` as `ShareX_abc.png` the way ShareX does from `sxcu`
/// (`RequestHelpers.CreateWebRequest`, `Uploader.SendRequestFile`): its method, its URL with
/// `Parameters` as the query, its `Headers`, a multipart body with the `Arguments` first and
/// the file last under `FileFormName`, a boundary of 20 dashes and .NET ticks in hex.
pub(super) async fn sharex_upload(sxcu: &Value, bytes: &[u8]) -> (u16, String) {
    assert_eq!(sxcu["Body"], "MultipartFormData", "{sxcu}");
    let as_text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut url = reqwest::Url::parse(sxcu["RequestURL"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("RequestURL: {e}: {sxcu}"));
    if let Some(params) = sxcu["Parameters"].as_object()
        && !params.is_empty()
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, &as_text(v));
        }
    }
    let method = sxcu["RequestMethod"].as_str().unwrap_or("POST");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();

    let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let ticks = unix.as_nanos() / 100 + 621_355_968_000_000_000;
    let boundary = format!("{}{ticks:x}", "-".repeat(20));
    let mut body = Vec::new();
    for (k, v) in sxcu["Arguments"].as_object().into_iter().flatten() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{}\r\n",
                as_text(v)
            )
            .as_bytes(),
        );
    }
    let field = sxcu["FileFormName"].as_str().expect("FileFormName");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"ShareX_abc.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    let headers = sxcu["Headers"].as_object().cloned().unwrap_or_default();
    let mut req = reqwest::Client::new().request(method, url).header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    if !headers.keys().any(|k| k.eq_ignore_ascii_case("user-agent")) {
        req = req.header("user-agent", "ShareX/17.0.0");
    }
    for (k, v) in &headers {
        req = req.header(k.as_str(), as_text(v));
    }
    let res = req.body(body).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// ShareX's `{json:path}` placeholders resolved against `reply`, for dot paths
/// (`data.links.url`, `files.0.url`); the text around them is kept.
pub(super) fn resolve(template: &str, reply: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{json:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{json:".len()..];
        let end = after.find('}').expect("a closed {json:…}");
        let mut value = reply;
        for segment in after[..end].trim_start_matches("$.").split('.') {
            value = match value {
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => value.get(segment),
            }
            .unwrap_or(&Value::Null);
        }
        match value {
            Value::String(s) => out.push_str(s),
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The first form of a page, as a browser reads it.
pub(super) struct HtmlForm {
    pub(super) method: String,
    pub(super) action: String,
    /// What a browser submits: hidden inputs and the (first) named submit button.
    pub(super) fields: Vec<(String, String)>,
}

pub(super) fn html_form(html: &str) -> Option<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<form")?;
    let open_end = start + lower[start..].find('>')?;
    let end = lower[start..]
        .find("</form")
        .map_or(html.len(), |e| start + e);
    let tag = &html[start..=open_end];
    let mut fields = Vec::new();
    let mut submit_named = false;
    let mut at = open_end;
    while let Some(i) = lower[at..end].find('<') {
        let tag_start = at + i;
        let tag_end = tag_start + lower[tag_start..].find('>')?;
        let inner = &html[tag_start..=tag_end];
        let lower_inner = &lower[tag_start..=tag_end];
        at = tag_end;
        let kind = attr(inner, "type").unwrap_or_default().to_ascii_lowercase();
        let (is_input, is_button) = (
            lower_inner.starts_with("<input"),
            lower_inner.starts_with("<button"),
        );
        let submit = (is_input && kind == "submit") || (is_button && kind != "button");
        let hidden = is_input && kind == "hidden";
        let Some(name) = attr(inner, "name") else {
            continue;
        };
        if hidden || (submit && !submit_named) {
            submit_named |= submit;
            fields.push((name, attr(inner, "value").unwrap_or_default()));
        }
    }
    Some(HtmlForm {
        method: attr(tag, "method").unwrap_or_else(|| "get".into()),
        action: attr(tag, "action").unwrap_or_default(),
        fields,
    })
}

/// The value of attribute `name` in an HTML start tag, unquoted and unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let after_space = lower[..at].ends_with(|c: char| c.is_ascii_whitespace());
        let rest = lower[from..].trim_start();
        if !after_space || !rest.starts_with('=') {
            continue;
        }
        let value = tag[tag.len() - rest.len() + 1..].trim_start();
        let raw = match value.chars().next()? {
            quote @ ('"' | '\'') => value[1..].split(quote).next()?,
            _ => value
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()?,
        };
        return Some(
            raw.replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&#x27;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
    }
    None
}

/// A form submitted by a browser on `page`: a POST of its fields, form-urlencoded, with the
/// page's `Origin`. The status and the page that comes back.
pub(super) async fn browser_post(
    page: &str,
    action: &str,
    fields: &[(String, String)],
) -> (u16, String) {
    let origin = reqwest::Url::parse(page)
        .unwrap()
        .origin()
        .ascii_serialization();
    let res = reqwest::Client::new()
        .post(action)
        .header("origin", origin)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A deletion link with one character of its ticket (near the middle) changed.
pub(super) fn tampered(link: &str) -> String {
    let at = link.rfind('/').unwrap() + 1;
    let ticket = &link.as_bytes()[at..];
    let mid = ticket.len() / 2;
    let i = (mid..ticket.len())
        .chain(0..mid)
        .find(|&i| ticket[i].is_ascii_alphanumeric())
        .expect("an alphanumeric ticket");
    let mut bytes = link.as_bytes().to_vec();
    bytes[at + i] = if bytes[at + i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}
