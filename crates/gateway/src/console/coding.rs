//! Content codings of console files (RFC 9110 §8.4.1): chosen from the request's
//! `Accept-Encoding` among those a file is offered in, made with the strongest settings since
//! each file is compressed once per process.

use std::io::Write;

use actix_web::http::header::{AcceptEncoding, ContentEncoding, Encoding};

/// Brotli quality (0–11) and window (log2 bytes, 10–24) of compressed console files.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW: u32 = 22;

/// A content coding a console file can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The coding the client prefers among `offered` (RFC 9110 §12.5.3: q-values, `*`,
    /// `identity;q=0`; brotli before gzip at equal weight); identity without the header, and
    /// when nothing offered is acceptable (the compression middleware has already answered
    /// 406 for a client that accepts none of the server's codings).
    pub fn negotiate(accept: Option<&AcceptEncoding>, offered: &[Coding]) -> Coding {
        let Some(accept) = accept else {
            return Coding::Identity;
        };
        let supported: Vec<Encoding> = offered.iter().map(|c| c.encoding()).collect();
        match accept.negotiate(supported.iter()) {
            Some(chosen) => offered
                .iter()
                .copied()
                .find(|c| c.encoding() == chosen)
                .unwrap_or(Coding::Identity),
            None => Coding::Identity,
        }
    }

    /// The token in `Content-Encoding` and in tags: `identity`, `gzip`, `br`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
        }
    }

    /// The `Content-Encoding` header value.
    pub fn header(self) -> ContentEncoding {
        match self {
            Coding::Identity => ContentEncoding::Identity,
            Coding::Gzip => ContentEncoding::Gzip,
            Coding::Brotli => ContentEncoding::Brotli,
        }
    }

    fn encoding(self) -> Encoding {
        match self {
            Coding::Identity => Encoding::identity(),
            Coding::Gzip => Encoding::gzip(),
            Coding::Brotli => Encoding::brotli(),
        }
    }

    /// `data` in this coding (identity: a copy). Blocking and slow at these settings (brotli
    /// took 170 ms for a 20 KB module in a debug build), hence once per file and process.
    pub fn compress(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Coding::Identity => Ok(data.to_vec()),
            Coding::Gzip => {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                enc.write_all(data)?;
                enc.finish()
            }
            Coding::Brotli => {
                let mut out = Vec::new();
                {
                    let mut enc = brotli::CompressorWriter::new(
                        &mut out,
                        4096,
                        BROTLI_QUALITY,
                        BROTLI_WINDOW,
                    );
                    enc.write_all(data)?;
                    enc.flush()?;
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::http::header::Header;
    use actix_web::test::TestRequest;

    use super::*;

    const ALL: &[Coding] = &[Coding::Brotli, Coding::Gzip, Coding::Identity];

    fn chosen(accept: &str, offered: &[Coding]) -> Coding {
        let req = TestRequest::default()
            .insert_header(("accept-encoding", accept))
            .to_http_request();
        let parsed = AcceptEncoding::parse(&req).ok();
        Coding::negotiate(parsed.as_ref(), offered)
    }

    #[test]
    fn the_client_preference_picks_among_the_offered_codings() {
        assert_eq!(Coding::negotiate(None, ALL), Coding::Identity);
        assert_eq!(chosen("gzip, deflate, br", ALL), Coding::Brotli);
        assert_eq!(chosen("gzip", ALL), Coding::Gzip);
        assert_eq!(chosen("br;q=0.5, gzip", ALL), Coding::Gzip);
        assert_eq!(chosen("deflate", ALL), Coding::Identity);
        assert_eq!(chosen("br, gzip", &[Coding::Identity]), Coding::Identity);
        assert_eq!(chosen("identity", ALL), Coding::Identity);
        assert_eq!(chosen("*", ALL), Coding::Identity);
    }

    #[test]
    fn compressed_forms_decode_to_the_original() {
        let data = "import {api} from './api.js';\n".repeat(200).into_bytes();
        let gz = Coding::Gzip.compress(&data).unwrap_or_default();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap_or_default();
        assert_eq!(back, data);
        let br = Coding::Brotli.compress(&data).unwrap_or_default();
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap_or_default();
        assert_eq!(back, data);
        assert!(br.len() < data.len() / 10 && gz.len() < data.len() / 10);
    }
}
