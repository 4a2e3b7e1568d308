//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The drawing code behind the fixtures (also used by the `draw` example).
#[path = "../../examples/draw/scene.rs"]
pub mod scene;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with crates/jpid-image/fixtures/generate.sh",
            path.display()
        )
    })
}

/// `bytes` zero-padded to `len`, as a card file is.
pub fn padded(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(len.max(bytes.len()), 0);
    v
}

/// A PNG decoded by the `png` crate (no transformations).
pub struct Png {
    pub width: u32,
    pub height: u32,
    pub colour: png::ColorType,
    pub depth: png::BitDepth,
    pub data: Vec<u8>,
}

pub fn read_png(bytes: &[u8]) -> Png {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut data = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut data).expect("PNG frame");
    data.truncate(info.buffer_size());
    Png {
        width: info.width,
        height: info.height,
        colour: info.color_type,
        depth: info.bit_depth,
        data,
    }
}

/// The black pixels of a 1-bit greyscale PNG (0 is black).
pub fn black_pixels(png: &Png) -> Vec<bool> {
    assert_eq!(
        (png.colour, png.depth),
        (png::ColorType::Grayscale, png::BitDepth::One)
    );
    let stride = png.width.div_ceil(8) as usize;
    let mut out = Vec::with_capacity((png.width * png.height) as usize);
    for y in 0..png.height as usize {
        for x in 0..png.width as usize {
            out.push(png.data[y * stride + x / 8] & (0x80 >> (x % 8)) == 0);
        }
    }
    out
}

/// Asserts that two bi-level pictures match exactly, naming the first differing pixel.
pub fn assert_same_bilevel(name: &str, got: &[bool], want: &scene::Bilevel) {
    assert_eq!(got.len(), want.black.len(), "{name}: pixel count");
    if let Some(i) = got.iter().zip(&want.black).position(|(a, b)| a != b) {
        let differing = got.iter().zip(&want.black).filter(|(a, b)| a != b).count();
        panic!(
            "{name}: pixel ({}, {}) differs from the drawing ({differing} pixels differ); \
             regenerate with crates/jpid-image/fixtures/generate.sh",
            i as u32 % want.width,
            i as u32 / want.width
        );
    }
}

/// Largest and mean absolute difference between two sample arrays of equal length.
pub fn diff_stats(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let mut max = 0u8;
    let mut sum = 0u64;
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        max = max.max(d);
        sum += u64::from(d);
    }
    (max, sum as f64 / a.len() as f64)
}

/// Peak signal-to-noise ratio in dB.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// Rewrites an IFD entry of a little-endian TIFF as a single LONG.
pub fn set_tiff_long(bytes: &mut [u8], tag: u16, value: u32) {
    assert_eq!(&bytes[..4], b"II*\0");
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes(bytes[ifd..ifd + 2].try_into().unwrap()) as usize;
    let at = (0..count)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&at| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) == tag)
        .expect("tag present");
    bytes[at + 2..at + 4].copy_from_slice(&4u16.to_le_bytes());
    bytes[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
    bytes[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
}
