//! What happened to an object, and the S3 event message (MinIO's webhook body) made of it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, UtcOffset};

/// An S3 event name picgate produces (`s3:ObjectCreated:Put` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventName {
    /// `s3:ObjectCreated:Put`: a raw-body upload (`PUT …/objects/{key}`, the seed's `putObject`).
    ObjectCreatedPut,
    /// `s3:ObjectCreated:Post`: a multipart form upload (native POST, upload tools).
    ObjectCreatedPost,
    /// `s3:ObjectCreated:Copy`: accepted in rules; picgate has no copy yet.
    ObjectCreatedCopy,
    /// `s3:ObjectCreated:CompleteMultipartUpload`: accepted in rules; picgate uploads are one
    /// request each and never produce it.
    ObjectCreatedCompleteMultipartUpload,
    /// `s3:ObjectRemoved:Delete`.
    ObjectRemovedDelete,
    /// `s3:ObjectAccessed:Get`: a read of the bytes (only with `notify.access_events`).
    ObjectAccessedGet,
    /// `s3:ObjectAccessed:Head`.
    ObjectAccessedHead,
}

impl EventName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ObjectCreatedPut => "s3:ObjectCreated:Put",
            Self::ObjectCreatedPost => "s3:ObjectCreated:Post",
            Self::ObjectCreatedCopy => "s3:ObjectCreated:Copy",
            Self::ObjectCreatedCompleteMultipartUpload => {
                "s3:ObjectCreated:CompleteMultipartUpload"
            }
            Self::ObjectRemovedDelete => "s3:ObjectRemoved:Delete",
            Self::ObjectAccessedGet => "s3:ObjectAccessed:Get",
            Self::ObjectAccessedHead => "s3:ObjectAccessed:Head",
        }
    }

    /// Whether it is an `s3:ObjectAccessed:*` event.
    pub fn is_access(self) -> bool {
        matches!(self, Self::ObjectAccessedGet | Self::ObjectAccessedHead)
    }

    /// Whether it is an `s3:ObjectCreated:*` event.
    fn is_created(self) -> bool {
        matches!(
            self,
            Self::ObjectCreatedPut
                | Self::ObjectCreatedPost
                | Self::ObjectCreatedCopy
                | Self::ObjectCreatedCompleteMultipartUpload
        )
    }

    /// Whether it is an `s3:ObjectRemoved:*` event.
    fn is_removal(self) -> bool {
        matches!(self, Self::ObjectRemovedDelete)
    }

    /// Every event name, in declaration order.
    const ALL: [EventName; 7] = [
        Self::ObjectCreatedPut,
        Self::ObjectCreatedPost,
        Self::ObjectCreatedCopy,
        Self::ObjectCreatedCompleteMultipartUpload,
        Self::ObjectRemovedDelete,
        Self::ObjectAccessedGet,
        Self::ObjectAccessedHead,
    ];
}

/// What a rule's `Event` entry names: one event, or a family (`s3:ObjectCreated:*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPattern {
    Exact(EventName),
    AllCreated,
    AllRemoved,
    AllAccessed,
}

impl EventPattern {
    /// Every name [`EventPattern::parse`] takes.
    pub const NAMES: [&str; 10] = [
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectAccessed:*",
        "s3:ObjectAccessed:Get",
        "s3:ObjectAccessed:Head",
    ];

