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

use std::collections::{BTreeMap, BTreeSet};

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

/// Past the comment starting at `i`: the index of its end of line.
pub fn past_comment(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(|&c| c != b'\n' && c != b'\r') {
        i += 1;
    }
    i
}

/// Past the literal string opening at `i` (balanced parentheses, backslash escapes): the index
/// after its closing parenthesis, and whether a raw carriage return stands in it.
pub fn past_string(text: &[u8], mut i: usize) -> (usize, bool) {
    let mut depth = 0usize;
    let mut raw_cr = false;
    while let Some(&c) = text.get(i) {
        match c {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            b'\r' => raw_cr = true,
            _ => {}
        }
        i += 1;
    }
    (i + 1, raw_cr)
}

/// Past the hex string opening at `i` (a `<` not followed by `<`).
pub fn past_hex(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(|&c| c != b'>') {
        i += 1;
    }
    i + 1
}

/// Where the `stream` keywords are that a parser reads as such: outside literal and hex
/// strings and comments, followed by an end of line. Returns (keyword, data start, data end).
fn streams(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => i = past_comment(bytes, i),
            b'(' => i = past_string(bytes, i).0,
            b'<' if bytes.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => i = past_hex(bytes, i),
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

/// The rows of a cross-reference stream's expanded `data`: (object number, type, second
/// field): type 0 free, 1 in use at the offset in the second field, 2 in the object stream it
/// names.
fn xref_stream_rows(dict: &[u8], data: &[u8]) -> Vec<(usize, usize, usize)> {
    let w = int_array(dict, b"/W").unwrap_or_default();
    let [w0, w1, w2] = w.as_slice() else {
        return Vec::new();
    };
    let width = w0 + w1 + w2;
    if width == 0 || *w1 > 8 || *w0 > 8 || *w2 > 8 {
        return Vec::new();
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
    numbers
        .zip(data.chunks_exact(width))
        .map(|(n, row)| {
            let kind = if *w0 == 0 { 1 } else { field(row, 0, *w0) };
            (n, kind, field(row, *w0, *w1))
        })
        .collect()
}

/// One cross-reference table found in the file.
#[derive(Debug)]
struct Table {
    /// Where its `xref` keyword is.
    at: usize,
    /// Every subsection holds as many entries as its header says.
    counts_agree: bool,
    /// (object number, offset when in use, `None` when free).
    entries: Vec<(usize, Option<usize>)>,
    /// The trailer's `/XRefStm` (a hybrid-reference file's stream for the same section).
    xref_stm: Option<usize>,
    /// The trailer's `/Prev`.
    prev: Option<usize>,
}

/// Every cross-reference table in the file: any `xref` (not `startxref`) whose lines read as
/// a table counts, as a parser may be pointed at either.
fn xref_tables(bytes: &[u8]) -> Vec<Table> {
    // Every keyword's positions, found once (a search per table would be quadratic).
    let all = |word: &[u8]| -> Vec<usize> {
        let mut at = Vec::new();
        let mut from = 0;
        while let Some(p) = find(bytes, word, from) {
            at.push(p);
            from = p + word.len();
        }
        at
    };
    let (xrefs, trailers, starts) = (all(b"xref"), all(b"trailer"), all(b"startxref"));
    let after = |list: &[usize], at: usize| list.get(list.partition_point(|&p| p <= at)).copied();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find(bytes, b"xref", from) {
        from = at + 4;
        if at >= 5 && bytes.get(at - 5..at) == Some(b"start") {
            continue;
        }
        let mut lines = bytes
            .get(from..)
            .unwrap_or_default()
            .split(|&b| b == b'\n' || b == b'\r')
            .filter(|l| !l.trim_ascii().is_empty());
        let mut number = 0usize;
        let mut sections = 0usize;
        let mut entries = Vec::new();
        // Entries each subsection says it has, and has: lopdf reads the entries that follow
        // whatever the count, poppler reads the count and rebuilds the table when it meets
        // the trailer early.
        let (mut said, mut has) = (0usize, 0usize);
        let mut counts_agree = true;
        for line in lines.by_ref() {
            let parts: Vec<&[u8]> = line.trim_ascii().split(|b| *b == b' ').collect();
            let num = |t: &[u8]| std::str::from_utf8(t).ok()?.parse::<usize>().ok();
            match parts.as_slice() {
                [a, b] => match (num(a), num(b)) {
                    (Some(start), Some(count)) => {
                        counts_agree &= said == has;
                        (said, has) = (count, 0);
                        number = start;
                        sections += 1;
                    }
                    _ => break,
                },
                [off, _gen, kind] if sections > 0 && (*kind == b"n" || *kind == b"f") => {
                    entries.push((number, if *kind == b"n" { num(off) } else { None }));
                    number += 1;
                    has += 1;
                }
                _ => break,
            }
        }
        counts_agree &= said == has;
        if sections == 0 {
            continue;
        }
        // The trailer of this table: before any other cross-reference keyword.
        // Its trailer: before any other cross-reference keyword, read up to `startxref`
        // (at most 64 KiB).
        let trailer = after(&trailers, at)
            .filter(|&t| after(&xrefs, at).is_none_or(|x| x > t))
            .map(|t| {
                // Up to the next keyword of any section, so that no two trailers' windows
                // overlap (the scan stays linear in the file).
                let end = [after(&starts, t), after(&xrefs, t), after(&trailers, t)]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(bytes.len())
                    .min(t.saturating_add(64 << 10));
                unescape(bytes.get(t..end).unwrap_or_default())
            })
            .unwrap_or_default();
        out.push(Table {
            at,
            counts_agree,
            entries,
            xref_stm: int_value(&trailer, b"/XRefStm"),
            prev: int_value(&trailer, b"/Prev"),
        });
    }
    out
}

/// White space as PDF (with NUL and form feed) and C's `isspace` (with vertical tab) know it:
/// a reader rebuilding the cross-reference table reads headers split by any of them.
fn space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'\0')
}

