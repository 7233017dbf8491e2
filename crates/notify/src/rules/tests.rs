//! Unit tests of the rules and their MinIO shape.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;

/// Targets `hook` (webhook) and `feed` (redis); region "" or "eu-1".
fn resolve(arn: &Arn) -> Option<String> {
    let known = matches!(
        (arn.id.as_str(), arn.kind.as_str()),
        ("hook", "webhook") | ("feed", "redis")
    );
    (known && (arn.region.is_empty() || arn.region == "eu-1")).then(|| arn.id.clone())
}

const HOOK: &str = "arn:minio:sqs::hook:webhook";
const FEED: &str = "arn:minio:sqs::feed:redis";

fn rule(id: &str, events: &[&str], target: &str) -> Rule {
    Rule {
        id: id.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        prefix: String::new(),
        suffix: String::new(),
        target: target.into(),
    }
}

fn validate(rules: Vec<Rule>) -> Result<(BucketRules, CompiledRules), RulesError> {
    BucketRules { rules }.validate(&resolve, false)
}

fn error(rules: Vec<Rule>) -> String {
    validate(rules).unwrap_err().to_string()
}

fn ids(rules: &BucketRules) -> Vec<&str> {
    rules.rules.iter().map(|r| r.id.as_str()).collect()
}

// --- Arn ---

#[test]
fn arn_parses_minio_queue_arns() {
    assert_eq!(
        Arn::parse(HOOK),
        Some(Arn {
            region: String::new(),
            id: "hook".into(),
            kind: "webhook".into()
        })
    );
    assert_eq!(
        Arn::parse("arn:minio:sqs:eu-1:feed:redis"),
        Some(Arn {
            region: "eu-1".into(),
            id: "feed".into(),
            kind: "redis".into()
        })
    );
}

#[test]
fn arn_refuses_other_shapes() {
    for text in [
        "",
        "hook",
        "arn:minio:sqs::hook",
        "arn:minio:sqs::hook:webhook:extra",
        "arn:minio:sqs:::webhook",
        "arn:minio:sqs::hook:",
        "arn:aws:sqs::hook:webhook",
        "arn:minio:sns::hook:webhook",
        "ARN:minio:sqs::hook:webhook",
        "arn:minio:sqs",
    ] {
        assert_eq!(Arn::parse(text), None, "{text:?}");
    }
}

#[test]
fn arn_of_target_round_trips() {
    let arn = Arn::of_target("hook", "webhook");
    assert_eq!(arn, HOOK);
    let parsed = Arn::parse(&arn).unwrap();
    assert_eq!(
        (
            parsed.region.as_str(),
            parsed.id.as_str(),
            parsed.kind.as_str()
        ),
        ("", "hook", "webhook")
    );
}

// --- validate ---

#[test]
fn validate_assigns_ids_and_compiles() {
    let mut thumbs = rule("thumbs", &["s3:ObjectCreated:*"], HOOK);
    thumbs.prefix = "thumbs/".into();
    thumbs.suffix = ".png".into();
    let (stored, compiled) = validate(vec![
        rule("", &["s3:ObjectRemoved:Delete"], FEED),
        thumbs,
        rule(
            "",
            &["s3:ObjectCreated:Put"],
            "arn:minio:sqs:eu-1:hook:webhook",
        ),
    ])
    .unwrap();
    assert_eq!(ids(&stored), ["rule-1", "thumbs", "rule-3"]);
    assert_eq!(stored.rules[1].prefix, "thumbs/");
    assert_eq!(stored.rules[1].suffix, ".png");
    // The target is stored as given.
    assert_eq!(stored.rules[2].target, "arn:minio:sqs:eu-1:hook:webhook");
    let targets: Vec<_> = compiled.rules.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["feed", "hook", "hook"]);
    assert_eq!(compiled.rules[1].patterns, [EventPattern::AllCreated]);
    assert_eq!(compiled.rules[1].id, "thumbs");
    assert_eq!(compiled.rules[1].prefix, "thumbs/");
}

