//! Sizing maths (pure functions: what to crop, what size to resize to, what canvas to pad to,
//! how far a JPEG may be DCT-scaled) and the resize itself (fast_image_resize).
//!
//! Rules, all in displayed (oriented) pixels, and never upscaling:
//! * no box: the image keeps its size;
//! * `Inside`, or any fit with only one side given: fit within the box keeping the aspect
//!   ratio; an image already within the box keeps its size;
//! * `Cover` (both sides): crop the largest centred region with the box's aspect ratio, then
//!   scale it down to exactly the box. If the image is smaller than the box on some axis, the
//!   region is not scaled up: the output has the box's aspect ratio at the image's own scale
//!   (e.g. a 100×80 image covering 200×200 gives 80×80), never more pixels than the source;
//! * `Contain` (both sides): fit inside the box (no upscaling) and centre the result on a
//!   canvas of exactly the box size; the border is transparent, or white for JPEG output.

use fast_image_resize as fr;

use crate::decode::{Channels, Raster};
use crate::error::ImageError;
use crate::transform::Fit;

/// A rectangle in pixel coordinates; fractional values are allowed (sub-pixel centring).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn full(width: u32, height: u32) -> Rect {
        Rect {
            x: 0.0,
            y: 0.0,
            w: f64::from(width),
            h: f64::from(height),
        }
    }

    /// Divides every coordinate by `factor`: the same region in an image decoded at
    /// 1/`factor` scale, where decoded pixel `i` covers source pixels `factor*i..factor*(i+1)`.
    pub fn reduced(self, factor: u32) -> Rect {
        let f = f64::from(factor);
        Rect {
            x: self.x / f,
            y: self.y / f,
            w: self.w / f,
            h: self.h / f,
        }
    }
}

/// What a variant is made of, in displayed coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    /// The part of the source that is used.
    pub crop: Rect,
    /// The size `crop` is resized to.
    pub scaled: (u32, u32),
    /// The output size: `scaled`, or the box for `Contain` (the image centred on it).
    pub canvas: (u32, u32),
}

/// Plans a variant of a `src`-sized (displayed) image for a box of `width`×`height`
/// (`None`, or 0, = unconstrained on that axis). See the module docs for the rules.
pub(crate) fn plan(src: (u32, u32), width: Option<u32>, height: Option<u32>, fit: Fit) -> Plan {
    let (sw, sh) = (src.0.max(1), src.1.max(1));
    let width = width.filter(|&w| w > 0);
    let height = height.filter(|&h| h > 0);
    let full = Rect::full(sw, sh);
    match (fit, width, height) {
        (Fit::Cover, Some(bw), Some(bh)) => {
            let (wide, bw64, bh64) = (
                u64::from(sw) * u64::from(bh) >= u64::from(sh) * u64::from(bw),
                f64::from(bw),
                f64::from(bh),
            );
            // The largest region with the box's aspect ratio.
            let (cw, ch) = if wide {
                (f64::from(sh) * bw64 / bh64, f64::from(sh))
            } else {
                (f64::from(sw), f64::from(sw) * bh64 / bw64)
            };
            let big_enough = if wide { sh >= bh } else { sw >= bw };
            if big_enough {
                let crop = Rect {
                    x: (f64::from(sw) - cw) / 2.0,
                    y: (f64::from(sh) - ch) / 2.0,
                    w: cw,
                    h: ch,
                };
                Plan {
                    crop,
                    scaled: (bw, bh),
                    canvas: (bw, bh),
                }
            } else {
                // No upscaling: keep the region at the source's scale, on whole pixels so it is
                // a plain copy.
                let cw = (cw.round() as u32).clamp(1, sw);
                let ch = (ch.round() as u32).clamp(1, sh);
                let crop = Rect {
                    x: f64::from((sw - cw) / 2),
                    y: f64::from((sh - ch) / 2),
                    w: f64::from(cw),
                    h: f64::from(ch),
                };
                Plan {
                    crop,
                    scaled: (cw, ch),
                    canvas: (cw, ch),
                }
            }
        }
        (Fit::Contain, Some(bw), Some(bh)) => Plan {
            crop: full,
            scaled: fit_inside((sw, sh), Some(bw), Some(bh)),
            canvas: (bw, bh),
        },
        _ => {
            let scaled = fit_inside((sw, sh), width, height);
            Plan {
                crop: full,
                scaled,
                canvas: scaled,
            }
        }
    }
}

