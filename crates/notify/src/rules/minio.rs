//! The configuration in the shape of the `minio` npm client: what its `NotificationConfig` is
//! serialised as for `setBucketNotification`, and what its `getBucketNotification` resolves to.

use serde_json::{Map, Value, json};

use super::{BucketRules, Rule, RulesError, invalid, label};

impl BucketRules {
    /// Reads the `config` of the seed's `setBucketNotification`: a JSON-serialised `minio`
    /// npm `NotificationConfig` (`{"QueueConfiguration": [{"Queue": <ARN>, "Event": [..],
    /// "Id"?, "Filter"?: {"S3Key": {"FilterRule": [{"Name": "prefix"|"suffix", "Value"}]}}}]}`,
    /// a `FilterRule` or `Event` given as one value instead of a list, `Filter` also as the
    /// flat list `getBucketNotification` answers). Errors: not an object, a
    /// `TopicConfiguration` or `CloudFunctionConfiguration` entry (picgate's targets are
    /// queues: `arn:minio:sqs`), an entry without `Queue` or `Event`, a filter rule named
    /// other than prefix/suffix or given twice, an unknown key.
    pub fn from_minio(config: &serde_json::Value) -> Result<BucketRules, RulesError> {
        let Some(config) = config.as_object() else {
            return Err(invalid(format!(
                "the notification config must be a JSON object (a minio NotificationConfig), not {}",
                kind_of(config)
            )));
        };
        for key in config.keys() {
            if !matches!(
                key.as_str(),
                "QueueConfiguration" | "TopicConfiguration" | "CloudFunctionConfiguration"
            ) {
                return Err(invalid(format!(
                    "unknown key '{key}' in the notification config (expected QueueConfiguration, TopicConfiguration, CloudFunctionConfiguration)"
                )));
            }
        }
        for unsupported in ["TopicConfiguration", "CloudFunctionConfiguration"] {
            if !entries(config, unsupported)?.is_empty() {
                return Err(invalid(format!(
                    "picgate sends to queue targets (arn:minio:sqs::<id>:webhook); {unsupported} is not supported"
                )));
            }
        }
        let rules = entries(config, "QueueConfiguration")?
            .iter()
            .enumerate()
            .map(|(index, entry)| queue_entry(index, entry))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BucketRules { rules })
    }

    /// The configuration as the `minio` npm client's `getBucketNotification` answers it:
    /// `{"QueueConfiguration": [{"Id", "Queue", "Event": [..], "Filter": [{"Name", "Value"}]}],
    /// "TopicConfiguration": [], "CloudFunctionConfiguration": []}` (`Filter` lists prefix
    /// then suffix, each only when set).
    pub fn to_minio(&self) -> serde_json::Value {
        let queues: Vec<Value> = self
            .rules
            .iter()
            .map(|rule| {
                let mut filter = Vec::new();
                if !rule.prefix.is_empty() {
                    filter.push(json!({ "Name": "prefix", "Value": rule.prefix }));
                }
                if !rule.suffix.is_empty() {
                    filter.push(json!({ "Name": "suffix", "Value": rule.suffix }));
                }
                json!({
                    "Id": rule.id,
                    "Queue": rule.target,
                    "Event": rule.events,
                    "Filter": filter,
                })
            })
            .collect();
        json!({
            "QueueConfiguration": queues,
            "TopicConfiguration": [],
            "CloudFunctionConfiguration": [],
        })
    }
}

/// A JSON value's kind, for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The entries of one of the configuration lists (missing or `null`: none).
fn entries<'a>(config: &'a Map<String, Value>, list: &str) -> Result<&'a [Value], RulesError> {
    match config.get(list) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(invalid(format!(
            "{list} must be a list, not {}",
            kind_of(other)
        ))),
    }
}

