//! EXIF orientation: applying it to a raster, and mapping displayed-space rectangles back to
//! stored (decoded) space so cropping can happen before the rotation.

use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer};

use crate::decode::{Channels, Raster};
use crate::error::ImageError;
use crate::resize::Rect;

/// Whether the orientation turns the image by 90° or 270° (width and height swap).
pub(crate) fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Rotates/flips a stored raster into displayed orientation (all 8 EXIF values).
pub(crate) fn apply(raster: Raster, orientation: Orientation) -> Result<Raster, ImageError> {
    if orientation == Orientation::NoTransforms {
        return Ok(raster);
    }
    let Raster {
        width,
        height,
        channels,
        data,
    } = raster;
    let bad = || ImageError::malformed("raster size does not match its buffer");
    let mut image = match channels {
        Channels::L => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, data).ok_or_else(bad)?)
        }
        Channels::La => {
            DynamicImage::ImageLumaA8(ImageBuffer::from_raw(width, height, data).ok_or_else(bad)?)
        }
        Channels::Rgb => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, data).ok_or_else(bad)?)
        }
        Channels::Rgba => {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(width, height, data).ok_or_else(bad)?)
        }
    };
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let data = match image {
        DynamicImage::ImageLuma8(b) => b.into_raw(),
        DynamicImage::ImageLumaA8(b) => b.into_raw(),
        DynamicImage::ImageRgb8(b) => b.into_raw(),
        DynamicImage::ImageRgba8(b) => b.into_raw(),
        _ => return Err(bad()),
    };
    Ok(Raster {
        width,
        height,
        channels,
        data,
    })
}

/// Maps a rectangle given in displayed coordinates to the stored image it was rotated from.
///
/// `stored` is the stored (decoded, unrotated) width and height. Applying `orientation` to the
/// stored image cropped to the returned rectangle gives the displayed image cropped to `rect`.
pub(crate) fn rect_to_stored(rect: Rect, orientation: Orientation, stored: (f64, f64)) -> Rect {
    let (sw, sh) = stored;
    let Rect { x, y, w, h } = rect;
    match orientation {
        Orientation::NoTransforms => rect,
        Orientation::FlipHorizontal => Rect {
            x: sw - x - w,
            y,
            w,
            h,
        },
        Orientation::Rotate180 => Rect {
            x: sw - x - w,
            y: sh - y - h,
            w,
            h,
        },
        Orientation::FlipVertical => Rect {
            x,
            y: sh - y - h,
            w,
            h,
        },
        // Displayed (x', y') comes from stored (y', sh - 1 - x').
        Orientation::Rotate90 => Rect {
            x: y,
            y: sh - x - w,
            w: h,
            h: w,
        },
        // Displayed (x', y') comes from stored (sw - 1 - y', x').
        Orientation::Rotate270 => Rect {
            x: sw - y - h,
            y: x,
            w: h,
            h: w,
        },
        // Transpose.
        Orientation::Rotate90FlipH => Rect {
            x: y,
            y: x,
            w: h,
            h: w,
        },
        // Transverse.
        Orientation::Rotate270FlipH => Rect {
            x: sw - y - h,
            y: sh - x - w,
            w: h,
            h: w,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Orientation; 8] = [
        Orientation::NoTransforms,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Rotate90FlipH,
        Orientation::Rotate90,
        Orientation::Rotate270FlipH,
        Orientation::Rotate270,
    ];

    /// A 7×5 RGB raster whose every pixel is unique.
    fn numbered(width: u32, height: u32) -> Raster {
        let data = (0..width * height)
            .flat_map(|i| [i as u8, (i * 7) as u8, (i * 13) as u8])
            .collect();
        Raster {
            width,
            height,
            channels: Channels::Rgb,
            data,
        }
    }

    fn crop(r: &Raster, rect: Rect) -> Raster {
        let (x0, y0, w, h) = (rect.x as u32, rect.y as u32, rect.w as u32, rect.h as u32);
        let mut data = Vec::new();
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                let i = ((y * r.width + x) * 3) as usize;
                data.extend_from_slice(&r.data[i..i + 3]);
            }
        }
        Raster {
            width: w,
            height: h,
            channels: Channels::Rgb,
            data,
        }
    }

    #[test]
    fn all_eight_orientations_have_the_right_shape() {
        for o in ALL {
            let out = apply(numbered(7, 5), o).unwrap();
            let expect = if swaps_axes(o) { (5, 7) } else { (7, 5) };
            assert_eq!((out.width, out.height), expect, "{o:?}");
        }
    }

    #[test]
    fn crop_then_orient_equals_orient_then_crop() {
        let stored = numbered(7, 5);
        for o in ALL {
            let displayed = apply(stored.clone(), o).unwrap();
            let rect = Rect {
                x: 1.0,
                y: 2.0,
                w: 2.0,
                h: 3.0,
            };
            let rect = Rect {
                w: rect.w.min(f64::from(displayed.width) - rect.x),
                h: rect.h.min(f64::from(displayed.height) - rect.y),
                ..rect
            };
            let want = crop(&displayed, rect);
            let stored_rect = rect_to_stored(rect, o, (7.0, 5.0));
            let got = apply(crop(&stored, stored_rect), o).unwrap();
            assert_eq!(got, want, "{o:?}");
        }
    }

    #[test]
    fn exif_6_turns_the_top_left_corner_to_the_top_right() {
        let mut r = numbered(3, 2);
        r.data[..3].copy_from_slice(&[255, 0, 0]);
        let out = apply(r, Orientation::Rotate90).unwrap();
        assert_eq!((out.width, out.height), (2, 3));
        assert_eq!(&out.data[3..6], &[255, 0, 0]);
    }
}
