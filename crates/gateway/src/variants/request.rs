//! What image variant a file link asks for (`/f/{bucket}/{key}?w=&h=&fit=&fmt=&q=` or `?v=`),
//! checked against `[variants]`: only sizes on the configured ladder and qualities on its list
//! are made, so that nobody can fill the variant cache with every width from 1 to 4000. A bad
//! value is an error naming its parameter. Making the variant is elsewhere; this is the request.

use std::collections::BTreeMap;

use serde::Deserialize;

use imaging::Format;

use super::settings::{AUTO_PRESET, VariantSettings};

/// The largest side a ladder may name, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// How the image fits the box of `w` × `h` (the names of CSS `object-fit` and of sharp).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fills the box, cropping what overflows (centred).
    Cover,
    /// Fits inside the box, padded to its size.
    Contain,
    /// Fits inside the box, never larger than it nor than the original (the default).
    #[default]
    Inside,
}

/// `fmt`: an output format, `auto` (from `Accept`), or the original's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatChoice {
    Jpeg,
    Png,
    Webp,
    Avif,
    Auto,
    /// No `fmt`: the original's format.
    #[default]
    Original,
}

/// A checked variant request. `width`/`height` are on the ladder (or a preset's own), `quality`
/// on the list (or a preset's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRequest {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub format: FormatChoice,
    pub quality: u8,
}

/// A variant parameter the request got wrong: `param` is its name, `reason` what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct BadParameter {
    pub param: &'static str,
    pub reason: String,
}

fn bad(param: &'static str, reason: impl Into<String>) -> BadParameter {
    BadParameter {
        param,
        reason: reason.into(),
    }
}

/// The query parameters that ask for a variant.
pub const PARAMETERS: [&str; 6] = ["w", "h", "fit", "fmt", "q", "v"];

