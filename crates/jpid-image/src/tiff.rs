//! Bi-level TIFF with MMR (CCITT T.6, "Group 4") compression: the residence card's front image
//! (gen 1, DF1/EF01 `D0`, ≤ 7000 bytes) and the gen-2 name and address images (≤ 2500 bytes),
//! docs/spec/residence-card.md §3.
//!
//! The container is parsed here (first IFD only, strips only); the strips are decoded by
//! `hayro-ccitt`. Supported: either byte order, FillOrder 1 and 2, PhotometricInterpretation 0
//! (WhiteIsZero, the fax convention) and 1 (BlackIsZero), any RowsPerStrip. Orientation is
//! ignored (rows are exported top to bottom as stored). Refused as unsupported: other
//! compressions, more than one sample or bit per pixel, tiles, BigTIFF.

use hayro_ccitt::{DecodeSettings, DecoderContext, EncodingMode};

use crate::png_io::{encode, PngSpec};
use crate::{
    all_zero, contain, wrong_magic, DecodedImage, Format, ImageError, Limits, PixelLayout, TIFF_BE,
    TIFF_LE,
};

const F: Format = Format::Tiff;

const IMAGE_WIDTH: u16 = 256;
const IMAGE_LENGTH: u16 = 257;
const BITS_PER_SAMPLE: u16 = 258;
const COMPRESSION: u16 = 259;
const PHOTOMETRIC: u16 = 262;
const FILL_ORDER: u16 = 266;
const STRIP_OFFSETS: u16 = 273;
const SAMPLES_PER_PIXEL: u16 = 277;
const ROWS_PER_STRIP: u16 = 278;
const STRIP_BYTE_COUNTS: u16 = 279;
const TILE_WIDTH: u16 = 322;
const TILE_OFFSETS: u16 = 324;

const COMPRESSION_CCITT_T6: u32 = 4;

/// Decodes an MMR-compressed bi-level TIFF and exports it as a 1-bit greyscale PNG (0 black,
/// 1 white), with the default [`Limits`].
///
/// Trailing zero padding after the file (card files are padded to their maximum length) is
/// harmless: TIFF addresses everything by offset.
///
/// # Errors
/// [`ImageError::WrongMagic`], [`ImageError::Truncated`], [`ImageError::Malformed`] for a broken
/// container; [`ImageError::Unsupported`] for compressions other than Group 4 and for colour,
/// greyscale or tiled TIFFs; [`ImageError::TooLarge`] before any allocation for pixels;
/// [`ImageError::Corrupt`] if the MMR data does not decode into the declared rows.
pub fn tiff_g4_to_png(bytes: &[u8]) -> Result<DecodedImage, ImageError> {
    tiff_g4_to_png_with(bytes, &Limits::default())
}

