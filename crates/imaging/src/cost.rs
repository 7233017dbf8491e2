//! Memory cost estimates, for a caller's byte-weighted budget (semaphore) around
//! [`crate::transform`] and [`crate::facts`]. The model is documented on [`transform_cost`].

use crate::format::Format;
use crate::probe::Probe;
use crate::resize::{self, Plan};
use crate::transform::{Fit, Spec};

const MIB: u64 = 1024 * 1024;
const FIXED: u64 = 2 * MIB;
/// Bytes per source pixel of DCT coefficients a JPEG decode may hold (see [`transform_cost`]).
const JPEG_COEFFICIENTS: u64 = 8;

/// Peak bytes a [`crate::transform`]`(bytes, spec, _)` of an image with this probe will hold at
/// once: decoded buffer(s), resize output, colour/orientation copies, canvas and encoder. An
/// upper-bound estimate; accounts for DCT-scaled JPEG decoding (1/2, 1/4, 1/8) when the target
/// allows it. Returns a small fixed amount (2 MiB) for work that fails before decoding (AVIF
/// input, GIF or feature-less AVIF output).
///
/// # Memory model
///
/// The estimate is the sum of every buffer the pipeline may hold, even those never alive at the
/// same time, so it errs high. A [`Probe`] does not say whether a JPEG is progressive, how its
/// chroma is subsampled or how deep a PNG is, so the per-pixel figures are worst cases per
/// format:
///
/// | step | bytes |
/// |---|---|
/// | JPEG coefficients: a progressive file keeps every DCT coefficient (2 B) of every component until its last scan (6 B/px for 3 components without subsampling, 8 for CMYK), and `jpeg-decoder`'s per-component worker threads get copies of coefficient rows through unbounded channels, which pile up when the workers are starved of CPU | 8 × source px |
/// | JPEG, DCT-scaled decode (component planes + interleaved output, CMYK worst case) | 8 × decoded px |
/// | JPEG, full decode (RGB output + `image`'s copy of the file, ≈1 B/px for camera JPEGs) | 4 × source px |
/// | PNG (16-bit RGBA worst case, reduced to 8 bits in place) | 8 × source px |
/// | GIF (RGBA output + first-frame buffer) | 8 × source px |
/// | WebP (RGBA output + lossless/animation work buffers) | 12 × source px |
/// | resize (intermediate pass + output, 4 channels), unless the size is unchanged | 4 × (crop side × output side + output px) |
/// | sRGB conversion, orientation, RGB expansion | 3 × 4 × output px |
/// | `Contain` canvas | 4 × canvas px |
/// | encoder: JPEG 4, PNG 5, WebP 10, AVIF 40 B/px (+16 MiB) | × canvas px |
/// | fixed: codec state, filter coefficients, colour LUTs | 2 MiB |
///
/// Measured peaks (counting allocator on a loaded 2-core machine; libwebp's own C allocations
/// are not visible to it) stay under the estimate for baseline and progressive (4:2:0 and
/// 4:4:4) JPEG, 8/16-bit PNG, lossy/lossless WebP and GIF. The input bytes themselves are not
/// counted (the caller holds them). Not covered, in theory: a progressive file without chroma
/// subsampling whose worker threads get no CPU at all until its last scan is decoded (up to
/// 12 B/px).
///
/// Baseline JPEGs, by far the most common, need much less than the 8 B/px allowance (a
/// 4000×3000 → 320 px thumbnail peaks at 2–6 MB against an estimate of about 98 MB), and a
/// very large image can be estimated above a caller's whole budget: callers should then run it
/// alone (clamp the cost to the budget) rather than refuse it.
pub fn transform_cost(probe: &Probe, spec: &Spec) -> u64 {
    if !probe.format.can_decode() || !spec.format.can_encode() {
        return FIXED;
    }
    let plan = resize::plan(
        (probe.width, probe.height),
        spec.width,
        spec.height,
        spec.fit,
    );
    estimate(probe, &plan, Some(spec.format))
}

/// Peak bytes [`crate::facts`] will hold for an image with this probe: the model of
/// [`transform_cost`], for a ≤ 64 px thumbnail and no encoder (a 4000×3000 JPEG: about 98 MB
/// estimated, 1–6 MB for a baseline file in practice; a 2000×1500 PNG: 25 MB).
pub fn facts_cost(probe: &Probe) -> u64 {
    if !probe.format.can_decode() {
        return FIXED;
    }
    let side = Some(crate::facts::BLURHASH_SIDE);
    let plan = resize::plan((probe.width, probe.height), side, side, Fit::Inside);
    estimate(probe, &plan, None)
}

