//! JPEG 2000: the residence card's colour face photo (gen 1 DF1/EF02 `D1`, gen 2 DF1/EF03 `D1`,
//! ≤ 3000 bytes, docs/spec/residence-card.md §3) and the My Number card-face AP's greyscale photo
//! (EF 0002 `DF27`, docs/spec/mynumber-card.md §4), both in a JP2 container.
//!
//! Before `hayro-jpeg2000` sees the bytes, this module walks the JP2 boxes itself (finding where
//! the file ends, so that the card's zero padding can be cut off), and reads the codestream's
//! SIZ marker and the `ihdr`/`pclr` boxes to refuse, without allocating, images larger than the
//! [`Limits`], with more than 4 components, with more than 65535 tiles, or with a palette of more
//! than 4 columns.

use hayro_jpeg2000::{ColorSpace, DecodeSettings, DecoderContext, Image};

use crate::png_io::{encode, PngSpec};
use crate::{
    all_zero, contain, sniff, trim_zero_padding, wrong_magic, DecodedImage, Format, ImageError,
    Limits, PixelLayout,
};

/// End of codestream marker.
const EOC: &[u8] = b"\xFF\xD9";
/// Largest number of components accepted (grey, grey + alpha, RGB, RGBA).
const MAX_COMPONENTS: u16 = 4;
/// Largest bit depth accepted per component.
const MAX_PRECISION: u8 = 16;
/// The codestream cannot number more tiles (Isot is 16 bits, 65535 reserved).
const MAX_TILES: u64 = 65535;

/// Decodes a JPEG 2000 image (JP2 container, or a raw codestream) and exports it as an 8-bit
/// greyscale or RGB PNG (with alpha if the image has one), with the default [`Limits`].
///
/// Trailing zero padding (card files are padded to their maximum length) is cut off; other
/// trailing bytes after the last box are refused. A codestream that does not end with the EOC
/// marker is refused as truncated, although JPEG 2000 decoders could show part of it. Colour management is not applied: an image
/// with an ICC profile is exported with its samples as they are (card photos use sRGB or grey).
///
/// # Errors
/// [`ImageError::WrongMagic`], [`ImageError::Truncated`], [`ImageError::Malformed`] for a broken
/// box structure or SIZ marker; [`ImageError::TrailingData`]; [`ImageError::TooLarge`] before
/// anything is allocated for pixels; [`ImageError::Unsupported`] for CMYK, more than 4
/// components or more than 16 bits; [`ImageError::Corrupt`] for what `hayro-jpeg2000` refuses.
pub fn jp2_to_png(bytes: &[u8]) -> Result<DecodedImage, ImageError> {
    jp2_to_png_with(bytes, &Limits::default())
}

/// [`jp2_to_png`] with explicit limits.
///
/// # Errors
/// As [`jp2_to_png`].
pub fn jp2_to_png_with(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, ImageError> {
    let format = match sniff(bytes) {
        Some(f @ (Format::Jp2 | Format::J2k)) => f,
        _ if bytes.is_empty() || all_zero(bytes) => {
            return Err(ImageError::Empty {
                format: Format::Jp2,
            })
        }
        _ => return Err(wrong_magic(Format::Jp2, bytes)),
    };
    let (file, codestream) = match format {
        Format::Jp2 => {
            let boxes = walk_boxes(bytes, limits)?;
            (boxes.file, boxes.codestream)
        }
        // A codestream ends with EOC (FF D9), so trailing zeros are padding.
        _ => {
            let trimmed = trim_zero_padding(bytes);
            (trimmed, trimmed)
        }
    };
    check_siz(format, codestream, limits)?;
    // Decoders (hayro-jpeg2000 included) show a truncated codestream as a blurred or partial
    // image; a card read that stopped short must be an error instead.
    if !trim_zero_padding(codestream).ends_with(EOC) {
        return Err(ImageError::malformed(
            format,
            "codestream",
            "it does not end with EOC (FF D9): truncated, or trailing bytes inside the codestream",
        ));
    }

    contain(format, "hayro-jpeg2000", || {
        let corrupt = |e: hayro_jpeg2000::DecodeError| ImageError::Corrupt {
            format,
            detail: e.to_string(),
        };
        let image = Image::new(file, &DecodeSettings::default()).map_err(corrupt)?;
        let (width, height) = (image.width(), image.height());
        limits.check(format, u64::from(width), u64::from(height))?;
        let channels = match image.color_space() {
            ColorSpace::Gray => 1,
            ColorSpace::RGB => 3,
            ColorSpace::Icc { num_channels, .. } | ColorSpace::Unknown { num_channels } => {
                *num_channels
            }
            ColorSpace::CMYK => {
                return Err(ImageError::unsupported(format, "colour space", "CMYK"))
            }
        };
        let has_alpha = image.has_alpha();
        let (colour, layout) = match (channels, has_alpha) {
            (1, false) => (png::ColorType::Grayscale, PixelLayout::Grey),
            (1, true) => (png::ColorType::GrayscaleAlpha, PixelLayout::GreyAlpha),
            (3, false) => (png::ColorType::Rgb, PixelLayout::Rgb),
            (3, true) => (png::ColorType::Rgba, PixelLayout::Rgba),
            (n, a) => {
                return Err(ImageError::unsupported(
                    format,
                    "colour space",
                    format!("{n} colour channels{}", if a { " and alpha" } else { "" }),
                ))
            }
        };
        let mut ctx = DecoderContext::default();
        let decoded = image.decode(&mut ctx).map_err(corrupt)?;
        let samples = decoded.data_u8();
        let expected =
            u64::from(width) * u64::from(height) * (u64::from(channels) + u64::from(has_alpha));
        if samples.len() as u64 != expected {
            return Err(ImageError::Corrupt {
                format,
                detail: format!(
                    "decoded {} samples, {expected} expected for {width}×{height}",
                    samples.len()
                ),
            });
        }
        let spec = PngSpec {
            width,
            height,
            colour,
            depth: png::BitDepth::Eight,
            palette: None,
            trns: None,
        };
        Ok(DecodedImage {
            width,
            height,
            source: format,
            layout,
            bit_depth: 8,
            png: encode(&spec, &samples)?,
        })
    })
}

/// What [`walk_boxes`] found.
struct Boxes<'a> {
    /// The file without its trailing zero padding.
    file: &'a [u8],
    /// The contents of the `jp2c` box.
    codestream: &'a [u8],
}

