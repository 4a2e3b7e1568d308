//! A bound on what loading a PDF expands.
//!
//! lopdf expands two kinds of streams while it loads a file, without a limit: object streams
//! (`/Type /ObjStm`) and cross-reference streams (`/Type /XRef`); a few kilobytes of chained
//! Flate can expand to gigabytes. Before lopdf sees the file, every stream whose dictionary may
//! be of those kinds is expanded here through its filters with a cap on each output and on the
//! total, and a file over the cap is refused. No library does this; it is written by hand and
//! errs on the side of expanding too much: the text examined for a stream is everything between
//! the previous `endstream` and its `stream` keyword (its dictionary is in there), with name
//! escapes (`#xx`) decoded, so a dictionary cannot hide its type from this scan; `stream`
//! keywords are found as a parser finds them (not inside strings or comments).

use std::collections::BTreeMap;

/// The most objects a file may hold (uncompressed and in object streams together): each costs
/// lopdf a kilobyte or two of memory, whatever its size in the file.
pub const MAX_OBJECTS: usize = 100_000;

/// The most one stream may expand to.
pub const MAX_STREAM: usize = 32 << 20;
/// The most all the scanned streams together may expand to.
pub const MAX_TOTAL: usize = 128 << 20;

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `text` with `#xx` escapes decoded (PDF names, ISO 32000-1 §7.3.5).
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b == b'#' {
            if let Some(v) = text
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// The filter names after the last `/Filter` in `dict` (a name or an array of names).
fn filters(dict: &[u8]) -> Vec<Vec<u8>> {
    let Some(at) = dict.windows(7).rposition(|w| w == b"/Filter") else {
        return Vec::new();
    };
    let rest = dict.get(at + 7..).unwrap_or_default().trim_ascii_start();
    let names = match rest.first() {
        Some(b'[') => {
            let end = rest.iter().position(|&b| b == b']').unwrap_or(rest.len());
            rest.get(1..end).unwrap_or_default()
        }
        _ => {
            let end = rest
                .iter()
                .skip(1)
                .position(|&b| b == b'/' || b == b'>' || b == b'[' || b.is_ascii_whitespace())
                .map_or(rest.len(), |p| p + 1);
            rest.get(..end).unwrap_or_default()
        }
    };
    names
        .split(|&b| b == b'/' || b.is_ascii_whitespace())
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Expands `input` through one filter, refusing more than `cap` bytes of output.
fn expand(filter: &[u8], input: &[u8], cap: usize) -> Result<Vec<u8>, ()> {
    use std::io::Read;
    let mut out = Vec::new();
    match filter {
        b"FlateDecode" | b"Fl" => {
            let mut d = flate2::read::ZlibDecoder::new(input).take(cap as u64 + 1);
            // A damaged stream ends the expansion, as in lopdf: what was expanded counts.
            let _ = d.read_to_end(&mut out);
        }
        b"LZWDecode" | b"LZW" => {
            // Both code-size rules lopdf may use (EarlyChange 1, its default, and 0): the
            // larger expansion counts.
            for early_change in [true, false] {
                let mut dec = if early_change {
                    weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                } else {
                    weezl::decode::Decoder::new(weezl::BitOrder::Msb, 8)
                };
                let mut this = Vec::new();
                let mut buf = vec![0u8; 64 * 1024];
                let mut rest = input;
                loop {
                    let r = dec.decode_bytes(rest, &mut buf);
                    this.extend_from_slice(buf.get(..r.consumed_out).unwrap_or_default());
                    if this.len() > cap {
                        return Err(());
                    }
                    rest = rest.get(r.consumed_in..).unwrap_or_default();
                    if r.status.is_err()
                        || matches!(r.status, Ok(weezl::LzwStatus::Done))
                        || (r.consumed_in == 0 && r.consumed_out == 0)
                    {
                        break;
                    }
                }
                if this.len() > out.len() {
                    out = this;
                }
            }
        }
        // ASCII85 and the others lopdf expands no more than 5:4 or does not expand at all.
        _ => return Ok(input.to_vec()),
    }
    if out.len() > cap {
        return Err(());
    }
    Ok(out)
}

/// The integer value of `key` in `dict` (the last occurrence of the key followed by a
/// delimiter, so `/N` is not read from `/Names`).
fn int_value(dict: &[u8], key: &[u8]) -> Option<usize> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = find(dict, key, from) {
        from = at + key.len();
        let rest = dict.get(from..).unwrap_or_default();
        if rest.first().is_some_and(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let digits: Vec<u8> = rest
            .trim_ascii_start()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        if let Some(v) = std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse().ok())
        {
            found = Some(v);
        }
    }
    found
}

/// The integer arrays after the last `key` in `dict` (`/W [1 2 1]`, `/Index [0 5 10 2]`).
fn int_array(dict: &[u8], key: &[u8]) -> Option<Vec<usize>> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = find(dict, key, from) {
        from = at + key.len();
        let rest = dict.get(from..).unwrap_or_default().trim_ascii_start();
        if rest.first() != Some(&b'[') {
            continue;
        }
        let end = rest.iter().position(|&b| b == b']')?;
        found = rest
            .get(1..end)?
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| std::str::from_utf8(t).ok()?.parse().ok())
            .collect::<Option<Vec<usize>>>();
    }
    found
}

