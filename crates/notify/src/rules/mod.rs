//! Which events of a bucket go to which target: MinIO's bucket notification configuration
//! (events × prefix/suffix filter → target ARN), in picgate's JSON and in the shape the `minio`
//! npm client gives `setBucketNotification` and gets from `getBucketNotification`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::event::{EventName, EventPattern};

/// Most rules one bucket may have.
pub const MAX_RULES: usize = 100;

/// A bucket's configuration in picgate's JSON (`GET/PUT /api/v1/buckets/{b}/notifications`,
/// and as stored in the system area): `{"rules": [{"id", "events", "prefix", "suffix",
/// "target"}]}`. No rules: no events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BucketRules {
    pub rules: Vec<Rule>,
}

/// One rule: events of `events` whose key starts with `prefix` and ends with `suffix` go to
/// the target whose ARN is `target`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Unique within the bucket; given one (`rule-<n>`) when empty. It is the records'
    /// `s3.configurationId`.
    #[serde(default)]
    pub id: String,
    /// `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `…:Post`, `…:Copy`,
    /// `…:CompleteMultipartUpload`, `s3:ObjectRemoved:*`, `…:Delete`, `s3:ObjectAccessed:*`,
    /// `…:Get`, `…:Head`; at least one.
    pub events: Vec<String>,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    /// A configured target's ARN (`arn:minio:sqs::<id>:<type>`; the region part may be empty
    /// or `notify.region`).
    pub target: String,
}

/// Why a configuration was refused; the message is shown to the administrator as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{0}")]
    Invalid(String),
}

/// A target ARN: `arn:minio:sqs:<region>:<id>:<kind>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub region: String,
    pub id: String,
    pub kind: String,
}

impl Arn {
    /// Parses an ARN of MinIO's queue form; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let (Some("arn"), Some("minio"), Some("sqs"), Some(region), Some(id), Some(kind), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if id.is_empty() || kind.is_empty() {
            return None;
        }
        Some(Self {
            region: region.to_owned(),
            id: id.to_owned(),
            kind: kind.to_owned(),
        })
    }

    /// The ARN picgate lists for a target: `arn:minio:sqs::<id>:<kind>`.
    pub fn of_target(id: &str, kind: &str) -> String {
        format!("arn:minio:sqs::{id}:{kind}")
    }
}

/// A checked rule, ready to match.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: String,
    pub patterns: Vec<EventPattern>,
    pub prefix: String,
    pub suffix: String,
    /// The target's id.
    pub target: String,
}

/// A bucket's checked rules.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    pub rules: Vec<CompiledRule>,
}

impl BucketRules {
    /// Checks every rule and answers the configuration as it will be stored (ids given to
    /// rules without one) with its compiled form. `target`: resolves an ARN to a configured
    /// target's id (`None`: no such target). `access_events`: whether `s3:ObjectAccessed:*`
    /// may be asked for. Errors ([`RulesError::Invalid`], naming the rule by position and id):
    /// more than [`MAX_RULES`] rules, an unknown or malformed event name, no events, an ARN
    /// that is malformed or names no configured target, an access event while they are off,
    /// a repeated id, a prefix or suffix over 1024 bytes, a prefix or suffix with a control
    /// character.
    pub fn validate(
        self,
        target: &dyn Fn(&Arn) -> Option<String>,
        access_events: bool,
    ) -> Result<(BucketRules, CompiledRules), RulesError> {
        if self.rules.len() > MAX_RULES {
            return Err(invalid(format!(
                "a bucket has at most {MAX_RULES} rules (got {})",
                self.rules.len()
            )));
        }

        // Given ids first, so that assigned ones avoid them.
        let mut taken: HashSet<String> = HashSet::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.id.is_empty() {
                continue;
            }
            // An id that is not valid is not repeated in the message.
            check_id(&label(index, ""), &rule.id)?;
            let at = label(index, &rule.id);
            if !taken.insert(rule.id.clone()) {
                let first = self
                    .rules
                    .iter()
                    .position(|r| r.id == rule.id)
                    .unwrap_or(index);
                return Err(invalid(format!(
                    "{at}: the id '{}' is already used by rule {}",
                    rule.id,
                    first + 1
                )));
            }
        }