    /// Parses `s3:ObjectCreated:*`, `s3:ObjectCreated:Put` …; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "s3:ObjectCreated:*" => Some(Self::AllCreated),
            "s3:ObjectRemoved:*" => Some(Self::AllRemoved),
            "s3:ObjectAccessed:*" => Some(Self::AllAccessed),
            _ => EventName::ALL
                .into_iter()
                .find(|name| name.as_str() == s)
                .map(Self::Exact),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact(name) => name.as_str(),
            Self::AllCreated => "s3:ObjectCreated:*",
            Self::AllRemoved => "s3:ObjectRemoved:*",
            Self::AllAccessed => "s3:ObjectAccessed:*",
        }
    }

    pub fn matches(self, name: EventName) -> bool {
        match self {
            Self::Exact(exact) => exact == name,
            Self::AllCreated => name.is_created(),
            Self::AllRemoved => name.is_removal(),
            Self::AllAccessed => name.is_access(),
        }
    }

    /// Whether it names (or covers) `s3:ObjectAccessed:*` events.
    pub fn is_access(self) -> bool {
        match self {
            Self::Exact(name) => name.is_access(),
            Self::AllAccessed => true,
            Self::AllCreated | Self::AllRemoved => false,
        }
    }
}

/// What happened, as the service layer reports it. Serialised into the queue as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: EventName,
    pub bucket: String,
    /// The object key, as stored (not encoded).
    pub key: String,
    /// Created and accessed events: the object's size in bytes, ETag (without quotes) and
    /// content type. `None` for removals.
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The user id that did it (`userIdentity.principalId`); `None` for an anonymous read or a
    /// deletion link.
    pub actor: Option<String>,
    /// The user id owning the object, when known.
    pub owner: Option<String>,
    /// The client profile of the request (`pc`, `h5`).
    pub client: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// What the message of one event to one target carries besides the event.
pub struct MessageContext<'a> {
    /// The event's id (a UUID), also the `webhook-id` header: the same on every attempt.
    pub event_id: &'a str,
    /// The id of the rule that matched (`s3.configurationId`).
    pub configuration_id: &'a str,
    /// `awsRegion` (`notify.region`).
    pub region: &'a str,
}

/// The S3 event message MinIO POSTs to a webhook: `{"EventName", "Key": "<bucket>/<key>",
/// "Records": [<one S3 event record>]}`, the record as in the S3 event message structure
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>)
/// with MinIO's values (`eventSource: "minio:s3"`, `s3.object.key` escaped as Go's
/// `url.QueryEscape`, `sequencer` the event time in nanoseconds as upper-case hex), plus
/// picgate's own fields under `Records[0].picgate` (`eventId`, `owner`, `client`,
/// `requestId`).
pub fn message(event: &Event, context: &MessageContext<'_>) -> serde_json::Value {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let principal = text(&event.actor);
    let source_ip = text(&event.source_ip);
    let nanos = event.time.unix_timestamp_nanos().max(0);

    let mut object = Map::new();
    object.insert("key".into(), Value::from(query_escape(&event.key)));
    if !event.name.is_removal() {
        if let Some(size) = event.size {
            object.insert("size".into(), Value::from(size));
        }
        if let Some(etag) = &event.etag {
            object.insert("eTag".into(), Value::from(etag.as_str()));
        }
        if let Some(content_type) = &event.content_type {
            object.insert("contentType".into(), Value::from(content_type.as_str()));
            object.insert(
                "userMetadata".into(),
                json!({ "content-type": content_type }),
            );
        }
    }
    object.insert("sequencer".into(), Value::from(format!("{nanos:X}")));

    let mut picgate = Map::new();
    picgate.insert("eventId".into(), Value::from(context.event_id));
    for (field, value) in [
        ("owner", &event.owner),
        ("client", &event.client),
        ("requestId", &event.request_id),
    ] {
        if let Some(value) = value {
            picgate.insert(field.into(), Value::from(value.as_str()));
        }
    }

    let record = json!({
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": context.region,
        "eventTime": event_time(event.time),
        "eventName": event.name.as_str(),
        "userIdentity": { "principalId": principal },
        "requestParameters": {
            "principalId": principal,
            "region": context.region,
            "sourceIPAddress": source_ip,
        },
        "responseElements": { "x-amz-request-id": text(&event.request_id) },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": context.configuration_id,
            "bucket": {
                "name": event.bucket,
                "ownerIdentity": { "principalId": principal },
                "arn": format!("arn:aws:s3:::{}", event.bucket),
            },
            "object": object,
        },
        "source": { "host": source_ip, "port": "", "userAgent": text(&event.user_agent) },
        "picgate": picgate,
    });
    json!({
        "EventName": event.name.as_str(),
        "Key": format!("{}/{}", event.bucket, event.key),
        "Records": [record],
    })
}

