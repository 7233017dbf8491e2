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
        ]
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
