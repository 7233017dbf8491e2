//! Test helpers: images generated in code (no binary fixtures), hand-built PNG/JPEG pieces,
//! and readers for the container structures outputs are checked against.

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ExtendedColorType, Frame, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use crate::{Fit, Format, Spec};

/// A deterministic xorshift generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A smooth RGB gradient (red across, blue down).
pub fn gradient_rgb(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(2).saturating_sub(1).max(1)) as u8,
            128,
            (y * 255 / height.max(2).saturating_sub(1).max(1)) as u8,
        ])
    })
}

/// A solid image with one `corner` colour filling a `block`-sized square at each given corner
/// (top-left, top-right, bottom-left, bottom-right; `None` leaves the background).
pub fn corners(
    width: u32,
    height: u32,
    block: u32,
    background: [u8; 3],
    marks: [Option<[u8; 3]>; 4],
) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let left = x < block;
        let right = x >= width - block;
        let top = y < block;
        let bottom = y >= height - block;
        let mark = match (top, bottom, left, right) {
            (true, _, true, _) => marks[0],
            (true, _, _, true) => marks[1],
            (_, true, true, _) => marks[2],
            (_, true, _, true) => marks[3],
            _ => None,
        };
        Rgb(mark.unwrap_or(background))
    })
}

pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A JPEG with an embedded ICC profile (APP2).
pub fn encode_jpeg_with_icc(image: &RgbImage, quality: u8, icc: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    encoder.set_icc_profile(icc.to_vec()).unwrap();
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A PNG of raw samples (`data` in the layout of `color`; 16-bit samples native-endian), with
/// optional iCCP and eXIf chunks.
pub fn encode_png(
    data: &[u8],
    width: u32,
    height: u32,
    color: ExtendedColorType,
    icc: Option<&[u8]>,
    exif: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc.to_vec()).unwrap();
    }
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif.to_vec()).unwrap();
    }
    encoder.write_image(data, width, height, color).unwrap();
    out
}

pub fn encode_png_rgb(image: &RgbImage) -> Vec<u8> {
    encode_png(
        image.as_raw(),
        image.width(),
        image.height(),
        ExtendedColorType::Rgb8,
        None,
        None,
    )
}

pub fn encode_png_rgba(image: &RgbaImage) -> Vec<u8> {
    encode_png(
        image.as_raw(),
        image.width(),
        image.height(),
        ExtendedColorType::Rgba8,
        None,
        None,
    )
}

/// Lossless WebP through `image` (VP8L).
pub fn encode_webp_lossless(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

/// Lossy WebP through libwebp (VP8, plus ALPH when `image` has alpha below 255).
pub fn encode_webp_lossy(image: &RgbaImage, quality: f32) -> Vec<u8> {
    webp::Encoder::from_rgba(image.as_raw(), image.width(), image.height())
        .encode_simple(false, quality)
        .unwrap()
        .to_vec()
}

/// An animated lossy WebP of solid frames.
pub fn encode_webp_animated(width: u32, height: u32, colours: &[[u8; 4]]) -> Vec<u8> {
    let frames: Vec<RgbaImage> = colours
        .iter()
        .map(|&c| RgbaImage::from_pixel(width, height, Rgba(c)))
        .collect();
    let config = webp::WebPConfig::new().unwrap();
    let mut encoder = webp::AnimEncoder::new(width, height, &config);
    for (i, frame) in frames.iter().enumerate() {
        encoder.add_frame(webp::AnimFrame::from_rgba(
            frame.as_raw(),
            width,
            height,
            i as i32 * 100,
        ));
    }
    encoder.try_encode().unwrap().to_vec()
}

/// A GIF of solid frames (one frame = a still GIF).
pub fn encode_gif(width: u32, height: u32, colours: &[[u8; 4]]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = colours
            .iter()
            .map(|&c| Frame::new(RgbaImage::from_pixel(width, height, Rgba(c))));
        encoder.encode_frames(frames).unwrap();
    }
    out
}

