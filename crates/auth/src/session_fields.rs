//! A `Session` as the flat field/value pairs of a Redis hash.

use std::collections::HashMap;

use crate::session::Session;

pub(crate) fn encode(s: &Session) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("user_id", s.user_id.to_string()),
        ("epoch", s.epoch.to_string()),
        ("ttl", s.ttl_secs.to_string()),
        ("refresh_hash", s.refresh_hash.clone()),
        ("created_at", s.created_at.to_string()),
        ("last_seen", s.last_seen.to_string()),
    ];
    if let Some(ua) = &s.user_agent {
        fields.push(("user_agent", ua.clone()));
    }
    if let Some(ip) = &s.ip {
        fields.push(("ip", ip.clone()));
    }
    fields
}

/// `None` when the hash is empty (no such session) or incomplete (sessions stored before the
/// epoch existed included), which is treated the same: a token naming it is not accepted.
pub(crate) fn decode(id: &str, f: &HashMap<String, String>) -> Option<Session> {
    Some(Session {
        id: id.to_owned(),
        user_id: f.get("user_id")?.parse().ok()?,
        epoch: f.get("epoch")?.parse().ok()?,
        refresh_hash: f.get("refresh_hash")?.clone(),
        user_agent: f.get("user_agent").cloned(),
        ip: f.get("ip").cloned(),
        created_at: f.get("created_at")?.parse().ok()?,
        last_seen: f.get("last_seen")?.parse().ok()?,
        ttl_secs: f.get("ttl")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_survives_encoding_and_decoding() {
        for (ua, ip) in [
            (Some("curl/8".to_owned()), Some("10.0.0.1".to_owned())),
            (None, None),
        ] {
            let s = Session {
                id: "abc".into(),
                user_id: uuid::Uuid::new_v4(),
                epoch: 7,
                refresh_hash: "ff".into(),
                user_agent: ua,
                ip,
                created_at: 1,
                last_seen: 2,
                ttl_secs: 60,
            };
            let map = encode(&s)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            assert_eq!(decode("abc", &map), Some(s));
        }
    }

    #[test]
    fn an_incomplete_hash_is_no_session() {
        let map = HashMap::from([("last_seen".to_owned(), "5".to_owned())]);
        assert_eq!(decode("abc", &map), None);
        assert_eq!(decode("abc", &HashMap::new()), None);
    }
}