/// The largest size with `src`'s aspect ratio that fits the box, but never larger than `src`.
/// Sides are rounded to the nearest pixel and at least 1.
pub(crate) fn fit_inside(src: (u32, u32), width: Option<u32>, height: Option<u32>) -> (u32, u32) {
    let (sw, sh) = (u64::from(src.0), u64::from(src.1));
    // round(a * b / c) in integers.
    let scale = |a: u64, b: u64, c: u64| ((a * b + c / 2) / c).max(1) as u32;
    match (width.map(u64::from), height.map(u64::from)) {
        (Some(bw), Some(bh)) if bw < sw || bh < sh => {
            if bw * sh <= bh * sw {
                (bw as u32, scale(sh, bw, sw))
            } else {
                (scale(sw, bh, sh), bh as u32)
            }
        }
        (Some(bw), None) if bw < sw => (bw as u32, scale(sh, bw, sw)),
        (None, Some(bh)) if bh < sh => (scale(sw, bh, sh), bh as u32),
        _ => src,
    }
}

/// The JPEG IDCT reduction (8, 4, 2, or 1 for none) for decoding a `stored`-sized JPEG of which
/// the `crop` region (stored coordinates) must come out at least `out` pixels: the largest
/// reduction whose decoded region (`crop / factor`) still covers `out` on both axes. Reductions
/// that would decode a side under 2 pixels are not used (the decoder's own size choice is
/// ambiguous there).
pub(crate) fn jpeg_reduction(stored: (u32, u32), crop: Rect, out: (u32, u32)) -> u32 {
    let (sw, sh) = stored;
    for factor in [8, 4, 2] {
        if sw.div_ceil(factor) < 2 || sh.div_ceil(factor) < 2 {
            continue;
        }
        let region = crop.reduced(factor);
        if region.w + 1e-9 >= f64::from(out.0) && region.h + 1e-9 >= f64::from(out.1) {
            return factor;
        }
    }
    1
}

/// The resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Lanczos3: sharp, for variants.
    Lanczos3,
    /// Box: cheap, for the blurhash thumbnail.
    Box,
}

/// Crops `raster` to `crop` (raster coordinates) and resizes the result to `out`.
///
/// Alpha is premultiplied in place before resampling and divided out afterwards, so no copy of
/// the source is made. A crop on whole pixels with no size change is a plain copy; no crop and
/// no size change returns the raster untouched.
pub(crate) fn resize(
    mut raster: Raster,
    crop: Rect,
    out: (u32, u32),
    filter: Filter,
) -> Result<Raster, ImageError> {
    let whole = crop == Rect::full(raster.width, raster.height);
    if whole && out == (raster.width, raster.height) {
        return Ok(raster);
    }
    let resample = f64::from(out.0) != crop.w
        || f64::from(out.1) != crop.h
        || crop.x.fract() != 0.0
        || crop.y.fract() != 0.0;
    let pixel_type = match raster.channels {
        Channels::L => fr::PixelType::U8,
        Channels::La => fr::PixelType::U8x2,
        Channels::Rgb => fr::PixelType::U8x3,
        Channels::Rgba => fr::PixelType::U8x4,
    };
    let premultiply = resample && raster.channels.has_alpha();
    let failed = |e: &dyn std::fmt::Display| ImageError::malformed(format!("resize failed: {e}"));
    let mul_div = fr::MulDiv::new();
    if premultiply {
        let mut view = fr::images::Image::from_slice_u8(
            raster.width,
            raster.height,
            &mut raster.data,
            pixel_type,
        )
        .map_err(|e| failed(&e))?;
        mul_div
            .multiply_alpha_inplace(&mut view)
            .map_err(|e| failed(&e))?;
    }
    let src = fr::images::ImageRef::new(raster.width, raster.height, &raster.data, pixel_type)
        .map_err(|e| failed(&e))?;
    let mut dst = fr::images::Image::new(out.0, out.1, pixel_type);
    let algorithm = match filter {
        Filter::Lanczos3 => fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
        Filter::Box => fr::ResizeAlg::Convolution(fr::FilterType::Box),
    };
    let options = fr::ResizeOptions::new()
        .resize_alg(algorithm)
        .crop(crop.x, crop.y, crop.w, crop.h)
        .use_alpha(false);
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    if premultiply {
        mul_div
            .divide_alpha_inplace(&mut dst)
            .map_err(|e| failed(&e))?;
    }
    Ok(Raster {
        width: out.0,
        height: out.1,
        channels: raster.channels,
        data: dst.into_vec(),
    })
}