/// A GIF of one frame copied from `image` (colours are quantised by the encoder).
pub fn encode_gif_image(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder
            .encode_frames(std::iter::once(Frame::new(image.clone())))
            .unwrap();
    }
    out
}

/// A little-endian TIFF/EXIF structure holding only the Orientation tag.
pub fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff
}

/// Distinctive GPS latitude/longitude numerators planted by [`exif_with_gps`].
pub const GPS_LATITUDE_SECONDS: u32 = 0x5EC0_4D51;
pub const GPS_LONGITUDE_SECONDS: u32 = 0x10C4_7104;

/// A little-endian EXIF structure: IFD0 with Orientation and a GPS IFD pointer; the GPS IFD has
/// GPSLatitudeRef "N", GPSLatitude 48/1 51/1 SECONDS/1000, GPSLongitudeRef "E",
/// GPSLongitude 2/1 21/1 SECONDS/1000.
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&typ.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    };
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    // IFD0 at 8: 2 entries (2 + 24 + 4 = 30 bytes) -> GPS IFD at 38.
    t.extend_from_slice(&2u16.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 38);
    // GPS IFD: 4 entries (2 + 48 + 4 = 54 bytes) -> rationals at 92 and 116.
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 92u32.to_le_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, 116u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 92);
    for (deg, min, sec) in [
        (48u32, 51u32, GPS_LATITUDE_SECONDS),
        (2, 21, GPS_LONGITUDE_SECONDS),
    ] {
        for (num, den) in [(deg, 1u32), (min, 1), (sec, 1000)] {
            t.extend_from_slice(&num.to_le_bytes());
            t.extend_from_slice(&den.to_le_bytes());
        }
    }
    t
}

/// Inserts an `Exif` APP1 segment holding `tiff` right after the JPEG's SOI.
pub fn add_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A zlib stream of `data` in stored (uncompressed) deflate blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A PNG built by hand: signature, IHDR, optional PLTE/tRNS, one IDAT of `raw` (filtered
/// scanlines, zlib-stored), IEND.
pub fn handmade_png(
    width: u32,
    height: u32,
    bit_depth: u8,
    color_type: u8,
    palette: Option<(&[u8], &[u8])>,
    raw: &[u8],
) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    if let Some((plte, trns)) = palette {
        png_chunk(&mut png, b"PLTE", plte);
        if !trns.is_empty() {
            png_chunk(&mut png, b"tRNS", trns);
        }
    }
    png_chunk(&mut png, b"IDAT", &zlib_stored(raw));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// Types of the chunks of a PNG, in order.
pub fn png_chunks(png: &[u8]) -> Vec<[u8; 4]> {
    let mut kinds = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        kinds.push(png[pos + 4..pos + 8].try_into().unwrap());
        pos += 12 + len;
    }
    kinds
}

/// FourCCs of the chunks of a RIFF WebP, in order.
pub fn riff_chunks(webp: &[u8]) -> Vec<[u8; 4]> {
    assert_eq!(&webp[..4], b"RIFF");
    assert_eq!(&webp[8..12], b"WEBP");
    let mut kinds = Vec::new();
    let mut pos = 12;
    while pos + 8 <= webp.len() {
        let len = u32::from_le_bytes(webp[pos + 4..pos + 8].try_into().unwrap()) as usize;
        kinds.push(webp[pos..pos + 4].try_into().unwrap());
        pos += 8 + len + (len & 1);
    }
    kinds
}

/// JPEG marker codes up to (and including) the first SOS.
pub fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let code = jpeg[pos + 1];
        markers.push(code);
        if code == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        pos += 2 + len;
    }
    markers
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Decodes an output file with `image` (format sniffed) into RGBA8.
pub fn decode_rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes).unwrap().into_rgba8()
}

/// Decodes an output file and reports its colour type too.
pub fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// Whether two colours are within `tolerance` on every channel.
pub fn near(a: &[u8], b: &[u8], tolerance: u8) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= tolerance)
}

pub fn spec(width: Option<u32>, height: Option<u32>, fit: Fit, format: Format) -> Spec {
    Spec {
        width,
        height,
        fit,
        format,
        quality: 90,
    }
}
