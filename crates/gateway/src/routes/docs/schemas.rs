//! Schema rules the derive cannot say: shaped fields are optional, keys follow their rules.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOf, ObjectBuilder, Schema, Type};
use utoipa::{Modify, ToSchema};

use super::operations_mut;
use crate::views::{self, View};

/// Every field of a shaped resource can be left out (`?fields=`, the client's profile), so
/// none is required; untagged unions of such resources become `anyOf` (an answer may match
/// more than one branch).
pub(super) struct ShapedFields;

impl ShapedFields {
    fn shaped() -> Vec<String> {
        fn name<V: View + ToSchema>() -> String {
            V::name().into_owned()
        }
        vec![
            name::<views::ObjectView>(),
            name::<views::ListedObjectView>(),
            name::<views::UploadView>(),
            name::<views::UserView>(),
            name::<views::BucketView>(),
            name::<views::SessionView>(),
            name::<views::SignedLinkView>(),
            name::<views::DeletionView>(),
            name::<views::PolicyView>(),
            name::<views::ApiTokenView>(),
            name::<views::InvitationView>(),
            name::<views::OverviewView>(),
            name::<views::OverviewBucketView>(),
            name::<views::RecentUploadView>(),
            name::<views::compat::MinioObject>(),
            name::<views::compat::MinioBucket>(),
            "UploadItemView".to_owned(),
            // One upload's object, or several uploads' items.
            "UploadAnswer".to_owned(),
        ]
    }
}

/// Clears `required` in `schema` and every schema nested in it (properties, array items,
/// compositions): a generic envelope inlines its `data`, so the shaped resources inside it are
/// copies that the component-level clearing does not reach.
fn clear_required_deep(schema: &mut Schema) {
    let nested = |r: &mut RefOr<Schema>| {
        if let RefOr::T(inner) = r {
            clear_required_deep(inner);
        }
    };
    match schema {
        Schema::Object(object) => {
            object.required.clear();
            object.properties.values_mut().for_each(nested);
        }
        Schema::Array(array) => {
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(items) = &mut array.items {
                nested(items);
            }
        }
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(nested),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(nested),
        Schema::OneOf(one_of) => {
            // Without required fields the branches overlap: an answer may match several.
            let mut any_of = AnyOf::new();
            any_of.items = std::mem::take(&mut one_of.items);
            any_of.description = one_of.description.take();
            any_of.items.iter_mut().for_each(nested);
            *schema = Schema::AnyOf(any_of);
        }
        _ => {}
    }
}

fn clear_required(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => object.required.clear(),
        Schema::AllOf(all_of) => {
            for item in &mut all_of.items {
                if let RefOr::T(inner) = item {
                    clear_required(inner);
                }
            }
        }
        _ => {}
    }
}

impl Modify for ShapedFields {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        let Some(components) = spec.components.as_mut() else {
            return;
        };
        let shaped = Self::shaped();
        for (name, schema) in components.schemas.iter_mut() {
            let RefOr::T(schema) = schema else { continue };
            if shaped.contains(name) {
                clear_required(schema);
            }
            // `OkEnvelope_UserView`, `MultiStatusEnvelope_ItemsView_UploadItemView`, …: the
            // shaped resource inlined as `data`.
            let envelope_of_shaped = name.contains("Envelope_")
                && shaped.iter().any(|view| name.contains(view.as_str()));
            if envelope_of_shaped
                && let Schema::Object(envelope) = schema
                && let Some(RefOr::T(data)) = envelope.properties.get_mut("data")
            {
                clear_required_deep(data);
            }
            if let Schema::OneOf(one_of) = schema {
                let mut any_of = AnyOf::new();
                any_of.items = std::mem::take(&mut one_of.items);
                any_of.description = one_of.description.take();
                *schema = Schema::AnyOf(any_of);
            }
        }
    }
}

/// One segment of an object key: not empty, `.` or `..`, no `/`, backslash or control
/// character, at most 60 characters (240 bytes), no whitespace at either end.
const KEY_SEGMENT: &str = r"(?!\.\.?(?:/|$))[^\s/\\\x00-\x1f\x7f-\x9f](?:[^/\\\x00-\x1f\x7f-\x9f]{0,58}[^\s/\\\x00-\x1f\x7f-\x9f])?";

/// The rules of `{key}` and `prefix`, as patterns.
pub(super) struct KeyRules;

impl Modify for KeyRules {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        let key = format!("^{KEY_SEGMENT}(?:/{KEY_SEGMENT}){{0,3}}$");
        let folder = format!("^(?:{KEY_SEGMENT}(?:/{KEY_SEGMENT}){{0,2}}/?)?$");
        if let Some(RefOr::T(Schema::Object(form))) = spec
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("UploadForm"))
        {
            // Other fields are skipped; their names are header parameters, without control characters.
            form.property_names = Some(Box::new(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^[^\x00-\x1f\x7f]*$"))
                    .into(),
            ));
            // A `folder` field before the files is their folder: the key rules apply.
            if form.properties.contains_key("folder") {
                form.properties.insert(
                    "folder".into(),
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(folder.clone()))
                        .into(),
                );
            }
        }
        for item in spec.paths.paths.values_mut() {
            for (_, op) in operations_mut(item) {
                for param in op.parameters.iter_mut().flatten() {
                    let pattern = match param.name.as_str() {
                        "key" => key.clone(),
                        "prefix" => r"^[^\\\x00-\x1f\x7f-\x9f]{0,255}$".to_owned(),
                        "folder" => folder.clone(),
                        _ => continue,
                    };
                    param.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(pattern))
                            .into(),
                    );
                }
            }
        }
    }
}

/// The client profile header on every native operation: `pc` (full metadata) or `h5` (the
/// slim shapes; README, "Client profiles"). Without it the profile is guessed from
/// `User-Agent`.
pub(super) struct ClientProfile;

impl Modify for ClientProfile {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::Required;
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        for (path, item) in spec.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            for (_, op) in operations_mut(item) {
                let header = ParameterBuilder::new()
                    .name("X-Client")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "The client profile: `pc` (full metadata) or `h5` (slim shapes; \
                         `mobile` too); any other value, or none, is guessed from User-Agent",
                    ))
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .examples(["pc", "h5"]),
                    ))
                    .build();
                op.parameters.get_or_insert_with(Vec::new).push(header);
            }
        }
    }
}