/// Centres `raster` on a `canvas`-sized background: opaque white when `transparent` is false
/// (the result is RGB), else transparent white (the result is RGBA). Grey is expanded to RGB.
pub(crate) fn pad(raster: Raster, canvas: (u32, u32), transparent: bool) -> Raster {
    if canvas == (raster.width, raster.height) {
        return raster;
    }
    let raster = raster.into_rgb_family();
    let raster = if transparent {
        raster
    } else {
        raster.flatten_over_white()
    };
    let (channels, background): (Channels, &[u8]) = if transparent {
        (Channels::Rgba, &[255, 255, 255, 0])
    } else {
        (Channels::Rgb, &[255, 255, 255])
    };
    let n = channels.count();
    let (cw, ch) = (canvas.0 as usize, canvas.1 as usize);
    let mut data = background.repeat(cw * ch);
    let (w, h) = (raster.width as usize, raster.height as usize);
    let (x0, y0) = (cw.saturating_sub(w) / 2, ch.saturating_sub(h) / 2);
    let src_n = raster.channels.count();
    for y in 0..h.min(ch) {
        for x in 0..w.min(cw) {
            let s = (y * w + x) * src_n;
            let d = ((y0 + y) * cw + x0 + x) * n;
            data[d..d + 3].copy_from_slice(&raster.data[s..s + 3]);
            if n == 4 {
                data[d + 3] = if src_n == 4 { raster.data[s + 3] } else { 255 };
            }
        }
    }
    Raster {
        width: canvas.0,
        height: canvas.1,
        channels,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(p: Plan) -> ((u32, u32), (u32, u32)) {
        (p.scaled, p.canvas)
    }

    #[test]
    fn inside_never_upscales() {
        assert_eq!(fit_inside((100, 80), Some(320), None), (100, 80));
        assert_eq!(fit_inside((100, 80), Some(320), Some(320)), (100, 80));
        assert_eq!(fit_inside((100, 80), None, Some(80)), (100, 80));
        assert_eq!(fit_inside((100, 80), None, None), (100, 80));
        let p = plan((100, 80), Some(320), None, Fit::Inside);
        assert_eq!(sizes(p), ((100, 80), (100, 80)));
        assert_eq!(p.crop, Rect::full(100, 80));
    }

    #[test]
    fn inside_scales_by_the_binding_side() {
        // Width only / height only.
        assert_eq!(fit_inside((4000, 3000), Some(320), None), (320, 240));
        assert_eq!(fit_inside((4000, 3000), None, Some(300)), (400, 300));
        // Both: the tighter one wins, the other side rounds to nearest and stays in the box.
        assert_eq!(fit_inside((4000, 3000), Some(320), Some(320)), (320, 240));
        assert_eq!(fit_inside((3000, 4000), Some(320), Some(320)), (240, 320));
        assert_eq!(fit_inside((1000, 333), Some(100), Some(100)), (100, 33));
        assert_eq!(fit_inside((1000, 335), Some(100), Some(100)), (100, 34));
        // Only one side over the box.
        assert_eq!(fit_inside((500, 100), Some(1000), Some(50)), (250, 50));
        // Extreme aspect ratios never give a zero side.
        assert_eq!(fit_inside((10000, 1), Some(100), None), (100, 1));
        assert_eq!(fit_inside((1, 10000), None, Some(100)), (1, 100));
    }

    #[test]
    fn cover_crops_the_centre_to_exactly_the_box() {
        let p = plan((4000, 3000), Some(200), Some(200), Fit::Cover);
        assert_eq!(sizes(p), ((200, 200), (200, 200)));
        assert_eq!(
            p.crop,
            Rect {
                x: 500.0,
                y: 0.0,
                w: 3000.0,
                h: 3000.0
            }
        );
        let p = plan((300, 900), Some(300), Some(100), Fit::Cover);
        assert_eq!(sizes(p), ((300, 100), (300, 100)));
        assert_eq!(
            p.crop,
            Rect {
                x: 0.0,
                y: 400.0,
                w: 300.0,
                h: 100.0
            }
        );
        // Sub-pixel centring when the leftover is odd.
        let p = plan((301, 100), Some(100), Some(100), Fit::Cover);
        assert_eq!(p.crop.x, 100.5);
    }

    #[test]
    fn cover_of_a_small_image_keeps_the_box_aspect_without_upscaling() {
        let p = plan((100, 80), Some(200), Some(200), Fit::Cover);
        assert_eq!(sizes(p), ((80, 80), (80, 80)));
        assert_eq!(
            p.crop,
            Rect {
                x: 10.0,
                y: 0.0,
                w: 80.0,
                h: 80.0
            }
        );
        // Wide box on a small image: 2:1 at the image's width.
        let p = plan((100, 80), Some(400), Some(200), Fit::Cover);
        assert_eq!(sizes(p), ((100, 50), (100, 50)));
        assert_eq!(p.crop.y, 15.0);
        // Larger than the box on one axis only: still no upscaling.
        let p = plan((300, 100), Some(200), Some(200), Fit::Cover);
        assert_eq!(sizes(p), ((100, 100), (100, 100)));
        assert_eq!(p.crop.x, 100.0);
    }

    #[test]
    fn contain_pads_to_the_box_without_upscaling() {
        let p = plan((4000, 3000), Some(200), Some(200), Fit::Contain);
        assert_eq!(sizes(p), ((200, 150), (200, 200)));
        let p = plan((100, 80), Some(200), Some(200), Fit::Contain);
        assert_eq!(sizes(p), ((100, 80), (200, 200)));
    }

    #[test]
    fn one_sided_cover_and_contain_behave_like_inside() {
        for fit in [Fit::Cover, Fit::Contain] {
            let p = plan((4000, 3000), Some(400), None, fit);
            assert_eq!(sizes(p), ((400, 300), (400, 300)));
            let p = plan((4000, 3000), None, Some(300), fit);
            assert_eq!(sizes(p), ((400, 300), (400, 300)));
            // Zero means unconstrained.
            let p = plan((4000, 3000), Some(0), Some(300), fit);
            assert_eq!(sizes(p), ((400, 300), (400, 300)));
        }
    }

    #[test]
    fn jpeg_reduction_picks_the_largest_that_still_covers_the_target() {
        let full = Rect::full(4000, 3000);
        assert_eq!(jpeg_reduction((4000, 3000), full, (320, 240)), 8);
        assert_eq!(jpeg_reduction((4000, 3000), full, (500, 375)), 8);
        assert_eq!(jpeg_reduction((4000, 3000), full, (501, 376)), 4);
        assert_eq!(jpeg_reduction((4000, 3000), full, (1500, 1125)), 2);
        assert_eq!(jpeg_reduction((4000, 3000), full, (2000, 1500)), 2);
        assert_eq!(jpeg_reduction((4000, 3000), full, (2001, 1501)), 1);
        // Cover: the crop region counts, not the whole image.
        let crop = Rect {
            x: 500.0,
            y: 0.0,
            w: 3000.0,
            h: 3000.0,
        };
        assert_eq!(jpeg_reduction((4000, 3000), crop, (375, 375)), 8);
        assert_eq!(jpeg_reduction((4000, 3000), crop, (376, 376)), 4);
        // Odd sizes: 101 / 8 = 12.6 decoded pixels of content (the decoder outputs 13).
        assert_eq!(jpeg_reduction((101, 43), Rect::full(101, 43), (12, 5)), 8);
        assert_eq!(jpeg_reduction((101, 43), Rect::full(101, 43), (13, 6)), 4);
        // Never below 2 px on a side.
        assert_eq!(jpeg_reduction((8, 9), Rect::full(8, 9), (1, 1)), 4);
    }

    fn rgba(width: u32, height: u32, px: [u8; 4]) -> Raster {
        Raster {
            width,
            height,
            channels: Channels::Rgba,
            data: px.repeat((width * height) as usize),
        }
    }

    #[test]
    fn resizing_keeps_colour_under_partial_alpha() {
        // Half-transparent red next to fully transparent black: premultiplied resampling must not
        // darken the red.
        let mut r = rgba(8, 8, [255, 0, 0, 128]);
        for y in 0..8 {
            for x in 4..8 {
                let i = (y * 8 + x) * 4;
                r.data[i..i + 4].copy_from_slice(&[0, 0, 0, 0]);
            }
        }
        let out = resize(r, Rect::full(8, 8), (2, 2), Filter::Lanczos3).unwrap();
        assert_eq!((out.width, out.height), (2, 2));
        let left = &out.data[..4];
        assert!(left[0] >= 250 && left[1] < 5 && left[3] > 30, "{left:?}");
    }

    #[test]
    fn whole_pixel_crop_without_scaling_is_a_copy() {
        let mut r = rgba(4, 4, [9, 9, 9, 200]);
        r.data[(4 + 1) * 4..(4 + 1) * 4 + 4].copy_from_slice(&[1, 2, 3, 4]);
        let crop = Rect {
            x: 1.0,
            y: 1.0,
            w: 2.0,
            h: 2.0,
        };
        let out = resize(r, crop, (2, 2), Filter::Lanczos3).unwrap();
        assert_eq!(&out.data[..8], &[1, 2, 3, 4, 9, 9, 9, 200]);
    }

    #[test]
    fn padding_centres_on_transparent_or_white() {
        let r = Raster {
            width: 2,
            height: 1,
            channels: Channels::Rgb,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        let out = pad(r.clone(), (4, 3), true);
        assert_eq!(
            (out.width, out.height, out.channels),
            (4, 3, Channels::Rgba)
        );
        assert_eq!(&out.data[..4], &[255, 255, 255, 0]);
        let mid = (4 + 1) * 4;
        assert_eq!(&out.data[mid..mid + 8], &[1, 2, 3, 255, 4, 5, 6, 255]);
        let out = pad(r, (4, 3), false);
        assert_eq!(out.channels, Channels::Rgb);
        assert_eq!(&out.data[..3], &[255, 255, 255]);
        let mid = (4 + 1) * 3;
        assert_eq!(&out.data[mid..mid + 6], &[1, 2, 3, 4, 5, 6]);
    }
}