/// `N G obj` ending just before the `obj` at `obj`: where N starts, and N (`usize::MAX` for a
/// number past 32 bits, which no section can list). Runs of white space and digits of any
/// length count, leading zeros too: a header missed here would be one only a rebuilding reader
/// sees. The runs scanned for two `obj` keywords never overlap, so the scan stays linear.
fn header_before(bytes: &[u8], obj: usize) -> Option<(usize, usize)> {
    let back = |i: &mut usize, class: fn(&u8) -> bool| -> bool {
        let start = *i;
        while *i > 0 && bytes.get(*i - 1).is_some_and(class) {
            *i -= 1;
        }
        *i < start
    };
    let digit: fn(&u8) -> bool = u8::is_ascii_digit;
    let mut i = obj;
    if !(back(&mut i, space) && back(&mut i, digit) && back(&mut i, space)) {
        return None;
    }
    let end = i;
    if !back(&mut i, digit) {
        return None;
    }
    // At the start of a line, after white space only, as a reader rebuilding the table looks
    // for headers (`(write 1 0 obj here)` in a page's text is not one); or right after a
    // `%%EOF` that ends no line, where an update written by another program may begin
    // (pyHanko after jpid's signature).
    let mut line = i;
    back(&mut line, |b| space(b) && *b != b'\n' && *b != b'\r');
    let after_eof = line >= 5 && bytes.get(line - 5..line) == Some(b"%%EOF");
    if line > 0 && !after_eof && !matches!(bytes.get(line - 1), Some(b'\n' | b'\r')) {
        return None;
    }
    let digits = bytes.get(i..end)?;
    let significant = digits
        .get(digits.iter().take_while(|&&b| b == b'0').count()..)
        .unwrap_or_default();
    let n = if significant.len() > 10 {
        usize::MAX
    } else {
        std::str::from_utf8(significant)
            .ok()?
            .parse::<u64>()
            .map_or(usize::MAX, |n| {
                if n > u64::from(u32::MAX) {
                    usize::MAX
                } else {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }
            })
    };
    let n = if significant.is_empty() { 0 } else { n };
    Some((i, n))
}

/// The first non-white-space byte at or after `at` (where an offset's object header starts).
pub fn skip_space(bytes: &[u8], at: usize) -> usize {
    at + bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| space(b))
        .count()
}