        let mut stored = Vec::with_capacity(self.rules.len());
        let mut compiled = Vec::with_capacity(self.rules.len());
        for (index, rule) in self.rules.into_iter().enumerate() {
            let at = label(index, &rule.id);

            if rule.events.is_empty() {
                return Err(invalid(format!(
                    "{at}: no events (name at least one, e.g. 's3:ObjectCreated:*')"
                )));
            }
            let mut patterns: Vec<EventPattern> = Vec::with_capacity(rule.events.len());
            for event in &rule.events {
                let Some(pattern) = EventPattern::parse(event) else {
                    return Err(invalid(format!(
                        "{at}: unknown event '{event}' (known: {})",
                        EventPattern::NAMES.join(", ")
                    )));
                };
                if pattern.is_access() && !access_events {
                    return Err(invalid(format!(
                        "{at}: s3:ObjectAccessed events are off (notify.access_events)"
                    )));
                }
                if !patterns.contains(&pattern) {
                    patterns.push(pattern);
                }
            }

            for (field, value) in [("prefix", &rule.prefix), ("suffix", &rule.suffix)] {
                if value.len() > MAX_FILTER_BYTES {
                    return Err(invalid(format!(
                        "{at}: the {field} is longer than {MAX_FILTER_BYTES} bytes"
                    )));
                }
                if value.chars().any(char::is_control) {
                    return Err(invalid(format!(
                        "{at}: the {field} holds a control character"
                    )));
                }
            }

            let Some(arn) = Arn::parse(&rule.target) else {
                return Err(invalid(format!(
                    "{at}: target '{}' is not a target ARN (arn:minio:sqs::<id>:<type>; GET /api/v1/notify/targets lists them)",
                    rule.target
                )));
            };
            let Some(target_id) = target(&arn) else {
                return Err(invalid(format!(
                    "{at}: target '{}' is not a configured target (GET /api/v1/notify/targets lists them)",
                    rule.target
                )));
            };

            let id = if rule.id.is_empty() {
                let mut n = index + 1;
                while taken.contains(&format!("rule-{n}")) {
                    n += 1;
                }
                let id = format!("rule-{n}");
                taken.insert(id.clone());
                id
            } else {
                rule.id
            };

            compiled.push(CompiledRule {
                id: id.clone(),
                patterns: patterns.clone(),
                prefix: rule.prefix.clone(),
                suffix: rule.suffix.clone(),
                target: target_id,
            });
            stored.push(Rule {
                id,
                events: patterns.iter().map(|p| p.as_str().to_owned()).collect(),
                prefix: rule.prefix,
                suffix: rule.suffix,
                target: rule.target,
            });
        }
        Ok((
            BucketRules { rules: stored },
            CompiledRules { rules: compiled },
        ))
    }
}

impl CompiledRules {
    /// The targets `name` on `key` goes to, each once, with the id of the first rule that
    /// sent it there: `(target id, rule id)` in rule order.
    pub fn matches(&self, name: EventName, key: &str) -> Vec<(&str, &str)> {
        let mut found: Vec<(&str, &str)> = Vec::new();
        for rule in &self.rules {
            if rule.matches(name, key) && !found.iter().any(|(target, _)| *target == rule.target) {
                found.push((rule.target.as_str(), rule.id.as_str()));
            }
        }
        found
    }

    /// Whether any rule asks for `name` at all (a cheap check before building an event).
    pub fn wants(&self, name: EventName) -> bool {
        self.rules.iter().any(|rule| rule.wants(name))
    }
}

impl CompiledRule {
    /// Whether the rule asks for `name`, whatever the key.
    fn wants(&self, name: EventName) -> bool {
        self.patterns.iter().any(|pattern| pattern.matches(name))
    }

    /// Whether the rule sends `name` on `key`.
    fn matches(&self, name: EventName, key: &str) -> bool {
        self.wants(name) && key.starts_with(&self.prefix) && key.ends_with(&self.suffix)
    }
}

/// Longest prefix or suffix, in bytes (S3's key limit).
const MAX_FILTER_BYTES: usize = 1024;

/// Longest rule id, in characters.
const MAX_ID_CHARS: usize = 64;

fn invalid(message: String) -> RulesError {
    RulesError::Invalid(message)
}

/// How errors name a rule: `rule 2` or `rule 2 (thumbs)` (1-based).
fn label(index: usize, id: &str) -> String {
    if id.is_empty() {
        format!("rule {}", index + 1)
    } else {
        format!("rule {} ({id})", index + 1)
    }
}

/// A given id: at most 64 characters of printable ASCII, no spaces.
fn check_id(at: &str, id: &str) -> Result<(), RulesError> {
    if id.len() > MAX_ID_CHARS {
        return Err(invalid(format!(
            "{at}: the id is longer than {MAX_ID_CHARS} characters"
        )));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(format!(
            "{at}: the id may hold only printable ASCII characters without spaces"
        )));
    }
    Ok(())
}

mod minio;
#[cfg(test)]
mod tests;
