//! Webhook request signing as Standard Webhooks has it (<https://www.standardwebhooks.com/>,
//! spec "Signature scheme"): `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

type HmacSha256 = Hmac<Sha256>;

/// The prefix of Standard Webhooks secrets.
const SECRET_PREFIX: &str = "whsec_";

/// The key requests are signed with (an HMAC keyed once; cloned per signature). No `Debug`:
/// it is a secret.
#[derive(Clone)]
pub struct SigningKey(HmacSha256);

impl SigningKey {
    /// `whsec_<base64>` is the base64-decoded bytes (as the Standard Webhooks libraries read
    /// it); any other text is its UTF-8 bytes. Errors: `whsec_` followed by bad base64, an
    /// empty secret.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        if secret.trim().is_empty() {
            return Err("the signing secret is empty".into());
        }
        let key = match secret.strip_prefix(SECRET_PREFIX) {
            Some(encoded) => {
                let key = STANDARD.decode(encoded.trim()).map_err(|e| {
                    format!("a signing secret starting with '{SECRET_PREFIX}' must be followed by base64 ({e})")
                })?;
                if key.is_empty() {
                    return Err(format!(
                        "the signing secret is empty after '{SECRET_PREFIX}'"
                    ));
                }
                key
            }
            None => secret.as_bytes().to_vec(),
        };
        // HMAC takes keys of any length (longer ones are hashed), so this does not fail.
        HmacSha256::new_from_slice(&key)
            .map(Self)
            .map_err(|e| format!("the signing secret is not a valid HMAC key ({e})"))
    }

    /// The `webhook-signature` value: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Whether `header` (space-separated `v1,<base64>` entries) holds a valid signature of
    /// `id`, `timestamp` and `body` (compared in constant time). The caller checks the
    /// timestamp's age.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let mac = self.mac(id, timestamp, body);
        header
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .any(|signature| mac.clone().verify_slice(&signature).is_ok())
    }

    /// The HMAC fed with `"<id>.<timestamp>.<body>"`.
    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn key() -> SigningKey {
        SigningKey::from_secret(SECRET).unwrap()
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        assert_eq!(key().sign(ID, TIMESTAMP, BODY), SIGNATURE);
        assert!(key().verify(ID, TIMESTAMP, BODY, SIGNATURE));
    }

    #[test]
    fn plain_secret_is_its_bytes() {
        let plain = SigningKey::from_secret("my secret").unwrap();
        let mut mac = HmacSha256::new_from_slice(b"my secret").unwrap();
        mac.update(b"id.1.body");
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(plain.sign("id", 1, b"body"), expected);
        // The same text without the whsec_ prefix is a different key.
        let raw = SigningKey::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_ne!(raw.sign(ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn bad_secrets_are_refused() {
        assert!(SigningKey::from_secret("").is_err());
        assert!(SigningKey::from_secret("   ").is_err());
        assert!(SigningKey::from_secret("whsec_").is_err());
        assert!(SigningKey::from_secret("whsec_not base64!").is_err());
        assert!(SigningKey::from_secret("whsec_abc").is_err());
        let message = SigningKey::from_secret("whsec_***").err().unwrap();
        assert!(message.contains("base64"), "{message}");
    }

    #[test]
    fn whsec_secret_with_trailing_newline_reads_the_same() {
        let key = SigningKey::from_secret(&format!("{SECRET}\n")).unwrap();
        assert_eq!(key.sign(ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verify_takes_any_v1_entry() {
        let key = key();
        let other = SigningKey::from_secret("other")
            .unwrap()
            .sign(ID, TIMESTAMP, BODY);
        assert!(key.verify(ID, TIMESTAMP, BODY, &format!("{other} {SIGNATURE}")));
        assert!(key.verify(ID, TIMESTAMP, BODY, &format!("v1,garbage!! {SIGNATURE}  ")));
        assert!(key.verify(ID, TIMESTAMP, BODY, &format!("v1a,abcd {SIGNATURE}")));
        assert!(!key.verify(ID, TIMESTAMP, BODY, &other));
        assert!(!key.verify(ID, TIMESTAMP, BODY, ""));
        // Only v1 entries count.
        let bare = SIGNATURE.trim_start_matches("v1,");
        assert!(!key.verify(ID, TIMESTAMP, BODY, &format!("v2,{bare}")));
        assert!(!key.verify(ID, TIMESTAMP, BODY, bare));
        assert!(!key.verify(ID, TIMESTAMP, BODY, &format!("v1a,{bare}")));
    }

    #[test]
    fn verify_refuses_any_change() {
        let key = key();
        assert!(!key.verify("msg_other", TIMESTAMP, BODY, SIGNATURE));
        assert!(!key.verify(ID, TIMESTAMP + 1, BODY, SIGNATURE));
        assert!(!key.verify(ID, TIMESTAMP, br#"{"test": 2432232315}"#, SIGNATURE));
        // A truncated signature is not a prefix match.
        assert!(!key.verify(ID, TIMESTAMP, BODY, "v1,g0hM9SsE+OTPJTGt"));
        assert!(!key.verify(ID, TIMESTAMP, BODY, "v1,"));
    }

    #[test]
    fn negative_and_zero_timestamps_sign() {
        let key = key();
        for timestamp in [0, -1, i64::MAX, i64::MIN] {
            let signature = key.sign(ID, timestamp, BODY);
            assert!(signature.starts_with("v1,"));
            assert!(key.verify(ID, timestamp, BODY, &signature));
        }
    }
}
