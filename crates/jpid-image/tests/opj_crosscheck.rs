//! hayro-jpeg2000 against OpenJPEG's `opj_decompress` on the JPEG 2000 fixtures: same
//! dimensions, same channel count, nearly the same samples (the irreversible 9/7 wavelet is
//! computed in floating point, so ±1 or 2 between decoders is expected).
//!
//! Needs `opj_decompress` (Debian package libopenjp2-tools), which `scripts/test` installs.

mod common;

use std::path::Path;
use std::process::Command;

use common::{diff_stats, fixture, fixture_path, read_png};
use jpid_image::jp2_to_png;

/// Largest difference in any sample, and largest mean difference, accepted between decoders.
const MAX_ABS_DIFF: u8 = 2;
const MAX_MEAN_DIFF: f64 = 0.05;

/// A binary PNM (P5 or P6, maxval 255) as `opj_decompress` writes it, comments allowed.
fn read_pnm(bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        match bytes[i] {
            b'#' => {
                while bytes[i] != b'\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                fields.push(std::str::from_utf8(&bytes[start..i]).unwrap().to_owned());
            }
        }
    }
    let channels = match fields[0].as_str() {
        "P5" => 1,
        "P6" => 3,
        other => panic!("unexpected PNM type {other}"),
    };
    assert_eq!(fields[3], "255", "maxval");
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let data = bytes[i + 1..].to_vec();
    assert_eq!(data.len(), (w * h) as usize * channels);
    (w, h, channels, data)
}

fn opj_decompress(input: &Path, ext: &str) -> Vec<u8> {
    let out = std::env::temp_dir().join(format!(
        "jpid-image-opj-{}-{}.{ext}",
        std::process::id(),
        input.file_stem().unwrap().to_string_lossy()
    ));
    let status = Command::new("opj_decompress")
        .arg("-i")
        .arg(input)
        .arg("-o")
        .arg(&out)
        .output();
    let output = match status {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run opj_decompress ({e}). Run ./scripts/test, which installs it \
             (Debian package libopenjp2-tools), or: apt-get install libopenjp2-tools"
        ),
    };
    assert!(
        output.status.success(),
        "opj_decompress failed on {}: {}",
        input.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

fn crosscheck(name: &str, ext: &str, channels: usize) {
    let ours = jp2_to_png(&fixture(name)).unwrap();
    let ours = read_png(&ours.png);
    let (w, h, c, theirs) = read_pnm(&opj_decompress(&fixture_path(name), ext));
    assert_eq!((ours.width, ours.height), (w, h), "{name}: dimensions");
    assert_eq!(c, channels, "{name}: opj_decompress channels");
    let (max, mean) = diff_stats(&ours.data, &theirs);
    eprintln!("{name}: hayro vs opj_decompress: max abs diff {max}, mean {mean:.3}");
    assert!(
        max <= MAX_ABS_DIFF && mean <= MAX_MEAN_DIFF,
        "{name}: max abs diff {max}, mean {mean:.3}"
    );
}

#[test]
fn residence_face_matches_openjpeg() {
    crosscheck("residence-face.jp2", "ppm", 3);
}

#[test]
fn mynumber_face_matches_openjpeg() {
    crosscheck("mynumber-face.jp2", "pgm", 1);
}

#[test]
fn raw_codestream_matches_openjpeg() {
    crosscheck("test-face.j2k", "ppm", 3);
}
