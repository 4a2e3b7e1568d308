//! PNG out (for every format) and PNG in (the My Number card-face AP's name and address images,
//! docs/spec/mynumber-card.md §4 `DF25`/`DF26`, and EF 0005 `DF41`).

use std::io::Cursor;

use crate::{
    all_zero, contain, wrong_magic, DecodedImage, Format, ImageError, Limits, PixelLayout,
    PNG_SIGNATURE,
};

/// What [`encode`] writes.
pub(crate) struct PngSpec<'a> {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) colour: png::ColorType,
    pub(crate) depth: png::BitDepth,
    pub(crate) palette: Option<&'a [u8]>,
    pub(crate) trns: Option<&'a [u8]>,
}

/// Encodes `data` (rows packed as PNG expects them, without filter bytes) as a minimal PNG.
pub(crate) fn encode(spec: &PngSpec<'_>, data: &[u8]) -> Result<Vec<u8>, ImageError> {
    let encode_err = |e: png::EncodingError| ImageError::Encode(e.to_string());
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, spec.width, spec.height);
    encoder.set_color(spec.colour);
    encoder.set_depth(spec.depth);
    encoder.set_compression(png::Compression::Balanced);
    if let Some(palette) = spec.palette {
        encoder.set_palette(palette);
    }
    if let Some(trns) = spec.trns {
        encoder.set_trns(trns);
    }
    let mut writer = encoder.write_header().map_err(encode_err)?;
    writer.write_image_data(data).map_err(encode_err)?;
    writer.finish().map_err(encode_err)?;
    Ok(out)
}

pub(crate) fn layout_of(colour: png::ColorType, depth: png::BitDepth) -> PixelLayout {
    match colour {
        png::ColorType::Grayscale if depth == png::BitDepth::One => PixelLayout::Bilevel,
        png::ColorType::Grayscale => PixelLayout::Grey,
        png::ColorType::GrayscaleAlpha => PixelLayout::GreyAlpha,
        png::ColorType::Rgb => PixelLayout::Rgb,
        png::ColorType::Rgba => PixelLayout::Rgba,
        png::ColorType::Indexed => PixelLayout::Indexed,
    }
}

fn depth_bits(depth: png::BitDepth) -> u8 {
    match depth {
        png::BitDepth::One => 1,
        png::BitDepth::Two => 2,
        png::BitDepth::Four => 4,
        png::BitDepth::Eight => 8,
        png::BitDepth::Sixteen => 16,
    }
}

/// Checks a PNG from a card and re-encodes it, with the default [`Limits`].
///
/// The My Number card-face AP stores the name and address as 1-bit PNGs (docs/spec/mynumber-card.md
/// §4, `DF25`/`DF26`). They are decoded in full (which checks every CRC and the zlib stream), then
/// written out again with only the chunks needed to show them: text, ICC and other ancillary
/// chunks from the card are dropped. The colour type and bit depth are kept. Trailing zero
/// padding is accepted; any other byte after `IEND` is refused.
///
/// # Errors
/// [`ImageError::WrongMagic`], [`ImageError::Truncated`] or [`ImageError::Malformed`] for a
/// broken chunk structure, [`ImageError::TrailingData`], [`ImageError::TooLarge`], and
/// [`ImageError::Corrupt`] for what the `png` decoder refuses.
pub fn png_to_png(bytes: &[u8]) -> Result<DecodedImage, ImageError> {
    png_to_png_with(bytes, &Limits::default())
}

/// [`png_to_png`] with explicit limits.
///
/// # Errors
/// As [`png_to_png`].
pub fn png_to_png_with(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, ImageError> {
    const F: Format = Format::Png;
    if bytes.is_empty() || all_zero(bytes) {
        return Err(ImageError::Empty { format: F });
    }
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(wrong_magic(F, bytes));
    }
    let end = png_extent(bytes)?;
    let data = bytes
        .get(..end)
        .ok_or_else(|| ImageError::truncated(F, "PNG", 0, end as u64, bytes.len()))?;
    let (width, height) = ihdr_dimensions(data)?;
    limits.check(F, u64::from(width), u64::from(height))?;

    contain(F, "png", || {
        let corrupt = |e: png::DecodingError| ImageError::Corrupt {
            format: F,
            detail: e.to_string(),
        };
        // 8 bytes per pixel covers RGBA16; the dimensions are already within the limits.
        let budget = limits
            .max_pixels()
            .saturating_mul(8)
            .saturating_add(1 << 20);
        let mut decoder = png::Decoder::new_with_limits(
            Cursor::new(data),
            png::Limits {
                bytes: usize::try_from(budget).unwrap_or(usize::MAX),
            },
        );
        decoder.set_transformations(png::Transformations::IDENTITY);
        decoder.set_ignore_text_chunk(true);
        decoder.set_ignore_iccp_chunk(true);
        let mut reader = decoder.read_info().map_err(corrupt)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| ImageError::TooLarge {
                format: F,
                width: u64::from(width),
                height: u64::from(height),
                limit: "the address space".to_owned(),
            })?;
        let mut buf = vec![0; size];
        let frame = reader.next_frame(&mut buf).map_err(corrupt)?;
        buf.truncate(frame.buffer_size());
        let info = reader.info();
        let spec = PngSpec {
            width: frame.width,
            height: frame.height,
            colour: frame.color_type,
            depth: frame.bit_depth,
            palette: info.palette.as_deref(),
            trns: info.trns.as_deref(),
        };
        let png = encode(&spec, &buf)?;
        Ok(DecodedImage {
            width: frame.width,
            height: frame.height,
            source: F,
            layout: layout_of(frame.color_type, frame.bit_depth),
            bit_depth: depth_bits(frame.bit_depth),
            png,
        })
    })
}

