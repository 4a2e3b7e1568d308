//! A bound on what loading a PDF expands.
//!
//! lopdf expands two kinds of streams while it loads a file, without a limit: object streams
//! (`/Type /ObjStm`) and cross-reference streams (`/Type /XRef`); a few kilobytes of chained
//! Flate can expand to gigabytes. Before lopdf sees the file, every stream whose dictionary may
//! be of those kinds is expanded here through its filters with a cap on each output and on the
//! total, and a file over the cap is refused. No library does this; it is written by hand and
//! errs on the side of expanding too much: the text examined for a stream is everything between
//! the previous `endstream` and its `stream` keyword (its dictionary is in there), with name
//! escapes (`#xx`) decoded, so a dictionary cannot hide its type from this scan.

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

/// The integer after the last `key` in `dict`, if any.
fn last_int(dict: &[u8], key: &[u8]) -> Option<usize> {
    let at = dict.windows(key.len()).rposition(|w| w == key)?;
    let rest = dict.get(at + key.len()..)?;
    // `/N` and not `/Names`: the key must end here.
    if rest.first().is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let digits: Vec<u8> = rest
        .trim_ascii_start()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Refuses a file whose object or cross-reference streams expand past the bounds, or that
/// holds more than [`MAX_OBJECTS`] objects.
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
    let mut total = 0usize;
    let mut from = 0usize;
    let mut window_start = 0usize;
    while let Some(kw) = find(bytes, b"stream", from) {
        from = kw + 6;
        // `endstream` ends the previous stream: the next dictionary starts after it.
        if kw >= 3 && bytes.get(kw - 3..kw) == Some(b"end") {
            window_start = from;
            continue;
        }
        let window = unescape(bytes.get(window_start..kw).unwrap_or_default());
        let typed =
            window.windows(7).any(|w| w == b"/ObjStm") || window.windows(5).any(|w| w == b"/XRef");
        // The data starts after the end of line that follows `stream`.
        let mut start = from;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(bytes, b"endstream", start).unwrap_or(bytes.len());
        if typed {
            // An object stream's objects count as objects (its `/N`, or any number it says).
            if window.windows(7).any(|w| w == b"/ObjStm") {
                objects = objects.saturating_add(last_int(&window, b"/N").unwrap_or(0));
                if objects > MAX_OBJECTS {
                    return Err(too_many());
                }
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
        }
        window_start = end;
        from = end;
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
        let header: Vec<u8> = (0..10)
            .flat_map(|n| format!("{n} 0 ").into_bytes())
            .collect();
        let body = [header.as_slice(), b"<<>>".repeat(10).as_slice()].concat();
        let ok = stream(
            "<< /Type /ObjStm /N 10 /First 40 /Filter /FlateDecode >>",
            &zlib(&body),
        );
        assert!(check(&ok).is_ok());
        let many = stream(
            &format!(
                "<< /Type /ObjStm /N {} /Filter /FlateDecode >>",
                MAX_OBJECTS + 1
            ),
            &zlib(&body),
        );
        assert!(check(&many).unwrap_err().contains("objects"));
        let written: Vec<u8> = (0..=MAX_OBJECTS)
            .flat_map(|n| format!("{n} 0 obj null endobj\n").into_bytes())
            .collect();
        assert!(check(&written).is_err());
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
