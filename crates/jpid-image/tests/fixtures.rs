//! Every fixture decodes to the picture the generator drew: exactly for the lossless formats
//! (MMR TIFF, PNG), closely for JPEG 2000. Sizes stay within the card maxima
//! (residence-card.md §3), zero padding is accepted, and the exported PNGs re-decode with the
//! `png` crate.

mod common;

use std::time::Instant;

use common::{
    assert_same_bilevel, black_pixels, fixture, padded, psnr, read_png, scene, set_tiff_long,
};
use jpid_image::{
    jp2_to_png, png_to_png, sniff, tiff_g4_to_png, to_png, DecodedImage, Format, PixelLayout,
};

/// Card maxima from residence-card.md §3 (values of the `D0`, `D1`, `DFD1` TLVs).
const FRONT_MAX: usize = 7000;
const FACE_MAX: usize = 3000;
const GEN2_TEXT_MAX: usize = 2500;

fn check_bilevel_tiff(name: &str, max: usize, want: &scene::Bilevel) -> DecodedImage {
    let bytes = fixture(name);
    assert!(
        bytes.len() <= max,
        "{name} is {} bytes, the card holds at most {max}",
        bytes.len()
    );
    assert_eq!(sniff(&bytes), Some(Format::Tiff));
    let img = tiff_g4_to_png(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!((img.width, img.height), (want.width, want.height), "{name}");
    assert_eq!(
        (img.source, img.layout, img.bit_depth),
        (Format::Tiff, PixelLayout::Bilevel, 1)
    );
    let png = read_png(&img.png);
    assert_eq!((png.width, png.height), (want.width, want.height));
    assert_same_bilevel(name, &black_pixels(&png), want);
    // Zero padding to the card maximum changes nothing.
    assert_eq!(
        tiff_g4_to_png(&padded(&bytes, max)).unwrap(),
        img,
        "{name} padded"
    );
    img
}

#[test]
fn residence_gen1_front() {
    let img = check_bilevel_tiff(
        "residence-gen1-front.tif",
        FRONT_MAX,
        &scene::residence_front(),
    );
    assert_eq!((img.width, img.height), (1000, 632));
    assert!(
        fixture("residence-gen1-front.tif").len() >= 5000,
        "the front should be close to real size"
    );
}

#[test]
fn residence_gen2_name_and_address() {
    let name = check_bilevel_tiff(
        "residence-gen2-name.tif",
        GEN2_TEXT_MAX,
        &scene::residence_name(),
    );
    assert_eq!((name.width, name.height), (640, 64));
    let address = check_bilevel_tiff(
        "residence-gen2-address.tif",
        GEN2_TEXT_MAX,
        &scene::residence_address(),
    );
    assert_eq!((address.width, address.height), (800, 112));
}

#[test]
fn tiff_variants_decode_to_the_same_picture() {
    // FillOrder 2 (least significant bit first).
    check_bilevel_tiff(
        "test-front-lsb2msb.tif",
        FRONT_MAX,
        &scene::residence_front(),
    );
    // 16 rows per strip, each strip coded on its own.
    check_bilevel_tiff(
        "test-address-strips.tif",
        GEN2_TEXT_MAX,
        &scene::residence_address(),
    );
}

/// PhotometricInterpretation 1 (BlackIsZero): the same MMR data means the inverse picture.
#[test]
fn black_is_zero_inverts() {
    let mut bytes = fixture("residence-gen2-name.tif");
    set_tiff_long(&mut bytes, 262, 1);
    let img = tiff_g4_to_png(&bytes).unwrap();
    let got = black_pixels(&read_png(&img.png));
    let drawn = scene::residence_name();
    assert!(
        got.iter().zip(&drawn.black).all(|(g, d)| g != d),
        "not the inverse of the drawing"
    );
}

fn check_face(name: &str, grey: bool) -> DecodedImage {
    let bytes = fixture(name);
    let img = jp2_to_png(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (w, h) = scene::FACE_SIZE;
    assert_eq!((img.width, img.height), (w, h), "{name}");
    let face = scene::face(w, h);
    let png = read_png(&img.png);
    assert_eq!(
        (png.width, png.height, png.depth),
        (w, h, png::BitDepth::Eight)
    );
    let want: Vec<u8> = if grey {
        assert_eq!(
            (img.layout, png.colour),
            (PixelLayout::Grey, png::ColorType::Grayscale)
        );
        face.to_grey()
    } else {
        assert_eq!(
            (img.layout, png.colour),
            (PixelLayout::Rgb, png::ColorType::Rgb)
        );
        face.pixels.iter().flatten().copied().collect()
    };
    // Lossy at about 50:1, but still clearly the drawing.
    let db = psnr(&png.data, &want);
    assert!(db > 28.0, "{name}: PSNR {db:.1} dB against the drawing");
    assert_eq!(
        jp2_to_png(&padded(&bytes, bytes.len() + 700)).unwrap(),
        img,
        "{name} padded"
    );
    img
}

#[test]
fn residence_face_jp2() {
    let bytes = fixture("residence-face.jp2");
    assert!(
        bytes.len() <= FACE_MAX,
        "face is {} bytes, the card holds at most {FACE_MAX}",
        bytes.len()
    );
    assert!(bytes.len() >= 2000, "the face should be close to real size");
    assert_eq!(sniff(&bytes), Some(Format::Jp2));
    let img = check_face("residence-face.jp2", false);
    assert_eq!(img.source, Format::Jp2);
    // Padded to exactly the card maximum, as in the gen-2 example (D1 82 0B B8).
    assert_eq!(jp2_to_png(&padded(&bytes, FACE_MAX)).unwrap(), img);
}

#[test]
fn raw_codestream_decodes_too() {
    let bytes = fixture("test-face.j2k");
    assert_eq!(sniff(&bytes), Some(Format::J2k));
    let img = check_face("test-face.j2k", false);
    assert_eq!(img.source, Format::J2k);
}

#[test]
fn mynumber_face_jp2_is_grey() {
    let img = check_face("mynumber-face.jp2", true);
    assert_eq!(img.source, Format::Jp2);
}

#[test]
fn mynumber_name_and_address_png() {
    for (name, want) in [
        ("mynumber-name.png", scene::mynumber_name()),
        ("mynumber-address.png", scene::mynumber_address()),
        (
            "mynumber-security-code.png",
            scene::mynumber_security_code(),
        ),
        ("mynumber-my-number.png", scene::mynumber_my_number()),
    ] {
        let bytes = fixture(name);
        assert_eq!(sniff(&bytes), Some(Format::Png));
        let original = read_png(&bytes);
        assert_eq!(
            (original.colour, original.depth),
            (png::ColorType::Grayscale, png::BitDepth::One)
        );
        let img = png_to_png(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (img.width, img.height, img.layout, img.bit_depth),
            (want.width, want.height, PixelLayout::Bilevel, 1)
        );
        assert_same_bilevel(name, &black_pixels(&read_png(&img.png)), &want);
        assert_eq!(png_to_png(&padded(&bytes, bytes.len() + 64)).unwrap(), img);
    }
}

#[test]
fn to_png_dispatches_on_the_signature() {
    for (name, format) in [
        ("residence-gen1-front.tif", Format::Tiff),
        ("residence-face.jp2", Format::Jp2),
        ("test-face.j2k", Format::J2k),
        ("mynumber-name.png", Format::Png),
    ] {
        assert_eq!(to_png(&fixture(name)).unwrap().source, format, "{name}");
    }
}

/// Rough decode timings; `cargo test -p jpid-image -- --nocapture timings` prints them. The
/// bound only catches pathological slowness (debug builds, shared CI machines).
#[test]
fn timings() {
    for name in [
        "residence-gen1-front.tif",
        "residence-gen2-address.tif",
        "residence-face.jp2",
        "mynumber-face.jp2",
        "mynumber-address.png",
    ] {
        let bytes = fixture(name);
        let start = Instant::now();
        let runs = 5;
        for _ in 0..runs {
            to_png(&bytes).unwrap();
        }
        let each = start.elapsed() / runs;
        eprintln!("{name}: {each:?} per decode + PNG export");
        assert!(each.as_secs() < 2, "{name} took {each:?}");
    }
}
