//! `Email`: a syntactically valid address, trimmed and stored lowercased.

use std::fmt;

use validator::ValidateEmail;

use crate::error::ValidationError;

/// Longest address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        let value = raw.into().trim().to_lowercase();
        if value.is_empty() {
            return Err(ValidationError("must not be empty".into()));
        }
        if value.chars().count() > MAX_EMAIL_CHARS {
            return Err(ValidationError(format!(
                "must be at most {MAX_EMAIL_CHARS} characters"
            )));
        }
        if !value.validate_email() {
            return Err(ValidationError("is not a valid email address".into()));
        }
        Ok(Self(value))
    }

    /// The part before the `@`, used as the default display name.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_valid_address_is_trimmed_and_lowercased() {
        let email = Email::parse("  Alice.Smith@Example.COM ").expect("valid");
        assert_eq!(email.as_ref(), "alice.smith@example.com");
        assert_eq!(email.local_part(), "alice.smith");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for raw in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "alice@",
            "alice@@example.com",
            "alice smith@example.com",
            "alice@exa mple.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn an_address_longer_than_the_limit_is_rejected_with_the_limit_in_the_message() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(MAX_EMAIL_CHARS));
        let err = Email::parse(raw).expect_err("too long");
        assert!(err.0.contains(&MAX_EMAIL_CHARS.to_string()));
    }

    proptest! {
        #[test]
        fn generated_valid_addresses_parse_to_their_lowercase_form(
            local in "[A-Za-z0-9][A-Za-z0-9._+-]{0,20}",
            domain in "[A-Za-z0-9]{1,20}",
            tld in "[A-Za-z]{2,6}",
        ) {
            let raw = format!("{local}@{domain}.{tld}");
            let email = Email::parse(raw.clone()).expect("valid");
            prop_assert_eq!(email.as_ref(), raw.to_lowercase());
        }

        #[test]
        fn strings_without_an_at_sign_never_parse(raw in "[^@]{0,40}") {
            prop_assert!(Email::parse(raw).is_err());
        }

        #[test]
        fn parsing_is_idempotent(raw in "\\PC{0,40}") {
            if let Ok(email) = Email::parse(raw) {
                let again = Email::parse(email.to_string()).expect("canonical form parses");
                prop_assert_eq!(again, email);
            }
        }
    }
}
