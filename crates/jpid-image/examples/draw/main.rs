//! Draws the raw synthetic pictures that `fixtures/generate.sh` compresses into the fixtures:
//!
//! ```sh
//! cargo run -p jpid-image --example draw -- OUT_DIR
//! ```
//!
//! writes into OUT_DIR:
//! - `residence-front.pbm`, `residence-name.pbm`, `residence-address.pbm` (bi-level, for MMR TIFF)
//! - `face.ppm` (colour) and `face.pgm` (greyscale), for JPEG 2000
//! - `mynumber-name.png`, `mynumber-address.png`, `mynumber-security-code.png`,
//!   `mynumber-my-number.png`: finished fixtures, 1-bit PNG written here
//!
//! Nothing here depicts a real person: see `scene.rs`.

mod scene;

use std::fs;
use std::path::{Path, PathBuf};

use scene::Bilevel;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: draw OUT_DIR")?
        .into();
    fs::create_dir_all(&out)?;

    write_pbm(&out.join("residence-front.pbm"), &scene::residence_front())?;
    write_pbm(&out.join("residence-name.pbm"), &scene::residence_name())?;
    write_pbm(
        &out.join("residence-address.pbm"),
        &scene::residence_address(),
    )?;

    let (w, h) = scene::FACE_SIZE;
    let face = scene::face(w, h);
    assert_eq!((face.width, face.height), (w, h));
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.extend(face.pixels.iter().flatten());
    fs::write(out.join("face.ppm"), ppm)?;
    let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
    pgm.extend(face.to_grey());
    fs::write(out.join("face.pgm"), pgm)?;

    write_png_1bit(&out.join("mynumber-name.png"), &scene::mynumber_name())?;
    write_png_1bit(
        &out.join("mynumber-address.png"),
        &scene::mynumber_address(),
    )?;
    write_png_1bit(
        &out.join("mynumber-security-code.png"),
        &scene::mynumber_security_code(),
    )?;
    write_png_1bit(
        &out.join("mynumber-my-number.png"),
        &scene::mynumber_my_number(),
    )?;
    Ok(())
}

/// Rows packed MSB first, `1` where `one` says so, padding bits 0.
fn pack(img: &Bilevel, one: impl Fn(bool) -> bool) -> Vec<u8> {
    let stride = img.width.div_ceil(8) as usize;
    let mut out = vec![0u8; stride * img.height as usize];
    for y in 0..img.height {
        for x in 0..img.width {
            if one(img.get(x, y)) {
                out[y as usize * stride + x as usize / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    out
}

/// Binary PBM (P4): 1 is black.
fn write_pbm(path: &Path, img: &Bilevel) -> std::io::Result<()> {
    let mut data = format!("P4\n{} {}\n", img.width, img.height).into_bytes();
    data.extend(pack(img, |black| black));
    fs::write(path, data)
}

/// 1-bit greyscale PNG: 0 is black, 1 white.
fn write_png_1bit(path: &Path, img: &Bilevel) -> Result<(), Box<dyn std::error::Error>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, img.width, img.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pack(img, |black| !black))?;
    writer.finish()?;
    fs::write(path, bytes)?;
    Ok(())
}
