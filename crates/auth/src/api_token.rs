//! API tokens: what a listing shows ([`ApiToken`]), what creation returns once ([`NewToken`]),
//! and the token format `pgt_<id>_<secret>`: `id` is 32 lowercase hex digits, `secret` 32
//! random bytes in base64url (43 characters). Only the SHA-256 of the secret is stored.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::Error;
use crate::scope::Scope;

/// Every API token starts with this, so `authenticate` can tell it from a JWT.
pub const TOKEN_PREFIX: &str = "pgt_";
/// Longest token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;
const SECRET_BYTES: usize = 32;
const ID_LEN: usize = 32;

/// An API token as listed: never its secret or the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// 32 lowercase hex digits; also the middle part of the token.
    pub id: String,
    /// What the user called it (1..=64 characters).
    pub name: String,
    /// Non-empty, without duplicates.
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
    /// Updated at most once a minute.
    pub last_used: Option<OffsetDateTime>,
    /// `None`: valid until revoked.
    pub expires_at: Option<OffsetDateTime>,
}

/// A token just created: `secret` is the whole token (`pgt_<id>_<secret>`), shown this once.
#[derive(Clone, PartialEq, Eq)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("token", &self.token)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

/// A fresh token: (id, the whole token to show once, the hash to store).
pub(crate) fn generate() -> (String, String, String) {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let secret = B64.encode(rand::random::<[u8; SECRET_BYTES]>());
    let hash = hash_secret(&secret);
    (id.clone(), format!("{TOKEN_PREFIX}{id}_{secret}"), hash)
}

/// Splits a presented token into its id and the hash of its secret; `InvalidToken` if it does
/// not have the shape of one.
pub(crate) fn parse(token: &str) -> Result<(&str, String), Error> {
    let rest = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(Error::InvalidToken)?;
    let (id, secret) = rest.split_once('_').ok_or(Error::InvalidToken)?;
    let secret_ok = B64
        .decode(secret)
        .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
    if !is_token_id(id) || !secret_ok {
        return Err(Error::InvalidToken);
    }
    Ok((id, hash_secret(secret)))
}

/// Whether `id` has the shape of a token id (so that it is safe in a store key).
pub(crate) fn is_token_id(id: &str) -> bool {
    id.len() == ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_its_id_and_hash() {
        let (id, token, hash) = generate();
        let (parsed, presented) = parse(&token).expect("valid");
        assert_eq!(parsed, id);
        assert_eq!(presented, hash);
        assert!(!hash.contains(&token[TOKEN_PREFIX.len() + ID_LEN + 1..]));
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let (id, token, _) = generate();
        let secret = &token[TOKEN_PREFIX.len() + ID_LEN + 1..];
        for bad in [
            String::new(),
            "pgt_".into(),
            format!("pgt_{id}"),
            format!("pgt_{id}_short"),
            format!("pgt_{}_{secret}", id.to_uppercase()),
            format!("pgt_../x_{secret}"),
            format!("xyz_{id}_{secret}"),
        ] {
            assert!(matches!(parse(&bad), Err(Error::InvalidToken)), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let (id, token, _) = generate();
        let new = NewToken {
            token: ApiToken {
                id,
                name: "ci".into(),
                scopes: vec![Scope::Upload],
                created_at: OffsetDateTime::UNIX_EPOCH,
                last_used: None,
                expires_at: None,
            },
            secret: token.clone(),
        };
        assert!(!format!("{new:?}").contains(&token));
    }
}