#[test]
fn validate_skips_taken_ids() {
    let (stored, _) = validate(vec![
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("rule-1", &["s3:ObjectCreated:*"], HOOK),
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("rule-5", &["s3:ObjectCreated:*"], HOOK),
        rule("", &["s3:ObjectCreated:*"], HOOK),
    ])
    .unwrap();
    assert_eq!(
        ids(&stored),
        ["rule-2", "rule-1", "rule-3", "rule-5", "rule-6"]
    );
    let (stored, _) = validate(vec![
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("rule-2", &["s3:ObjectCreated:*"], HOOK),
    ])
    .unwrap();
    assert_eq!(ids(&stored), ["rule-1", "rule-3", "rule-2"]);
}

#[test]
fn validate_is_idempotent() {
    let (stored, _) = validate(vec![
        rule("", &["s3:ObjectCreated:*", "s3:ObjectCreated:*"], HOOK),
        rule("x", &["s3:ObjectRemoved:*"], FEED),
    ])
    .unwrap();
    let (again, _) = stored.clone().validate(&resolve, false).unwrap();
    assert_eq!(again, stored);
}

#[test]
fn validate_normalises_events() {
    let (stored, compiled) = validate(vec![rule(
        "",
        &[
            "s3:ObjectRemoved:Delete",
            "s3:ObjectCreated:Put",
            "s3:ObjectRemoved:Delete",
            "s3:ObjectCreated:*",
            "s3:ObjectCreated:Put",
        ],
        HOOK,
    )])
    .unwrap();
    assert_eq!(
        stored.rules[0].events,
        [
            "s3:ObjectRemoved:Delete",
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:*"
        ]
    );
    assert_eq!(compiled.rules[0].patterns.len(), 3);
}

#[test]
fn validate_empty_is_fine() {
    let (stored, compiled) = validate(Vec::new()).unwrap();
    assert!(stored.rules.is_empty());
    assert!(compiled.rules.is_empty());
    assert!(!compiled.wants(EventName::ObjectCreatedPut));
}

#[test]
fn validate_refuses_unknown_events() {
    let message = error(vec![
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("thumbs", &["s3:ObjectCreated:Putt"], HOOK),
    ]);
    assert!(
        message.starts_with("rule 2 (thumbs): unknown event 's3:ObjectCreated:Putt'"),
        "{message}"
    );
    let message = error(vec![rule("", &["s3:objectcreated:put"], HOOK)]);
    assert!(
        message.starts_with("rule 1: unknown event 's3:objectcreated:put'"),
        "{message}"
    );
}

#[test]
fn validate_refuses_no_events() {
    let message = error(vec![rule("a", &[], HOOK)]);
    assert!(message.starts_with("rule 1 (a): no events"), "{message}");
}

#[test]
fn validate_refuses_bad_targets() {
    let message = error(vec![rule(
        "",
        &["s3:ObjectCreated:*"],
        "arn:minio:sqs::nope:webhook",
    )]);
    assert_eq!(
        message,
        "rule 1: target 'arn:minio:sqs::nope:webhook' is not a configured target (GET /api/v1/notify/targets lists them)"
    );
    // Wrong kind or region: the resolver says no.
    let message = error(vec![rule(
        "",
        &["s3:ObjectCreated:*"],
        "arn:minio:sqs::hook:redis",
    )]);
    assert!(message.contains("is not a configured target"), "{message}");
    let message = error(vec![rule(
        "",
        &["s3:ObjectCreated:*"],
        "arn:minio:sqs:us-2:hook:webhook",
    )]);
    assert!(message.contains("is not a configured target"), "{message}");
    let message = error(vec![rule("", &["s3:ObjectCreated:*"], "hook")]);
    assert!(
        message.starts_with("rule 1: target 'hook' is not a target ARN"),
        "{message}"
    );
    let message = error(vec![rule("", &["s3:ObjectCreated:*"], "")]);
    assert!(
        message.starts_with("rule 1: target '' is not a target ARN"),
        "{message}"
    );
}

