//! Hostile input: truncated files, wrong signatures, absurd dimensions, random and mutated
//! bytes. Every case must come back as an error (or, for a mutation that happens to stay valid,
//! an image), never as a panic, and never through the panic net
//! ([`ImageError::DecoderPanicked`] would mean a decoder panicked).

mod common;

use common::{fixture, padded, set_tiff_long};
use jpid_image::{
    jp2_to_png, png_to_png, tiff_g4_to_png, to_png, DecodedImage, Format, ImageError,
};
use proptest::prelude::*;

type Decode = fn(&[u8]) -> Result<DecodedImage, ImageError>;

const FIXTURES: [(&str, Decode); 10] = [
    ("residence-gen1-front.tif", tiff_g4_to_png),
    ("residence-gen2-name.tif", tiff_g4_to_png),
    ("residence-gen2-address.tif", tiff_g4_to_png),
    ("test-front-lsb2msb.tif", tiff_g4_to_png),
    ("test-address-strips.tif", tiff_g4_to_png),
    ("residence-face.jp2", jp2_to_png),
    ("mynumber-face.jp2", jp2_to_png),
    ("test-face.j2k", jp2_to_png),
    ("mynumber-name.png", png_to_png),
    ("mynumber-address.png", png_to_png),
];

fn no_panic_net(r: &Result<DecodedImage, ImageError>) {
    if let Err(e @ ImageError::DecoderPanicked { .. }) = r {
        panic!("{e}");
    }
}

/// Every proper prefix of every fixture is refused (a card read that stopped short). Zero-padded
/// after the cut, as a card file is, a prefix is refused too, or, where the cut only removed
/// bytes the image does not need (the end of a TIFF's last IFD entry), decodes to the very same
/// image: never to a different one.
#[test]
fn truncated_files_are_refused() {
    for (name, decode) in FIXTURES {
        let bytes = fixture(name);
        let whole = decode(&bytes).unwrap();
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            let r = decode(prefix);
            assert!(r.is_err(), "{name} truncated to {len} bytes was accepted");
            no_panic_net(&r);
            let r = decode(&padded(prefix, bytes.len() + 16));
            no_panic_net(&r);
            if let Ok(img) = r {
                assert_eq!(
                    img, whole,
                    "{name} truncated to {len} bytes and zero-padded"
                );
            }
        }
    }
}

#[test]
fn wrong_magic_is_refused() {
    let tiff = fixture("residence-gen1-front.tif");
    let jp2 = fixture("residence-face.jp2");
    let png = fixture("mynumber-name.png");
    let wrong = |r: Result<DecodedImage, ImageError>, expected: Format| match r {
        Err(ImageError::WrongMagic { expected: e, .. }) => assert_eq!(e, expected),
        other => panic!("expected WrongMagic, got {other:?}"),
    };
    wrong(tiff_g4_to_png(&jp2), Format::Tiff);
    wrong(tiff_g4_to_png(&png), Format::Tiff);
    wrong(jp2_to_png(&tiff), Format::Jp2);
    wrong(jp2_to_png(&png), Format::Jp2);
    wrong(png_to_png(&tiff), Format::Png);
    wrong(png_to_png(&jp2), Format::Png);
    // A damaged signature.
    let mut t = tiff.clone();
    t[2] = b'+';
    assert!(tiff_g4_to_png(&t).is_err());
    let mut j = jp2.clone();
    j[11] ^= 0xFF; // inside the signature box contents
    assert!(matches!(jp2_to_png(&j), Err(ImageError::Malformed { .. })));
    // Unknown to the dispatcher; empty and all-zero inputs.
    assert!(matches!(
        to_png(b"GIF89a\x01\0"),
        Err(ImageError::UnknownFormat { .. })
    ));
    for f in [tiff_g4_to_png as Decode, jp2_to_png, png_to_png] {
        assert!(matches!(f(&[]), Err(ImageError::Empty { .. })));
        assert!(matches!(f(&[0; 7000]), Err(ImageError::Empty { .. })));
    }
}

