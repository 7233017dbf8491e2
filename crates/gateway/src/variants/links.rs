//! The variant links an upload answer gives an image: a thumbnail and a `srcset` over the
//! ladder of `[variants]`.

use super::VariantSettings;

/// The preset upload answers link as the thumbnail when it is configured.
pub const THUMB_PRESET: &str = "thumb";

/// The variant parameters of an image's thumbnail: `v=thumb` when that preset exists, else
/// the smallest ladder width of at least 320 pixels (or the largest, on a ladder below it).
pub fn thumbnail_form(settings: &VariantSettings) -> String {
    if settings.presets.contains_key(THUMB_PRESET) {
        return format!("v={THUMB_PRESET}");
    }
    let width = settings
        .sizes
        .iter()
        .copied()
        .filter(|&w| w >= 320)
        .min()
        .or_else(|| settings.sizes.iter().copied().max())
        .unwrap_or(320);
    format!("w={width}")
}

/// `srcset` (HTML's image candidate strings) for an image `width` pixels wide: each ladder
/// width below it as `<link("w=N")> Nw`, then the original as `<link("")> <width>w`. `link`
/// turns variant parameters into a URL (a signed one, for a private bucket's tools).
pub fn srcset(width: u32, settings: &VariantSettings, link: impl Fn(&str) -> String) -> String {
    let mut sizes: Vec<u32> = settings
        .sizes
        .iter()
        .copied()
        .filter(|&w| w < width)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut candidates: Vec<String> = sizes
        .iter()
        .map(|w| format!("{} {w}w", link(&format!("w={w}"))))
        .collect();
    candidates.push(format!("{} {width}w", link("")));
    candidates.join(", ")
}

/// A plain link with variant parameters `form` appended (`url?w=320`); `url` alone for none.
pub fn with_form(url: &str, form: &str) -> String {
    if form.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{form}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_srcset_lists_the_ladder_below_the_image_then_the_original() {
        let settings = VariantSettings::default();
        let set = srcset(700, &settings, |form| with_form("http://h/f/b/a.jpg", form));
        assert_eq!(
            set,
            "http://h/f/b/a.jpg?w=160 160w, http://h/f/b/a.jpg?w=320 320w, \
             http://h/f/b/a.jpg?w=480 480w, http://h/f/b/a.jpg?w=640 640w, \
             http://h/f/b/a.jpg 700w"
        );
        let tiny = srcset(100, &settings, |form| with_form("u", form));
        assert_eq!(tiny, "u 100w");
    }

    #[test]
    fn the_thumbnail_is_the_thumb_preset_else_a_ladder_width() {
        let mut settings = VariantSettings::default();
        assert_eq!(thumbnail_form(&settings), "w=320");
        settings.sizes = vec![100, 200];
        assert_eq!(thumbnail_form(&settings), "w=200");
        settings.presets.insert(
            THUMB_PRESET.into(),
            super::super::Preset {
                w: Some(320),
                h: Some(320),
                fit: super::super::Fit::Cover,
                fmt: super::super::FormatChoice::Auto,
                q: None,
            },
        );
        assert_eq!(thumbnail_form(&settings), "v=thumb");
    }
}
