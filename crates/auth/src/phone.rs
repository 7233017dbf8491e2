//! `Phone`: a number in E.164 form (`+<country code><number>`, at most 15 digits).
//!
//! The seed's front ends send mainland-China mobile numbers without a country code
//! (`13812345678`); such an 11-digit number (`1[3-9]` + 9 digits) means `+86`.

use std::fmt;

use crate::error::ValidationError;

/// Fewest digits accepted after the `+` (short national numbers plus a country code).
pub const MIN_E164_DIGITS: usize = 8;
/// Most digits E.164 allows after the `+`.
pub const MAX_E164_DIGITS: usize = 15;
/// Digits in a mainland-China mobile number written without a country code.
const CN_MOBILE_DIGITS: usize = 11;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts `+<8..=15 digits>` (first digit not 0) or an 11-digit CN mobile number.
    /// Spaces and dashes used as separators are ignored.
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        let compact: String = raw
            .into()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if is_cn_mobile(&compact) {
            return Ok(Self(format!("+86{compact}")));
        }
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(invalid());
        };
        let well_formed = digits.bytes().all(|b| b.is_ascii_digit())
            && (MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len())
            && !digits.starts_with('0');
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(compact))
    }
}

fn is_cn_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == CN_MOBILE_DIGITS
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

fn invalid() -> ValidationError {
    ValidationError(format!(
        "must be an E.164 number (+ and {MIN_E164_DIGITS} to {MAX_E164_DIGITS} digits) \
         or an 11-digit mainland mobile number"
    ))
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_mainland_mobile_number_without_country_code_means_plus_86() {
        let phone = Phone::parse("13812345678").expect("valid");
        assert_eq!(phone.as_ref(), "+8613812345678");
    }

    #[test]
    fn e164_numbers_are_kept_and_separators_dropped() {
        assert_eq!(
            Phone::parse("+1 415-555-2671").expect("valid").as_ref(),
            "+14155552671"
        );
        assert_eq!(
            Phone::parse("+8613812345678").expect("valid").as_ref(),
            "+8613812345678"
        );
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for raw in [
            "",
            "12812345678",  // second digit 2 is not a mobile prefix
            "1381234567",   // 10 digits
            "138123456789", // 12 digits without +
            "+0123456789",
            "+1234567",          // 7 digits
            "+1234567890123456", // 16 digits
            "+86 138a2345678",
            "++8613812345678",
            "８６13812345678",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    proptest! {
        #[test]
        fn every_cn_mobile_number_gets_the_plus_86_prefix(n in "1[3-9][0-9]{9}") {
            let phone = Phone::parse(n.clone()).expect("valid");
            prop_assert_eq!(phone.as_ref(), format!("+86{n}"));
        }

        #[test]
        fn every_well_formed_e164_number_is_accepted_unchanged(n in "\\+[1-9][0-9]{7,14}") {
            let phone = Phone::parse(n.clone()).expect("valid");
            prop_assert_eq!(phone.as_ref(), n);
        }

        #[test]
        fn a_parsed_phone_is_always_canonical_e164(raw in "[+0-9 -]{0,20}") {
            if let Ok(phone) = Phone::parse(raw) {
                let s = phone.as_ref();
                prop_assert!(s.starts_with('+'));
                prop_assert!((MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&(s.len() - 1)));
                prop_assert_eq!(Phone::parse(s).expect("canonical form parses"), phone);
            }
        }
    }
}
