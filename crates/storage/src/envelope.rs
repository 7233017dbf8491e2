//! How a variant's content type is kept where the backend keeps none (fs): in the file itself,
//! as one header line before the bytes, `picgate-variant/1 <content type>\n`. The type and the
//! bytes are then written (and replaced) together, in the one atomic write of the file, which a
//! side file or an extended attribute set after the rename would not be.

use bytes::{BufMut, Bytes, BytesMut};

/// The start of the header line; `1` is the format's version.
const MAGIC: &[u8] = b"picgate-variant/1 ";

/// Longest header line looked for, newline included (a content type is at most 255 bytes).
const MAX_HEADER: usize = 300;

/// `bytes` behind a header naming `content_type` (checked by the caller: printable ASCII).
pub(crate) fn seal(content_type: &str, bytes: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(MAGIC.len() + content_type.len() + 1 + bytes.len());
    out.put_slice(MAGIC);
    out.put_slice(content_type.as_bytes());
    out.put_u8(b'\n');
    out.put_slice(bytes);
    out.freeze()
}

/// The content type and the bytes of a sealed file; `None` if it is not one (a file of another
/// format or a damaged one).
pub(crate) fn open(stored: Bytes) -> Option<(String, Bytes)> {
    let head = stored.get(..stored.len().min(MAX_HEADER))?;
    let end = head.iter().position(|&b| b == b'\n')?;
    let content_type = head[..end].strip_prefix(MAGIC)?;
    let content_type = std::str::from_utf8(content_type).ok()?;
    if content_type.is_empty() {
        return None;
    }
    Some((content_type.to_owned(), stored.slice(end + 1..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_opens_to_its_type_and_bytes() {
        let sealed = seal("image/webp", b"RIFF\n\0data");
        assert!(sealed.starts_with(b"picgate-variant/1 image/webp\n"));
        let (content_type, bytes) = open(sealed).expect("sealed");
        assert_eq!(content_type, "image/webp");
        assert_eq!(&bytes[..], b"RIFF\n\0data");
        let (_, empty) = open(seal("text/plain", b"")).expect("sealed");
        assert!(empty.is_empty());
    }

    #[test]
    fn other_files_do_not_open() {
        for other in [
            &b""[..],
            b"\x89PNG\r\n",
            b"picgate-variant/2 image/png\nxx",
            b"picgate-variant/1 \nxx",
            b"picgate-variant/1 image/png",
        ] {
            assert_eq!(open(Bytes::copy_from_slice(other)), None, "{other:?}");
        }
        let mut long = b"picgate-variant/1 ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 400));
        long.push(b'\n');
        assert_eq!(open(Bytes::from(long)), None);
    }
}