/// One box: its type, its contents and where it ends.
struct JpBox<'a> {
    kind: [u8; 4],
    contents: &'a [u8],
    end: usize,
    /// LBox was 0: the box runs to the end of the input.
    to_end: bool,
}

/// Reads the box at `pos` (ISO/IEC 15444-1 I.4).
fn read_box<'a>(bytes: &'a [u8], pos: usize, what: &'static str) -> Result<JpBox<'a>, ImageError> {
    const F: Format = Format::Jp2;
    let len = bytes.len();
    let trunc =
        |need: usize| ImageError::truncated(F, what, pos as u64, pos as u64 + need as u64, len);
    let header: [u8; 8] = bytes
        .get(pos..pos.saturating_add(8))
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| trunc(8))?;
    let [l0, l1, l2, l3, t0, t1, t2, t3] = header;
    let kind = [t0, t1, t2, t3];
    let (header_len, box_len, to_end) = match u32::from_be_bytes([l0, l1, l2, l3]) {
        0 => (8u64, (len - pos) as u64, true),
        1 => {
            let xl: [u8; 8] = bytes
                .get(pos + 8..pos.saturating_add(16))
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| trunc(16))?;
            (16, u64::from_be_bytes(xl), false)
        }
        n => (8, u64::from(n), false),
    };
    if box_len < header_len {
        return Err(ImageError::malformed(
            F,
            what,
            format!(
                "box '{}' at offset {pos} has length {box_len}",
                String::from_utf8_lossy(&kind)
            ),
        ));
    }
    let end = (pos as u64).saturating_add(box_len);
    if end > len as u64 {
        return Err(ImageError::truncated(F, what, pos as u64, end, len));
    }
    // end <= len
    let end = usize::try_from(end).map_err(|_| trunc(8))?;
    let start = pos + usize::try_from(header_len).map_err(|_| trunc(16))?;
    let contents = bytes.get(start..end).ok_or_else(|| trunc(16))?;
    Ok(JpBox {
        kind,
        contents,
        end,
        to_end,
    })
}

