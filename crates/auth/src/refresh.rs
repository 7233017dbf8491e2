//! Opaque refresh tokens `<session id>.<32 random bytes, base64url>`. Only their SHA-256 is
//! stored, so a leak of the session store does not leak usable tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};

use crate::error::Error;

const SECRET_BYTES: usize = 32;
/// Length of a session id: a v4 UUID in simple (32 lowercase hex digits) form.
const SESSION_ID_LEN: usize = 32;

/// A new random session id.
pub(crate) fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `id` has the shape of a session id (so that it is safe to put in a store key).
pub(crate) fn is_session_id(id: &str) -> bool {
    id.len() == SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh refresh token for `session_id` and the hash to store.
pub(crate) fn generate(session_id: &str) -> (String, String) {
    let token = format!(
        "{session_id}.{}",
        B64.encode(rand::random::<[u8; SECRET_BYTES]>())
    );
    let hash = hash(&token);
    (token, hash)
}

/// Splits a presented token into its session id and the hash to compare with the stored one.
pub(crate) fn parse(token: &str) -> Result<(&str, String), Error> {
    let (sid, secret) = token.split_once('.').ok_or(Error::InvalidToken)?;
    let secret_ok = B64
        .decode(secret)
        .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
    if !is_session_id(sid) || !secret_ok {
        return Err(Error::InvalidToken);
    }
    Ok((sid, hash(token)))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_its_session_and_hash() {
        let sid = new_session_id();
        let (token, stored) = generate(&sid);
        let (parsed_sid, presented) = parse(&token).expect("valid");
        assert_eq!(parsed_sid, sid);
        assert_eq!(presented, stored);
        assert!(!stored.contains(&token));
    }

    #[test]
    fn two_tokens_for_one_session_differ() {
        let sid = new_session_id();
        assert_ne!(generate(&sid).0, generate(&sid).0);
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let sid = new_session_id();
        for token in [
            String::new(),
            sid.clone(),
            format!("{sid}."),
            format!("{sid}.short"),
            format!("../../x.{}", B64.encode([0u8; 32])),
            format!("{}.{}", sid.to_uppercase(), B64.encode([0u8; 32])),
        ] {
            assert!(matches!(parse(&token), Err(Error::InvalidToken)), "{token}");
        }
    }
}
