//! `Password`: a secret of 8..=72 bytes, hashed with bcrypt on a blocking thread.
//!
//! bcrypt keys on at most 72 bytes. `Password` rejects anything longer (and NUL bytes, which
//! bcrypt implementations treat as a terminator), so a password is never truncated.
//! `bcrypt::non_truncating_*` is not used because in bcrypt 0.19 it counts the C terminator and
//! so refuses a password of exactly 72 bytes, which the contract accepts; the length check that
//! would make it fail lives here instead, in `parse` and in [`fits_bcrypt`].

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, ValidationError};

pub const MIN_PASSWORD_BYTES: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 72;

pub struct Password(SecretString);

impl Password {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        let raw: SecretString = raw.into().into();
        let s = raw.expose_secret();
        if s.len() < MIN_PASSWORD_BYTES {
            return Err(ValidationError(format!(
                "must be at least {MIN_PASSWORD_BYTES} bytes"
            )));
        }
        if s.len() > MAX_PASSWORD_BYTES {
            return Err(ValidationError(format!(
                "must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt would ignore the rest)"
            )));
        }
        if s.contains('\0') {
            return Err(ValidationError("must not contain NUL characters".into()));
        }
        Ok(Self(raw))
    }

    /// bcrypt hash (PHC-like `$2b$…` string) at `cost`, computed on a blocking thread.
    pub(crate) async fn hash(&self, cost: u32) -> Result<String, Error> {
        let secret = self.0.clone();
        blocking(move || bcrypt::hash(secret.expose_secret(), cost)).await
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// Whether `candidate` may be given to bcrypt without truncation (same rule as `Password`).
pub(crate) fn fits_bcrypt(candidate: &str) -> bool {
    candidate.len() <= MAX_PASSWORD_BYTES && !candidate.contains('\0')
}

/// Checks `candidate` against `hash` on a blocking thread. A candidate that does not
/// [`fits_bcrypt`] is still run against the hash (as a fixed placeholder) so that timing does
/// not depend on it, and never matches.
pub(crate) async fn verify(candidate: &str, hash: String) -> Result<bool, Error> {
    let fits = fits_bcrypt(candidate);
    let secret: SecretString = if fits {
        candidate.into()
    } else {
        "\u{1}placeholder".into()
    };
    let matches = blocking(move || bcrypt::verify(secret.expose_secret(), &hash)).await?;
    Ok(matches && fits)
}

/// A hash of a random secret, verified against when the account does not exist so that an
/// unknown login costs the same time as a wrong password.
pub(crate) async fn dummy_hash(cost: u32) -> Result<String, Error> {
    let secret: SecretString = hex::encode(rand::random::<[u8; 16]>()).into();
    blocking(move || bcrypt::hash(secret.expose_secret(), cost)).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const COST: u32 = 4;

    #[test]
    fn passwords_of_8_to_72_bytes_are_accepted() {
        assert!(Password::parse("a".repeat(MIN_PASSWORD_BYTES)).is_ok());
        assert!(Password::parse("a".repeat(MAX_PASSWORD_BYTES)).is_ok());
    }

    #[test]
    fn a_password_shorter_than_8_bytes_is_rejected() {
        let err = Password::parse("a".repeat(MIN_PASSWORD_BYTES - 1)).expect_err("short");
        assert!(err.0.contains("at least 8 bytes"));
    }

    #[test]
    fn a_password_longer_than_72_bytes_is_rejected_not_truncated() {
        let err = Password::parse("a".repeat(MAX_PASSWORD_BYTES + 1)).expect_err("long");
        assert!(err.0.contains("at most 72 bytes"));
        // 25 three-byte characters: 25 chars but 75 bytes.
        assert!(Password::parse("密".repeat(25)).is_err());
    }

    #[test]
    fn a_password_with_a_nul_byte_is_rejected() {
        assert!(Password::parse("abcdefgh\0ijk").is_err());
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let pw = Password::parse("hunter2hunter2").expect("valid");
        assert!(!format!("{pw:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_hash_verifies_the_same_password_and_nothing_else() {
        let pw = Password::parse("correct horse battery").expect("valid");
        let hash = pw.hash(COST).await.expect("hash");
        assert!(hash.starts_with("$2"));
        assert!(
            verify("correct horse battery", hash.clone())
                .await
                .expect("ok")
        );
        assert!(
            !verify("correct horse battery!", hash.clone())
                .await
                .expect("ok")
        );
        assert!(!verify("", hash).await.expect("ok"));
    }

    #[tokio::test]
    async fn all_72_bytes_count_and_longer_candidates_never_match() {
        let base = "x".repeat(MAX_PASSWORD_BYTES - 1);
        let pw = Password::parse(format!("{base}a")).expect("valid");
        let hash = pw.hash(COST).await.expect("hash");
        assert!(verify(&format!("{base}a"), hash.clone()).await.expect("ok"));
        assert!(!verify(&format!("{base}b"), hash.clone()).await.expect("ok"));
        assert!(!verify(&format!("{base}aEXTRA"), hash).await.expect("ok"));
    }

    #[tokio::test]
    async fn the_dummy_hash_matches_no_password() {
        let hash = dummy_hash(COST).await.expect("hash");
        assert!(!verify("password123", hash).await.expect("ok"));
    }

    proptest! {
        #[test]
        fn acceptance_depends_only_on_byte_length(s in "[^\\x00]{0,80}") {
            let ok = (MIN_PASSWORD_BYTES..=MAX_PASSWORD_BYTES).contains(&s.len());
            prop_assert_eq!(Password::parse(s).is_ok(), ok);
        }

        #[test]
        fn rejection_messages_never_echo_the_password(s in "§[a-z]{0,5}|§[a-z]{71,90}|§\\x00[a-z]{8}") {
            let err = Password::parse(s).expect_err("invalid by construction");
            prop_assert!(!err.0.contains('§'));
        }
    }
}
