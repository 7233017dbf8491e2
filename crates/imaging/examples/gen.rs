//! Writes a synthetic photo-like test JPEG (q90): gradients, a sine pattern and ±12 noise, the
//! same recipe as the variants research spike (a 4000x3000 one is about 3.8 MB).
//!
//! Usage: `cargo run --release -p picgate-imaging --example gen -- OUT WIDTH HEIGHT SEED`

use std::error::Error;

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, width, height, seed] = args.as_slice() else {
        return Err("usage: gen OUT WIDTH HEIGHT SEED".into());
    };
    let (width, height, seed): (u32, u32, u64) = (width.parse()?, height.parse()?, seed.parse()?);
    if width == 0 || height == 0 || width > 65_535 || height > 65_535 {
        return Err("WIDTH and HEIGHT must be 1..=65535".into());
    }
    let image = generate(width, height, seed);
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&image)?;
    std::fs::write(out, &bytes)?;
    println!("{out}: {width}x{height}, {} B", bytes.len());
    Ok(())
}

fn generate(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u32
    };
    let frequency = 1.0 + seed as f32 * 0.37;
    RgbImage::from_fn(width, height, |x, y| {
        let (xf, yf) = (x as f32 / width as f32, y as f32 / height as f32);
        let noise = (next() % 24) as f32 - 12.0;
        let r = 255.0 * xf + noise;
        let g = 127.5 + 100.0 * ((xf * 20.0 * frequency).sin() * (yf * 15.0).cos()) + noise;
        let b = 255.0 * (1.0 - yf) + noise;
        Rgb([
            r.clamp(0.0, 255.0) as u8,
            g.clamp(0.0, 255.0) as u8,
            b.clamp(0.0, 255.0) as u8,
        ])
    })
}