#[test]
fn validate_access_events_follow_the_setting() {
    for event in [
        "s3:ObjectAccessed:*",
        "s3:ObjectAccessed:Get",
        "s3:ObjectAccessed:Head",
    ] {
        let rules = vec![rule("", &["s3:ObjectCreated:*", event], HOOK)];
        let message = error(rules.clone());
        assert_eq!(
            message,
            "rule 1: s3:ObjectAccessed events are off (notify.access_events)"
        );
        let (_, compiled) = BucketRules { rules }.validate(&resolve, true).unwrap();
        assert!(compiled.wants(EventName::ObjectAccessedGet) || event.ends_with("Head"));
    }
}

#[test]
fn validate_refuses_bad_ids() {
    let message = error(vec![
        rule("same", &["s3:ObjectCreated:*"], HOOK),
        rule("", &["s3:ObjectCreated:*"], HOOK),
        rule("same", &["s3:ObjectRemoved:*"], HOOK),
    ]);
    assert_eq!(
        message,
        "rule 3 (same): the id 'same' is already used by rule 1"
    );
    let message = error(vec![rule("has space", &["s3:ObjectCreated:*"], HOOK)]);
    assert!(message.starts_with("rule 1: the id"), "{message}");
    let message = error(vec![rule("tab\there", &["s3:ObjectCreated:*"], HOOK)]);
    assert!(message.starts_with("rule 1: the id"), "{message}");
    let message = error(vec![rule("图片", &["s3:ObjectCreated:*"], HOOK)]);
    assert!(message.starts_with("rule 1: the id"), "{message}");
    let message = error(vec![rule(&"x".repeat(65), &["s3:ObjectCreated:*"], HOOK)]);
    assert!(
        message.starts_with("rule 1: the id is longer than 64"),
        "{message}"
    );
    let long = "x".repeat(64);
    let (stored, _) = validate(vec![rule(&long, &["s3:ObjectCreated:*"], HOOK)]).unwrap();
    assert_eq!(stored.rules[0].id, long);
    let (stored, _) = validate(vec![rule("a-b_c.d:e/f~!", &["s3:ObjectCreated:*"], HOOK)]).unwrap();
    assert_eq!(stored.rules[0].id, "a-b_c.d:e/f~!");
}

#[test]
fn validate_refuses_bad_filters() {
    let mut long = rule("", &["s3:ObjectCreated:*"], HOOK);
    long.prefix = "p".repeat(1025);
    assert!(error(vec![long.clone()]).starts_with("rule 1: the prefix is longer than 1024 bytes"));
    long.prefix = "p".repeat(1024);
    assert!(validate(vec![long]).is_ok());

    let mut long = rule("s", &["s3:ObjectCreated:*"], HOOK);
    long.suffix = "图".repeat(342); // 1026 bytes
    assert!(error(vec![long]).starts_with("rule 1 (s): the suffix is longer than 1024 bytes"));

    let mut control = rule("", &["s3:ObjectCreated:*"], HOOK);
    control.prefix = "a\nb".into();
    assert_eq!(
        error(vec![control]),
        "rule 1: the prefix holds a control character"
    );
    let mut control = rule("", &["s3:ObjectCreated:*"], HOOK);
    control.suffix = "\u{0}".into();
    assert_eq!(
        error(vec![control]),
        "rule 1: the suffix holds a control character"
    );
}

#[test]
fn validate_refuses_too_many_rules() {
    let rules: Vec<_> = (0..MAX_RULES)
        .map(|_| rule("", &["s3:ObjectCreated:*"], HOOK))
        .collect();
    let (stored, _) = validate(rules.clone()).unwrap();
    assert_eq!(stored.rules.len(), MAX_RULES);
    assert_eq!(stored.rules[99].id, "rule-100");
    let mut rules = rules;
    rules.push(rule("", &["s3:ObjectCreated:*"], HOOK));
    assert_eq!(error(rules), "a bucket has at most 100 rules (got 101)");
}