/// Walks the top-level boxes: checks the signature box, finds `jp2c`, checks `ihdr` and `pclr`
/// inside `jp2h`, and cuts off trailing zero padding.
fn walk_boxes<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Boxes<'a>, ImageError> {
    const F: Format = Format::Jp2;
    let signature = read_box(bytes, 0, "signature box")?;
    if signature.kind != *b"jP  " || signature.contents != b"\x0D\x0A\x87\x0A" {
        return Err(ImageError::malformed(F, "signature box", "wrong contents"));
    }
    let mut pos = signature.end;
    let mut codestream: Option<&[u8]> = None;
    let mut end_of_file = pos;
    loop {
        let rest = bytes.get(pos..).unwrap_or_default();
        if all_zero(rest) {
            break;
        }
        let b = match read_box(bytes, pos, "box") {
            Ok(b) => b,
            // After the codestream, bytes that are not a box are trailing data.
            Err(_) if codestream.is_some() => {
                return Err(ImageError::TrailingData {
                    format: F,
                    offset: pos,
                    count: rest.len(),
                })
            }
            Err(e) => return Err(e),
        };
        match &b.kind {
            b"jp2h" => check_header_box(b.contents, limits)?,
            b"jp2c" => {
                if codestream.is_some() {
                    return Err(ImageError::unsupported(
                        F,
                        "file",
                        "more than one codestream",
                    ));
                }
                // A codestream that runs to the end of the input also runs over the padding;
                // it ends with EOC (FF D9), so its trailing zeros are padding.
                let c = if b.to_end {
                    trim_zero_padding(b.contents)
                } else {
                    b.contents
                };
                codestream = Some(c);
            }
            _ => {}
        }
        end_of_file = if b.to_end {
            trim_zero_padding(bytes).len()
        } else {
            b.end
        };
        if b.to_end {
            break;
        }
        pos = b.end;
    }
    let codestream =
        codestream.ok_or_else(|| ImageError::malformed(F, "file", "no codestream (jp2c) box"))?;
    let file = bytes.get(..end_of_file).unwrap_or(bytes);
    Ok(Boxes { file, codestream })
}

/// Checks `ihdr` (dimensions, component count) and `pclr` (palette columns) inside `jp2h`.
fn check_header_box(contents: &[u8], limits: &Limits) -> Result<(), ImageError> {
    const F: Format = Format::Jp2;
    let mut pos = 0;
    while pos < contents.len() {
        let b = read_box(contents, pos, "header box")?;
        match &b.kind {
            b"ihdr" => {
                let field = |at: usize| -> Option<u32> {
                    b.contents
                        .get(at..at + 4)
                        .and_then(|x| x.try_into().ok())
                        .map(u32::from_be_bytes)
                };
                let (Some(height), Some(width), Some(nc)) = (
                    field(0),
                    field(4),
                    b.contents
                        .get(8..10)
                        .and_then(|x| x.try_into().ok())
                        .map(u16::from_be_bytes),
                ) else {
                    return Err(ImageError::malformed(
                        F,
                        "ihdr box",
                        format!("{} bytes, 14 expected", b.contents.len()),
                    ));
                };
                limits.check(F, u64::from(width), u64::from(height))?;
                if nc > MAX_COMPONENTS {
                    return Err(ImageError::unsupported(
                        F,
                        "components",
                        format!("{nc} (ihdr), at most {MAX_COMPONENTS}"),
                    ));
                }
            }
            b"pclr" => {
                let columns = b.contents.get(2).copied().unwrap_or(0);
                if u16::from(columns) > MAX_COMPONENTS {
                    return Err(ImageError::unsupported(
                        F,
                        "palette",
                        format!("{columns} columns, at most {MAX_COMPONENTS}"),
                    ));
                }
            }
            _ => {}
        }
        if b.to_end {
            break;
        }
        pos = b.end;
    }
    Ok(())
}

