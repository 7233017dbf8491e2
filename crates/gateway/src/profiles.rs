//! Client profiles (the BFF part): per client kind, the fields each resource view carries and
//! the page sizes. Loaded from `[profiles.pc]` / `[profiles.h5]`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::client_kind::ClientKind;
use crate::views;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profiles {
    pub pc: Profile,
    pub h5: Profile,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub default_page_size: usize,
    pub max_page_size: usize,
    /// Resource name → the fields this client gets; absent or empty means all.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    /// Listings send the link base once (`urlBase`, `<origin>/f/<bucket>/`) instead of a
    /// `url` per item, unless `?fields=` names `url`; an item's link is the base followed by
    /// its key, each `/`-separated segment percent-encoded (RFC 3986 §2.1).
    #[serde(default)]
    pub list_url_base: bool,
    /// How many of the user's latest uploads the overview lists (at most 20).
    #[serde(default = "default_overview_recent")]
    pub overview_recent: usize,
    /// The width (pixels, on `variants.sizes`) of this client's `?v=auto` image variant.
    #[serde(default = "default_variant_width")]
    pub variant_width: u32,
}

fn default_overview_recent() -> usize {
    10
}

fn default_variant_width() -> u32 {
    1280
}

impl Profiles {
    pub fn get(&self, kind: ClientKind) -> &Profile {
        match kind {
            ClientKind::Pc => &self.pc,
            ClientKind::H5 => &self.h5,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        for (name, profile) in [("pc", &self.pc), ("h5", &self.h5)] {
            if profile.default_page_size == 0 || profile.default_page_size > profile.max_page_size {
                return Err((
                    format!("{name}.default_page_size"),
                    "must be between 1 and max_page_size".into(),
                ));
            }
            for (resource, fields) in &profile.fields {
                let key = format!("{name}.fields.{resource}");
                let known = views::fields_of(resource)
                    .ok_or_else(|| (key.clone(), format!("no resource named '{resource}'")))?;
                if let Some(bad) = fields.iter().find(|f| !known.contains(&f.as_str())) {
                    return Err((key, format!("'{resource}' has no field '{bad}'")));
                }
            }
        }
        Ok(())
    }
}

impl Profile {
    /// The fields of `resource` this profile lets through, or `None` for all of them.
    pub fn fields(&self, resource: &str) -> Option<&[String]> {
        self.fields
            .get(resource)
            .filter(|f| !f.is_empty())
            .map(Vec::as_slice)
    }

    /// The page size to use for a request that asked for `requested` items.
    pub fn page_size(&self, requested: Option<usize>) -> usize {
        requested
            .unwrap_or(self.default_page_size)
            .clamp(1, self.max_page_size)
    }
}
