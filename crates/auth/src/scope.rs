//! `Scope`: what an API token may be used for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One permission of an API token (serde and `as_str`: `read`, `upload`, `delete`, `admin`).
/// What each allows is the gateway's decision; auth only stores and returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Upload,
    Delete,
    Admin,
}

impl Scope {
    /// Every scope, in this order.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Upload, Scope::Delete, Scope::Admin];

    /// The lowercase name, as in serde and `FromStr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Upload => "upload",
            Self::Delete => "delete",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    /// A message naming the valid scopes (never echoes more than the rejected name).
    type Err = String;

    /// Exact lowercase names only.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope; valid scopes: {}", valid.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_parses_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
            assert_eq!(scope.to_string(), scope.as_str());
            let json = serde_json::to_string(&scope).expect("json");
            assert_eq!(json, format!("\"{scope}\""));
        }
    }

    #[test]
    fn an_unknown_scope_is_rejected_naming_the_valid_ones() {
        let err = "write".parse::<Scope>().expect_err("unknown");
        assert!(err.contains("read, upload, delete, admin"), "{err}");
        assert!("Read".parse::<Scope>().is_err());
    }
}