/// Whether a query parameter is a page's cache buster rather than a variant parameter: `v`
/// with a version or a date (`?v=2`, `?v=20231101`, `?v=1.2.3`: digits and dots only), as
/// pages have long appended to image links. Preset names have a letter, so none is one.
pub fn is_cache_buster(name: &str, value: &str) -> bool {
    name == "v" && !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The variant parameters of `query` as a signed link's signature covers them: each of
/// [`PARAMETERS`] present, as `name=value`, in that order, joined by `&`; empty for none.
/// What is signed is what was asked (`v=thumb`, not the preset's sizes), so a link stays valid
/// whatever a preset becomes, and no parameter can be added, dropped or changed.
pub fn signed_form(query: &[(String, String)]) -> String {
    PARAMETERS
        .iter()
        .flat_map(|param| {
            query
                .iter()
                .filter(move |(name, value)| name == param && !is_cache_buster(name, value))
                .map(|(name, value)| format!("{name}={value}"))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl VariantRequest {
    /// The variant `query` asks for: `None` when it names none of [`PARAMETERS`] (the
    /// original). Other parameters (a signature, a cache buster, `v=2`: see
    /// [`is_cache_buster`]) are not looked at. `v` stands
    /// alone: `v=auto` is `auto_width` (the client profile's) in the original format, any
    /// other `v` a preset. Errors: the first bad parameter, named — a repeated one, a width or
    /// height off the ladder, an unknown `fit`, `fmt` or preset, a quality off the list.
    pub fn parse(
        query: &[(String, String)],
        settings: &VariantSettings,
        auto_width: u32,
    ) -> Result<Option<Self>, BadParameter> {
        let mut given: BTreeMap<&'static str, &str> = BTreeMap::new();
        for (name, value) in query.iter().filter(|(n, v)| !is_cache_buster(n, v)) {
            if let Some(param) = PARAMETERS.iter().find(|p| **p == name.as_str())
                && given.insert(param, value.as_str()).is_some()
            {
                return Err(bad(param, "given more than once"));
            }
        }
        if given.is_empty() {
            return Ok(None);
        }
        if let Some(name) = given.get("v") {
            if let Some(other) = given.keys().find(|p| **p != "v") {
                return Err(bad(other, "cannot be combined with `v`"));
            }
            return Self::preset(name, settings, auto_width).map(Some);
        }
        let size = |param: &'static str| -> Result<Option<u32>, BadParameter> {
            let Some(text) = given.get(param) else {
                return Ok(None);
            };
            let value = text
                .parse::<u32>()
                .ok()
                .filter(|v| settings.sizes.contains(v))
                .ok_or_else(|| bad(param, format!("must be one of {:?}", settings.sizes)))?;
            Ok(Some(value))
        };
        let width = size("w")?;
        let height = size("h")?;
        let fit = match given.get("fit") {
            None => Fit::default(),
            Some(&"cover") => Fit::Cover,
            Some(&"contain") => Fit::Contain,
            Some(&"inside") => Fit::Inside,
            Some(_) => return Err(bad("fit", "must be cover, contain or inside")),
        };
        if fit != Fit::Inside && (width.is_none() || height.is_none()) {
            return Err(bad("fit", "cover and contain need both `w` and `h`"));
        }
        let format = match given.get("fmt") {
            None => FormatChoice::Original,
            Some(&"jpeg" | &"jpg") => FormatChoice::Jpeg,
            Some(&"png") => FormatChoice::Png,
            Some(&"webp") => FormatChoice::Webp,
            Some(&"avif") => FormatChoice::Avif,
            Some(&"auto") => FormatChoice::Auto,
            Some(_) => return Err(bad("fmt", "must be jpeg, png, webp, avif or auto")),
        };
        let quality = match given.get("q") {
            None => settings.default_quality,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|q| settings.qualities.contains(q))
                .ok_or_else(|| bad("q", format!("must be one of {:?}", settings.qualities)))?,
        };
        if width.is_none() && height.is_none() && format == FormatChoice::Original {
            return Err(bad(
                if given.contains_key("q") { "q" } else { "fit" },
                "asks for no size and no format: that is the original (leave it out)",
            ));
        }
        Ok(Some(Self {
            width,
            height,
            fit,
            format,
            quality,
        }))
    }

    fn preset(
        name: &str,
        settings: &VariantSettings,
        auto_width: u32,
    ) -> Result<Self, BadParameter> {
        if name == AUTO_PRESET {
            return Ok(Self {
                width: Some(auto_width),
                height: None,
                fit: Fit::Inside,
                format: FormatChoice::Auto,
                quality: settings.default_quality,
            });
        }
        let preset = settings.presets.get(name).ok_or_else(|| {
            let names: Vec<&str> = settings.presets.keys().map(String::as_str).collect();
            bad(
                "v",
                format!("no preset '{name}'; presets: auto, {}", names.join(", ")),
            )
        })?;
        Ok(Self {
            width: preset.w,
            height: preset.h,
            fit: preset.fit,
            format: preset.fmt,
            quality: preset.q.unwrap_or(settings.default_quality),
        })
    }
}

/// The format of `fmt=auto` for a client that sent `accept`: AVIF if it names `image/avif`
/// (and `avif`: this build writes it), else WebP if it names `image/webp` (with a non-zero q-value, RFC 9110 §12.5.1; wildcards
/// do not count: `*/*` from an old client says nothing about AVIF), else `fallback` (the
/// original's format, or JPEG for one that has none of these).
pub fn negotiate(accept: Option<&str>, fallback: Format, avif: bool) -> Format {
    let accepts = |wanted: &str| {
        accept.is_some_and(|header| {
            header.split(',').any(|item| {
                let mut parts = item.split(';');
                let media = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                media.eq_ignore_ascii_case(wanted) && !refused
            })
        })
    };
    if avif && accepts("image/avif") {
        Format::Avif
    } else if accepts("image/webp") {
        Format::Webp
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variants::settings::Preset;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn settings() -> VariantSettings {
        let mut settings = VariantSettings::default();
        settings.presets.insert(
            "thumb".into(),
            Preset {
                w: Some(320),
                h: Some(320),
                fit: Fit::Cover,
                fmt: FormatChoice::Auto,
                q: Some(65),
            },
        );
        settings
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<Option<VariantRequest>, BadParameter> {
        VariantRequest::parse(&query(pairs), &settings(), 750)
    }

    #[test]
    fn no_variant_parameter_is_the_original() {
        assert_eq!(parse(&[]), Ok(None));
        assert_eq!(parse(&[("t", "123"), ("signature", "x")]), Ok(None));
    }

    #[test]
    fn a_version_in_v_is_a_cache_buster_not_a_preset() {
        for busted in ["2", "20231101", "1.2.3"] {
            assert_eq!(parse(&[("v", busted)]), Ok(None), "{busted}");
            assert_eq!(signed_form(&query(&[("v", busted)])), "", "{busted}");
        }
        let thumb = parse(&[("v", "2"), ("w", "320")]).unwrap().unwrap();
        assert_eq!(thumb.width, Some(320));
        assert_eq!(parse(&[("v", "")]).unwrap_err().param, "v");
        assert_eq!(parse(&[("v", "v2")]).unwrap_err().param, "v");
    }

    #[test]
    fn sizes_formats_and_qualities_on_the_lists_are_taken() {
        let got = parse(&[("w", "320"), ("fmt", "webp"), ("q", "65")])
            .unwrap()
            .unwrap();
        assert_eq!(
            got,
            VariantRequest {
                width: Some(320),
                height: None,
                fit: Fit::Inside,
                format: FormatChoice::Webp,
                quality: 65,
            }
        );
        let boxed = parse(&[("w", "640"), ("h", "480"), ("fit", "cover")])
            .unwrap()
            .unwrap();
        assert_eq!((boxed.fit, boxed.quality), (Fit::Cover, 80));
        assert_eq!(parse(&[("fmt", "auto")]).unwrap().unwrap().width, None);
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        for (pairs, param) in [
            (vec![("w", "321")], "w"),
            (vec![("w", "abc")], "w"),
            (vec![("h", "-1")], "h"),
            (vec![("w", "320"), ("fit", "stretch")], "fit"),
            (vec![("w", "320"), ("fit", "cover")], "fit"),
            (vec![("fmt", "gif")], "fmt"),
            (vec![("w", "320"), ("q", "81")], "q"),
            (vec![("q", "80")], "q"),
            (vec![("v", "huge")], "v"),
            (vec![("v", "thumb"), ("w", "320")], "w"),
            (vec![("w", "320"), ("w", "640")], "w"),
        ] {
            let err = parse(&pairs).unwrap_err();
            assert_eq!(err.param, param, "{pairs:?}: {err}");
        }
        let err = parse(&[("w", "4000")]).unwrap_err();
        assert!(err.reason.contains("320"), "the ladder is named: {err}");
    }

    #[test]
    fn presets_and_auto_stand_for_their_parameters() {
        let thumb = parse(&[("v", "thumb")]).unwrap().unwrap();
        assert_eq!(
            (
                thumb.width,
                thumb.height,
                thumb.fit,
                thumb.format,
                thumb.quality
            ),
            (Some(320), Some(320), Fit::Cover, FormatChoice::Auto, 65)
        );
        let auto = parse(&[("v", "auto")]).unwrap().unwrap();
        assert_eq!((auto.width, auto.format), (Some(750), FormatChoice::Auto));
    }

    #[test]
    fn auto_prefers_avif_then_webp_when_named_with_a_positive_q() {
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        assert_eq!(negotiate(Some(chrome), Format::Jpeg, true), Format::Avif);
        assert_eq!(
            negotiate(Some(chrome), Format::Jpeg, false),
            Format::Webp,
            "without an AVIF encoder"
        );
        let safari15 = "image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
        assert_eq!(negotiate(Some(safari15), Format::Jpeg, true), Format::Webp);
        assert_eq!(
            negotiate(Some("image/avif;q=0, image/webp"), Format::Png, true),
            Format::Webp
        );
        assert_eq!(negotiate(Some("*/*"), Format::Png, true), Format::Png);
        assert_eq!(negotiate(None, Format::Jpeg, true), Format::Jpeg);
    }

    #[test]
    fn the_signed_form_holds_the_variant_parameters_in_a_fixed_order() {
        let asked = query(&[
            ("q", "65"),
            ("signature", "s"),
            ("w", "320"),
            ("fmt", "webp"),
        ]);
        assert_eq!(signed_form(&asked), "w=320&fmt=webp&q=65");
        assert_eq!(signed_form(&query(&[("v", "thumb")])), "v=thumb");
        assert_eq!(signed_form(&query(&[("expires", "1")])), "");
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings().validate().is_ok());
        let bad_default = VariantSettings {
            default_quality: 81,
            ..Default::default()
        };
        assert_eq!(bad_default.validate().unwrap_err().0, "default_quality");
        let mut huge = VariantSettings::default();
        huge.sizes.push(MAX_SIDE + 1);
        assert_eq!(huge.validate().unwrap_err().0, "sizes");
        let mut auto = VariantSettings::default();
        auto.presets
            .insert(AUTO_PRESET.into(), settings().presets["thumb"].clone());
        assert_eq!(auto.validate().unwrap_err().0, "presets.auto");
    }
}