/// [`tiff_g4_to_png`] with explicit limits.
///
/// # Errors
/// As [`tiff_g4_to_png`].
pub fn tiff_g4_to_png_with(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, ImageError> {
    if bytes.is_empty() || all_zero(bytes) {
        return Err(ImageError::Empty { format: F });
    }
    let layout = Layout::parse(bytes, limits)?;
    let packed = contain(F, "hayro-ccitt", || decode_strips(bytes, &layout))?;
    let spec = PngSpec {
        width: layout.width,
        height: layout.height,
        colour: png::ColorType::Grayscale,
        depth: png::BitDepth::One,
        palette: None,
        trns: None,
    };
    Ok(DecodedImage {
        width: layout.width,
        height: layout.height,
        source: F,
        layout: PixelLayout::Bilevel,
        bit_depth: 1,
        png: encode(&spec, &packed)?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

/// Bounds-checked reads at absolute offsets.
struct Reader<'a> {
    data: &'a [u8],
    endian: Endian,
}

impl<'a> Reader<'a> {
    fn bytes(&self, offset: u64, len: u64, what: &'static str) -> Result<&'a [u8], ImageError> {
        let end = offset.saturating_add(len);
        let range = usize::try_from(offset).ok().zip(usize::try_from(end).ok());
        range
            .and_then(|(s, e)| self.data.get(s..e))
            .ok_or_else(|| ImageError::truncated(F, what, offset, end, self.data.len()))
    }

    fn u16(&self, offset: u64, what: &'static str) -> Result<u16, ImageError> {
        let b: [u8; 2] = self
            .bytes(offset, 2, what)?
            .try_into()
            .map_err(|_| ImageError::truncated(F, what, offset, offset + 2, self.data.len()))?;
        Ok(match self.endian {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }

    fn u32(&self, offset: u64, what: &'static str) -> Result<u32, ImageError> {
        let b: [u8; 4] = self
            .bytes(offset, 4, what)?
            .try_into()
            .map_err(|_| ImageError::truncated(F, what, offset, offset + 4, self.data.len()))?;
        Ok(match self.endian {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }
}

/// One IFD entry: tag, field type, count, and where its 4-byte value/offset field is.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u16,
    field_type: u16,
    count: u32,
    value_at: u64,
}

const TYPE_BYTE: u16 = 1;
const TYPE_SHORT: u16 = 3;
const TYPE_LONG: u16 = 4;

impl Entry {
    /// The values of a BYTE, SHORT or LONG entry, at most `max` of them.
    fn values(&self, r: &Reader<'_>, what: &'static str, max: u32) -> Result<Vec<u32>, ImageError> {
        let size: u64 = match self.field_type {
            TYPE_BYTE => 1,
            TYPE_SHORT => 2,
            TYPE_LONG => 4,
            other => {
                return Err(ImageError::malformed(
                    F,
                    what,
                    format!("field type {other}, expected SHORT or LONG"),
                ))
            }
        };
        if self.count == 0 {
            return Err(ImageError::malformed(F, what, "no values"));
        }
        if self.count > max {
            return Err(ImageError::malformed(
                F,
                what,
                format!("{} values, at most {max} expected", self.count),
            ));
        }
        let total = size * u64::from(self.count);
        let start = if total <= 4 {
            self.value_at
        } else {
            u64::from(r.u32(self.value_at, what)?)
        };
        // Checks the whole array is inside the input before allocating for it.
        r.bytes(start, total, what)?;
        (0..u64::from(self.count))
            .map(|i| {
                let at = start + i * size;
                match self.field_type {
                    TYPE_BYTE => r
                        .bytes(at, 1, what)
                        .map(|b| b.first().copied().map_or(0, u32::from)),
                    TYPE_SHORT => r.u16(at, what).map(u32::from),
                    _ => r.u32(at, what),
                }
            })
            .collect()
    }

    fn single(&self, r: &Reader<'_>, what: &'static str) -> Result<u32, ImageError> {
        let v = self.values(r, what, 1)?;
        v.first()
            .copied()
            .ok_or_else(|| ImageError::malformed(F, what, "no values"))
    }
}

/// Where the strips are and how to read them: everything needed to decode, all checked.
#[derive(Debug)]
struct Layout {
    endian: Endian,
    width: u32,
    height: u32,
    rows_per_strip: u32,
    /// (offset, byte count) of each strip, in order.
    strips: Vec<(u64, u64)>,
    /// FillOrder 2: bits within each byte are stored least significant first.
    lsb_first: bool,
    /// PhotometricInterpretation 1: sample value 0 is black.
    black_is_zero: bool,
}

impl Layout {
    fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, ImageError> {
        let endian = if bytes.starts_with(TIFF_LE) {
            Endian::Little
        } else if bytes.starts_with(TIFF_BE) {
            Endian::Big
        } else if bytes.starts_with(b"II+\0") || bytes.starts_with(b"MM\0+") {
            return Err(ImageError::unsupported(F, "variant", "BigTIFF"));
        } else {
            return Err(wrong_magic(F, bytes));
        };
        let r = Reader {
            data: bytes,
            endian,
        };
        let ifd = u64::from(r.u32(4, "IFD offset")?);
        if ifd < 8 {
            return Err(ImageError::malformed(
                F,
                "IFD offset",
                format!("{ifd} points into the header"),
            ));
        }
        let count = r.u16(ifd, "IFD entry count")?;
        if count == 0 {
            return Err(ImageError::malformed(F, "IFD", "no entries"));
        }
        // The entries and the next-IFD offset after them (other IFDs, e.g. pages, are ignored).
        r.bytes(ifd + 2, u64::from(count) * 12 + 4, "IFD")?;

        let mut entries: Vec<Entry> = Vec::with_capacity(usize::from(count));
        for i in 0..u64::from(count) {
            let at = ifd + 2 + i * 12;
            let entry = Entry {
                tag: r.u16(at, "IFD entry")?,
                field_type: r.u16(at + 2, "IFD entry")?,
                count: r.u32(at + 4, "IFD entry")?,
                value_at: at + 8,
            };
            if entries.iter().any(|e| e.tag == entry.tag) {
                return Err(ImageError::malformed(
                    F,
                    "IFD",
                    format!("tag {} appears twice", entry.tag),
                ));
            }
            entries.push(entry);
        }
        let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
        let required = |tag: u16, what: &'static str| {
            find(tag).ok_or_else(|| ImageError::malformed(F, what, "missing"))
        };

        if find(TILE_WIDTH).is_some() || find(TILE_OFFSETS).is_some() {
            return Err(ImageError::unsupported(F, "layout", "tiled TIFF"));
        }
        let compression = match find(COMPRESSION) {
            Some(e) => e.single(&r, "Compression")?,
            None => 1,
        };
        if compression != COMPRESSION_CCITT_T6 {
            return Err(ImageError::unsupported(
                F,
                "compression",
                compression_name(compression),
            ));
        }
        if let Some(e) = find(SAMPLES_PER_PIXEL) {
            let spp = e.single(&r, "SamplesPerPixel")?;
            if spp != 1 {
                return Err(ImageError::unsupported(
                    F,
                    "SamplesPerPixel",
                    format!("{spp}, expected 1 (bi-level)"),
                ));
            }
        }
        if let Some(e) = find(BITS_PER_SAMPLE) {
            let bps = e.single(&r, "BitsPerSample")?;
            if bps != 1 {
                return Err(ImageError::unsupported(
                    F,
                    "BitsPerSample",
                    format!("{bps}, expected 1 (bi-level)"),
                ));
            }
        }
        let black_is_zero = match find(PHOTOMETRIC) {
            None => false,
            Some(e) => match e.single(&r, "PhotometricInterpretation")? {
                0 => false,
                1 => true,
                other => {
                    return Err(ImageError::unsupported(
                        F,
                        "PhotometricInterpretation",
                        format!("{other}, expected 0 (WhiteIsZero) or 1 (BlackIsZero)"),
                    ))
                }
            },
        };
        let lsb_first = match find(FILL_ORDER) {
            None => false,
            Some(e) => match e.single(&r, "FillOrder")? {
                1 => false,
                2 => true,
                other => {
                    return Err(ImageError::malformed(
                        F,
                        "FillOrder",
                        format!("{other}, expected 1 or 2"),
                    ))
                }
            },
        };

        let width = required(IMAGE_WIDTH, "ImageWidth")?.single(&r, "ImageWidth")?;
        let height = required(IMAGE_LENGTH, "ImageLength")?.single(&r, "ImageLength")?;
        // Before anything is allocated for pixels or strips.
        limits.check(F, u64::from(width), u64::from(height))?;

        let rows_per_strip = match find(ROWS_PER_STRIP) {
            Some(e) => e.single(&r, "RowsPerStrip")?,
            None => u32::MAX,
        };
        if rows_per_strip == 0 {
            return Err(ImageError::malformed(F, "RowsPerStrip", "0"));
        }
        let rows_per_strip = rows_per_strip.min(height);
        let strip_count = height.div_ceil(rows_per_strip);

        let offsets =
            required(STRIP_OFFSETS, "StripOffsets")?.values(&r, "StripOffsets", strip_count)?;
        if offsets.len() != strip_count as usize {
            return Err(ImageError::malformed(
                F,
                "StripOffsets",
                format!(
                    "{} strips for {height} rows of {rows_per_strip}, expected {strip_count}",
                    offsets.len()
                ),
            ));
        }
        let counts = required(STRIP_BYTE_COUNTS, "StripByteCounts")?.values(
            &r,
            "StripByteCounts",
            strip_count,
        )?;
        if counts.len() != offsets.len() {
            return Err(ImageError::malformed(
                F,
                "StripByteCounts",
                format!("{} counts for {} strips", counts.len(), offsets.len()),
            ));
        }
        let strips: Vec<(u64, u64)> = offsets
            .iter()
            .zip(&counts)
            .map(|(&o, &c)| (u64::from(o), u64::from(c)))
            .collect();
        for (offset, len) in &strips {
            r.bytes(*offset, *len, "strip")?;
        }
        Ok(Self {
            endian,
            width,
            height,
            rows_per_strip,
            strips,
            lsb_first,
            black_is_zero,
        })
    }
}

fn compression_name(c: u32) -> String {
    let name = match c {
        1 => "none",
        2 => "CCITT modified Huffman (RLE)",
        3 => "CCITT T.4 (Group 3)",
        5 => "LZW",
        6 | 7 => "JPEG",
        8 | 32946 => "Deflate",
        32773 => "PackBits",
        _ => "unknown",
    };
    format!("{c} ({name}), expected 4 (CCITT T.6 / Group 4 / MMR)")
}

/// Receives the rows `hayro-ccitt` decodes and packs them, 1 bit per pixel, 1 for a black run.
struct Packer {
    width: u32,
    stride: usize,
    buf: Vec<u8>,
    /// Rows written so far, over the whole image.
    row: usize,
    /// Rows the current strip may still write.
    budget: usize,
}

impl hayro_ccitt::Decoder for Packer {
    fn push_row(&mut self, changes: &[u32]) {
        if self.budget == 0 {
            return;
        }
        let start = self.row.saturating_mul(self.stride);
        let Some(line) = self.buf.get_mut(start..start.saturating_add(self.stride)) else {
            return;
        };
        // Rows start white; runs between changes[0]..changes[1], changes[2]..changes[3], ...
        // are black, and an odd count means the row ends black.
        for pair in changes.chunks(2) {
            let Some(&from) = pair.first() else { continue };
            let to = pair.get(1).copied().unwrap_or(self.width).min(self.width);
            set_bits(line, from, to);
        }
        self.row += 1;
        self.budget -= 1;
    }
}

/// Sets bits `from..to` (MSB first) in `line`.
fn set_bits(line: &mut [u8], from: u32, to: u32) {
    let mut x = from as usize;
    let to = to as usize;
    while x < to {
        let (byte, bit) = (x / 8, x % 8);
        let Some(b) = line.get_mut(byte) else { return };
        if bit == 0 && to - x >= 8 {
            *b = 0xFF;
            x += 8;
        } else {
            let n = (8 - bit).min(to - x);
            // n bits, the first `bit` bits from the left
            let mask = (0xFFu8 >> (8 - n)) << (8 - bit - n);
            *b |= mask;
            x += n;
        }
    }
}

fn decode_strips(bytes: &[u8], layout: &Layout) -> Result<Vec<u8>, ImageError> {
    let width = layout.width;
    let height = layout.height as usize;
    let stride = (width as usize).div_ceil(8);
    // width × height was checked against the limits.
    let mut packer = Packer {
        width,
        stride,
        buf: vec![0; stride * height],
        row: 0,
        budget: 0,
    };
    let reader = Reader {
        data: bytes,
        endian: layout.endian,
    };
    let mut rows_left = layout.height;
    for (index, &(offset, len)) in layout.strips.iter().enumerate() {
        let rows = layout.rows_per_strip.min(rows_left);
        let raw = reader.bytes(offset, len, "strip")?;
        let reversed: Vec<u8>;
        let data = if layout.lsb_first {
            reversed = raw.iter().map(|b| b.reverse_bits()).collect();
            &reversed
        } else {
            raw
        };
        let mut ctx = DecoderContext::new(DecodeSettings {
            columns: width,
            rows,
            end_of_block: true,
            end_of_line: false,
            rows_are_byte_aligned: false,
            encoding: EncodingMode::Group4,
            strict: false,
        });
        let before = packer.row;
        packer.budget = rows as usize;
        hayro_ccitt::decode(data, &mut packer, &mut ctx).map_err(|e| ImageError::Corrupt {
            format: F,
            detail: format!(
                "strip {index}, row {}: {e}",
                packer.row.saturating_sub(before)
            ),
        })?;
        let decoded = packer.row - before;
        if decoded != rows as usize {
            return Err(ImageError::Corrupt {
                format: F,
                detail: format!("strip {index} holds {decoded} rows, {rows} expected"),
            });
        }
        rows_left -= rows;
    }
    if rows_left != 0 {
        return Err(ImageError::Corrupt {
            format: F,
            detail: format!("{rows_left} rows missing"),
        });
    }

    // In the buffer 1 is a black run. PNG greyscale has 0 black, 1 white; with BlackIsZero the
    // coded "black" runs are white.
    if !layout.black_is_zero {
        for b in &mut packer.buf {
            *b = !*b;
        }
    }
    // Clear the padding bits after the last pixel of each row, so output is deterministic.
    let tail = width % 8;
    if tail != 0 {
        let keep = 0xFFu8 << (8 - tail);
        for row in packer.buf.chunks_mut(stride) {
            if let Some(last) = row.last_mut() {
                *last &= keep;
            }
        }
    }
    Ok(packer.buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_bits_ranges() {
        let mut line = [0u8; 3];
        set_bits(&mut line, 3, 13);
        assert_eq!(line, [0b0001_1111, 0b1111_1000, 0]);
        let mut line = [0u8; 3];
        set_bits(&mut line, 0, 24);
        assert_eq!(line, [0xFF; 3]);
        let mut line = [0u8; 3];
        set_bits(&mut line, 7, 9);
        assert_eq!(line, [0b0000_0001, 0b1000_0000, 0]);
        let mut line = [0u8; 1];
        set_bits(&mut line, 5, 40); // clipped by the line
        assert_eq!(line, [0b0000_0111]);
    }

    /// A minimal little-endian TIFF around `strip`.
    pub(crate) fn tiff(
        width: u32,
        height: u32,
        strip: &[u8],
        extra: &[(u16, u16, u32)],
    ) -> Vec<u8> {
        let mut entries: Vec<(u16, u16, u32)> = vec![
            (256, 4, width),
            (257, 4, height),
            (258, 3, 1),
            (259, 3, 4),
            (262, 3, 0),
            (273, 4, 0), // patched below
            (279, 4, strip.len() as u32),
        ];
        for e in extra {
            entries.retain(|x| x.0 != e.0);
            entries.push(*e);
        }
        entries.sort();
        let ifd_len = 2 + 12 * entries.len() + 4;
        let strip_at = 8 + ifd_len as u32;
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, v) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            let v = if tag == 273 { strip_at } else { v };
            if ty == 3 {
                out.extend_from_slice(&(v as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(strip);
        out
    }

    // 8×2, all white: each row is one vertical-mode V0 code ("1") against the imaginary white
    // reference line, i.e. a0→a1 = b1 = the end of the line. Then EOFB.
    const WHITE_8X2: &[u8] = &[0b1100_0000, 0b0000_0100, 0b0000_0000, 0b0100_0000];

    #[test]
    fn decodes_a_hand_made_g4() {
        let d = tiff_g4_to_png(&tiff(8, 2, WHITE_8X2, &[])).unwrap();
        assert_eq!((d.width, d.height, d.layout), (8, 2, PixelLayout::Bilevel));
        // BlackIsZero inverts.
        let inv = tiff_g4_to_png(&tiff(8, 2, WHITE_8X2, &[(262, 3, 1)])).unwrap();
        assert_ne!(d.png, inv.png);
    }

    #[test]
    fn refuses_what_it_should() {
        let huge = tiff(100_000, 100_000, WHITE_8X2, &[]);
        assert!(matches!(
            tiff_g4_to_png(&huge),
            Err(ImageError::TooLarge { .. })
        ));
        let lzw = tiff(8, 2, WHITE_8X2, &[(259, 3, 5)]);
        assert!(matches!(
            tiff_g4_to_png(&lzw),
            Err(ImageError::Unsupported {
                what: "compression",
                ..
            })
        ));
        let grey = tiff(8, 2, WHITE_8X2, &[(258, 3, 8)]);
        assert!(matches!(
            tiff_g4_to_png(&grey),
            Err(ImageError::Unsupported { .. })
        ));
        let tiled = tiff(8, 2, WHITE_8X2, &[(322, 3, 16)]);
        assert!(matches!(
            tiff_g4_to_png(&tiled),
            Err(ImageError::Unsupported { .. })
        ));
        let past_end = tiff(8, 2, WHITE_8X2, &[(279, 4, 5000)]);
        assert!(matches!(
            tiff_g4_to_png(&past_end),
            Err(ImageError::Truncated { what: "strip", .. })
        ));
        let too_many_rows = tiff(8, 50, WHITE_8X2, &[]);
        assert!(matches!(
            tiff_g4_to_png(&too_many_rows),
            Err(ImageError::Corrupt { .. })
        ));
        assert!(matches!(
            tiff_g4_to_png(&[0; 40]),
            Err(ImageError::Empty { .. })
        ));
        assert!(matches!(
            tiff_g4_to_png(b"II+\0"),
            Err(ImageError::Unsupported { .. })
        ));
        assert!(matches!(
            tiff_g4_to_png(b"\x89PNG"),
            Err(ImageError::WrongMagic { .. })
        ));
    }
}
