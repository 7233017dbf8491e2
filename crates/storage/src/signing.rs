//! Gateway-signed links for backends without native presigning (fs): HMAC-SHA256 over
//! `"<bucket>\n<key>\n<expires>"`, hex-encoded, verified in constant time. Also deletion
//! tickets: `<payload>.<mac>`, both base64url (RFC 4648 §5, no padding), the payload
//! `"<bucket>\n<key>\n<etag>"` and the MAC over `"deletion-ticket\n"` and the payload.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::Error;

/// Longest lifetime of a signed link: 7 days.
pub const MAX_SIGN_SECS: u64 = 7 * 24 * 60 * 60;

/// A signed link's query parameters: `?expires=<expires>&signature=<signature>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// Unix seconds after which the link stops working.
    pub expires: i64,
    /// Hex HMAC-SHA256.
    pub signature: String,
}

type HmacSha256 = Hmac<Sha256>;

/// Holds the keyed MAC state; the key itself is not kept.
#[derive(Clone)]
pub(crate) struct Signer {
    mac: HmacSha256,
}

impl Signer {
    pub(crate) fn new(key: &SecretString) -> Result<Self, Error> {
        let key = key.expose_secret().as_bytes();
        if key.is_empty() {
            return Err(Error::Config(
                "the URL signing key must not be empty".to_owned(),
            ));
        }
        let mac = HmacSha256::new_from_slice(key)
            .map_err(|_| Error::Config("the URL signing key is not usable".to_owned()))?;
        Ok(Self { mac })
    }

