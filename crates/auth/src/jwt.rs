//! Access tokens: HS256 JWTs that name a user and a session, nothing else.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Error;

/// Clock skew tolerated on `exp`.
pub const LEEWAY_SECS: u64 = 5;

/// The claims of an access token. `iat` and `sid` are not optional: a token without them fails
/// to deserialize and is rejected as invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub sub: Uuid,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

pub(crate) struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(Error::internal)
    }

    /// Signature first, then claims: a forged token never learns whether it has expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => Error::TokenExpired,
                _ => Error::InvalidToken,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn claims(exp_in: i64) -> Claims {
        Claims {
            sub: Uuid::new_v4(),
            sid: "s1".into(),
            iat: now(),
            exp: now() + exp_in,
        }
    }

    fn sign_json(alg: Algorithm, json: &serde_json::Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), json, &EncodingKey::from_secret(SECRET))
            .expect("encode")
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let keys = JwtKeys::new(SECRET);
        let c = claims(60);
        let token = keys.issue(&c).expect("issue");
        assert_eq!(keys.verify(&token).expect("valid"), c);
    }

    #[test]
    fn a_tampered_payload_is_invalid() {
        let keys = JwtKeys::new(SECRET);
        let token = keys.issue(&claims(60)).expect("issue");
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims(3600);
        forged.sid = "someone-else".into();
        let payload = B64.encode(serde_json::to_vec(&forged).expect("json"));
        let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
        assert!(matches!(keys.verify(&tampered), Err(Error::InvalidToken)));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        let token = other.issue(&claims(60)).expect("issue");
        assert!(matches!(
            JwtKeys::new(SECRET).verify(&token),
            Err(Error::InvalidToken)
        ));
    }

    #[test]
    fn an_unsigned_alg_none_token_is_invalid() {
        let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = B64.encode(serde_json::to_vec(&claims(60)).expect("json"));
        let keys = JwtKeys::new(SECRET);
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert!(matches!(keys.verify(&token), Err(Error::InvalidToken)));
        }
    }

    #[test]
    fn a_token_with_another_algorithm_is_invalid_even_with_the_right_secret() {
        let json = serde_json::to_value(claims(60)).expect("json");
        let token = sign_json(Algorithm::HS512, &json);
        assert!(matches!(
            JwtKeys::new(SECRET).verify(&token),
            Err(Error::InvalidToken)
        ));
    }

    #[test]
    fn an_expired_token_is_reported_as_expired() {
        let keys = JwtKeys::new(SECRET);
        let token = keys.issue(&claims(-120)).expect("issue");
        assert!(matches!(keys.verify(&token), Err(Error::TokenExpired)));
    }

    #[test]
    fn an_expiry_within_the_leeway_is_still_accepted() {
        let keys = JwtKeys::new(SECRET);
        let token = keys.issue(&claims(-1)).expect("issue");
        assert!(keys.verify(&token).is_ok());
    }

    #[test]
    fn tokens_missing_a_required_claim_are_invalid() {
        let full = serde_json::to_value(claims(60)).expect("json");
        for missing in ["sid", "sub", "iat", "exp"] {
            let mut json = full.clone();
            json.as_object_mut().expect("object").remove(missing);
            let token = sign_json(Algorithm::HS256, &json);
            assert!(
                matches!(
                    JwtKeys::new(SECRET).verify(&token),
                    Err(Error::InvalidToken)
                ),
                "token without {missing} must be invalid"
            );
        }
    }

    #[test]
    fn a_subject_that_is_not_a_user_id_is_invalid() {
        let mut json = serde_json::to_value(claims(60)).expect("json");
        json["sub"] = "13812345678".into();
        let token = sign_json(Algorithm::HS256, &json);
        assert!(matches!(
            JwtKeys::new(SECRET).verify(&token),
            Err(Error::InvalidToken)
        ));
    }

    #[test]
    fn garbage_is_invalid() {
        let keys = JwtKeys::new(SECRET);
        for token in ["", "abc", "a.b.c", "Bearer x.y.z"] {
            assert!(matches!(keys.verify(token), Err(Error::InvalidToken)));
        }
    }
}