#[test]
fn absurd_dimensions_are_refused_before_allocating() {
    let tiff = fixture("residence-gen1-front.tif");
    let mut huge = tiff.clone();
    set_tiff_long(&mut huge, 256, 100_000);
    set_tiff_long(&mut huge, 257, 100_000);
    match tiff_g4_to_png(&huge) {
        Err(
            e @ ImageError::TooLarge {
                width: 100_000,
                height: 100_000,
                ..
            },
        ) => {
            assert!(e.to_string().contains("100000×100000"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Within each side's limit but too many pixels in all.
    let mut many = tiff.clone();
    set_tiff_long(&mut many, 256, 4096);
    set_tiff_long(&mut many, 257, 4096);
    let small = jpid_image::Limits::new(4096, 4096, 1 << 20);
    assert!(matches!(
        jpid_image::tiff_g4_to_png_with(&many, &small),
        Err(ImageError::TooLarge { .. })
    ));
    // A declared height beyond what the strip holds: decoding runs out of rows.
    let mut tall = tiff.clone();
    set_tiff_long(&mut tall, 257, 4000);
    set_tiff_long(&mut tall, 278, 4000);
    assert!(matches!(
        tiff_g4_to_png(&tall),
        Err(ImageError::Corrupt { .. })
    ));

    // JP2: the codestream's SIZ (Xsiz, Ysiz), and the ihdr box.
    let jp2 = fixture("residence-face.jp2");
    let soc = jp2
        .windows(4)
        .position(|w| w == b"\xFF\x4F\xFF\x51")
        .unwrap();
    let mut huge = jp2.clone();
    huge[soc + 8..soc + 12].copy_from_slice(&100_000u32.to_be_bytes());
    huge[soc + 12..soc + 16].copy_from_slice(&100_000u32.to_be_bytes());
    assert!(
        matches!(jp2_to_png(&huge), Err(ImageError::TooLarge { .. })),
        "{:?}",
        jp2_to_png(&huge)
    );
    let ihdr = jp2.windows(4).position(|w| w == b"ihdr").unwrap() + 4;
    let mut huge = jp2.clone();
    huge[ihdr..ihdr + 4].copy_from_slice(&100_000u32.to_be_bytes());
    assert!(matches!(
        jp2_to_png(&huge),
        Err(ImageError::TooLarge { .. })
    ));

    // PNG: IHDR width and height.
    let mut png = fixture("mynumber-name.png");
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    assert!(matches!(png_to_png(&png), Err(ImageError::TooLarge { .. })));
}

#[test]
fn trailing_garbage_after_jp2_and_png_is_refused() {
    for name in ["residence-face.jp2", "mynumber-name.png"] {
        let mut bytes = fixture(name);
        let end = bytes.len();
        bytes.extend_from_slice(b"GARBAGE!");
        match to_png(&bytes) {
            Err(ImageError::TrailingData { offset, .. }) => assert_eq!(offset, end, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

fn mutate(bytes: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut v = bytes.to_vec();
    for &(pos, value) in edits {
        let i = pos % v.len();
        v[i] = value;
    }
    if let Some(cut) = cut {
        v.truncate(cut % (v.len() + 1));
    }
    v
}

/// 256 cases each, or `PROPTEST_CASES` (e.g. `PROPTEST_CASES=20000 cargo test --release -p
/// jpid-image --test hostile` for a longer fuzzing run).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Random bytes, bare or behind each format's signature.
    #[test]
    fn random_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..4096),
        prefix in 0usize..5,
    ) {
        let magic: &[u8] = [
            &b""[..],
            b"II*\0",
            b"MM\0*",
            b"\0\0\0\x0CjP  \r\n\x87\n",
            b"\xFF\x4F\xFF\x51",
        ][prefix];
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&data);
        for decode in [tiff_g4_to_png as Decode, jp2_to_png, png_to_png, to_png] {
            let r = decode(&bytes);
            no_panic_net(&r);
            if prefix == 0 {
                prop_assert!(r.is_err());
            }
        }
    }

    /// Fixtures with up to 8 bytes overwritten (anywhere: headers, boxes, IFDs, coded data) and
    /// perhaps truncated. Bytes in the coded data reach deep into the decoders.
    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..FIXTURES.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..9),
        cut in proptest::option::weighted(0.2, any::<usize>()),
    ) {
        let (name, decode) = FIXTURES[which];
        let bytes = mutate(&fixture(name), &edits, cut);
        no_panic_net(&decode(&bytes));
    }
}