#[test]
fn picgate_json_shape() {
    let parsed: BucketRules = serde_json::from_value(json!({
        "rules": [{ "events": ["s3:ObjectCreated:*"], "target": HOOK }]
    }))
    .unwrap();
    assert_eq!(parsed.rules[0], rule("", &["s3:ObjectCreated:*"], HOOK));
    let (stored, _) = parsed.validate(&resolve, false).unwrap();
    assert_eq!(
        serde_json::to_value(&stored).unwrap(),
        json!({ "rules": [{
            "id": "rule-1", "events": ["s3:ObjectCreated:*"], "prefix": "", "suffix": "",
            "target": HOOK
        }]})
    );
    assert!(serde_json::from_value::<BucketRules>(json!({ "rules": [], "x": 1 })).is_err());
    assert!(
        serde_json::from_value::<BucketRules>(json!({
            "rules": [{ "events": [], "target": HOOK, "queue": HOOK }]
        }))
        .is_err()
    );
}

// --- matching ---

fn compiled(rules: Vec<Rule>) -> CompiledRules {
    BucketRules { rules }.validate(&resolve, true).unwrap().1
}

#[test]
fn matches_by_event_prefix_and_suffix() {
    let mut pngs = rule("pngs", &["s3:ObjectCreated:*"], HOOK);
    pngs.prefix = "img/".into();
    pngs.suffix = ".png".into();
    let rules = compiled(vec![pngs, rule("gone", &["s3:ObjectRemoved:*"], FEED)]);
    use EventName::*;
    assert_eq!(
        rules.matches(ObjectCreatedPut, "img/a.png"),
        [("hook", "pngs")]
    );
    assert_eq!(
        rules.matches(ObjectCreatedPost, "img/a.png"),
        [("hook", "pngs")]
    );
    assert!(rules.matches(ObjectCreatedPut, "img/a.jpg").is_empty());
    assert!(rules.matches(ObjectCreatedPut, "other/a.png").is_empty());
    assert!(rules.matches(ObjectCreatedPut, "IMG/a.png").is_empty());
    assert!(rules.matches(ObjectAccessedGet, "img/a.png").is_empty());
    assert_eq!(
        rules.matches(ObjectRemovedDelete, "img/a.png"),
        [("feed", "gone")]
    );
    assert_eq!(rules.matches(ObjectRemovedDelete, ""), [("feed", "gone")]);
    // Prefix and suffix may overlap in the key.
    let mut overlap = rule("o", &["s3:ObjectCreated:Put"], HOOK);
    overlap.prefix = "ab".into();
    overlap.suffix = "bc".into();
    let rules = compiled(vec![overlap]);
    assert_eq!(rules.matches(ObjectCreatedPut, "abc"), [("hook", "o")]);
    assert!(rules.matches(ObjectCreatedPut, "ab").is_empty());
}

