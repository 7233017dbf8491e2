use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::{Map, Value};

use super::View;
use crate::client_kind::ClientKind;
use crate::error::{ApiError, Code};
use crate::profiles::{Profile, Profiles};

/// What every item of a listing shares, sent once: the key folder of the listing's `prefix`
/// (up to its last `/`) and the link of that folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBases {
    /// Each item's full key is this followed by its `key`.
    pub key_base: String,
    /// Each item's link is this followed by its `key`, each segment percent-encoded.
    pub url_base: String,
}

/// How the calling client wants resources shaped: its profile, plus `?fields=` if given.
#[derive(Debug, Clone)]
pub struct Shape {
    profile: Profile,
    requested: Option<Vec<String>>,
}

impl Shape {
    pub fn new(profile: Profile, requested: Option<Vec<String>>) -> Self {
        Self { profile, requested }
    }

    /// Checks `?fields=` against `V` before anything is done: a request that will be
    /// answered 400 `unknown_field` must not upload or delete first.
    pub fn check<V: View>(&self) -> Result<(), ApiError> {
        self.selected::<V>().map(|_| ())
    }

    /// This shape without `?fields=`: for the parts of an answer that the query's field names
    /// do not address (the sections inside an overview).
    pub fn profile_only(&self) -> Shape {
        Shape::new(self.profile.clone(), None)
    }

    /// How many recent uploads the overview lists for this client.
    pub fn overview_recent(&self) -> usize {
        self.profile.overview_recent
    }

    pub fn page_size(&self, requested: Option<usize>) -> usize {
        self.profile.page_size(requested)
    }

    /// Whether `?fields=` names `field` of `V` and the profile lets it through: for fields
    /// that cost extra work to fill, sent only when asked for by name.
    pub fn asks_for<V: View>(&self, field: &str) -> bool {
        let named = self
            .requested
            .as_ref()
            .is_some_and(|r| r.iter().any(|f| f == field));
        let allowed = self
            .profile
            .fields(V::RESOURCE)
            .is_none_or(|p| p.iter().any(|f| f == field));
        named && allowed
    }

    /// One view as JSON with only the fields this client gets.
    /// The items of a listing, shaped for the client, and — when its profile sends links once
    /// per listing (`list_url_base`) and `?fields=` does not name `url` — the bases to send
    /// with them: the items then carry no `url`, and their `key` is relative to
    /// [`ListBases::key_base`].
    pub fn listed<V: View>(
        &self,
        views: &[V],
        bases: impl FnOnce() -> ListBases,
    ) -> Result<(Vec<Value>, Option<ListBases>), ApiError> {
        let mut items = self.many(views)?;
        let named_url = self
            .requested
            .as_ref()
            .is_some_and(|r| r.iter().any(|f| f == "url"));
        if !self.profile.list_url_base || named_url {
            return Ok((items, None));
        }
        let bases = bases();
        for item in &mut items {
            if let Value::Object(fields) = item {
                fields.remove("url");
                if let Some(Value::String(key)) = fields.get_mut("key")
                    && let Some(rest) = key.strip_prefix(bases.key_base.as_str())
                {
                    *key = rest.to_owned();
                }
            }
        }
        Ok((items, Some(bases)))
    }

    pub fn one<V: View>(&self, view: &V) -> Result<Value, ApiError> {
        let keep = self.selected::<V>()?;
        let value = serde_json::to_value(view).map_err(ApiError::internal)?;
        Ok(retain(value, keep.as_deref()))
    }

    pub fn many<V: View>(&self, views: &[V]) -> Result<Vec<Value>, ApiError> {
        let keep = self.selected::<V>()?;
        views
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .map(|value| retain(value, keep.as_deref()))
                    .map_err(ApiError::internal)
            })
            .collect()
    }

    /// The fields to keep: the profile's set, narrowed by `?fields=`; `None` keeps all.
    fn selected<V: View>(&self) -> Result<Option<Vec<String>>, ApiError> {
        if let Some(requested) = &self.requested
            && let Some(bad) = requested.iter().find(|f| !V::FIELDS.contains(&f.as_str()))
        {
            return Err(ApiError::new(
                Code::UnknownField,
                format!(
                    "'{}' has no field '{bad}'; it has: {}",
                    V::RESOURCE,
                    V::FIELDS.join(", ")
                ),
            ));
        }
        let profile = self.profile.fields(V::RESOURCE);
        Ok(match (profile, &self.requested) {
            (None, None) => None,
            (Some(p), None) => Some(p.to_vec()),
            (None, Some(r)) => Some(r.clone()),
            (Some(p), Some(r)) => Some(r.iter().filter(|f| p.contains(f)).cloned().collect()),
        })
    }
}

fn retain(value: Value, keep: Option<&[String]>) -> Value {
    match (value, keep) {
        (Value::Object(map), Some(keep)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| keep.iter().any(|f| f == k))
                .collect::<Map<_, _>>(),
        ),
        (value, _) => value,
    }
}

fn parse_fields(query: &str) -> Option<Vec<String>> {
    let raw = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
    let list = raw.0.into_iter().find(|(k, _)| k == "fields")?.1;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

impl FromRequest for Shape {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let kind = match ClientKind::from_request(req, payload).into_inner() {
            Ok(kind) => kind,
            Err(_) => ClientKind::Pc,
        };
        let Some(profiles) = req.app_data::<web::Data<Profiles>>() else {
            return ready(Err(ApiError::internal(anyhow::anyhow!(
                "profiles are not registered"
            ))));
        };
        ready(Ok(Shape::new(
            profiles.get(kind).clone(),
            parse_fields(req.query_string()),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Thing {
        a: u8,
        b: u8,
        c: u8,
    }

    impl View for Thing {
        const RESOURCE: &'static str = "thing";
        const FIELDS: &'static [&'static str] = &["a", "b", "c"];
    }

    fn profile(fields: &[&str]) -> Profile {
        let mut map = BTreeMap::new();
        if !fields.is_empty() {
            map.insert(
                "thing".to_owned(),
                fields.iter().map(|s| s.to_string()).collect(),
            );
        }
        Profile {
            default_page_size: 10,
            max_page_size: 100,
            fields: map,
            list_url_base: false,
            overview_recent: 10,
            variant_width: 1280,
        }
    }

    fn keys(v: &Value) -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn profile_fields_narrow_and_query_narrows_further() {
        let thing = Thing { a: 1, b: 2, c: 3 };
        let all = Shape::new(profile(&[]), None).one(&thing).unwrap();
        assert_eq!(keys(&all), ["a", "b", "c"]);
        let slim = Shape::new(profile(&["a", "b"]), None).one(&thing).unwrap();
        assert_eq!(keys(&slim), ["a", "b"]);
        let narrower = Shape::new(profile(&["a", "b"]), Some(vec!["b".into(), "c".into()]))
            .one(&thing)
            .unwrap();
        assert_eq!(keys(&narrower), ["b"]);
    }

    #[test]
    fn an_unknown_field_is_an_error() {
        let err = Shape::new(profile(&[]), Some(vec!["nope".into()]))
            .one(&Thing { a: 1, b: 2, c: 3 })
            .unwrap_err();
        assert_eq!(err.code(), Code::UnknownField);
    }

    #[test]
    fn fields_parse_from_the_query_string() {
        assert_eq!(
            parse_fields("x=1&fields=key,%20url,,size"),
            Some(vec!["key".into(), "url".into(), "size".into()])
        );
        assert_eq!(parse_fields("x=1"), None);
    }
}
