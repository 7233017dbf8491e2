//! Colour management: pixels tagged with an embedded ICC profile are converted to sRGB (moxcms).
//!
//! Done after resizing, on the small image (0.7 ms for 320×240 against 64 ms for 12 MP).
//! Untagged pixels are taken as sRGB already. Profiles moxcms cannot parse or build a transform
//! for are ignored (the pixels are kept as they are): a bad profile must not make an image
//! unservable. RGB profiles apply to RGB(A) pixels and grey profiles to grey(+alpha) pixels (the
//! result is then RGB(A)). A CMYK profile is ignored: CMYK JPEGs are converted to RGB naively
//! by the decoders before this step. PNG `gAMA`/`cHRM`/`sRGB`/`cICP` chunks are not used.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

use crate::decode::{Channels, Raster};

/// Converts `raster` from the colour space of `icc` to sRGB; see the module docs.
pub(crate) fn to_srgb(raster: Raster, icc: Option<&[u8]>) -> Raster {
    let Some(icc) = icc else {
        return raster;
    };
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return raster;
    };
    let (src_layout, dst_layout, dst_channels) = match (profile.color_space, raster.channels) {
        (DataColorSpace::Rgb, Channels::Rgb) => (Layout::Rgb, Layout::Rgb, Channels::Rgb),
        (DataColorSpace::Rgb, Channels::Rgba) => (Layout::Rgba, Layout::Rgba, Channels::Rgba),
        (DataColorSpace::Gray, Channels::L) => (Layout::Gray, Layout::Rgb, Channels::Rgb),
        (DataColorSpace::Gray, Channels::La) => (Layout::GrayAlpha, Layout::Rgba, Channels::Rgba),
        _ => return raster,
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) =
        profile.create_transform_8bit(src_layout, &srgb, dst_layout, TransformOptions::default())
    else {
        return raster;
    };
    let pixels = raster.width as usize * raster.height as usize;
    let mut out = vec![0u8; pixels * dst_channels.count()];
    if transform.transform(&raster.data, &mut out).is_err() {
        return raster;
    }
    Raster {
        channels: dst_channels,
        data: out,
        ..raster
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(px: [u8; 3]) -> Raster {
        Raster {
            width: 1,
            height: 1,
            channels: Channels::Rgb,
            data: px.to_vec(),
        }
    }

    #[test]
    fn display_p3_is_converted() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let out = to_srgb(rgb([200, 100, 50]), Some(&p3));
        // P3 is wider than sRGB: the same numbers mean a more saturated colour, so red rises
        // and green/blue fall.
        assert!(
            out.data[0] > 205 && out.data[1] < 98 && out.data[2] < 45,
            "{:?}",
            out.data
        );
    }

    #[test]
    fn srgb_profile_keeps_pixels() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        for px in [[0, 0, 0], [255, 255, 255], [200, 100, 50], [12, 130, 250]] {
            let out = to_srgb(rgb(px), Some(&srgb));
            for (a, b) in out.data.iter().zip(px) {
                assert!(a.abs_diff(b) <= 1, "{px:?} -> {:?}", out.data);
            }
        }
    }

    #[test]
    fn grey_profile_turns_grey_into_rgb() {
        let linear = ColorProfile::new_gray_with_gamma(1.0).encode().unwrap();
        let grey = Raster {
            width: 1,
            height: 1,
            channels: Channels::La,
            data: vec![50, 77],
        };
        let out = to_srgb(grey, Some(&linear));
        assert_eq!(out.channels, Channels::Rgba);
        // Linear 50/255 is about sRGB 124; alpha is untouched.
        assert!(out.data[0] > 110 && out.data[0] < 135, "{:?}", out.data);
        assert_eq!(out.data[0], out.data[1]);
        assert_eq!(out.data[3], 77);
    }

    #[test]
    fn missing_garbage_or_mismatched_profiles_are_ignored() {
        assert_eq!(to_srgb(rgb([1, 2, 3]), None).data, vec![1, 2, 3]);
        assert_eq!(
            to_srgb(rgb([1, 2, 3]), Some(b"not a profile")).data,
            vec![1, 2, 3]
        );
        let grey = ColorProfile::new_gray_with_gamma(1.0).encode().unwrap();
        assert_eq!(to_srgb(rgb([1, 2, 3]), Some(&grey)).data, vec![1, 2, 3]);
    }
}