/// The first key a dictionary in `text` names twice (decoded from `#xx` escapes), or an error
/// for nesting past 1 000 levels. lopdf keeps a repeated key's last value; poppler, once a
/// dictionary has 32 entries or more, sorts them and may take either: a co-signer could then
/// rewrite an object that lopdf finds unchanged and a viewer draws otherwise. `skip` lists
/// byte ranges that are stream data, not syntax.
fn repeated_key(text: &[u8], skip: &[(usize, usize)]) -> Result<Option<Vec<u8>>, String> {
    enum Frame {
        Dict(BTreeSet<Vec<u8>>, bool),
        Array,
    }
    let delimiter = |b: &u8| space(b) || b"()<>[]{}/%".contains(b);
    let mut stack: Vec<Frame> = Vec::new();
    let mut skips = skip.iter().peekable();
    // A value ended: the next name in the enclosing dictionary is a key.
    let valued = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Dict(_, after_key)) = stack.last_mut() {
            *after_key = false;
        }
    };
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        while skips.peek().is_some_and(|&&(_, end)| end <= i) {
            skips.next();
        }
        if let Some(&&(start, end)) = skips.peek() {
            if i >= start {
                i = end;
                continue;
            }
        }
        match b {
            b'%' => i = past_comment(text, i),
            b'(' => {
                let (end, raw_cr) = past_string(text, i);
                // lopdf reads a raw CR or CR LF in a string as LF, poppler keeps it: the same
                // string would be two (a palette shifted by a byte).
                if raw_cr {
                    return Err(
                        "a string holds a raw carriage return, which readers decode differently"
                            .to_string(),
                    );
                }
                i = end;
                valued(&mut stack);
            }
            b'<' if text.get(i + 1) == Some(&b'<') => {
                if stack.len() >= 1000 {
                    return Err("dictionaries nested past 1000 levels".to_string());
                }
                stack.push(Frame::Dict(BTreeSet::new(), false));
                i += 2;
            }
            b'<' => {
                i = past_hex(text, i);
                valued(&mut stack);
            }
            b'>' if text.get(i + 1) == Some(&b'>') => {
                if matches!(stack.last(), Some(Frame::Dict(..))) {
                    stack.pop();
                }
                i += 2;
                valued(&mut stack);
            }
            b'[' => {
                if stack.len() >= 1000 {
                    return Err("arrays nested past 1000 levels".to_string());
                }
                stack.push(Frame::Array);
                i += 1;
            }
            b']' => {
                if matches!(stack.last(), Some(Frame::Array)) {
                    stack.pop();
                }
                i += 1;
                valued(&mut stack);
            }
            b'/' => {
                let start = i + 1;
                i = start;
                while text.get(i).is_some_and(|c| !delimiter(c)) {
                    i += 1;
                }
                if let Some(Frame::Dict(keys, after_key)) = stack.last_mut() {
                    if *after_key {
                        *after_key = false;
                    } else {
                        let name = unescape_name(text.get(start..i).unwrap_or_default());
                        if !keys.insert(name.clone()) {
                            return Ok(Some(name));
                        }
                        *after_key = true;
                    }
                }
            }
            _ if space(&b) => i += 1,
            _ => {
                // A number, `R`, `true`, `obj` and the like: one token (a stray delimiter
                // is passed over). Only words PDF defines: lopdf reads `R7` as `R` and `7` and
                // `1.5-` as 1.5, poppler reads neither, so they would read different objects.
                let start = i;
                while text.get(i).is_some_and(|c| !delimiter(c)) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                } else if !plain_word(text.get(start..i).unwrap_or_default()) {
                    let shown: String =
                        String::from_utf8_lossy(text.get(start..i).unwrap_or_default())
                            .chars()
                            .take(20)
                            .collect();
                    return Err(format!(
                        "a word PDF does not define ({shown:?}), which readers split differently"
                    ));
                }
                valued(&mut stack);
            }
        }
    }
    Ok(None)
}

/// A number in PDF's syntax (`12`, `-3`, `+.5`, `4.`), or a keyword a file holds outside
/// streams, strings and comments.
fn plain_word(w: &[u8]) -> bool {
    const KEYWORDS: [&[u8]; 13] = [
        b"R",
        b"true",
        b"false",
        b"null",
        b"obj",
        b"endobj",
        b"stream",
        b"endstream",
        b"xref",
        b"trailer",
        b"startxref",
        b"f",
        b"n",
    ];
    if KEYWORDS.contains(&w) {
        return true;
    }
    let digits = w
        .strip_prefix(b"+")
        .or_else(|| w.strip_prefix(b"-"))
        .unwrap_or(w);
    let (whole, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(p) => (digits.get(..p).unwrap_or_default(), digits.get(p + 1..)),
        None => (digits, None),
    };
    let all_digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    match frac {
        None => !whole.is_empty() && all_digits(whole),
        Some(f) => (!whole.is_empty() || !f.is_empty()) && all_digits(whole) && all_digits(f),
    }
}

/// [`repeated_key`] as the error the file is refused with.
fn no_repeated_key(text: &[u8], skip: &[(usize, usize)]) -> Result<(), String> {
    match repeated_key(text, skip)? {
        None => Ok(()),
        Some(name) => {
            let shown: String = String::from_utf8_lossy(&name).chars().take(40).collect();
            Err(format!(
                "a dictionary names the key /{shown} twice (readers disagree on which value counts)"
            ))
        }
    }
}

/// A name's bytes with its `#xx` escapes decoded.
fn unescape_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'#', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// What the scan saw of the file's layout, for [`Layout::agrees_with`] once lopdf has read the
/// file: the places where readers that follow other rules (rebuilding the cross-reference table
/// by scanning, starting at a linearized file's first section, taking an object stream's object
/// by its index) would read something else than lopdf.
#[derive(Debug, Default)]
pub struct Layout {
    /// Every `N G obj` header anywhere in the file, in order: (where N starts, N).
    headers: Vec<(usize, usize)>,
    /// Object streams by where their header starts: the numbers they hold, in index order.
    objstms: BTreeMap<usize, Vec<usize>>,
    /// Cross-reference tables.
    tables: Vec<Table>,
    /// Cross-reference streams by where their header starts: the numbers listed in use or
    /// compressed, and the stream's `/Prev`.
    xref_streams: BTreeMap<usize, (Vec<usize>, Option<usize>)>,
    /// Every stream's `stream` keyword and where its data starts, in order.
    stream_starts: Vec<(usize, usize)>,
}