fn estimate(probe: &Probe, plan: &Plan, output: Option<Format>) -> u64 {
    let (w, h) = (
        u64::from(probe.width.max(1)),
        u64::from(probe.height.max(1)),
    );
    let source_px = w * h;
    // The reduction does not depend on orientation: it compares sizes axis by axis, and an
    // orientation swaps the source, the crop and the output alike.
    let factor = if probe.format == Format::Jpeg {
        u64::from(resize::jpeg_reduction(
            (probe.width, probe.height),
            plan.crop,
            plan.scaled,
        ))
    } else {
        1
    };
    let (dw, dh) = (w.div_ceil(factor), h.div_ceil(factor));
    let decode = match probe.format {
        Format::Jpeg if factor > 1 => JPEG_COEFFICIENTS * source_px + 8 * dw * dh,
        Format::Jpeg => JPEG_COEFFICIENTS * source_px + 4 * source_px,
        Format::Png | Format::Gif => 8 * source_px,
        Format::Webp => 12 * source_px,
        Format::Avif => 0,
    };
    let (ow, oh) = (u64::from(plan.scaled.0), u64::from(plan.scaled.1));
    let out_px = ow * oh;
    let crop_w = (plan.crop.w / factor as f64).ceil() as u64;
    let crop_h = (plan.crop.h / factor as f64).ceil() as u64;
    let unchanged = factor == 1 && plan.scaled == (probe.width, probe.height);
    let resize = if unchanged {
        0
    } else {
        4 * ((crop_w * oh).max(ow * crop_h) + out_px)
    };
    let post = 3 * 4 * out_px;
    let canvas_px = u64::from(plan.canvas.0) * u64::from(plan.canvas.1);
    let canvas = if plan.canvas == plan.scaled {
        0
    } else {
        4 * canvas_px
    };
    let encoder = match output {
        Some(Format::Jpeg) => 4 * canvas_px,
        Some(Format::Png) => 5 * canvas_px,
        Some(Format::Webp) => 10 * canvas_px,
        Some(Format::Avif) => 40 * canvas_px + 16 * MIB,
        Some(Format::Gif) => 0,
        // facts: the RGBA copy handed to blurhash.
        None => 4 * out_px,
    };
    FIXED + decode + resize + post + canvas + encoder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(format: Format, width: u32, height: u32) -> Probe {
        Probe {
            format,
            width,
            height,
        }
    }

    fn spec(width: Option<u32>, height: Option<u32>, fit: Fit, format: Format) -> Spec {
        Spec {
            width,
            height,
            fit,
            format,
            quality: 80,
        }
    }

    #[test]
    fn scaled_jpeg_decode_is_much_cheaper_than_full() {
        let p = probe(Format::Jpeg, 4000, 3000);
        let thumb = transform_cost(&p, &spec(Some(320), None, Fit::Inside, Format::Webp));
        let big = transform_cost(&p, &spec(Some(3000), None, Fit::Inside, Format::Webp));
        // 8 B/px coefficients (96 MB) + 1/8 decode (1.5 MB) + small stuff.
        assert!(thumb > 96_000_000 && thumb < 104_000_000, "{thumb}");
        // Full decode: 12 B/px (144 MB) + a 3000x2250 output's buffers.
        assert!(big > 144_000_000 + 4 * 3000 * 2250, "{big}");
        assert!(big > 2 * thumb);
    }

    #[test]
    fn cost_covers_the_decoded_buffer_of_every_format() {
        // (format, full-decode bytes per pixel, facts bytes per pixel)
        for (format, full, facts) in [
            (Format::Jpeg, 12, 8),
            (Format::Png, 8, 8),
            (Format::Gif, 8, 8),
            (Format::Webp, 12, 12),
        ] {
            let p = probe(format, 2000, 1000);
            let c = transform_cost(&p, &spec(None, None, Fit::Inside, Format::Png));
            assert!(c >= full * 2_000_000, "{format:?}: {c}");
            assert!(facts_cost(&p) >= facts * 2_000_000, "{format:?}");
        }
    }

    #[test]
    fn an_unchanged_size_needs_no_resize_buffers() {
        let p = probe(Format::Png, 1000, 1000);
        let same = transform_cost(&p, &spec(None, None, Fit::Inside, Format::Png));
        let smaller = transform_cost(&p, &spec(Some(999), None, Fit::Inside, Format::Png));
        assert!(smaller > same + 4 * 999 * 1000, "{same} {smaller}");
    }

    #[test]
    fn facts_of_a_large_jpeg_use_the_eighth_scale() {
        let p = probe(Format::Jpeg, 4000, 3000);
        let c = facts_cost(&p);
        assert!(c < 8 * 12_000_000 + 8 * 500 * 375 + 3 * MIB, "{c}");
    }

    #[test]
    fn contain_canvas_and_avif_are_counted() {
        let p = probe(Format::Png, 100, 100);
        let inside = transform_cost(&p, &spec(Some(1000), Some(1000), Fit::Inside, Format::Png));
        let contain = transform_cost(&p, &spec(Some(1000), Some(1000), Fit::Contain, Format::Png));
        assert!(contain >= inside + 4 * 1_000_000, "{inside} {contain}");
        let avif = transform_cost(&p, &spec(None, None, Fit::Inside, Format::Avif));
        if Format::Avif.can_encode() {
            assert!(avif > 16 * MIB);
        } else {
            assert_eq!(avif, FIXED);
        }
        assert_eq!(
            transform_cost(&p, &spec(None, None, Fit::Inside, Format::Gif)),
            FIXED
        );
        assert_eq!(facts_cost(&probe(Format::Avif, 10_000, 10_000)), FIXED);
    }
}
