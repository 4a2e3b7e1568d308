//! The images on Japan's identity-card chips, decoded safely and exported as PNG.
//!
//! | Card | Image | Format here |
//! |---|---|---|
//! | Residence card / SPR certificate, gen 1 (docs/spec/residence-card.md §3) | DF1/EF01 `D0` card front, ≤ 7000 bytes | bi-level TIFF, MMR (CCITT T.6, "Group 4") → [`tiff_g4_to_png`] |
//! | | DF1/EF02 `D1` face photo, ≤ 3000 bytes | colour JPEG 2000 in a JP2 container → [`jp2_to_png`] |
//! | Residence card / SPR certificate, gen 2 (docs/spec/residence-card.md §3) | DF1/EF03 `D0` name image, DF1/EF04 `DFD1` address image, ≤ 2500 bytes each | MMR TIFF → [`tiff_g4_to_png`] |
//! | | DF1/EF03 `D1` face, ≤ 3000 bytes | JP2 → [`jp2_to_png`] |
//! | My Number card, card-face AP EF 0002 (docs/spec/mynumber-card.md §4) | `DF27` face photo | greyscale JP2 → [`jp2_to_png`] |
//! | | `DF25` name, `DF26` address, EF 0005 `DF41` number image | 1-bit PNG → [`png_to_png`] (checked and re-encoded) |
//!
//! The bytes come from a card or a network and are treated as hostile:
//!
//! - no function here panics, and none allocates for pixels before the declared dimensions have
//!   been checked against [`Limits`] (default 4096 × 4096 and 16 Mi pixels);
//! - the decoders are pure Rust without `unsafe` (`hayro-ccitt`, `hayro-jpeg2000`, `png`); as a
//!   second line of defence a panic inside one of them is caught and reported as
//!   [`ImageError::DecoderPanicked`] (this needs the default `panic = "unwind"`);
//! - card files are zero-padded to their maximum length, so trailing `00` bytes after the image
//!   are accepted; other trailing bytes after a JP2 or PNG are refused
//!   ([`ImageError::TrailingData`]).
//!
//! [`sniff`] tells the formats apart; [`to_png`] dispatches on it.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod error;
mod jp2;
mod png_io;
mod tiff;

use std::fmt;

pub use error::ImageError;
pub use jp2::{jp2_to_png, jp2_to_png_with};
pub use png_io::{png_to_png, png_to_png_with};
pub use tiff::{tiff_g4_to_png, tiff_g4_to_png_with};

/// A container format, as told by its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// TIFF, either byte order (`II*\0` or `MM\0*`).
    Tiff,
    /// JPEG 2000 in a JP2 container (signature box `00 00 00 0C 6A 50 20 20`).
    Jp2,
    /// A raw JPEG 2000 codestream (`FF 4F FF 51`: SOC then SIZ).
    J2k,
    /// PNG.
    Png,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tiff => "TIFF",
            Self::Jp2 => "JP2",
            Self::J2k => "JPEG 2000 codestream",
            Self::Png => "PNG",
        })
    }
}

pub(crate) const TIFF_LE: &[u8] = b"II*\0";
pub(crate) const TIFF_BE: &[u8] = b"MM\0*";
pub(crate) const JP2_SIGNATURE: &[u8] = b"\x00\x00\x00\x0C\x6A\x50\x20\x20";
pub(crate) const J2K_SIGNATURE: &[u8] = b"\xFF\x4F\xFF\x51";
pub(crate) const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Tells the format of `bytes` from its first bytes, or `None` if it is none of [`Format`]'s.
///
/// Only the signature is looked at; the decoders check the rest.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(TIFF_LE) || bytes.starts_with(TIFF_BE) {
        Some(Format::Tiff)
    } else if bytes.starts_with(JP2_SIGNATURE) {
        Some(Format::Jp2)
    } else if bytes.starts_with(J2K_SIGNATURE) {
        Some(Format::J2k)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else {
        None
    }
}

/// Decodes any image [`sniff`] recognises and exports it as PNG, with the default [`Limits`].
///
/// # Errors
/// [`ImageError::WrongMagic`] if the format is not recognised, or whatever the format's decoder
/// returns.
pub fn to_png(bytes: &[u8]) -> Result<DecodedImage, ImageError> {
    to_png_with(bytes, &Limits::default())
}

/// [`to_png`] with explicit limits.
///
/// # Errors
/// As [`to_png`].
pub fn to_png_with(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, ImageError> {
    match sniff(bytes) {
        Some(Format::Tiff) => tiff_g4_to_png_with(bytes, limits),
        Some(Format::Jp2 | Format::J2k) => jp2_to_png_with(bytes, limits),
        Some(Format::Png) => png_to_png_with(bytes, limits),
        None => Err(ImageError::UnknownFormat {
            found: hex_head(bytes),
        }),
    }
}

/// Dimensions an image may declare before anything is allocated for its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_width: u32,
    max_height: u32,
    max_pixels: u64,
}

impl Limits {
    /// Limits of `max_width` × `max_height` and at most `max_pixels` pixels.
    pub const fn new(max_width: u32, max_height: u32, max_pixels: u64) -> Self {
        Self {
            max_width,
            max_height,
            max_pixels,
        }
    }

    /// Largest accepted width.
    pub const fn max_width(&self) -> u32 {
        self.max_width
    }

    /// Largest accepted height.
    pub const fn max_height(&self) -> u32 {
        self.max_height
    }