/// Reads SIZ (ISO/IEC 15444-1 A.5.1), which must follow SOC, and refuses what is too large.
fn check_siz(format: Format, codestream: &[u8], limits: &Limits) -> Result<(), ImageError> {
    let len = codestream.len();
    if !codestream.starts_with(b"\xFF\x4F\xFF\x51") {
        return Err(ImageError::malformed(
            format,
            "codestream",
            "does not start with SOC and SIZ (FF 4F FF 51)",
        ));
    }
    let u16_at = |at: usize| -> Result<u16, ImageError> {
        codestream
            .get(at..at + 2)
            .and_then(|x| x.try_into().ok())
            .map(u16::from_be_bytes)
            .ok_or_else(|| {
                ImageError::truncated(format, "SIZ marker", at as u64, at as u64 + 2, len)
            })
    };
    let u32_at = |at: usize| -> Result<u32, ImageError> {
        codestream
            .get(at..at + 4)
            .and_then(|x| x.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| {
                ImageError::truncated(format, "SIZ marker", at as u64, at as u64 + 4, len)
            })
    };
    // Offsets from the start of the codestream: SOC (2), SIZ marker (2), then the segment.
    let lsiz = u16_at(4)?;
    let (xsiz, ysiz, xosiz, yosiz) = (u32_at(8)?, u32_at(12)?, u32_at(16)?, u32_at(20)?);
    let (xtsiz, ytsiz, xtosiz, ytosiz) = (u32_at(24)?, u32_at(28)?, u32_at(32)?, u32_at(36)?);
    let csiz = u16_at(40)?;
    let bad = |detail: String| ImageError::malformed(format, "SIZ marker", detail);
    if xsiz <= xosiz || ysiz <= yosiz {
        return Err(bad(format!(
            "image area {xosiz}..{xsiz} × {yosiz}..{ysiz} is empty"
        )));
    }
    limits.check(format, u64::from(xsiz - xosiz), u64::from(ysiz - yosiz))?;
    if csiz == 0 {
        return Err(bad("no components".to_owned()));
    }
    if csiz > MAX_COMPONENTS {
        return Err(ImageError::unsupported(
            format,
            "components",
            format!("{csiz}, at most {MAX_COMPONENTS}"),
        ));
    }
    if u32::from(lsiz) != 38 + 3 * u32::from(csiz) {
        return Err(bad(format!("length {lsiz} for {csiz} components")));
    }
    if xtsiz == 0
        || ytsiz == 0
        || xtosiz > xosiz
        || ytosiz > yosiz
        || xtosiz >= xsiz
        || ytosiz >= ysiz
    {
        return Err(bad(format!(
            "tile grid {xtsiz}×{ytsiz} at {xtosiz},{ytosiz}"
        )));
    }
    let tiles =
        u64::from((xsiz - xtosiz).div_ceil(xtsiz)) * u64::from((ysiz - ytosiz).div_ceil(ytsiz));
    if tiles > MAX_TILES {
        return Err(bad(format!("{tiles} tiles, at most {MAX_TILES}")));
    }
    for c in 0..usize::from(csiz) {
        let at = 42 + 3 * c;
        let info = codestream.get(at..at + 3).ok_or_else(|| {
            ImageError::truncated(format, "SIZ marker", at as u64, at as u64 + 3, len)
        })?;
        let [ssiz, xr, yr] = <[u8; 3]>::try_from(info).map_err(|_| bad("component".to_owned()))?;
        let precision = (ssiz & 0x7F) + 1;
        if precision > MAX_PRECISION {
            return Err(ImageError::unsupported(
                format,
                "bit depth",
                format!("{precision} bits, at most {MAX_PRECISION}"),
            ));
        }
        if xr == 0 || yr == 0 {
            return Err(bad(format!("component {c} subsampling {xr}×{yr}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOC + SIZ for a `w`×`h` image with `c` 8-bit components, one tile.
    fn siz(w: u32, h: u32, c: u16) -> Vec<u8> {
        let mut s = b"\xFF\x4F\xFF\x51".to_vec();
        s.extend_from_slice(&(38 + 3 * c).to_be_bytes());
        s.extend_from_slice(&[0, 0]);
        for v in [w, h, 0, 0, w, h, 0, 0] {
            s.extend_from_slice(&v.to_be_bytes());
        }
        s.extend_from_slice(&c.to_be_bytes());
        for _ in 0..c {
            s.extend_from_slice(&[7, 1, 1]);
        }
        s
    }

    #[test]
    fn siz_checks() {
        let l = Limits::default();
        assert!(check_siz(Format::J2k, &siz(200, 250, 3), &l).is_ok());
        assert!(matches!(
            check_siz(Format::J2k, &siz(100_000, 100_000, 3), &l),
            Err(ImageError::TooLarge { .. })
        ));
        assert!(matches!(
            check_siz(Format::J2k, &siz(10, 10, 5), &l),
            Err(ImageError::Unsupported { .. })
        ));
        assert!(matches!(
            check_siz(Format::J2k, &siz(10, 10, 0), &l),
            Err(ImageError::Malformed { .. })
        ));
        let mut tiny_tiles = siz(4000, 4000, 1);
        tiny_tiles[24..32].copy_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        assert!(matches!(
            check_siz(Format::J2k, &tiny_tiles, &l),
            Err(ImageError::Malformed { .. })
        ));
        let s = siz(10, 10, 1);
        assert!(matches!(
            check_siz(Format::J2k, &s[..20], &l),
            Err(ImageError::Truncated { .. })
        ));
    }

    #[test]
    fn huge_raw_codestream_is_refused_before_decoding() {
        let e = jp2_to_png(&siz(100_000, 100_000, 3)).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::TooLarge {
                    format: Format::J2k,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn box_walk_errors() {
        let sig = b"\0\0\0\x0CjP  \r\n\x87\n".to_vec();
        // No codestream.
        let mut f = sig.clone();
        f.extend_from_slice(b"\0\0\0\x08free");
        assert!(matches!(
            walk_boxes(&f, &Limits::default()),
            Err(ImageError::Malformed { .. })
        ));
        // A box longer than the input.
        let mut f = sig.clone();
        f.extend_from_slice(b"\0\0\x01\0jp2c\xFF\x4F");
        assert!(matches!(
            walk_boxes(&f, &Limits::default()),
            Err(ImageError::Truncated { .. })
        ));
        // A box length below its header.
        let mut f = sig;
        f.extend_from_slice(b"\0\0\0\x03jp2c");
        assert!(matches!(
            walk_boxes(&f, &Limits::default()),
            Err(ImageError::Malformed { .. })
        ));
    }
}