impl Layout {
    /// Where the data of the first stream after `at` starts (an object's stream, from its
    /// offset).
    pub fn stream_data_after(&self, at: usize) -> Option<usize> {
        self.stream_starts
            .get(self.stream_starts.partition_point(|&(kw, _)| kw < at))
            .map(|&(_, start)| start)
    }

    /// The stream object whose `stream` keyword is at `kw`: where its header starts.
    fn header_of_stream(&self, kw: usize) -> Option<usize> {
        let i = self.headers.partition_point(|&(p, _)| p < kw);
        i.checked_sub(1)
            .and_then(|i| self.headers.get(i))
            .map(|&(p, _)| p)
    }

    /// Checks lopdf's merged cross-reference table `entries` against the layout. `place(n)` is
    /// where lopdf reads object n from: `Ok(header start)` for an object of its own,
    /// `Err((container header start, index))` for one in an object stream, `None` when free or
    /// not listed.
    pub fn agrees_with(
        &self,
        listed: impl Fn(usize) -> bool,
        place: impl Fn(usize) -> Option<Result<usize, (usize, usize)>>,
    ) -> Result<(), String> {
        // An object stream's object is the one its index names at the entry's index (a
        // reader taking it by index and lopdf taking it by number then agree).
        // Every copy of each object: its own header, or its object stream's header.
        let mut copies: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(at, n) in &self.headers {
            copies.entry(n).or_default().push(at);
        }
        for (&at, members) in &self.objstms {
            for &m in members {
                copies.entry(m).or_default().push(at);
            }
        }
        let xref_stream_at: BTreeSet<usize> = self.xref_streams.keys().copied().collect();
        for (&n, at) in &copies {
            let last = at.iter().copied().max().unwrap_or(0);
            match place(n) {
                Some(Ok(p)) if p != last => {
                    return Err(format!(
                        "object {n} is written again after the copy the cross-reference table names (a reader rebuilding the table would show the other)"
                    ))
                }
                Some(Err((container, index))) => {
                    if container != last {
                        return Err(format!(
                            "object {n} is written again after the object stream the cross-reference table names"
                        ));
                    }
                    if self.objstms.get(&container).and_then(|m| m.get(index)) != Some(&n) {
                        return Err(format!(
                            "the object stream holding object {n} names another object at its index"
                        ));
                    }
                }
                Some(Ok(_)) => {}
                None if listed(n) => {}
                // Written but listed nowhere: only a reader rebuilding the table would see it.
                // Cross-reference streams need not list themselves.
                None if at.iter().all(|a| xref_stream_at.contains(a)) => {}
                None => {
                    return Err(format!(
                        "object {n} is written in the file but no cross-reference section lists it"
                    ))
                }
            }
        }
        // A hybrid-reference section: its table and its stream must not both list an object
        // (lopdf lets the stream's entry replace the table's free one, other readers do not).
        for t in &self.tables {
            let Some(stm) = t.xref_stm else { continue };
            if let Some((numbers, _)) = self.xref_streams.get(&stm) {
                let listed: BTreeSet<usize> = t.entries.iter().map(|&(n, _)| n).collect();
                if let Some(n) = numbers.iter().find(|n| listed.contains(n)) {
                    return Err(format!(
                        "a hybrid-reference section lists object {n} in both its table and its stream"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses a file whose object or cross-reference streams expand past the bounds, that holds
/// more than [`MAX_OBJECTS`] objects, whose cross-reference entries or object-stream index
/// name one place for two objects (each naming makes the parser read the object again), whose
/// object stream names an object twice or holds another count than its /N says, or a linearized
/// file whose length is its /L but whose last cross-reference section is not its first-page
/// one (a viewer would then start at another section than lopdf). Returns what it saw, for
/// [`Layout::agrees_with`].
pub fn check(bytes: &[u8]) -> Result<Layout, String> {
    let mut layout = Layout::default();
    // Objects written out: every `obj` keyword that is not `endobj` (counting a stray one in
    // binary data too errs on the safe side).
    let mut objects = 0usize;
    let mut at = 0usize;
    while let Some(p) = find(bytes, b"obj", at) {
        if !(p >= 3 && bytes.get(p - 3..p) == Some(b"end")) {
            objects += 1;
            if let Some(h) = header_before(bytes, p) {
                layout.headers.push(h);
            }
        }
        at = p + 3;
    }
    let too_many = || format!("the PDF holds more than {MAX_OBJECTS} objects");
    if objects > MAX_OBJECTS {
        return Err(too_many());
    }
    let mut tables = xref_tables(bytes);
    let table_entries: usize = tables.iter().map(|t| t.entries.len()).sum();
    if table_entries > MAX_OBJECTS {
        return Err(too_many());
    }
    let mut file_offsets = BTreeMap::new();
    no_shared_offsets(
        tables
            .iter()
            .flat_map(|t| t.entries.iter().filter_map(|&(n, o)| Some((n, o?)))),
        &mut file_offsets,
    )?;
    if tables.iter().any(|t| !t.counts_agree) {
        return Err(
            "a cross-reference subsection holds another number of entries than its header says"
                .to_string(),
        );
    }
    for t in &mut tables {
        t.xref_stm = t.xref_stm.map(|o| skip_space(bytes, o));
        t.prev = t.prev.map(|o| skip_space(bytes, o));
    }
    let found = streams(bytes);
    let data: Vec<(usize, usize)> = found.iter().map(|&(_, start, end)| (start, end)).collect();
    layout.stream_starts = found.iter().map(|&(kw, start, _)| (kw, start)).collect();
    no_repeated_key(bytes, &data)?;
    let mut total = 0usize;
    let mut window_start = 0usize;
    for (kw, start, end) in found {
        let window = unescape(bytes.get(window_start..kw).unwrap_or_default());
        let since = window_start;
        window_start = end;
        let objstm = window.windows(7).any(|w| w == b"/ObjStm");
        let xref = window.windows(5).any(|w| w == b"/XRef");
        if !(objstm || xref) {
            continue;
        }
        // Its own header: after the previous stream (a header further back belongs to another
        // object, and reading back to it for every stream would be quadratic).
        let header = layout.header_of_stream(kw).filter(|&h| h >= since);
        let own = unescape(bytes.get(header.unwrap_or(kw)..kw).unwrap_or_default());
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
            no_repeated_key(&data, &[])?;
            // The objects are the index pairs before /First, whatever /N says; their offsets
            // must increase.
            let first = int_value(&window, b"/First").unwrap_or(data.len());
            let index = data.get(..first.min(data.len())).unwrap_or_default();
            let nums: Vec<usize> = index
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
            // One copy of each object, and as many as /N says: lopdf keeps the last copy of a
            // number and reads every pair, other readers read /N pairs and take the object at
            // the index the cross-reference entry gives.
            let distinct: BTreeSet<usize> = pairs.iter().map(|&(n, _)| n).collect();
            if distinct.len() != pairs.len() {
                return Err("an object stream holds an object twice".to_string());
            }
            if header.is_some() && int_value(&own, b"/N") != Some(pairs.len()) {
                return Err(
                    "an object stream holds another number of objects than its /N".to_string(),
                );
            }
            if let Some(h) = header {
                layout
                    .objstms
                    .insert(h, pairs.iter().map(|&(n, _)| n).collect());
            }
        }
        if xref {
            let rows = xref_stream_rows(&window, &data);
            if rows.len() > MAX_OBJECTS {
                return Err(too_many());
            }
            no_shared_offsets(
                rows.iter().filter(|r| r.1 == 1).map(|&(n, _, o)| (n, o)),
                &mut file_offsets,
            )?;
            if let Some(h) = header {
                layout.xref_streams.insert(
                    h,
                    (
                        rows.iter()
                            .filter(|r| r.1 == 1 || r.1 == 2)
                            .map(|&(n, _, _)| n)
                            .collect(),
                        int_value(&own, b"/Prev").map(|o| skip_space(bytes, o)),
                    ),
                );
            }
        }
    }
    layout.tables = tables;
    let last = last_startxref(bytes);
    linearized_start(bytes, last)?;
    one_chain(&layout, last)?;
    Ok(layout)
}

/// Where the last `startxref` points (at the section's first byte).
fn last_startxref(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(9)
        .rposition(|w| w == b"startxref")
        .and_then(|p| {
            let rest = bytes.get(p + 9..)?.trim_ascii_start();
            let digits: Vec<u8> = rest
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .copied()
                .collect();
            std::str::from_utf8(&digits).ok()?.parse::<usize>().ok()
        })
        .map(|o| skip_space(bytes, o))
}

/// The cross-reference sections from the last `startxref` back through each `/Prev` (and a
/// hybrid table's `/XRefStm`) must not loop, and must include every section in the file: a
/// section outside the chain is one some other reader may start from, and a signed section
/// skipped by a later `/Prev` would vanish from the report.
fn one_chain(layout: &Layout, last: Option<usize>) -> Result<(), String> {
    let tables: BTreeMap<usize, &Table> = layout.tables.iter().map(|t| (t.at, t)).collect();
    let mut seen = BTreeSet::new();
    let mut next = last;
    while let Some(at) = next {
        if !seen.insert(at) {
            return Err("the cross-reference sections' /Prev chain loops".to_string());
        }
        next = if let Some(t) = tables.get(&at) {
            if let Some(stm) = t.xref_stm {
                seen.insert(stm);
            }
            t.prev
        } else if let Some((_, prev)) = layout.xref_streams.get(&at) {
            *prev
        } else {
            // Not a section the scan found: lopdf refuses the file on its own.
            None
        };
    }
    let outside = layout
        .tables
        .iter()
        .map(|t| t.at)
        .chain(layout.xref_streams.keys().copied())
        .find(|at| !seen.contains(at));
    match outside {
        Some(at) if last.is_some() => Err(format!(
            "a cross-reference section at byte {at} is not in the chain the last startxref starts"
        )),
        _ => Ok(()),
    }
}

/// A linearized file (its first object has /Linearized) whose length is the /L it states is
/// read by viewers from the cross-reference section right after its first `endobj`, not from
/// the last `startxref`: the two must be the same section. The dictionary is the text before
/// the first `endobj` (whatever headers the scan read), and its /L must be one plain integer
/// (poppler reads `+20808` and `020808` as 20808; anything else is refused).
fn linearized_start(bytes: &[u8], last: Option<usize>) -> Result<(), String> {
    let Some(endobj) = find(bytes, b"endobj", 0) else {
        return Ok(());
    };
    let head = unescape(bytes.get(..endobj).unwrap_or_default());
    if !head.windows(11).any(|w| w == b"/Linearized") {
        return Ok(());
    }
    let unreadable = || "a linearized file whose /L jpid cannot read".to_string();
    let mut values = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&head, b"/L", from) {
        from = at + 2;
        let rest = head.get(from..).unwrap_or_default();
        if rest.first().is_some_and(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let rest = rest
            .get(rest.iter().take_while(|b| space(b)).count()..)
            .unwrap_or_default();
        let (token, tail) = rest.split_at(
            rest.iter()
                .position(|b| space(b) || b"/<>[]()%{}".contains(b))
                .unwrap_or(rest.len()),
        );
        let digits = token.strip_prefix(b"+").unwrap_or(token);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(unreadable());
        }
        // `/L 5 0 R`: a reference, which a viewer follows to whatever object 5 holds.
        let after: Vec<&[u8]> = tail
            .split(space)
            .filter(|t| !t.is_empty())
            .take(2)
            .collect();
        if let [g, r] = after.as_slice() {
            if g.iter().all(u8::is_ascii_digit) && r.starts_with(b"R") {
                return Err(unreadable());
            }
        }
        let significant = digits
            .get(digits.iter().take_while(|&&b| b == b'0').count()..)
            .unwrap_or_default();
        let value = if significant.is_empty() {
            0
        } else if significant.len() > 19 {
            return Err(unreadable());
        } else {
            std::str::from_utf8(significant)
                .ok()
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or_else(unreadable)?
        };
        values.push(value);
    }
    match values.as_slice() {
        [] => return Ok(()),
        [l] if *l != bytes.len() => return Ok(()),
        [_] => {}
        _ => return Err(unreadable()),
    }
    if last != Some(skip_space(bytes, endobj + 6)) {
        return Err(
            "a linearized file whose length is its /L but whose last cross-reference section is not its first-page one (viewers would read other sections than the last)".to_string(),
        );
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
            "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>",
            &zlib(b"2 0 << >>"),
        );
        assert!(check(&file).is_ok());
        // Many streams under the per-stream cap that add up past the total.
        let part = zlib(&vec![0u8; 30 << 20]);
        let many: Vec<u8> = (0..5)
            .flat_map(|_| stream("<< /Type /XRef /Filter /FlateDecode >>", &part))
            .collect();
        assert!(check(&many).unwrap_err().contains("in all"));
    }

    /// Where lopdf and a reader following other rules (poppler rebuilding a damaged table,
    /// taking an object stream's object by index, starting a linearized file at its first
    /// section) would read different objects: refused (review of 2026-12-06).
    #[test]
    fn what_other_readers_would_read_differently_is_refused() {
        // An object stream naming an object twice (lopdf keeps the last copy, poppler the one
        // at the entry's index), or holding more objects than its /N.
        let twice = stream(
            "<< /Type /ObjStm /N 2 /First 8 >>",
            b"4 0 4 9 (first) (second)",
        );
        assert!(check(&twice).unwrap_err().contains("twice"));
        let more = stream(
            "<< /Type /ObjStm /N 1 /First 8 >>",
            b"4 0 5 9 (first) (second)",
        );
        assert!(check(&more).unwrap_err().contains("/N"));

        // An object written again after the copy the table names: a rebuilt table takes the
        // later one.
        let file = b"%PDF-1.7\n1 0 obj (signed) endobj\n1 0 obj (changed) endobj\n";
        let layout = check(file).expect("scan");
        let first = 9;
        let err = layout
            .agrees_with(|_| true, |n| (n == 1).then_some(Ok(first)))
            .unwrap_err();
        assert!(err.contains("written again"), "{err}");
        // Naming the later copy is fine.
        let later = 9 + b"1 0 obj (signed) endobj\n".len();
        assert!(layout
            .agrees_with(|_| true, |n| (n == 1).then_some(Ok(later)))
            .is_ok());
        // An object no section lists.
        let err = layout.agrees_with(|_| false, |_| None).unwrap_err();
        assert!(err.contains("no cross-reference section lists it"), "{err}");
        // An object stream whose index names another object at the entry's index.
        let objstm = stream(
            "<< /Type /ObjStm /N 2 /First 8 >>",
            b"4 0 5 9 (four) (five)",
        );
        let layout = check(&objstm).expect("scan");
        let at = 0;
        assert!(layout
            .agrees_with(
                |_| true,
                |n| match n {
                    1 => Some(Ok(at)),
                    4 => Some(Err((at, 0))),
                    5 => Some(Err((at, 1))),
                    _ => None,
                }
            )
            .is_ok());
        let err = layout
            .agrees_with(
                |_| true,
                |n| match n {
                    1 => Some(Ok(at)),
                    4 => Some(Err((at, 1))),
                    5 => Some(Err((at, 0))),
                    _ => None,
                },
            )
            .unwrap_err();
        assert!(err.contains("names another object"), "{err}");
    }

    /// A cross-reference stream with one-byte fields listing `rows` (type, offset, index).
    fn xref_stream(num: usize, size: usize, extra: &str, rows: &[(u8, u8, u8)]) -> Vec<u8> {
        let data: Vec<u8> = rows.iter().flat_map(|&(a, b, c)| [a, b, c]).collect();
        [
            format!(
                "{num} 0 obj\n<< /Type /XRef /Size {size} /W [1 1 1] /Index [0 {}] {extra} >>\nstream\n",
                rows.len()
            )
            .as_bytes(),
            &data,
            b"\nendstream\nendobj\n",
        ]
        .concat()
    }

    #[test]
    fn hybrid_sections_and_the_chain_of_sections() {
        // A hybrid-reference section whose table frees object 1 and whose stream lists it:
        // lopdf takes the stream's entry, poppler keeps the free one and rebuilds the table.
        let mut file = b"%PDF-1.7\n".to_vec();
        let stm = file.len();
        file.extend(xref_stream(2, 3, "", &[(0, 0, 0), (1, 9, 0), (1, 20, 0)]));
        let table = file.len();
        file.extend(
            format!(
                "xref\n0 2\n0000000000 65535 f\r\n0000000000 65535 f\r\ntrailer\n<< /Size 3 /XRefStm {stm} >>\nstartxref\n{table}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let layout = check(&file).expect("scan");
        let err = layout.agrees_with(|_| true, |_| None).unwrap_err();
        assert!(err.contains("both its table and its stream"), "{err}");

        // Two sections whose /Prev name each other.
        let mut file = b"%PDF-1.7\n".to_vec();
        let a = file.len();
        let b =
            a + b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Prev 0000000099 >>\n".len();
        file.extend(
            format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Prev {b:010} >>\n")
                .as_bytes(),
        );
        file.extend(format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Prev {a:010} >>\nstartxref\n{b}\n%%EOF\n").as_bytes());
        assert!(check(&file).unwrap_err().contains("loops"));
        // A section the chain from the last startxref does not reach.
        let mut file = b"%PDF-1.7\n".to_vec();
        file.extend(b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 >>\n");
        let b = file.len();
        file.extend(
            format!(
                "xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 >>\nstartxref\n{b}\n%%EOF\n"
            )
            .as_bytes(),
        );
        assert!(check(&file).unwrap_err().contains("not in the chain"));
    }

    #[test]
    fn a_linearized_file_read_from_another_section_is_refused() {
        // /L equal to the file's length: viewers start at the section after the first object,
        // here not the one the last startxref names.
        let build = |l: usize| -> Vec<u8> {
            let mut f = b"%PDF-1.7\n".to_vec();
            f.extend(format!("1 0 obj\n<< /Linearized 1 /L {l:010} >>\nendobj\n").as_bytes());
            let first = f.len();
            f.extend(b"xref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<< /Size 2 >>\nstartxref\n0\n%%EOF\n");
            let second = f.len();
            f.extend(format!("xref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<< /Size 2 /Prev {first} >>\nstartxref\n{second}\n%%EOF\n").as_bytes());
            f
        };
        let len = build(0).len();
        assert!(check(&build(len)).unwrap_err().contains("linearized"));
        // Any other /L: viewers read from the last startxref like lopdf.
        assert!(check(&build(len + 1)).is_ok());
    }

    /// The second review of these checks (2026-12-06): headers written so that a narrow scan
    /// misses them while a rebuilding reader finds them, a subsection count that makes poppler
    /// rebuild, and a linearized /L written as `+N` or an unreadable token.
    #[test]
    fn headers_counts_and_linearized_lengths_in_every_spelling() {
        let spaces = " ".repeat(70);
        for text in [
            "x\n5 0000000 obj".to_string(),
            "x\n000000000005 0 obj".to_string(),
            format!("x\n5 0{spaces}obj"),
            "x\r5 0\x0bobj".to_string(),
            "x\n5\x000\x0cobj".to_string(),
        ] {
            let at = text.find("obj").expect("obj");
            assert_eq!(header_before(text.as_bytes(), at), Some((2, 5)), "{text:?}");
        }
        assert_eq!(
            header_before(b"x\n99999999999 0 obj", 16).map(|h| h.1),
            Some(usize::MAX)
        );
        // Not at the start of a line: text quoting PDF syntax, which no reader takes for a
        // header (a review's false rejection).
        assert_eq!(header_before(b"(write 1 0 obj here)", 11), None);
        assert_eq!(header_before(b"x\n \t1 0 obj", 8).map(|h| h.1), Some(1));
        // A subsection saying 3 entries and holding 1.
        let table: &[u8] = b"xref\n0 3\n0000000000 65535 f\r\ntrailer\n<< /Size 3 >>\n";
        assert!(check(table).unwrap_err().contains("number of entries"));
        // /L in other spellings: `+N` reads as N (and is then checked), a token that is not an
        // integer is refused.
        let build = |l: &str| -> Vec<u8> {
            let mut f =
                format!("%PDF-1.7\n1 0 obj\n<< /Linearized 1 /L {l} >>\nendobj\n").into_bytes();
            let first = f.len();
            f.extend(
                b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 >>\nstartxref\n0\n%%EOF\n",
            );
            let second = f.len();
            f.extend(format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Prev {first} >>\nstartxref\n{second}\n%%EOF\n").as_bytes());
            f
        };
        let len = build("+0000000000").len();
        let plus = build(&format!("+{len:010}"));
        assert_eq!(plus.len(), len);
        assert!(check(&plus).unwrap_err().contains("linearized"));
        assert!(check(&build("5 0 R"))
            .unwrap_err()
            .contains("/L jpid cannot read"));
        // The dictionary counts whatever its own header looks like.
        let hidden = String::from_utf8(build(&format!("{len:011}"))).expect("text");
        let hidden = hidden.replacen("1 0 obj", "1 0000000 obj", 1);
        let hidden = hidden.replace(&format!("{len:011}"), &format!("{:011}", hidden.len()));
        assert!(check(hidden.as_bytes()).unwrap_err().contains("linearized"));
    }

    /// A dictionary naming a key twice: lopdf takes the last value, poppler (32 entries or
    /// more) may take either, so a rewritten page or widget could read unchanged to jpid and be
    /// drawn otherwise. Refused anywhere in the file and inside object streams; the same key
    /// in nested dictionaries, a name used as a value, and stream data are not repeats.
    #[test]
    fn a_dictionary_naming_a_key_twice_is_refused() {
        let refused = |text: &[u8]| check(text).err().unwrap_or_default();
        assert!(
            refused(b"1 0 obj << /Type /Page /Contents 5 0 R /Contents 6 0 R >> endobj")
                .contains("/Contents twice")
        );
        assert!(
            refused(b"1 0 obj << /Contents 5 0 R /Cont#65nts 6 0 R >> endobj")
                .contains("/Contents twice")
        );
        assert!(
            refused(b"1 0 obj << /F 2 /AP << /N 7 0 R >> /Rect [0 0 1 1] /F 0 >> endobj")
                .contains("/F twice")
        );
        for fine in [
            &b"1 0 obj << /Type /Type /A << /A 1 >> /B [/B /B] /C (/C /C) >> endobj"[..],
            b"1 0 obj << /Length 14 >>\nstream\n<< /A 1 /A 2 >>\nendstream\nendobj",
            b"1 0 obj << /A 1 >> endobj 2 0 obj << /A 2 >> endobj",
        ] {
            assert_eq!(check(fine).err(), None, "{}", String::from_utf8_lossy(fine));
        }
        let objstm = stream(
            "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>",
            &zlib(b"2 0 << /Kids [3 0 R] /Kids [4 0 R] >>"),
        );
        assert!(refused(&objstm).contains("/Kids twice"));
    }

    /// Words lopdf splits and poppler does not (`R7`, `1.5.3`, `2.0-`): refused; numbers in
    /// every spelling PDF allows and the keywords: read.
    #[test]
    fn only_words_pdf_defines() {
        for w in [
            "12", "-3", "+.5", "4.", "-.25", "0.0", "R", "true", "null", "endobj", "f",
        ] {
            assert!(plain_word(w.as_bytes()), "{w}");
        }
        for w in [
            "R7", "1.5.3", "2.0-", "--5", "1e3", ".", "+", "truex", "NaN",
        ] {
            assert!(!plain_word(w.as_bytes()), "{w}");
        }
        let glued = b"1 0 obj\n[5 0 R 6 0 R7 0 R]\nendobj\n";
        assert!(check(glued).unwrap_err().contains("does not define"));
        let fine = b"1 0 obj\n[5 0 R 6 0 R 7 0 R -.5 +3 4.]\nendobj\n";
        assert!(check(fine).is_ok());
    }

    /// A raw carriage return in a literal string: lopdf reads it as LF, poppler keeps it, so a
    /// palette or a text string would read as two different values (review of 2026-12-06).
    #[test]
    fn a_raw_carriage_return_in_a_string_is_refused() {
        let raw = b"1 0 obj\n<< /P (a\r\nb) >>\nendobj\n";
        assert!(check(raw).unwrap_err().contains("carriage return"));
        // Escaped, or a line feed alone: read alike.
        assert!(check(b"1 0 obj\n<< /P (a\\r\\\nb) >>\nendobj\n").is_ok());
        assert!(check(b"1 0 obj\n<< /P (a\nb) >>\nendobj\n").is_ok());
    }
}