    /// Largest accepted width × height.
    pub const fn max_pixels(&self) -> u64 {
        self.max_pixels
    }

    pub(crate) fn check(&self, format: Format, width: u64, height: u64) -> Result<(), ImageError> {
        let too_large = |limit: String| ImageError::TooLarge {
            format,
            width,
            height,
            limit,
        };
        if width == 0 || height == 0 {
            return Err(ImageError::malformed(
                format,
                "dimensions",
                format!("{width}×{height}"),
            ));
        }
        if width > u64::from(self.max_width) {
            return Err(too_large(format!("{} pixels wide", self.max_width)));
        }
        if height > u64::from(self.max_height) {
            return Err(too_large(format!("{} pixels high", self.max_height)));
        }
        // Both factors are at most u32::MAX, so the product fits in u64.
        if width.saturating_mul(height) > self.max_pixels {
            return Err(too_large(format!("{} pixels", self.max_pixels)));
        }
        Ok(())
    }
}

impl Default for Limits {
    /// 4096 × 4096 and 16 Mi pixels: far above any card image (about 1000 × 640 at most), and
    /// what keeps a hostile file bounded. A bi-level TIFF needs about 1 bit per pixel. A JPEG 2000
    /// image needs about 8 bytes per pixel and component whatever its file size (the decoder
    /// works in `f32`): a 28 kB JP2 declaring 4096 × 4096 RGB took 1.1 s and 390 MiB (release
    /// build). Callers that only ever see card images (a server, say) may want a tighter limit.
    fn default() -> Self {
        Self::new(4096, 4096, 16 * 1024 * 1024)
    }
}

/// How the pixels of a [`DecodedImage`]'s PNG are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelLayout {
    /// 1 bit per pixel, 0 black and 1 white (the MMR TIFFs, the My Number text images).
    Bilevel,
    /// Greyscale.
    Grey,
    /// Greyscale with alpha.
    GreyAlpha,
    /// RGB.
    Rgb,
    /// RGB with alpha.
    Rgba,
    /// Palette indices (a PNG input that used a palette keeps it).
    Indexed,
}

/// An image from a card, decoded, checked, and re-encoded as PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The format it came in.
    pub source: Format,
    /// How the PNG stores its pixels.
    pub layout: PixelLayout,
    /// Bits per sample in the PNG (1, 2, 4, 8 or 16).
    pub bit_depth: u8,
    /// The PNG file: only IHDR, PLTE/tRNS where needed, IDAT and IEND.
    pub png: Vec<u8>,
}

/// Runs a third-party decoder, turning a panic inside it into [`ImageError::DecoderPanicked`].
///
/// The decoders are believed not to panic (and are fuzzed here with proptest); this is the second
/// line of defence for bytes from a card or a network.
pub(crate) fn contain<T>(
    format: Format,
    decoder: &'static str,
    f: impl FnOnce() -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or(Err(ImageError::DecoderPanicked { format, decoder }))
}

pub(crate) fn wrong_magic(expected: Format, bytes: &[u8]) -> ImageError {
    ImageError::WrongMagic {
        expected,
        found: hex_head(bytes),
    }
}

/// The first 8 bytes in hex, for error messages.
fn hex_head(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (empty input)".to_owned();
    }
    let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02X}")).collect();
    head.join(" ")
}

/// True if every byte is zero (card padding).
pub(crate) fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// `bytes` without its trailing zero bytes.
pub(crate) fn trim_zero_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i.saturating_add(1));
    bytes.get(..end).unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_signature() {
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(Format::Tiff));
        assert_eq!(sniff(b"\0\0\0\x0CjP  \r\n\x87\n"), Some(Format::Jp2));
        assert_eq!(sniff(b"\xFF\x4F\xFF\x51\0\x29"), Some(Format::J2k));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Some(Format::Png));
        assert_eq!(sniff(b"II*"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), None);
    }

    #[test]
    fn limits_check() {
        let l = Limits::default();
        assert!(l.check(Format::Tiff, 1000, 640).is_ok());
        assert!(l.check(Format::Tiff, 4096, 4096).is_ok());
        assert!(matches!(
            l.check(Format::Tiff, 4097, 1),
            Err(ImageError::TooLarge { .. })
        ));
        assert!(matches!(
            l.check(Format::Tiff, 0, 1),
            Err(ImageError::Malformed { .. })
        ));
        let small = Limits::new(100, 100, 50);
        assert!(matches!(
            small.check(Format::Jp2, 10, 10),
            Err(ImageError::TooLarge { .. })
        ));
    }

    #[test]
    fn trims_padding() {
        assert_eq!(trim_zero_padding(b"ab\0\0"), b"ab");
        assert_eq!(trim_zero_padding(b"\0\0"), b"");
        assert_eq!(trim_zero_padding(b""), b"");
        assert_eq!(trim_zero_padding(b"a\0b"), b"a\0b");
    }

    #[test]
    fn contain_turns_panics_into_errors() {
        let r: Result<(), ImageError> = contain(Format::Png, "test", || panic!("boom"));
        assert_eq!(
            r,
            Err(ImageError::DecoderPanicked {
                format: Format::Png,
                decoder: "test"
            })
        );
    }

    #[test]
    fn to_png_refuses_unknown() {
        let e = to_png(b"GIF89a").unwrap_err();
        assert!(e.to_string().contains("47 49 46 38 39 61"), "{e}");
    }
}