/// Where the `stream` keywords are that a parser reads as such: outside literal and hex
/// strings and comments, followed by an end of line. Returns (keyword, data start, data end).
fn streams(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n' && c != b'\r') {
                    i += 1;
                }
            }
            b'(' => {
                // A literal string: balanced parentheses, backslash escapes.
                let mut depth = 0usize;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            b'<' if bytes.get(i + 1) != Some(&b'<') => {
                while bytes.get(i).is_some_and(|&c| c != b'>') {
                    i += 1;
                }
                i += 1;
            }
            b's' if bytes.get(i..i + 6) == Some(b"stream")
                && (i == 0 || bytes.get(i - 1).is_some_and(|c| !c.is_ascii_alphanumeric())) =>
            {
                let mut start = i + 6;
                if bytes.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if bytes.get(start) == Some(&b'\n') {
                    start += 1;
                }
                if start == i + 6 {
                    // `stream` not followed by an end of line is not the keyword.
                    i += 6;
                    continue;
                }
                let end = find(bytes, b"endstream", start).unwrap_or(bytes.len());
                out.push((i, start, end));
                i = end + 9;
            }
            _ => i += 1,
        }
    }
    out
}

/// Object numbers and offsets from `pairs`; refuses one offset named for two objects, or an
/// object stream whose offsets do not increase (a parser reads the object again for each).
fn no_shared_offsets(
    entries: impl Iterator<Item = (usize, usize)>,
    seen: &mut BTreeMap<usize, usize>,
) -> Result<(), String> {
    for (num, offset) in entries {
        match seen.insert(offset, num) {
            Some(other) if other != num => {
                return Err(format!(
                    "objects {other} and {num} are both said to be at byte {offset}"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The in-use entries (object number, offset) of a cross-reference stream's expanded `data`.
fn xref_stream_entries(dict: &[u8], data: &[u8]) -> Result<Vec<(usize, usize)>, String> {
    let w = int_array(dict, b"/W").unwrap_or_default();
    let [w0, w1, w2] = w.as_slice() else {
        return Ok(Vec::new());
    };
    let width = w0 + w1 + w2;
    if width == 0 || *w1 > 8 || *w0 > 8 || *w2 > 8 {
        return Ok(Vec::new());
    }
    let index = int_array(dict, b"/Index")
        .unwrap_or_else(|| vec![0, int_value(dict, b"/Size").unwrap_or(0)]);
    let rows = data.len() / width;
    let numbers = index
        .chunks(2)
        .flat_map(|c| match c {
            [start, count] => (*start..start.saturating_add((*count).min(rows))).collect(),
            _ => Vec::new(),
        })
        .take(rows);
    let field = |row: &[u8], from: usize, len: usize| {
        row.get(from..from + len)
            .unwrap_or_default()
            .iter()
            .fold(0usize, |v, &b| (v << 8) | usize::from(b))
    };
    Ok(numbers
        .zip(data.chunks_exact(width))
        .filter(|(_, row)| *w0 == 0 || field(row, 0, *w0) == 1)
        .map(|(n, row)| (n, field(row, *w0, *w1)))
        .collect())
}

/// The in-use entries (object number, offset) of every cross-reference table in the file.
fn xref_table_entries(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find(bytes, b"xref", from) {
        from = at + 4;
        // Any `xref` whose lines read as a table counts (`startxref` is followed by a single
        // number, which ends the scan at once): a parser may be pointed at either.
        let mut lines = bytes
            .get(from..)
            .unwrap_or_default()
            .split(|&b| b == b'\n' || b == b'\r')
            .filter(|l| !l.trim_ascii().is_empty());
        let mut number = 0usize;
        for line in lines.by_ref() {
            let parts: Vec<&[u8]> = line.trim_ascii().split(|b| *b == b' ').collect();
            let num = |t: &[u8]| std::str::from_utf8(t).ok()?.parse::<usize>().ok();
            match parts.as_slice() {
                [a, b] => match (num(a), num(b)) {
                    (Some(start), Some(_)) => number = start,
                    _ => break,
                },
                [off, _gen, kind] if *kind == b"n" || *kind == b"f" => {
                    if *kind == b"n" {
                        if let Some(o) = num(off) {
                            out.push((number, o));
                        }
                    }
                    number += 1;
                }
                _ => break,
            }
        }
    }
    out
}

/// Refuses a file whose object or cross-reference streams expand past the bounds, that holds
/// more than [`MAX_OBJECTS`] objects, or whose cross-reference entries or object-stream index
/// name one place for two objects (each naming makes the parser read the object again).
pub fn check(bytes: &[u8]) -> Result<(), String> {
    // Objects written out: every `obj` keyword that is not `endobj` (counting a stray one in
    // binary data too errs on the safe side).
    let mut objects = 0usize;
    let mut at = 0usize;
    while let Some(p) = find(bytes, b"obj", at) {
        if !(p >= 3 && bytes.get(p - 3..p) == Some(b"end")) {
            objects += 1;
        }
        at = p + 3;
    }
    let too_many = || format!("the PDF holds more than {MAX_OBJECTS} objects");
    if objects > MAX_OBJECTS {
        return Err(too_many());
    }
    let table = xref_table_entries(bytes);
    if table.len() > MAX_OBJECTS {
        return Err(too_many());
    }
    let mut file_offsets = BTreeMap::new();
    no_shared_offsets(table.into_iter(), &mut file_offsets)?;
    let mut total = 0usize;
    let mut window_start = 0usize;
    for (kw, start, end) in streams(bytes) {
        let window = unescape(bytes.get(window_start..kw).unwrap_or_default());
        window_start = end;
        let objstm = window.windows(7).any(|w| w == b"/ObjStm");
        let xref = window.windows(5).any(|w| w == b"/XRef");
        if !(objstm || xref) {
            continue;
        }
        let mut data = bytes.get(start..end).unwrap_or_default().to_vec();
        for f in filters(&window) {
            data = expand(&f, &data, MAX_STREAM).map_err(|()| {
                format!("a compressed object stream expands past {MAX_STREAM} bytes")
            })?;
        }
        total = total.saturating_add(data.len());
        if total > MAX_TOTAL {
            return Err(format!(
                "the compressed object streams expand past {MAX_TOTAL} bytes in all"
            ));
        }
        if objstm {
            // The objects are the index pairs before /First, whatever /N says; their offsets
            // must increase.
            let first = int_value(&window, b"/First").unwrap_or(data.len());
            let header = data.get(..first.min(data.len())).unwrap_or_default();
            let nums: Vec<usize> = header
                .split(|b| b.is_ascii_whitespace())
                .filter(|t| !t.is_empty())
                .map_while(|t| std::str::from_utf8(t).ok()?.parse().ok())
                .collect();
            let pairs: Vec<(usize, usize)> = nums
                .chunks_exact(2)
                .filter_map(|c| match c {
                    [n, o] => Some((*n, *o)),
                    _ => None,
                })
                .collect();
            objects = objects.saturating_add(pairs.len());
            if objects > MAX_OBJECTS {
                return Err(too_many());
            }
            if pairs
                .windows(2)
                .any(|w| matches!(w, [(_, a), (_, b)] if b <= a))
            {
                return Err("an object stream's index does not name increasing offsets".to_string());
            }
        }
        if xref {
            let entries = xref_stream_entries(&window, &data)?;
            if entries.len() > MAX_OBJECTS {
                return Err(too_many());
            }
            no_shared_offsets(entries.into_iter(), &mut file_offsets)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).expect("compress");
        e.finish().expect("compress")
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        [
            format!("1 0 obj\n{dict}\nstream\n").as_bytes(),
            data,
            b"\nendstream\nendobj\n",
        ]
        .concat()
    }

    #[test]
    fn too_many_objects_are_refused() {
        // An object stream's index: pairs of object number and increasing offset.
        let index = |n: usize| -> Vec<u8> {
            (0..n)
                .flat_map(|k| format!("{k} {} ", 4 * k).into_bytes())
                .collect()
        };
        let header = index(10);
        let body = [header.as_slice(), b"<<>>".repeat(10).as_slice()].concat();
        let ok = stream(
            &format!(
                "<< /Type /ObjStm /N 10 /First {} /Filter /FlateDecode >>",
                header.len()
            ),
            &zlib(&body),
        );
        assert!(check(&ok).is_ok());
        // More pairs than objects allowed, whatever /N says.
        let header = index(MAX_OBJECTS + 1);
        let many = stream(
            &format!(
                "<< /Type /ObjStm /N 1 /First {} /Filter /FlateDecode >>",
                header.len()
            ),
            &zlib(&header),
        );
        assert!(check(&many).unwrap_err().contains("objects"));
        let written: Vec<u8> = (0..=MAX_OBJECTS)
            .flat_map(|n| format!("{n} 0 obj null endobj\n").into_bytes())
            .collect();
        assert!(check(&written).is_err());
        // Every index pair naming one offset: lopdf would read the object once per pair.
        let shared: Vec<u8> = (0..10)
            .flat_map(|n| format!("{n} 0 ").into_bytes())
            .collect();
        let body = [shared.as_slice(), b"[0 0 0]"].concat();
        let file = stream(
            &format!(
                "<< /Type /ObjStm /N 10 /First {} /Filter /FlateDecode >>",
                shared.len()
            ),
            &zlib(&body),
        );
        assert!(check(&file).unwrap_err().contains("increasing"));
        // The same in a cross-reference table: two objects at one offset.
        let table: &[u8] =
            b"xref\n0 3\n0000000000 65535 f\r\n0000000015 00000 n\r\n0000000015 00000 n\r\ntrailer";
        assert!(check(table)
            .unwrap_err()
            .contains("both said to be at byte 15"));
        // `stream` inside a string is not a stream: the object stream after it is still checked.
        let hidden = stream(
            "<< /Type /ObjStm /Note (stream) /Filter /FlateDecode >>",
            &zlib(&vec![0u8; 40 << 20]),
        );
        assert!(check(&hidden).is_err(), "a string cannot hide the stream");
    }

    #[test]
    fn a_flate_bomb_in_an_object_stream_is_refused() {
        // 40 MiB of zeros compress to about 40 KB; twice compressed, to a few hundred bytes.
        let once = zlib(&vec![0u8; 40 << 20]);
        let twice = zlib(&once);
        let file = stream(
            "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>",
            &once,
        );
        assert!(check(&file).is_err());
        let file = stream(
            "<< /Type /ObjStm /Filter [/FlateDecode /FlateDecode] >>",
            &twice,
        );
        assert!(check(&file).is_err(), "chained filters");
        // The type hidden behind a name escape.
        let file = stream("<< /Type /Obj#53tm /Filter /FlateDecode >>", &once);
        assert!(check(&file).is_err(), "escaped name");
        // The same data in a content stream, which lopdf does not expand on loading: allowed.
        let file = stream("<< /Length 9 /Filter /FlateDecode >>", &once);
        assert!(check(&file).is_ok());
        // A small object stream: allowed.
        let file = stream(
            "<< /Type /ObjStm /Filter /FlateDecode >>",
            &zlib(b"1 0 << >>"),
        );
        assert!(check(&file).is_ok());
        // Many streams under the per-stream cap that add up past the total.
        let part = zlib(&vec![0u8; 30 << 20]);
        let many: Vec<u8> = (0..5)
            .flat_map(|_| stream("<< /Type /XRef /Filter /FlateDecode >>", &part))
            .collect();
        assert!(check(&many).unwrap_err().contains("in all"));
    }
}