    /// The MAC of a link: over `"<bucket>\n<key>\n<expires>"`, then `"\n<params>"` when a
    /// variant's parameters are signed too (a link to the original signs none, as before).
    fn mac(&self, bucket: &str, key: &str, expires: i64, params: &str) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(format!("{bucket}\n{key}\n{expires}").as_bytes());
        if !params.is_empty() {
            mac.update(format!("\n{params}").as_bytes());
        }
        mac
    }

    /// Signs a link to the original valid for `expires_in_secs` from `now` (unix seconds).
    #[cfg(test)]
    pub(crate) fn sign(
        &self,
        bucket: &str,
        key: &str,
        expires_in_secs: u64,
        now: i64,
    ) -> Result<SignedUrl, Error> {
        self.sign_with(bucket, key, "", expires_in_secs, now)
    }

    /// Signs a link to the variant of `key` that `params` name (empty: the original), valid
    /// for `expires_in_secs` from `now` (unix seconds).
    pub(crate) fn sign_with(
        &self,
        bucket: &str,
        key: &str,
        params: &str,
        expires_in_secs: u64,
        now: i64,
    ) -> Result<SignedUrl, Error> {
        if !(1..=MAX_SIGN_SECS).contains(&expires_in_secs) {
            return Err(Error::InvalidExpiry {
                max_secs: MAX_SIGN_SECS,
            });
        }
        let expires = now.saturating_add_unsigned(expires_in_secs);
        let signature = hex::encode(
            self.mac(bucket, key, expires, params)
                .finalize()
                .into_bytes(),
        );
        Ok(SignedUrl { expires, signature })
    }

    /// A deletion ticket for the version `etag` of `key` in `bucket` (see the module docs).
    pub(crate) fn ticket(&self, bucket: &str, key: &str, etag: &str) -> String {
        let payload = format!("{bucket}\n{key}\n{etag}");
        let mac = self.ticket_mac(payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    /// The bucket, key and ETag a ticket made by [`Signer::ticket`] names. Errors:
    /// `InvalidSignature` for anything else.
    pub(crate) fn open_ticket(&self, ticket: &str) -> Result<(String, String, String), Error> {
        let (payload, mac) = ticket.split_once('.').ok_or(Error::InvalidSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Error::InvalidSignature)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| Error::InvalidSignature)?;
        self.ticket_mac(&payload)
            .verify_slice(&mac)
            .map_err(|_| Error::InvalidSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| Error::InvalidSignature)?;
        let mut parts = payload.splitn(3, '\n').map(str::to_owned);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(bucket), Some(key), Some(etag)) => Ok((bucket, key, etag)),
            _ => Err(Error::InvalidSignature),
        }
    }

    fn ticket_mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(b"deletion-ticket\n");
        mac.update(payload);
        mac
    }

    /// Checks the signature of a link to the original first (so a tampered expiry is
    /// `InvalidSignature`), then the expiry.
    #[cfg(test)]
    pub(crate) fn verify(
        &self,
        bucket: &str,
        key: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.verify_with(bucket, key, "", expires, signature, now)
    }

    /// Checks the signature of a link to the variant `params` name (empty: the original) first
    /// (so a tampered expiry or parameter is `InvalidSignature`), then the expiry.
    pub(crate) fn verify_with(
        &self,
        bucket: &str,
        key: &str,
        params: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<(), Error> {
        let signature = hex::decode(signature).map_err(|_| Error::InvalidSignature)?;
        self.mac(bucket, key, expires, params)
            .verify_slice(&signature)
            .map_err(|_| Error::InvalidSignature)?;
        if now > expires {
            return Err(Error::SignatureExpired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn signer(key: &str) -> Signer {
        Signer::new(&SecretString::from(key.to_owned())).expect("non-empty key")
    }

    #[test]
    fn a_fresh_signature_verifies_until_it_expires() {
        let s = signer("k1");
        let url = s.sign("images", "a/b.png", 60, NOW).expect("valid expiry");
        assert_eq!(url.expires, NOW + 60);
        assert_eq!(url.signature.len(), 64);
        assert!(
            s.verify("images", "a/b.png", url.expires, &url.signature, NOW)
                .is_ok()
        );
        assert!(
            s.verify("images", "a/b.png", url.expires, &url.signature, NOW + 60)
                .is_ok()
        );
        assert!(matches!(
            s.verify("images", "a/b.png", url.expires, &url.signature, NOW + 61),
            Err(Error::SignatureExpired)
        ));
    }

    #[test]
    fn a_variant_link_verifies_for_its_own_parameters_only() {
        let s = signer("k1");
        let url = s
            .sign_with("images", "a.png", "w=320", 60, NOW)
            .expect("valid expiry");
        let check =
            |params| s.verify_with("images", "a.png", params, url.expires, &url.signature, NOW);
        assert!(check("w=320").is_ok());
        for other in ["", "w=640", "w=320&q=90"] {
            assert!(
                matches!(check(other), Err(Error::InvalidSignature)),
                "{other}"
            );
        }
        let original = s.sign("images", "a.png", 60, NOW).expect("valid expiry");
        assert!(matches!(
            s.verify_with(
                "images",
                "a.png",
                "w=320",
                original.expires,
                &original.signature,
                NOW
            ),
            Err(Error::InvalidSignature)
        ));
    }

    #[test]
    fn tampering_with_any_part_fails() {
        let s = signer("k1");
        let url = s.sign("images", "a/b.png", 60, NOW).expect("valid expiry");
        let bad = |r: Result<(), Error>| matches!(r, Err(Error::InvalidSignature));
        assert!(bad(s.verify(
            "files",
            "a/b.png",
            url.expires,
            &url.signature,
            NOW
        )));
        assert!(bad(s.verify(
            "images",
            "a/c.png",
            url.expires,
            &url.signature,
            NOW
        )));
        assert!(bad(s.verify(
            "images",
            "a/b.png",
            url.expires + 1,
            &url.signature,
            NOW
        )));
        assert!(bad(s.verify("images", "a/b.png", url.expires, "zz", NOW)));
        assert!(bad(s.verify(
            "images",
            "a/b.png",
            url.expires,
            &url.signature[..62],
            NOW
        )));
        let mut flipped = url.signature.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).expect("hex is ascii");
        assert!(bad(s.verify(
            "images",
            "a/b.png",
            url.expires,
            &flipped,
            NOW
        )));
        assert!(bad(signer("k2").verify(
            "images",
            "a/b.png",
            url.expires,
            &url.signature,
            NOW
        )));
    }

    #[test]
    fn expiry_must_be_between_one_second_and_seven_days() {
        let s = signer("k1");
        assert!(matches!(
            s.sign("b", "k", 0, NOW),
            Err(Error::InvalidExpiry { .. })
        ));
        assert!(s.sign("b", "k", MAX_SIGN_SECS, NOW).is_ok());
        assert!(matches!(
            s.sign("b", "k", MAX_SIGN_SECS + 1, NOW),
            Err(Error::InvalidExpiry {
                max_secs: MAX_SIGN_SECS
            })
        ));
    }

    #[test]
    fn a_deletion_ticket_opens_to_what_it_names_and_never_when_changed() {
        let s = signer("k");
        let ticket = s.ticket("images", "2026/a b.png", "\"e1\"");
        assert!(!ticket.contains('/'));
        assert_eq!(
            s.open_ticket(&ticket).unwrap(),
            ("images".into(), "2026/a b.png".into(), "\"e1\"".into())
        );
        let (payload, mac) = ticket.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode("images\n2026/other.png\n\"e1\"");
        for bad in [
            format!("{other}.{mac}"),
            format!("{payload}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            payload.to_owned(),
            String::new(),
        ] {
            assert!(
                matches!(s.open_ticket(&bad), Err(Error::InvalidSignature)),
                "{bad}"
            );
        }
        assert!(signer("other").open_ticket(&ticket).is_err());
    }

    #[test]
    fn an_empty_key_is_a_config_error() {
        assert!(matches!(
            Signer::new(&SecretString::from(String::new())),
            Err(Error::Config(_))
        ));
    }
}