/// `eventTime`: RFC 3339 in UTC with milliseconds, `2026-12-01T00:00:00.123Z` (MinIO's
/// `AMZTimeFormat`).
fn event_time(time: OffsetDateTime) -> String {
    let utc = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond(),
    )
}

/// Go's `url.QueryEscape`, as MinIO escapes `s3.object.key`: unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`) stay, a space becomes `+`, every other byte `%XX` (upper case).
pub fn query_escape(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn created() -> Event {
        Event {
            name: EventName::ObjectCreatedPut,
            bucket: "images".into(),
            key: "a b/c.png".into(),
            size: Some(67),
            etag: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
            content_type: Some("image/png".into()),
            time: datetime!(2026-12-01 00:00:00.123456789 UTC),
            actor: Some("user-1".into()),
            owner: Some("owner-1".into()),
            client: Some("pc".into()),
            source_ip: Some("127.0.0.1".into()),
            user_agent: Some("curl/8".into()),
            request_id: Some("req-1".into()),
        }
    }

    fn context() -> MessageContext<'static> {
        MessageContext {
            event_id: "ev-1",
            configuration_id: "rule-1",
            region: "",
        }
    }

    #[test]
    fn event_names() {
        assert_eq!(EventName::ObjectCreatedPut.as_str(), "s3:ObjectCreated:Put");
        assert_eq!(
            EventName::ObjectCreatedPost.as_str(),
            "s3:ObjectCreated:Post"
        );
        assert_eq!(
            EventName::ObjectCreatedCopy.as_str(),
            "s3:ObjectCreated:Copy"
        );
        assert_eq!(
            EventName::ObjectCreatedCompleteMultipartUpload.as_str(),
            "s3:ObjectCreated:CompleteMultipartUpload"
        );
        assert_eq!(
            EventName::ObjectRemovedDelete.as_str(),
            "s3:ObjectRemoved:Delete"
        );
        assert_eq!(
            EventName::ObjectAccessedGet.as_str(),
            "s3:ObjectAccessed:Get"
        );
        assert_eq!(
            EventName::ObjectAccessedHead.as_str(),
            "s3:ObjectAccessed:Head"
        );
        let access: Vec<_> = EventName::ALL
            .into_iter()
            .filter(|n| n.is_access())
            .collect();
        assert_eq!(
            access,
            [EventName::ObjectAccessedGet, EventName::ObjectAccessedHead]
        );
    }

    #[test]
    fn patterns_parse_and_round_trip() {
        for text in EventPattern::NAMES {
            let pattern = EventPattern::parse(text).unwrap();
            assert_eq!(pattern.as_str(), text);
        }
        for name in EventName::ALL {
            assert_eq!(
                EventPattern::parse(name.as_str()),
                Some(EventPattern::Exact(name))
            );
        }
        assert_eq!(
            EventPattern::parse("s3:ObjectCreated:*"),
            Some(EventPattern::AllCreated)
        );
        assert_eq!(
            EventPattern::parse("s3:ObjectRemoved:*"),
            Some(EventPattern::AllRemoved)
        );
        assert_eq!(
            EventPattern::parse("s3:ObjectAccessed:*"),
            Some(EventPattern::AllAccessed)
        );
    }

    #[test]
    fn patterns_refuse_anything_else() {
        for text in [
            "",
            "*",
            "s3:*",
            "s3:ObjectCreated",
            "s3:ObjectCreated:",
            "s3:objectcreated:put",
            "s3:ObjectCreated:put",
            "S3:ObjectCreated:Put",
            "s3:ObjectCreated:Putt",
            " s3:ObjectCreated:Put",
            "s3:ObjectCreated:Put ",
            "s3:ObjectRemoved:DeleteMarkerCreated",
            "s3:ObjectAccessed:Attributes",
            "s3:ObjectRestore:*",
            "ObjectCreatedPut",
        ] {
            assert_eq!(EventPattern::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn pattern_matching() {
        use EventName::*;
        let created = [
            ObjectCreatedPut,
            ObjectCreatedPost,
            ObjectCreatedCopy,
            ObjectCreatedCompleteMultipartUpload,
        ];
        for name in EventName::ALL {
            assert_eq!(
                EventPattern::AllCreated.matches(name),
                created.contains(&name)
            );
            assert_eq!(
                EventPattern::AllRemoved.matches(name),
                name == ObjectRemovedDelete
            );
            assert_eq!(EventPattern::AllAccessed.matches(name), name.is_access());
            for other in EventName::ALL {
                assert_eq!(EventPattern::Exact(name).matches(other), name == other);
            }
        }
    }

    #[test]
    fn pattern_is_access() {
        for text in EventPattern::NAMES {
            let pattern = EventPattern::parse(text).unwrap();
            assert_eq!(
                pattern.is_access(),
                text.starts_with("s3:ObjectAccessed:"),
                "{text}"
            );
        }
    }

    #[test]
    fn query_escape_is_gos() {
        assert_eq!(query_escape(""), "");
        assert_eq!(query_escape("a b/c.png"), "a+b%2Fc.png");
        assert_eq!(query_escape("a+b"), "a%2Bb");
        assert_eq!(query_escape("100%"), "100%25");
        assert_eq!(query_escape("-_.~"), "-_.~");
        assert_eq!(query_escape("AZaz09"), "AZaz09");
        assert_eq!(query_escape("图片.png"), "%E5%9B%BE%E7%89%87.png");
        assert_eq!(query_escape("é"), "%C3%A9");
        assert_eq!(
            query_escape("a&b=c?d#e:f;g@h,i$j!k'l(m)n*o"),
            "a%26b%3Dc%3Fd%23e%3Af%3Bg%40h%2Ci%24j%21k%27l%28m%29n%2Ao"
        );
        assert_eq!(query_escape("\n\t\u{7f}"), "%0A%09%7F");
    }

    #[test]
    fn message_of_a_created_event() {
        let message = message(&created(), &context());
        let expected = json!({
            "EventName": "s3:ObjectCreated:Put",
            "Key": "images/a b/c.png",
            "Records": [{
                "eventVersion": "2.0",
                "eventSource": "minio:s3",
                "awsRegion": "",
                "eventTime": "2026-12-01T00:00:00.123Z",
                "eventName": "s3:ObjectCreated:Put",
                "userIdentity": { "principalId": "user-1" },
                "requestParameters": {
                    "principalId": "user-1",
                    "region": "",
                    "sourceIPAddress": "127.0.0.1"
                },
                "responseElements": { "x-amz-request-id": "req-1" },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "rule-1",
                    "bucket": {
                        "name": "images",
                        "ownerIdentity": { "principalId": "user-1" },
                        "arn": "arn:aws:s3:::images"
                    },
                    "object": {
                        "key": "a+b%2Fc.png",
                        "size": 67,
                        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                        "contentType": "image/png",
                        "userMetadata": { "content-type": "image/png" },
                        "sequencer": format!("{:X}", 1_796_083_200_123_456_789_i128)
                    }
                },
                "source": { "host": "127.0.0.1", "port": "", "userAgent": "curl/8" },
                "picgate": {
                    "eventId": "ev-1",
                    "owner": "owner-1",
                    "client": "pc",
                    "requestId": "req-1"
                }
            }]
        });
        assert_eq!(message, expected);
        assert_eq!(
            message["Records"][0]["s3"]["object"]["sequencer"],
            "18ECF8278A67CD15"
        );
    }

    #[test]
    fn message_of_a_removal() {
        let event = Event {
            name: EventName::ObjectRemovedDelete,
            size: None,
            etag: None,
            content_type: None,
            actor: None,
            owner: None,
            client: None,
            source_ip: None,
            user_agent: None,
            request_id: None,
            ..created()
        };
        let context = MessageContext {
            event_id: "ev-2",
            configuration_id: "gone",
            region: "eu-1",
        };
        let message = message(&event, &context);
        assert_eq!(message["EventName"], "s3:ObjectRemoved:Delete");
        let record = &message["Records"][0];
        assert_eq!(record["eventName"], "s3:ObjectRemoved:Delete");
        assert_eq!(record["awsRegion"], "eu-1");
        assert_eq!(record["requestParameters"]["region"], "eu-1");
        assert_eq!(record["userIdentity"]["principalId"], "");
        assert_eq!(record["requestParameters"]["principalId"], "");
        assert_eq!(record["requestParameters"]["sourceIPAddress"], "");
        assert_eq!(record["responseElements"]["x-amz-request-id"], "");
        assert_eq!(record["s3"]["configurationId"], "gone");
        assert_eq!(record["s3"]["bucket"]["ownerIdentity"]["principalId"], "");
        assert_eq!(
            record["source"],
            json!({ "host": "", "port": "", "userAgent": "" })
        );
        assert_eq!(
            record["s3"]["object"],
            json!({ "key": "a+b%2Fc.png", "sequencer": "18ECF8278A67CD15" })
        );
        assert_eq!(record["picgate"], json!({ "eventId": "ev-2" }));
        assert!(!message.to_string().contains("null"));
    }

    #[test]
    fn removal_never_carries_object_details() {
        let event = Event {
            name: EventName::ObjectRemovedDelete,
            ..created()
        };
        let message = message(&event, &context());
        let object = message["Records"][0]["s3"]["object"].as_object().unwrap();
        let keys: Vec<_> = object.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 2);
        assert!(object.contains_key("key") && object.contains_key("sequencer"));
    }

    #[test]
    fn partial_object_details_omit_what_is_unknown() {
        let event = Event {
            name: EventName::ObjectAccessedGet,
            etag: None,
            content_type: None,
            ..created()
        };
        let message = message(&event, &context());
        assert_eq!(
            message["Records"][0]["s3"]["object"],
            json!({ "key": "a+b%2Fc.png", "size": 67, "sequencer": "18ECF8278A67CD15" })
        );
        assert_eq!(message["Records"][0]["eventName"], "s3:ObjectAccessed:Get");
    }

    #[test]
    fn event_time_is_utc_with_milliseconds() {
        let event = Event {
            time: datetime!(2026-12-01 08:00:00.5 +08:00),
            ..created()
        };
        let message = message(&event, &context());
        assert_eq!(
            message["Records"][0]["eventTime"],
            "2026-12-01T00:00:00.500Z"
        );
        assert_eq!(
            event_time(datetime!(2001-02-03 04:05:06 UTC)),
            "2001-02-03T04:05:06.000Z"
        );
        let parsed = OffsetDateTime::parse(
            &event_time(created().time),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(parsed, datetime!(2026-12-01 00:00:00.123 UTC));
    }

    #[test]
    fn sequencer_is_upper_hex_nanoseconds() {
        let event = Event {
            time: datetime!(1970-01-01 00:00:00.000000255 UTC),
            ..created()
        };
        assert_eq!(
            message(&event, &context())["Records"][0]["s3"]["object"]["sequencer"],
            "FF"
        );
        let event = Event {
            time: datetime!(1969-12-31 23:59:59 UTC),
            ..created()
        };
        assert_eq!(
            message(&event, &context())["Records"][0]["s3"]["object"]["sequencer"],
            "0"
        );
    }

    #[test]
    fn event_round_trips_through_serde() {
        let event = created();
        let text = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, event);
    }
}
