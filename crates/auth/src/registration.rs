//! Turning raw registration input into checked values, collecting every field's problem.

use crate::email::Email;
use crate::error::{Error, FieldError};
use crate::model::{NewAccount, Role};
use crate::password::Password;
use crate::phone::Phone;

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_TFS_CHARS: usize = 256;

pub(crate) struct AccountInput {
    pub phone: Phone,
    pub email: Email,
    pub password: Password,
    pub name: String,
    pub tfs: Option<String>,
    pub role: Role,
}

impl AccountInput {
    /// Every invalid field is reported, not just the first.
    pub fn parse(a: NewAccount) -> Result<Self, Error> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let phone = check(e, "phone", Phone::parse(a.phone).map_err(|e| e.0));
        let email = check(e, "email", Email::parse(a.email).map_err(|e| e.0));
        let password = check(e, "password", Password::parse(a.password).map_err(|e| e.0));
        let name = check(e, "name", optional_text(a.name, MAX_NAME_CHARS));
        let tfs = check(e, "tfs", optional_text(a.tfs, MAX_TFS_CHARS));
        match (phone, email, password, name, tfs) {
            (Some(phone), Some(email), Some(password), Some(name), Some(tfs)) => {
                let name = name.unwrap_or_else(|| email.local_part().to_owned());
                Ok(Self {
                    phone,
                    email,
                    password,
                    name,
                    tfs,
                    role: a.role,
                })
            }
            _ => Err(Error::Validation(errors)),
        }
    }
}

fn check<T>(errors: &mut Vec<FieldError>, field: &'static str, r: Result<T, String>) -> Option<T> {
    r.map_err(|reason| errors.push(FieldError::new(field, reason)))
        .ok()
}

/// Trimmed; blank means absent; at most `max` characters, no control characters.
fn optional_text(value: Option<String>, max: usize) -> Result<Option<String>, String> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NewAccount {
        NewAccount {
            phone: "13812345678".into(),
            email: "Alice@Example.com".into(),
            password: "correct horse".into(),
            name: None,
            tfs: None,
            role: Role::User,
        }
    }

    #[test]
    fn a_valid_account_is_canonicalized_and_named_after_the_email() {
        let r = AccountInput::parse(valid()).expect("valid");
        assert_eq!(r.phone.as_ref(), "+8613812345678");
        assert_eq!(r.email.as_ref(), "alice@example.com");
        assert_eq!(r.name, "alice");
        assert_eq!(r.tfs, None);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let account = NewAccount {
            phone: "123".into(),
            email: "nope".into(),
            password: "x".repeat(73),
            name: Some("n".repeat(MAX_NAME_CHARS + 1)),
            ..valid()
        };
        let Err(Error::Validation(errors)) = AccountInput::parse(account) else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone", "email", "password", "name"]);
        assert!(errors[2].reason.contains("at most 72 bytes"));
    }

    #[test]
    fn a_blank_name_falls_back_to_the_email_and_names_are_trimmed() {
        let blank = NewAccount {
            name: Some("   ".into()),
            ..valid()
        };
        assert_eq!(AccountInput::parse(blank).expect("valid").name, "alice");
        let padded = NewAccount {
            name: Some("  Alice Liddell ".into()),
            ..valid()
        };
        assert_eq!(
            AccountInput::parse(padded).expect("valid").name,
            "Alice Liddell"
        );
    }
}