/// One `QueueConfiguration` entry (0-based `index`) as a rule.
fn queue_entry(index: usize, entry: &Value) -> Result<Rule, RulesError> {
    let Some(entry) = entry.as_object() else {
        return Err(invalid(format!(
            "{}: a QueueConfiguration entry must be an object, not {}",
            label(index, ""),
            kind_of(entry)
        )));
    };
    let id = match entry.get("Id") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(id)) => id.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "{}: Id must be a string, not {}",
                label(index, ""),
                kind_of(other)
            )));
        }
    };
    let at = label(index, &id);
    if let Some(key) = entry
        .keys()
        .find(|k| !matches!(k.as_str(), "Id" | "Queue" | "Event" | "Filter"))
    {
        return Err(invalid(format!(
            "{at}: unknown key '{key}' (a QueueConfiguration entry has Id, Queue, Event and Filter)"
        )));
    }
    let target = match entry.get("Queue") {
        Some(Value::String(arn)) => arn.clone(),
        None | Some(Value::Null) => {
            return Err(invalid(format!(
                "{at}: no Queue (the target's ARN, arn:minio:sqs::<id>:<type>)"
            )));
        }
        Some(other) => {
            return Err(invalid(format!(
                "{at}: Queue must be a string (an ARN), not {}",
                kind_of(other)
            )));
        }
    };
    let events = match entry.get("Event") {
        Some(Value::String(event)) => vec![event.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(event) => Ok(event.clone()),
                other => Err(invalid(format!(
                    "{at}: an Event must be a string, not {}",
                    kind_of(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None | Some(Value::Null) => {
            return Err(invalid(format!(
                "{at}: no Event (e.g. [\"s3:ObjectCreated:*\"])"
            )));
        }
        Some(other) => {
            return Err(invalid(format!(
                "{at}: Event must be a list of event names, not {}",
                kind_of(other)
            )));
        }
    };
    let (prefix, suffix) = filter(&at, entry.get("Filter"))?;
    Ok(Rule {
        id,
        events,
        prefix,
        suffix,
        target,
    })
}

/// A `Filter`: `{"S3Key": {"FilterRule": [..] | {..}}}` or the flat `[{Name, Value}]`
/// list; answers `(prefix, suffix)`.
fn filter(at: &str, filter: Option<&Value>) -> Result<(String, String), RulesError> {
    let rules: Vec<&Value> = match filter {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(filter)) => {
            if let Some(key) = filter.keys().find(|k| k.as_str() != "S3Key") {
                return Err(invalid(format!(
                    "{at}: unknown key '{key}' in Filter (expected {{\"S3Key\": {{\"FilterRule\": [..]}}}})"
                )));
            }
            match filter.get("S3Key") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(s3_key)) => {
                    if let Some(key) = s3_key.keys().find(|k| k.as_str() != "FilterRule") {
                        return Err(invalid(format!(
                            "{at}: unknown key '{key}' in Filter.S3Key (expected FilterRule)"
                        )));
                    }
                    match s3_key.get("FilterRule") {
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Array(items)) => items.iter().collect(),
                        Some(one @ Value::Object(_)) => vec![one],
                        Some(other) => {
                            return Err(invalid(format!(
                                "{at}: Filter.S3Key.FilterRule must be a list of {{Name, Value}}, not {}",
                                kind_of(other)
                            )));
                        }
                    }
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "{at}: Filter.S3Key must be an object, not {}",
                        kind_of(other)
                    )));
                }
            }
        }
        Some(other) => {
            return Err(invalid(format!(
                "{at}: Filter must be an object or a list of {{Name, Value}}, not {}",
                kind_of(other)
            )));
        }
    };

    let mut prefix: Option<String> = None;
    let mut suffix: Option<String> = None;
    for rule in rules {
        let Some(rule) = rule.as_object() else {
            return Err(invalid(format!(
                "{at}: a filter rule must be an object {{Name, Value}}, not {}",
                kind_of(rule)
            )));
        };
        if let Some(key) = rule
            .keys()
            .find(|k| !matches!(k.as_str(), "Name" | "Value"))
        {
            return Err(invalid(format!(
                "{at}: unknown key '{key}' in a filter rule (expected Name and Value)"
            )));
        }
        let Some(Value::String(name)) = rule.get("Name") else {
            return Err(invalid(format!(
                "{at}: a filter rule needs a Name (prefix or suffix)"
            )));
        };
        let value = match rule.get("Value") {
            Some(Value::String(value)) => value.clone(),
            None | Some(Value::Null) => String::new(),
            Some(other) => {
                return Err(invalid(format!(
                    "{at}: the Value of filter rule '{name}' must be a string, not {}",
                    kind_of(other)
                )));
            }
        };
        let slot = if name.eq_ignore_ascii_case("prefix") {
            &mut prefix
        } else if name.eq_ignore_ascii_case("suffix") {
            &mut suffix
        } else {
            return Err(invalid(format!(
                "{at}: unknown filter rule '{name}' (prefix or suffix)"
            )));
        };
        if slot.is_some() {
            return Err(invalid(format!(
                "{at}: the filter rule '{}' is given twice",
                name.to_ascii_lowercase()
            )));
        }
        *slot = Some(value);
    }
    Ok((prefix.unwrap_or_default(), suffix.unwrap_or_default()))
}
