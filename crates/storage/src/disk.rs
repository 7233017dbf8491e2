//! Reads from fs buckets: `open`, `fstat`, the bytes that decide the content type and, for a
//! body of up to [`FIRST_BYTES`], the body itself, in one go on the calling thread; a larger
//! body streams from the blocking pool, [`PIECE_BYTES`] at a time, from the same open file.
//!
//! OpenDAL's fs backend runs each of stat, open, read and close as its own blocking task, and a
//! served object needs a stat, a sniff and the body: about eight thread hand-offs per request,
//! which is where a small file's time went. Like nginx without `aio threads`, the first reads
//! run on the event loop: a few system calls on a file the page cache usually holds. This
//! assumes fs buckets are on a local disk; a stalled file system would stall the worker. Large
//! bodies are copied in the pool, beside the event loop, which measured faster than inline.
//!
//! Metadata is exactly what the fs backend reports (size, modification time in nanoseconds), so
//! ETags agree with [`crate::meta`], and paths are confined to the bucket's root the way OpenDAL
//! confines them (keys are checked [`ObjectKey`]s, and any `..`/root component is refused again
//! here).

use std::fs::File;
use std::io::ErrorKind;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::meta::{derived_etag, disk_time};
use crate::objects::{ByteRange, ObjectBody, Payload};
use crate::sniff::{SNIFF_BYTES, sniff};
use crate::{BucketName, Error, ObjectKey, ObjectMeta};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;

/// Largest body read with the metadata, on the calling thread, and sent whole with its
/// headers in one write.
pub(crate) const FIRST_BYTES: usize = 64 * 1024;

/// Largest piece of a larger body read at once (in the blocking pool), so memory per download
/// stays at about one piece.
pub(crate) const PIECE_BYTES: usize = 512 * 1024;

/// Reads `range` (or all) of `key` under `root`: metadata, content type (sniffed from the first
/// bytes) and the body. `meta.owner` is not looked up (`None`): serving bytes does not need it.
/// Errors: `NotFound` (no file, a directory, or a path through a file), `RangeNotSatisfiable`,
/// `Internal` for other io errors.
pub(crate) async fn read(
    root: &Path,
    bucket: &BucketName,
    key: &ObjectKey,
    range: Option<ByteRange>,
) -> Result<ObjectBody, Error> {
    let path = confined(root, bucket, key)?;
    let opened = open(&path, bucket, key, range)?;
    let Opened {
        size,
        modified,
        content_type,
        span,
        first,
        file,
    } = opened;
    let meta = disk_meta(key.clone(), size, modified, content_type)?;
    let read_so_far = span.start + first.len() as u64;
    let payload = match file {
        Some(file) if read_so_far < span.end => {
            Payload::Stream(pieces(file, read_so_far..span.end))
        }
        _ => Payload::Whole(first),
    };
    Ok(ObjectBody {
        meta,
        range: range.map(|_| span),
        payload,
    })
}

/// What opening the file found.
struct Opened {
    size: u64,
    modified: SystemTime,
    content_type: &'static str,
    /// The bytes of the object to send.
    span: Range<u64>,
    /// All of `span` when it fits in [`FIRST_BYTES`], else empty.
    first: Bytes,
    /// Kept open when more of `span` remains.
    file: Option<Arc<File>>,
}

fn open(
    path: &Path,
    bucket: &BucketName,
    key: &ObjectKey,
    range: Option<ByteRange>,
) -> Result<Opened, Error> {
    let not_found = || Error::NotFound {
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    let io = |e: std::io::Error| match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory => not_found(),
        _ => Error::internal("reading an object from disk failed", e),
    };
    let file = File::open(path).map_err(io)?;
    let m = file.metadata().map_err(io)?;
    if !m.is_file() {
        return Err(not_found());
    }
    let size = m.len();
    let modified = m.modified().map_err(io)?;
    let span = match range {
        Some(r) => r.resolve(size)?,
        None => 0..size,
    };
    // A small body is read here, whole; a larger one is left to the blocking pool (where the
    // copying runs beside the event loop) but for the bytes that decide its content type.
    let first = match span.end - span.start {
        len if len <= FIRST_BYTES as u64 => read_at(&file, span.start, len).map_err(io)?,
        _ => Bytes::new(),
    };
    let whole_head = first.len() >= SNIFF_BYTES || first.len() as u64 == size;
    let content_type = if span.start == 0 && !first.is_empty() && whole_head {
        sniff(&first)
    } else {
        let head = read_at(&file, 0, size.min(SNIFF_BYTES as u64)).map_err(io)?;
        sniff(&head)
    };
    let more = span.start + (first.len() as u64) < span.end;
    Ok(Opened {
        size,
        modified,
        content_type,
        span,
        first,
        file: more.then(|| Arc::new(file)),
    })
}

/// `len` bytes (at most [`PIECE_BYTES`]) at `offset`, by `pread`; fewer only if the file is
/// shorter now (it was cut while read).
fn read_at(file: &File, offset: u64, len: u64) -> std::io::Result<Bytes> {
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(PIECE_BYTES);
    let mut buf = BytesMut::zeroed(len);
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf.freeze())
}

/// The rest of a body, [`PIECE_BYTES`] at a time, from the file already open. A file cut short
/// while streaming ends the stream with an error (the response is then cut, never padded).
fn pieces(file: Arc<File>, rest: Range<u64>) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    futures::stream::try_unfold(rest, move |rest| {
        let file = file.clone();
        async move {
            if rest.is_empty() {
                return Ok(None);
            }
            let len = rest.end - rest.start;
            let piece = tokio::task::spawn_blocking(move || read_at(&file, rest.start, len))
                .await
                .map_err(std::io::Error::other)??;
            if piece.is_empty() {
                return Err(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the object was cut short while it was read",
                ));
            }
            let next = rest.start + piece.len() as u64..rest.end;
            Ok(Some((piece, next)))
        }
    })
    .boxed()
}

/// `root/key`, refusing anything that could leave `root` (as OpenDAL's fs `confined_join`).
fn confined(root: &Path, bucket: &BucketName, key: &ObjectKey) -> Result<PathBuf, Error> {
    let relative = Path::new(key.as_str());
    let escapes = relative.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    });
    if escapes {
        return Err(Error::NotFound {
            bucket: bucket.to_string(),
            key: key.to_string(),
        });
    }
    Ok(root.join(relative))
}

/// The [`ObjectMeta`] the fs backend's stat would give: the ETag is size and modification
/// time in nanoseconds, in hex, as `meta.rs` derives it.
fn disk_meta(
    key: ObjectKey,
    size: u64,
    modified: SystemTime,
    content_type: &str,
) -> Result<ObjectMeta, Error> {
    let (nanos, last_modified) = disk_time(modified)?;
    Ok(ObjectMeta {
        key,
        size,
        content_type: content_type.to_owned(),
        etag: derived_etag(size, nanos),
        last_modified,
        owner: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_root() {
        let bucket = BucketName::parse("images").expect("valid bucket name");
        let key = ObjectKey::parse("a/b.png").expect("valid key");
        let path = confined(Path::new("/data/images"), &bucket, &key).expect("inside");
        assert_eq!(path, Path::new("/data/images/a/b.png"));
    }
}
