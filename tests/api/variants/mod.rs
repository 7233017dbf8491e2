//! Image variants of file links (`/f/{bucket}/{key}?w=&h=&fit=&fmt=&q=`, `?v=`): every image
//! is made here with the `image` crate, and every variant received is decoded and its size,
//! format and pixels checked.
//!
//! - [`params`]: sizes, fits, formats, qualities, presets, `v=auto`, bad parameters, `Accept`;
//! - [`pixels`]: EXIF orientation applied, metadata stripped, a GIF's first frame;
//! - [`cache`]: made once and kept in the bucket's storage (a twin finds it), conditional and
//!   `HEAD` requests, single flight, invalidation by replace and delete;
//! - [`limits`]: pixels, bytes, a decompression bomb, too many at once;
//! - [`signed`]: signed variant links of a private bucket;
//! - [`uploads`]: the image fields of upload answers, tools' thumbnails;
//! - [`originals`]: what is not decodable, and the reserved `.picgate/` folder.

mod cache;
mod limits;
mod originals;
mod params;
mod pixels;
mod signed;
mod uploads;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::header::HeaderMap;

use crate::helpers::{Answer, TestApp};

pub const RED: [u8; 4] = [255, 0, 0, 255];
pub const GREEN: [u8; 4] = [0, 255, 0, 255];
pub const BLUE: [u8; 4] = [0, 0, 255, 255];
pub const WHITE: [u8; 4] = [255, 255, 255, 255];

/// A solid `colour` image.
pub fn solid(width: u32, height: u32, colour: [u8; 4]) -> RgbaImage {
    RgbaImage::from_pixel(width, height, Rgba(colour))
}

/// Four solid quadrants: red top left, green top right, blue bottom left, white bottom right.
pub fn quadrants(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// The left half red, the right half blue.
pub fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

/// Busy detail everywhere (what lossy quality is about), deterministic.
pub fn detailed(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let n = x
            .wrapping_mul(2_654_435_761)
            .wrapping_add(y.wrapping_mul(2_246_822_519))
            .rotate_left(13)
            .wrapping_mul(3_266_489_917);
        Rgb([
            (n >> 24) as u8,
            ((x * 255) / width.max(1)) as u8 ^ (n >> 16) as u8 & 0x3F,
            ((y * 255) / height.max(1)) as u8,
        ])
    })
}

pub fn png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(image.clone())
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub fn png_rgb(image: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.clone())
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .unwrap();
    out
}

/// One response, whole: status, headers, body bytes.
pub struct Got {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Got {
    /// The body as the JSON envelope of an error (or any answer).
    pub fn answer(&self) -> Answer {
        let body = serde_json::from_slice(&self.bytes).unwrap_or_else(|_| {
            panic!(
                "not JSON (status {}): {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        });
        Answer {
            status: self.status,
            headers: self.headers.clone(),
            body,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// Every `Vary` value, joined by `, `.
    pub fn vary(&self) -> String {
        self.headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Asserts a 200 image of `format` (magic bytes and `Content-Type`), decodes it.
    #[track_caller]
    pub fn image(&self, format: ImageFormat) -> DynamicImage {
        assert_eq!(
            self.status,
            200,
            "{}",
            String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(500)])
        );
        assert_eq!(
            self.header("content-type"),
            format.to_mime_type(),
            "Content-Type"
        );
        assert_eq!(
            image::guess_format(&self.bytes).ok(),
            Some(format),
            "magic bytes {:02x?}",
            &self.bytes[..self.bytes.len().min(16)]
        );
        image::load_from_memory_with_format(&self.bytes, format).expect("a decodable variant")
    }

    /// As [`Got::image`], checking the dimensions too.
    #[track_caller]
    pub fn image_sized(&self, format: ImageFormat, width: u32, height: u32) -> DynamicImage {
        let image = self.image(format);
        assert_eq!(
            (image.width(), image.height()),
            (width, height),
            "variant dimensions"
        );
        image
    }
}

/// GETs `path` (relative to the app, or a whole URL) with `headers`, no token.
pub async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Got {
    send(app, reqwest::Method::GET, path, headers, None).await
}

/// GETs `path` with a bearer token.
pub async fn get_auth(app: &TestApp, path: &str, token: &str) -> Got {
    send(app, reqwest::Method::GET, path, &[], Some(token)).await
}

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    token: Option<&str>,
) -> Got {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        app.url(path)
    };
    let mut req = app.client.request(method, url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body").to_vec();
    Got {
        status,
        headers,
        bytes,
    }
}

/// The value of the sample `series` (`name{label="value"}`) in a Prometheus text scrape.
#[track_caller]
pub fn metric(scrape: &str, series: &str) -> u64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no sample {series} in the scrape:\n{scrape}")) as u64
}

pub const MADE: &str = r#"picgate_image_transforms_total{outcome="made"}"#;
pub const HITS: &str = r#"picgate_variant_cache_lookups_total{result="hit"}"#;

/// `picgate_image_transforms_total{outcome="made"}` and the cache hits of `app` now.
pub async fn made_and_hits(app: &TestApp) -> (u64, u64) {
    let scrape = app.scrape().await;
    (metric(&scrape, MADE), metric(&scrape, HITS))
}

/// Whether the pixel at (`x`, `y`) is within `tolerance` of `colour` on every channel.
#[track_caller]
pub fn assert_colour(image: &DynamicImage, x: u32, y: u32, colour: [u8; 4], tolerance: u8) {
    let got = image.to_rgba8().get_pixel(x, y).0;
    let near = got
        .iter()
        .zip(colour)
        .all(|(a, b)| a.abs_diff(b) <= tolerance);
    assert!(
        near,
        "pixel ({x}, {y}) of a {}x{} image is {got:?}, expected about {colour:?}",
        image.width(),
        image.height()
    );
}

/// Whether `needle` occurs in `haystack`, ASCII case ignored.
pub fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The hex SHA-256 of `key`: the folder of its variants, `.picgate/variants/<kh[..2]>/<kh>/`.
pub fn key_hash(key: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Asserts an `invalid_query` 400 whose message names `param`.
#[track_caller]
pub fn assert_names_param(answer: &Answer, param: &str) {
    answer.assert_error(400, "invalid_query");
    let msg = answer.body["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains(&format!("{param}:")) || msg.contains(&format!("`{param}`")),
        "the message should name `{param}`: {msg}"
    );
}