/// Walks the chunk structure up to `IEND` and returns where the PNG ends; what follows must be
/// zero padding.
fn png_extent(bytes: &[u8]) -> Result<usize, ImageError> {
    const F: Format = Format::Png;
    let len = bytes.len();
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let header = bytes.get(pos..pos.saturating_add(8)).ok_or_else(|| {
            ImageError::truncated(F, "chunk header", pos as u64, pos as u64 + 8, len)
        })?;
        let (length, kind) = header.split_at(4);
        let length = u32::from_be_bytes(
            length
                .try_into()
                .map_err(|_| ImageError::malformed(F, "chunk", "short header"))?,
        );
        if length > 0x7FFF_FFFF {
            return Err(ImageError::malformed(
                F,
                "chunk length",
                format!("{length} at offset {pos}"),
            ));
        }
        // length + type + data + CRC
        let end = (pos as u64) + 12 + u64::from(length);
        if end > len as u64 {
            return Err(ImageError::truncated(F, "chunk", pos as u64, end, len));
        }
        // end <= len, so it fits in usize.
        let end = usize::try_from(end)
            .map_err(|_| ImageError::truncated(F, "chunk", pos as u64, end, len))?;
        if kind == b"IEND" {
            let rest = bytes.get(end..).unwrap_or_default();
            if !all_zero(rest) {
                return Err(ImageError::TrailingData {
                    format: F,
                    offset: end,
                    count: rest.len(),
                });
            }
            return Ok(end);
        }
        pos = end;
    }
}

/// Width and height from IHDR (which must be the first chunk).
fn ihdr_dimensions(data: &[u8]) -> Result<(u32, u32), ImageError> {
    const F: Format = Format::Png;
    let field = |at: usize| -> Result<u32, ImageError> {
        data.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| ImageError::truncated(F, "IHDR", at as u64, at as u64 + 4, data.len()))
    };
    if data.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err(ImageError::malformed(
            F,
            "IHDR",
            "the first chunk is not IHDR",
        ));
    }
    Ok((field(16)?, field(20)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_png() -> Vec<u8> {
        let spec = PngSpec {
            width: 10,
            height: 2,
            colour: png::ColorType::Grayscale,
            depth: png::BitDepth::One,
            palette: None,
            trns: None,
        };
        encode(&spec, &[0xF0, 0x3F, 0x0F, 0xC0]).unwrap()
    }

    #[test]
    fn round_trips_and_accepts_padding() {
        let mut p = tiny_png();
        let d = png_to_png(&p).unwrap();
        assert_eq!(
            (d.width, d.height, d.layout, d.bit_depth),
            (10, 2, PixelLayout::Bilevel, 1)
        );
        p.resize(p.len() + 100, 0);
        assert_eq!(png_to_png(&p).unwrap().png, d.png);
    }

    #[test]
    fn refuses_trailing_garbage() {
        let mut p = tiny_png();
        let n = p.len();
        p.extend_from_slice(b"\0\0x");
        assert_eq!(
            png_to_png(&p),
            Err(ImageError::TrailingData {
                format: Format::Png,
                offset: n,
                count: 3
            })
        );
    }

    #[test]
    fn refuses_huge_ihdr_before_decoding() {
        let mut p = tiny_png();
        p[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(png_to_png(&p), Err(ImageError::TooLarge { .. })));
    }

    #[test]
    fn refuses_bad_crc() {
        let mut p = tiny_png();
        p[29] ^= 1; // inside IHDR's CRC
        assert!(
            matches!(png_to_png(&p), Err(ImageError::Corrupt { .. })),
            "{:?}",
            png_to_png(&p)
        );
    }
}
