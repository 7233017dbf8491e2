//! `picgate upload FILE…`: uploads files through a running picgate (its native multipart
//! route, one request per file, streamed from disk) and prints one link a line on stdout and
//! nothing else, as Typora's custom upload command and shell scripts need. A file that fails
//! is named on stderr with the server's message and code; the command then fails (non-zero
//! exit) after trying every file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde_json::Value;

/// Where and how to upload.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http(s)://host[:port]`, without a trailing path.
    pub server: String,
    /// An API token with the `upload` scope, or a login's access token.
    pub token: String,
    pub bucket: String,
    pub folder: Option<String>,
}

/// Uploads `files` in order: each link to `out`, each failure to `err`. Errors: when any
/// file failed (after all were tried).
pub async fn upload(
    target: &Target,
    files: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<()> {
    let server = &target.server;
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        bail!("--server must start with http:// or https:// (got '{server}')");
    }
    let client = reqwest::Client::new();
    let mut failed = 0;
    for path in files {
        match upload_one(&client, target, path).await {
            Ok(url) => writeln!(out, "{url}")?,
            Err(why) => {
                failed += 1;
                writeln!(err, "picgate: {}: {why}", path.display())?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        bail!("{failed} of {} file(s) not uploaded", files.len());
    }
    Ok(())
}

/// One file; its link, or what went wrong in words for a person.
async fn upload_one(
    client: &reqwest::Client,
    target: &Target,
    path: &Path,
) -> Result<String, String> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("cannot read it: {e}"))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a file (a directory?)".to_owned());
    }
    let len = meta.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or("not a file name")?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let part = reqwest::multipart::Part::stream_with_length(body, len).file_name(name);
    let form = reqwest::multipart::Form::new().part("file", part);
    let server = target.server.trim_end_matches('/');
    let mut request = client
        .post(format!("{server}/api/v1/buckets/{}/objects", target.bucket))
        .bearer_auth(&target.token)
        .multipart(form);
    if let Some(folder) = &target.folder {
        request = request.query(&[("folder", folder)]);
    }
    let res = request
        .send()
        .await
        .map_err(|e| format!("cannot reach {server}: {}", chain(&e)))?;
    let status = res.status();
    let answer: Value = res
        .json()
        .await
        .map_err(|_| format!("{server} answered {status}, not as picgate does"))?;
    match answer["data"]["url"].as_str() {
        Some(url) if answer["success"] == true => Ok(url.to_owned()),
        _ => Err(format!(
            "{} ({}, HTTP {})",
            answer["msg"].as_str().unwrap_or("refused"),
            answer["code"].as_str().unwrap_or("?"),
            status.as_u16()
        )),
    }
}

/// An error with its causes (`error sending request: … certificate verify failed`): the
/// top-level message alone rarely says what to fix.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
