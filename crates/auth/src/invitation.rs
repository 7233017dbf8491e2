//! Invitations: single-use codes that allow one sign-up when `registration = "invite"`.
//! A code is 16 random bytes in base64url (22 characters).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use time::OffsetDateTime;
use uuid::Uuid;

const CODE_BYTES: usize = 16;
const CODE_LEN: usize = 22;
/// Longest lifetime of an invitation: 30 days, in seconds.
pub const MAX_INVITATION_TTL_SECS: u64 = 30 * 24 * 3600;

/// An unused invitation code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// 22 base64url characters; give it to the person invited.
    pub code: String,
    /// The user (an administrator) who created it.
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
    /// After this the code is refused (and forgotten by the store).
    pub expires_at: OffsetDateTime,
}

pub(crate) fn new_code() -> String {
    B64.encode(rand::random::<[u8; CODE_BYTES]>())
}

/// Whether `code` has the shape of a code (so that it is safe in a store key).
pub(crate) fn is_code(code: &str) -> bool {
    code.len() == CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_codes_have_the_code_shape_and_differ() {
        let (a, b) = (new_code(), new_code());
        assert!(is_code(&a) && is_code(&b));
        assert_ne!(a, b);
        assert!(!is_code("../../etc/passwd-xxxxxx"));
        assert!(!is_code(""));
    }
}