#[test]
fn matches_each_target_once_first_rule_wins() {
    let mut narrow = rule("narrow", &["s3:ObjectCreated:Put"], HOOK);
    narrow.prefix = "a/".into();
    let rules = compiled(vec![
        rule("removals", &["s3:ObjectRemoved:Delete"], HOOK),
        narrow,
        rule(
            "feed-all",
            &["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            FEED,
        ),
        rule("wide", &["s3:ObjectCreated:*"], HOOK),
        rule("feed-again", &["s3:ObjectCreated:Put"], FEED),
    ]);
    use EventName::*;
    assert_eq!(
        rules.matches(ObjectCreatedPut, "a/x"),
        [("hook", "narrow"), ("feed", "feed-all")]
    );
    assert_eq!(
        rules.matches(ObjectCreatedPut, "b/x"),
        [("feed", "feed-all"), ("hook", "wide")]
    );
    assert_eq!(
        rules.matches(ObjectRemovedDelete, "a/x"),
        [("hook", "removals"), ("feed", "feed-all")]
    );
    assert!(rules.matches(ObjectAccessedHead, "a/x").is_empty());
}

#[test]
fn wants_any_rule_for_the_name() {
    let mut narrow = rule(
        "",
        &["s3:ObjectCreated:Post", "s3:ObjectAccessed:Head"],
        HOOK,
    );
    narrow.prefix = "never/".into();
    let rules = compiled(vec![narrow]);
    use EventName::*;
    assert!(rules.wants(ObjectCreatedPost));
    assert!(rules.wants(ObjectAccessedHead));
    assert!(!rules.wants(ObjectCreatedPut));
    assert!(!rules.wants(ObjectAccessedGet));
    assert!(!rules.wants(ObjectRemovedDelete));
    assert!(!CompiledRules::default().wants(ObjectCreatedPut));
    assert!(
        CompiledRules::default()
            .matches(ObjectCreatedPut, "k")
            .is_empty()
    );
}

// --- minio shapes ---

#[test]
fn from_minio_npm_client_json() {
    // What `JSON.stringify(new NotificationConfig())` gives after
    // `const q = new QueueConfig(arn); q.addEvent(..); q.addFilterPrefix('a/'); config.add(q)`:
    // Queue first (set in the constructor); the second entry had `setId` called after.
    // This is the minio 7.0.x client's exact output (buildARN('minio','sqs','','hook',
    // 'webhook'), ObjectCreatedAll, ObjectRemovedAll, addFilterPrefix, addFilterSuffix).
    let text = r#"{"QueueConfiguration":[{"Queue":"arn:minio:sqs::hook:webhook","Event":["s3:ObjectCreated:*","s3:ObjectRemoved:*"],"Filter":{"S3Key":{"FilterRule":[{"Name":"prefix","Value":"a/"},{"Name":"suffix","Value":".png"}]}}},{"Queue":"arn:minio:sqs::feed:redis","Id":"feed-all","Event":["s3:ObjectCreated:Put"]}]}"#;
    let rules = BucketRules::from_minio(&serde_json::from_str(text).unwrap()).unwrap();
    assert_eq!(
        rules.rules,
        [
            Rule {
                id: String::new(),
                events: vec!["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()],
                prefix: "a/".into(),
                suffix: ".png".into(),
                target: HOOK.into(),
            },
            rule("feed-all", &["s3:ObjectCreated:Put"], FEED),
        ]
    );
    let (stored, _) = rules.validate(&resolve, false).unwrap();
    assert_eq!(ids(&stored), ["rule-1", "feed-all"]);
}

#[test]
fn from_minio_key_order_does_not_matter() {
    // setId called before the events, Filter before Event: same rule.
    let a = json!({"QueueConfiguration":[{"Id":"x","Queue":HOOK,"Filter":{"S3Key":{"FilterRule":[{"Value":"a/","Name":"prefix"}]}},"Event":["s3:ObjectCreated:Put"]}]});
    let b = json!({"QueueConfiguration":[{"Event":["s3:ObjectCreated:Put"],"Queue":HOOK,"Id":"x","Filter":{"S3Key":{"FilterRule":[{"Name":"prefix","Value":"a/"}]}}}]});
    let a = BucketRules::from_minio(&a).unwrap();
    assert_eq!(a, BucketRules::from_minio(&b).unwrap());
    assert_eq!(a.rules[0].prefix, "a/");
    assert_eq!(a.rules[0].id, "x");
}

#[test]
fn from_minio_lenient_shapes() {
    // Event as one string, FilterRule as one object, Name in any case.
    let config = json!({"QueueConfiguration":[{
        "Queue": HOOK, "Event": "s3:ObjectCreated:*",
        "Filter": {"S3Key": {"FilterRule": {"Name": "Suffix", "Value": ".jpg"}}}
    }]});
    let rules = BucketRules::from_minio(&config).unwrap();
    assert_eq!(rules.rules[0].events, ["s3:ObjectCreated:*"]);
    assert_eq!(rules.rules[0].suffix, ".jpg");
    assert_eq!(rules.rules[0].prefix, "");

    // Filter as the flat list getBucketNotification answers.
    let config = json!({"QueueConfiguration":[{
            "Id": "r", "Queue": HOOK, "Event": ["s3:ObjectCreated:*"],
            "Filter": [{"Name": "PREFIX", "Value": "p/"}, {"Name": "suffix", "Value": ".gif"}]
        }], "TopicConfiguration": [], "CloudFunctionConfiguration": []});
    let rules = BucketRules::from_minio(&config).unwrap();
    assert_eq!(
        (
            rules.rules[0].prefix.as_str(),
            rules.rules[0].suffix.as_str()
        ),
        ("p/", ".gif")
    );

    // Empty or null pieces.
    for filter in [
        json!(null),
        json!([]),
        json!({}),
        json!({"S3Key": {}}),
        json!({"S3Key": {"FilterRule": []}}),
    ] {
        let config = json!({"QueueConfiguration":[{"Queue": HOOK, "Event": [], "Filter": filter}]});
        let rules = BucketRules::from_minio(&config).unwrap();
        assert_eq!(
            (
                rules.rules[0].prefix.as_str(),
                rules.rules[0].suffix.as_str()
            ),
            ("", "")
        );
    }

    // No lists at all: no rules.
    assert!(
        BucketRules::from_minio(&json!({}))
            .unwrap()
            .rules
            .is_empty()
    );
    assert!(
        BucketRules::from_minio(&json!({"QueueConfiguration": null, "TopicConfiguration": null}))
            .unwrap()
            .rules
            .is_empty()
    );
}

fn minio_error(config: Value) -> String {
    BucketRules::from_minio(&config).unwrap_err().to_string()
}

#[test]
fn from_minio_refuses_what_it_does_not_know() {
    assert!(minio_error(json!([])).contains("must be a JSON object"));
    assert!(minio_error(json!("{}")).contains("must be a JSON object"));
    assert!(minio_error(json!(null)).contains("must be a JSON object"));
    assert_eq!(
        minio_error(
            json!({"TopicConfiguration": [{"Topic": "arn:minio:sns::x:y", "Event": ["s3:ObjectCreated:*"]}]})
        ),
        "picgate sends to queue targets (arn:minio:sqs::<id>:webhook); TopicConfiguration is not supported"
    );
    assert_eq!(
        minio_error(
            json!({"CloudFunctionConfiguration": [{"CloudFunction": "arn:x", "Event": []}]})
        ),
        "picgate sends to queue targets (arn:minio:sqs::<id>:webhook); CloudFunctionConfiguration is not supported"
    );
    assert!(
        minio_error(json!({"QueueConfigurations": []}))
            .contains("unknown key 'QueueConfigurations'")
    );
    assert!(minio_error(json!({"QueueConfiguration": {}})).contains("must be a list"));
    assert!(minio_error(json!({"QueueConfiguration": [1]})).starts_with("rule 1: "));

    let entry = |extra: Value| {
        let mut entry = json!({"Queue": HOOK, "Event": ["s3:ObjectCreated:*"]});
        for (k, v) in extra.as_object().unwrap() {
            entry[k] = v.clone();
        }
        json!({"QueueConfiguration": [{"Queue": FEED, "Event": "s3:ObjectCreated:*"}, entry]})
    };
    let message = minio_error(entry(json!({"Id": "x", "Topic": "t"})));
    assert!(
        message.starts_with("rule 2 (x): unknown key 'Topic'"),
        "{message}"
    );
    let message = minio_error(entry(json!({"queue": HOOK})));
    assert!(
        message.starts_with("rule 2: unknown key 'queue'"),
        "{message}"
    );
    let message = minio_error(json!({"QueueConfiguration": [{"Event": ["s3:ObjectCreated:*"]}]}));
    assert!(message.starts_with("rule 1: no Queue"), "{message}");
    let message = minio_error(json!({"QueueConfiguration": [{"Queue": HOOK}]}));
    assert!(message.starts_with("rule 1: no Event"), "{message}");
    let message = minio_error(entry(json!({"Event": [1]})));
    assert!(
        message.starts_with("rule 2: an Event must be a string"),
        "{message}"
    );
    let message = minio_error(entry(json!({"Queue": 5})));
    assert!(
        message.starts_with("rule 2: Queue must be a string"),
        "{message}"
    );
    let message = minio_error(entry(json!({"Id": 5})));
    assert!(
        message.starts_with("rule 2: Id must be a string"),
        "{message}"
    );

    let filter = |filter: Value| minio_error(entry(json!({"Filter": filter})));
    let message = filter(json!({"S3Key": {"FilterRule": [{"Name": "infix", "Value": "x"}]}}));
    assert!(message.contains("unknown filter rule 'infix'"), "{message}");
    let message =
        filter(json!([{"Name": "prefix", "Value": "a"}, {"Name": "Prefix", "Value": "b"}]));
    assert!(message.contains("'prefix' is given twice"), "{message}");
    let message = filter(json!({"Key": {"FilterRules": []}}));
    assert!(message.contains("unknown key 'Key' in Filter"), "{message}");
    let message = filter(json!({"S3Key": {"FilterRules": []}}));
    assert!(message.contains("unknown key 'FilterRules'"), "{message}");
    let message = filter(json!([{"Name": "prefix", "Value": "a", "Extra": 1}]));
    assert!(
        message.contains("unknown key 'Extra' in a filter rule"),
        "{message}"
    );
    let message = filter(json!([{"Value": "a"}]));
    assert!(message.contains("needs a Name"), "{message}");
    let message = filter(json!([{"Name": "prefix", "Value": 3}]));
    assert!(message.contains("must be a string"), "{message}");
    let message = filter(json!("prefix"));
    assert!(
        message.contains("Filter must be an object or a list"),
        "{message}"
    );
    let message = filter(json!([["prefix", "a"]]));
    assert!(
        message.contains("a filter rule must be an object"),
        "{message}"
    );
}

#[test]
fn to_minio_shape() {
    let mut both = rule(
        "both",
        &["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
        HOOK,
    );
    both.prefix = "a/".into();
    both.suffix = ".png".into();
    let mut suffix = rule("suffix", &["s3:ObjectCreated:Put"], FEED);
    suffix.suffix = ".jpg".into();
    let rules = BucketRules {
        rules: vec![both, suffix, rule("none", &["s3:ObjectRemoved:*"], HOOK)],
    };
    assert_eq!(
        rules.to_minio(),
        json!({
            "QueueConfiguration": [
                {
                    "Id": "both", "Queue": HOOK,
                    "Event": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
                    "Filter": [{"Name": "prefix", "Value": "a/"}, {"Name": "suffix", "Value": ".png"}]
                },
                {
                    "Id": "suffix", "Queue": FEED, "Event": ["s3:ObjectCreated:Put"],
                    "Filter": [{"Name": "suffix", "Value": ".jpg"}]
                },
                { "Id": "none", "Queue": HOOK, "Event": ["s3:ObjectRemoved:*"], "Filter": [] }
            ],
            "TopicConfiguration": [],
            "CloudFunctionConfiguration": []
        })
    );
    assert_eq!(
        BucketRules::default().to_minio(),
        json!({"QueueConfiguration": [], "TopicConfiguration": [], "CloudFunctionConfiguration": []})
    );
}

#[test]
fn minio_round_trip() {
    let mut r = rule("r", &["s3:ObjectCreated:*"], HOOK);
    r.prefix = "x/".into();
    let rules = BucketRules {
        rules: vec![r, rule("s", &["s3:ObjectRemoved:*"], FEED)],
    };
    assert_eq!(BucketRules::from_minio(&rules.to_minio()).unwrap(), rules);
}
