//! Makes one WebP thumbnail and prints how long `transform` took.
//!
//! Usage: `cargo run --release -p picgate-imaging --example thumb -- IN WIDTH OUT [QUALITY]`
//! (QUALITY defaults to 80). Prints `<ms> ms <w>x<h> <bytes> B`; the time covers `transform`
//! only, not reading or writing the files.

use std::error::Error;
use std::time::Instant;

use imaging::{Fit, Format, Limits, Spec, transform};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, width, output, rest @ ..] = args.as_slice() else {
        return Err("usage: thumb IN WIDTH OUT [QUALITY]".into());
    };
    let quality = match rest {
        [] => 80,
        [q] => q.parse()?,
        _ => return Err("usage: thumb IN WIDTH OUT [QUALITY]".into()),
    };
    let bytes = std::fs::read(input)?;
    let spec = Spec {
        width: Some(width.parse()?),
        height: None,
        fit: Fit::Inside,
        format: Format::Webp,
        quality,
    };
    let start = Instant::now();
    let encoded = transform(&bytes, &spec, &Limits::default())?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    std::fs::write(output, &encoded.bytes)?;
    println!(
        "{ms:.1} ms {}x{} {} B",
        encoded.width,
        encoded.height,
        encoded.bytes.len()
    );
    Ok(())
}
