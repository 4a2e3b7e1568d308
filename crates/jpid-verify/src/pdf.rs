//! PDF signatures (`adbe.pkcs7.detached`, ISO 32000-1 §12.8): every signature in a file, what
//! each one's byte range covers, what changed after it, and its CMS signature under the JPKI
//! roots.
//!
//! The file's objects, cross-reference chains and incremental updates are read by `lopdf` (a
//! kept library); what jpid adds by hand is what no library checks the way a relying party must:
//! - each `/ByteRange` is `[0 b c d]` with its hole exactly the `/Contents` hex string (`<` at
//!   `b`, `>` at `c - 1`, hex digits between, equal to the value the object holds) and its end
//!   at the end of a revision (`%%EOF`), so a signature names the revision it signed;
//! - every revision after a signed one is compared object by object with it: adding signature
//!   fields, signature dictionaries, their appearances and the lists that hold them is allowed
//!   (co-signing), anything else is a change, and a change to a page or its contents changes
//!   what is shown;
//! - bytes after the last signed revision mean the file was modified after signing, which the
//!   Legal Affairs Bureau's profile refuses (docs/pdf.md).
//!
//! Input is hostile: the file is bounded by [`MAX_PDF`], at most [`MAX_SIGNATURES`] signatures
//! are read, and a panic inside the parser is caught and reported as a malformed file.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

pub mod expand;

use crate::proof::Verified;
use crate::revocation::RevocationPolicy;
use crate::signature::{verify_cms_parts, CmsDigest, SignatureVerdict};
use crate::trust::{TrustMode, TrustStore};
use crate::verdict::Reason;
use crate::UnixTime;

/// The largest PDF jpid reads (64 MiB).
pub const MAX_PDF: usize = 64 << 20;
/// The most signatures read from one file.
pub const MAX_SIGNATURES: usize = 64;

/// A file jpid cannot check at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// Larger than [`MAX_PDF`].
    #[error("the PDF is {0} bytes; jpid reads PDFs of at most {MAX_PDF} bytes")]
    TooLarge(usize),
    /// Not a PDF lopdf can read.
    #[error("not a PDF jpid can read: {0}")]
    Malformed(String),
    /// Encrypted PDFs are not checked.
    #[error("the PDF is encrypted; jpid does not check encrypted PDFs")]
    Encrypted,
}

/// What a change after a signed revision does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A signature field, signature dictionary, their appearance or the lists holding them
    /// (another signer co-signing): allowed after a signature, never after the last one.
    Signature,
    /// The document information dictionary or XMP metadata (not shown on a page).
    Metadata,
    /// A page, the page tree, or a content stream: what is shown changes.
    Shown,
    /// Any other object.
    Other,
}

impl ChangeKind {
    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            ChangeKind::Signature => "signature",
            ChangeKind::Metadata => "metadata",
            ChangeKind::Shown => "shown",
            ChangeKind::Other => "other",
        }
    }
}

/// One object that differs between a signed revision and a later one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Object number and generation.
    pub object: (u32, u16),
    /// Added, changed or removed.
    pub how: &'static str,
    /// What the change does.
    pub kind: ChangeKind,
    /// What the object is, in words.
    pub what: String,
}

/// One signature in the file.
#[derive(Debug, Clone)]
pub struct PdfSignature {
    /// The signature field's name (`/T`), if a field names this signature.
    pub field: Option<String>,
    /// `/SubFilter`.
    pub sub_filter: String,
    /// `/Name`: the name the signing software wrote (not proven: the certificate's is).
    pub name: Option<String>,
    /// `/M`: the signing time the signer's clock claimed (no timestamp proves it).
    pub claimed_time: Option<String>,
    /// The same, parsed.
    pub claimed_at: Option<UnixTime>,
    /// `/ByteRange`.
    pub byte_range: Vec<i64>,
    /// The revision the signature covers (1 = the first), when its range ends at one.
    pub revision: Option<usize>,
    /// The range covers the whole file.
    pub covers_whole_file: bool,
    /// The digest algorithm the CMS names.
    pub digest: Option<CmsDigest>,
    /// The CMS signature's check (signature, certificate chain, validity, revocation).
    pub check: Option<SignatureVerdict>,
    /// Whether the certificate was valid at the claimed signing time.
    pub valid_at_claimed_time: Option<bool>,
    /// Objects changed after this signature's revision that no later signature explains.
    pub later_changes: Vec<Change>,
    /// Why this signature is not valid (empty when valid).
    pub reasons: Vec<Reason>,
}

impl PdfSignature {
    /// The holder's name from the signer certificate (proven when the signature is valid).
    pub fn certificate_name(&self) -> Option<&str> {
        self.check
            .as_ref()?
            .holder
            .iter()
            .find(|a| a.key == "name")
            .map(|a| a.value.as_str())
    }
    /// Valid: range, CMS, chain, validity, revocation as asked, nothing changed after it but
    /// later signatures.
    pub fn valid(&self) -> bool {
        self.reasons.is_empty() && self.check.as_ref().is_some_and(|c| c.valid())
    }
}

/// What a valid file proves: every signature valid, the last one covering the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfProof {
    /// Number of signatures.
    pub signatures: usize,
    /// The signer certificates' serials, in file order.
    pub serials: Vec<String>,
    /// When checked.
    pub at: UnixTime,
    /// Whether test roots were trusted.
    pub trust_mode: TrustMode,
}

/// The outcome of checking a PDF's signatures.
#[derive(Debug, Clone)]
pub struct PdfVerdict {
    /// The file's size.
    pub size: usize,
    /// Where each revision ends (byte offsets after `%%EOF`).
    pub revisions: Vec<usize>,
    /// Every signature, in the order their ranges end.
    pub signatures: Vec<PdfSignature>,
    /// The file continues after the last signed revision (modified after signing).
    pub modified_after_signing: bool,
    /// Why the file as a whole is not valid (empty when valid).
    pub reasons: Vec<Reason>,
    proof: Option<Verified<PdfProof>>,
}

impl PdfVerdict {
    /// True only with a proof.
    pub fn valid(&self) -> bool {
        self.proof.is_some()
    }
    /// The proof.
    pub fn proof(&self) -> Option<&Verified<PdfProof>> {
        self.proof.as_ref()
    }
}

impl PdfVerdict {
    /// The answer `jpid pdf verify --json` and `POST /v1/jpki/pdf/verify` give (the caller adds
    /// when and under which trust it checked). Values the signature does not prove are named
    /// so: `/Name` and `/M` are what the signing software wrote (`claimed_…`); the holder's
    /// name is the certificate's.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let reasons = |l: &[Reason]| -> Vec<serde_json::Value> {
            l.iter()
                .map(|r| json!({"code": r.code, "message": r.message}))
                .collect()
        };
        let sigs: Vec<serde_json::Value> = self
            .signatures
            .iter()
            .map(|s| {
                let cert = s.check.as_ref().map(|c| {
                    json!({
                        "subject": c.certificate.subject, "issuer": c.certificate.issuer,
                        "serial": c.certificate.serial,
                        "not_before": c.certificate.validity.0.to_rfc3339(),
                        "not_after": c.certificate.validity.1.to_rfc3339(),
                    })
                });
                json!({
                    "field": s.field,
                    "sub_filter": s.sub_filter,
                    "valid": s.valid(),
                    // The holder's attributes only when the signature proves them.
                    "holder_name": if s.valid() { s.certificate_name() } else { None },
                    "holder": if s.valid() { s.check.as_ref().map(|c| c.holder.as_slice()) } else { None }.unwrap_or_default(),
                    "claimed_name": s.name,
                    "claimed_signing_time": s.claimed_time,
                    "claimed_signing_time_utc": s.claimed_at.map(|t| t.to_rfc3339()),
                    "valid_at_claimed_signing_time": s.valid_at_claimed_time,
                    "byte_range": s.byte_range,
                    "revision": s.revision,
                    "covers_whole_file": s.covers_whole_file,
                    "digest": s.digest.map(|d| d.name()),
                    "signature_ok": s.check.as_ref().map(|c| c.signature_ok),
                    "certificate": cert,
                    "revocation_checked": s.check.as_ref().map(|c| c.certificate.revocation_checked),
                    "revocation": s.check.as_ref().map(|c| c.certificate.revocation.to_json()),
                    "warnings": s.check.as_ref().map(|c| reasons(&c.certificate.warnings)),
                    "later_changes": s.later_changes.iter().map(|c| json!({
                        "object": format!("{} {}", c.object.0, c.object.1),
                        "how": c.how, "kind": c.kind.code(), "what": c.what,
                    })).collect::<Vec<_>>(),
                    "reasons": reasons(&s.reasons),
                })
            })
            .collect();
        json!({
            "valid": self.valid(),
            "size": self.size,
            "revisions": self.revisions.len(),
            "modified_after_signing": self.modified_after_signing,
            "signatures": sigs,
            "reasons": reasons(&self.reasons),
        })
    }
}

/// lopdf on hostile bytes: what it expands is bounded first ([`expand`]), and a panic is a
/// malformed file, not a crash.
///
/// Loading is strict (a damaged cross-reference table is refused, never rebuilt by scanning
/// the file, and no object is skipped because it does not parse), and every object the
/// cross-reference table lists must be the object it names: what jpid compares is then what a
/// viewer reading the same table shows.
pub fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    use lopdf::xref::XrefEntry;
    let layout = expand::check(bytes).map_err(PdfError::Malformed)?;
    let options = lopdf::LoadOptions {
        strict: true,
        max_decompressed_size: Some(expand::MAX_STREAM),
        ..Default::default()
    };
    let doc = match std::panic::catch_unwind(|| Document::load_mem_with_options(bytes, options)) {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return Err(PdfError::Malformed(e.to_string())),
        Err(_) => {
            return Err(PdfError::Malformed(
                "the PDF parser gave up on this file".into(),
            ))
        }
    };
    check_xref(&doc, bytes)?;
    stream_ends(&doc, bytes, &layout)?;
    // What other readers would read where lopdf's rules and theirs part: a table rebuilt by
    // scanning for object headers, an object stream's object taken by its index, a hybrid
    // section's free entries.
    let table = &doc.reference_table.entries;
    let header_of = |n: u32| match table.get(&n) {
        Some(XrefEntry::Normal { offset, .. }) => Some(expand::skip_space(bytes, *offset as usize)),
        _ => None,
    };
    layout
        .agrees_with(
            |n| u32::try_from(n).is_ok_and(|n| table.contains_key(&n)),
            |n| {
                let n = u32::try_from(n).ok()?;
                match table.get(&n)? {
                    XrefEntry::Normal { .. } => header_of(n).map(Ok),
                    XrefEntry::Compressed { container, index } => {
                        Some(Err((header_of(*container)?, usize::from(*index))))
                    }
                    _ => None,
                }
            },
        )
        .map_err(PdfError::Malformed)?;
    Ok(doc)
}

/// Every in-use entry of the cross-reference table names the object found where it points,
/// and that object was loaded.
fn check_xref(doc: &Document, bytes: &[u8]) -> Result<(), PdfError> {
    use lopdf::xref::XrefEntry;
    for (&n, entry) in &doc.reference_table.entries {
        match *entry {
            XrefEntry::Normal { offset, generation } => {
                if header_at(bytes, offset as usize) != Some((n, generation)) {
                    return Err(PdfError::Malformed(format!(
                        "the cross-reference table points object {n} at another object"
                    )));
                }
                if !doc.objects.contains_key(&(n, generation)) {
                    return Err(PdfError::Malformed(format!("object {n} cannot be read")));
                }
            }
            XrefEntry::Compressed { .. } if !doc.objects.contains_key(&(n, 0)) => {
                return Err(PdfError::Malformed(format!(
                    "object {n} is not in the object stream the cross-reference table names"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every stream's data, as long as lopdf read it, is followed by `endstream` (after an end of
/// line at most). lopdf reads a /Length it cannot use directly (a real, a reference) from the
/// data's position and never looks for `endstream`; poppler, refusing such a /Length or
/// finding no `endstream` where it ends, searches for the keyword, and the two read different
/// bytes (a co-signer moved the search's stop to let another object's operators run into a
/// page: review of 2026-12-06).
fn stream_ends(doc: &Document, bytes: &[u8], layout: &expand::Layout) -> Result<(), PdfError> {
    use lopdf::xref::XrefEntry;
    for (&n, entry) in &doc.reference_table.entries {
        let XrefEntry::Normal { offset, generation } = *entry else {
            continue;
        };
        let Some(Object::Stream(st)) = doc.objects.get(&(n, generation)) else {
            continue;
        };
        let data = layout.stream_data_after(offset as usize);
        let end = data.and_then(|d| d.checked_add(st.content.len()));
        let rest = end.and_then(|e| bytes.get(e..)).unwrap_or_default();
        let rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .or_else(|| rest.strip_prefix(b"\r"))
            .unwrap_or(rest);
        if !rest.starts_with(b"endstream") {
            return Err(PdfError::Malformed(format!(
                "stream {n} does not end where its /Length says (readers would read different bytes)"
            )));
        }
    }
    Ok(())
}

/// `N G obj` at `at` (after white space): the object number and generation.
fn header_at(bytes: &[u8], at: usize) -> Option<(u32, u16)> {
    let rest = bytes.get(at..)?;
    let rest = rest.get(rest.iter().position(|b| !b.is_ascii_whitespace())?..)?;
    let mut parts = rest.splitn(3, |b| b.is_ascii_whitespace());
    let num = |p: Option<&[u8]>| -> Option<u64> {
        let p = p?;
        (!p.is_empty() && p.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(p).ok()?.parse().ok())?
    };
    let n = u32::try_from(num(parts.next())?).ok()?;
    let g = u16::try_from(num(parts.next())?).ok()?;
    let tail = parts.next()?;
    let tail = tail.get(tail.iter().position(|b| !b.is_ascii_whitespace())?..)?;
    tail.starts_with(b"obj").then_some((n, g))
}

/// Byte offsets where revisions end: after each `%%EOF` and the end-of-line that follows it.
pub fn revision_ends(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let marker = b"%%EOF";
    let mut i = 0;
    while let Some(p) = bytes
        .get(i..)
        .and_then(|rest| rest.windows(marker.len()).position(|w| w == marker))
    {
        let mut end = i + p + marker.len();
        if bytes.get(end) == Some(&b'\r') {
            end += 1;
        }
        if bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        out.push(end);
        i = end;
    }
    out
}

/// The revision (1-based) ending at `end`, allowing the end-of-line after `%%EOF` to be in or
/// out of the range.
fn revision_at(ends: &[usize], bytes: &[u8], end: usize) -> Option<usize> {
    ends.iter()
        .position(|&e| {
            e == end
                || (end < e
                    && bytes
                        .get(end..e)
                        .is_some_and(|t| t.iter().all(|b| matches!(b, b'\r' | b'\n')))
                    && bytes.get(..end).is_some_and(|h| h.ends_with(b"%%EOF")))
        })
        .map(|i| i + 1)
}

/// A PDF text string: UTF-16BE with its byte order mark, else PDFDocEncoding (read as Latin-1,
/// which agrees with it on printable ASCII).
fn text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// `D:YYYYMMDDHHmmSS` with an optional `Z`, or `+HH'mm'` / `-HH'mm'` offset (ISO 32000-1 §7.9.4).
/// Only full dates with seconds are read; anything else is left unparsed.
pub fn parse_pdf_date(s: &str) -> Option<UnixTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(4..6)?,
        num(6..8)?,
        num(8..10)?,
        num(10..12)?,
        num(12..14)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let offset = match s.get(14..) {
        None | Some("") | Some("Z") | Some("Z00'00'") | Some("Z00'00") => 0,
        Some(rest) => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = match rest.get(3..) {
                None | Some("") | Some("'") => 0,
                Some(m) => m
                    .trim_start_matches('\'')
                    .trim_end_matches('\'')
                    .parse()
                    .ok()?,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se - offset)
        .ok()
        .map(UnixTime)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_sig_dict(d: &Dictionary) -> bool {
    d.has(b"ByteRange") && d.has(b"Contents")
}

fn name_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    match d.get(key).ok()? {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

fn string_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    match d.get(key).ok()? {
        Object::String(s, _) => Some(text(s)),
        _ => None,
    }
}

/// A signature dictionary found in the document, with the field that holds it.
struct Found {
    field: Option<String>,
    dict: Dictionary,
}

/// Every signature dictionary the document's objects hold: indirect ones, and ones written
/// inline as a field's `/V`. A field that points to an indirect one gives it its name.
fn signature_dicts(doc: &Document) -> Vec<Found> {
    let mut names: std::collections::BTreeMap<ObjectId, String> = Default::default();
    let mut out = Vec::new();
    for obj in doc.objects.values() {
        let Ok(d) = obj.as_dict() else { continue };
        if matches!(d.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig") {
            let field = string_of(d, b"T");
            match d.get(b"V") {
                Ok(Object::Reference(id)) => {
                    if let Some(f) = field {
                        names.insert(*id, f);
                    }
                }
                Ok(Object::Dictionary(v)) if is_sig_dict(v) => out.push(Found {
                    field,
                    dict: v.clone(),
                }),
                _ => {}
            }
        }
    }
    for (id, obj) in &doc.objects {
        if let Ok(d) = obj.as_dict() {
            if is_sig_dict(d) && !d.has(b"FT") {
                out.push(Found {
                    field: names.get(id).cloned(),
                    dict: d.clone(),
                });
            }
        }
    }
    out
}

/// Checks every signature of `bytes` at `at` under `trust`, revocation as `revocation` says.
pub fn verify_pdf(
    bytes: &[u8],
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<PdfVerdict, PdfError> {
    if bytes.len() > MAX_PDF {
        return Err(PdfError::TooLarge(bytes.len()));
    }
    let doc = load(bytes)?;
    if doc.trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    let ends = revision_ends(bytes);
    let mut found = signature_dicts(&doc);
    let mut file_reasons = Vec::new();
    if found.len() > MAX_SIGNATURES {
        file_reasons.push(Reason::new(
            "too_many_signatures",
            format!(
                "the file holds {} signatures; jpid checks at most {MAX_SIGNATURES}",
                found.len()
            ),
        ));
        found.truncate(MAX_SIGNATURES);
    }
    let mut sigs: Vec<PdfSignature> = found
        .into_iter()
        .map(|f| check_one(bytes, &ends, f, trust, at, revocation))
        .collect();
    // File order: by where each range ends.
    sigs.sort_by_key(|s| range_end(&s.byte_range).unwrap_or(0));

    // What changed after each signed revision: each signed revision against the next signed
    // one (only signature changes allowed between them), and the last against the whole file.
    // Only revisions a signature really signed (its CMS signature verifies over its range)
    // count: a forged signature dictionary cannot make jpid parse the file once more for each
    // revision it names.
    let signed_ends: BTreeSet<usize> = sigs
        .iter()
        .filter(|s| s.check.as_ref().is_some_and(|c| c.signature_ok))
        .filter_map(|s| s.revision.and(range_end(&s.byte_range)))
        .collect();
    let last_end = signed_ends.iter().next_back().copied();
    let modified_after_signing = last_end.is_some_and(|e| {
        bytes
            .get(e..)
            .is_some_and(|t| t.iter().any(|b| !b.is_ascii_whitespace()))
    });
    let mut changes_after: std::collections::BTreeMap<usize, Vec<Change>> = Default::default();
    let bounds: Vec<usize> = signed_ends
        .iter()
        .copied()
        .chain(modified_after_signing.then_some(bytes.len()))
        .collect();
    // Each signed revision parsed once (the whole file is `doc` already), then each compared
    // with the next.
    let parsed: Vec<Option<Document>> = bounds
        .iter()
        .map(|&b| {
            if b == bytes.len() {
                None
            } else {
                bytes.get(..b).and_then(|p| load(p).ok())
            }
        })
        .collect();
    let revision = |i: usize| -> Option<&Document> {
        match bounds.get(i) {
            Some(&b) if b == bytes.len() => Some(&doc),
            Some(_) => parsed.get(i)?.as_ref(),
            None => None,
        }
    };
    for (i, &from) in bounds
        .iter()
        .enumerate()
        .take(bounds.len().saturating_sub(1))
    {
        let list = match (revision(i), revision(i + 1)) {
            (Some(a), Some(b)) => diff(a, b, bytes),
            _ => vec![Change {
                object: (0, 0),
                how: "unreadable",
                kind: ChangeKind::Other,
                what: "a revision jpid cannot read on its own".into(),
            }],
        };
        changes_after.insert(from, list);
    }
    for s in sigs.iter_mut() {
        let Some(end) = range_end(&s.byte_range) else {
            continue;
        };
        if s.revision.is_none() {
            continue;
        }
        // Every change after this signature's revision: between signed revisions only what
        // another signature needs, and the information dictionary or XMP metadata its
        // software updates (never shown on a page); after the last, anything at all is a
        // modification.
        for (&from, list) in changes_after.range(end..) {
            let tail = Some(from) == last_end && modified_after_signing;
            for c in list {
                if tail || !matches!(c.kind, ChangeKind::Signature | ChangeKind::Metadata) {
                    s.later_changes.push(c.clone());
                }
            }
        }
        if !s.later_changes.is_empty() {
            let shown = s.later_changes.iter().any(|c| c.kind == ChangeKind::Shown);
            s.reasons.push(if shown {
                Reason::new(
                    "changed_after_signing",
                    "the file was changed after this signature, and the change alters what a page shows",
                )
            } else {
                Reason::new(
                    "changed_after_signing",
                    "the file was changed after this signature (no page content changed, but the signed file is not the file as it stands)",
                )
            });
        }
    }
    if sigs.is_empty() {
        file_reasons.push(Reason::new("no_signature", "the file holds no signature"));
    }
    if modified_after_signing {
        file_reasons.push(Reason::new(
            "modified_after_signing",
            "the file goes on after its last signed revision: the last signature does not cover the whole file",
        ));
    }
    let bad = sigs.iter().filter(|s| !s.valid()).count();
    if bad > 0 {
        file_reasons.push(Reason::new(
            "signature_not_valid",
            format!("{bad} of {} signatures are not valid", sigs.len()),
        ));
    }
    let proof = file_reasons.is_empty().then(|| {
        Verified::new(PdfProof {
            signatures: sigs.len(),
            serials: sigs
                .iter()
                .filter_map(|s| s.check.as_ref().map(|c| c.certificate.serial.clone()))
                .collect(),
            at,
            trust_mode: trust.mode(),
        })
    });
    Ok(PdfVerdict {
        size: bytes.len(),
        revisions: ends,
        signatures: sigs,
        modified_after_signing,
        reasons: file_reasons,
        proof,
    })
}

fn range_end(r: &[i64]) -> Option<usize> {
    match r {
        [_, _, c, d] => usize::try_from(c.checked_add(*d)?).ok(),
        _ => None,
    }
}

/// The ranges and the hole of one signature; the hole's bytes decoded.
fn check_range(
    bytes: &[u8],
    range: &[i64],
    contents: &[u8],
) -> Result<(usize, usize, usize), String> {
    let [a, b, c, d] = range else {
        return Err("the /ByteRange is not four numbers".into());
    };
    let u = |v: i64| usize::try_from(v).map_err(|_| "a /ByteRange number is negative".to_string());
    let (a, b, c, d) = (u(*a)?, u(*b)?, u(*c)?, u(*d)?);
    if a != 0 {
        return Err("the /ByteRange does not start at the first byte of the file".into());
    }
    let end = c.checked_add(d).ok_or("the /ByteRange overflows")?;
    if b >= c || end > bytes.len() {
        return Err("the /ByteRange's parts overlap or reach past the end of the file".into());
    }
    let hole = bytes
        .get(b..c)
        .ok_or("the /ByteRange reaches past the file")?;
    let (Some(b'<'), Some(b'>')) = (hole.first(), hole.last()) else {
        return Err("the gap in the /ByteRange is not exactly the /Contents hex string (it must run from '<' to '>')".into());
    };
    let hex = hole.get(1..hole.len() - 1).unwrap_or_default();
    if hex.len() % 2 != 0 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err("the gap in the /ByteRange holds something other than hex digits".into());
    }
    let decoded =
        hex::decode(hex).map_err(|_| "the /Contents hex string is malformed".to_string())?;
    if decoded != contents {
        return Err("the gap in the /ByteRange is not this signature's /Contents".into());
    }
    Ok((b, c, end))
}

/// The DER CMS object at the start of `/Contents`, without the zero padding signers reserve.
fn cms_of(contents: &[u8]) -> Result<&[u8], String> {
    let (obj, rest) = jpid_apdu::tlv::parse_one(contents)
        .map_err(|e| format!("the /Contents is not a DER object: {e}"))?;
    if rest.iter().any(|&b| b != 0) {
        return Err("the /Contents holds bytes after the signature other than zero padding".into());
    }
    Ok(obj.raw())
}

fn check_one(
    bytes: &[u8],
    ends: &[usize],
    f: Found,
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> PdfSignature {
    let d = &f.dict;
    let byte_range: Vec<i64> = match d.get(b"ByteRange") {
        Ok(Object::Array(a)) => a
            .iter()
            .take(8)
            .map(|o| match o {
                Object::Integer(i) => *i,
                _ => -1,
            })
            .collect(),
        _ => Vec::new(),
    };
    let contents: Vec<u8> = match d.get(b"Contents") {
        Ok(Object::String(s, _)) => s.clone(),
        _ => Vec::new(),
    };
    let sub_filter = name_of(d, b"SubFilter").unwrap_or_default();
    let claimed_time = string_of(d, b"M");
    let mut s = PdfSignature {
        field: f.field,
        sub_filter: sub_filter.clone(),
        name: string_of(d, b"Name"),
        claimed_at: claimed_time.as_deref().and_then(parse_pdf_date),
        claimed_time,
        byte_range: byte_range.clone(),
        revision: None,
        covers_whole_file: false,
        digest: None,
        check: None,
        valid_at_claimed_time: None,
        later_changes: Vec::new(),
        reasons: Vec::new(),
    };
    if !matches!(
        sub_filter.as_str(),
        "adbe.pkcs7.detached" | "ETSI.CAdES.detached"
    ) {
        s.reasons.push(Reason::new(
            "unsupported_subfilter",
            format!("the signature's /SubFilter is /{sub_filter}; jpid checks adbe.pkcs7.detached (and ETSI.CAdES.detached) signatures"),
        ));
        return s;
    }
    let (b, c, end) = match check_range(bytes, &byte_range, &contents) {
        Ok(r) => r,
        Err(e) => {
            s.reasons.push(Reason::new("byte_range_invalid", e));
            return s;
        }
    };
    s.revision = revision_at(ends, bytes, end);
    s.covers_whole_file = bytes
        .get(end..)
        .is_some_and(|t| t.iter().all(u8::is_ascii_whitespace));
    if s.revision.is_none() {
        s.reasons.push(Reason::new(
            "byte_range_not_a_revision",
            "the signature's /ByteRange does not end where a revision of the file ends (after %%EOF)",
        ));
        return s;
    }
    let p7s = match cms_of(&contents) {
        Ok(p) => p,
        Err(e) => {
            s.reasons.push(Reason::new("cms_malformed", e));
            return s;
        }
    };
    let parts = [
        bytes.get(..b).unwrap_or_default(),
        bytes.get(c..end).unwrap_or_default(),
    ];
    match verify_cms_parts(&parts, p7s, trust, at, revocation) {
        Ok((v, digest)) => {
            s.digest = Some(digest);
            s.valid_at_claimed_time = s.claimed_at.map(|t| {
                let (nb, na) = v.certificate.validity;
                nb <= t && t <= na
            });
            if s.valid_at_claimed_time == Some(false) {
                s.reasons.push(Reason::new(
                    "not_valid_at_claimed_time",
                    "the signer certificate was not valid at the signing time the file claims (/M)",
                ));
            }
            s.reasons.extend(v.reasons.iter().cloned());
            s.check = Some(v);
        }
        Err(e) => s.reasons.push(Reason::new("cms_invalid", e.to_string())),
    }
    s
}

/// `new` equals `old` but for keys in `free`, and for arrays in `grow` that only grew at the end.
fn same_but(old: &Dictionary, new: &Dictionary, free: &[&[u8]], grow: &[&[u8]]) -> bool {
    let keys: BTreeSet<&[u8]> = old
        .iter()
        .map(|(k, _)| k.as_slice())
        .chain(new.iter().map(|(k, _)| k.as_slice()))
        .collect();
    keys.into_iter().all(|k| {
        if free.contains(&k) {
            return true;
        }
        let (a, b) = (old.get(k).ok(), new.get(k).ok());
        if grow.contains(&k) {
            if let (Some(Object::Array(x)), Some(Object::Array(y))) = (a, b) {
                return y.starts_with(x);
            }
            if a.is_none() && matches!(b, Some(Object::Array(_))) {
                return true;
            }
        }
        a == b
    })
}

/// Every object reachable from `from` (references followed, each object once).
fn reachable(doc: &Document, from: &[ObjectId]) -> BTreeSet<ObjectId> {
    let mut seen: BTreeSet<ObjectId> = BTreeSet::new();
    let mut todo: Vec<ObjectId> = from.to_vec();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(o) = doc.objects.get(&id) {
            refs_in(o, &mut todo);
        }
    }
    seen
}

/// The references `o` holds, at any depth (a stream's dictionary included).
fn refs_in(o: &Object, out: &mut Vec<ObjectId>) {
    let mut stack = vec![o];
    while let Some(o) = stack.pop() {
        match o {
            Object::Reference(r) => out.push(*r),
            Object::Array(a) => stack.extend(a.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(st) => stack.extend(st.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

fn reference_of(o: Option<&Object>) -> Option<ObjectId> {
    match o {
        Some(Object::Reference(r)) => Some(*r),
        _ => None,
    }
}

/// The most new signature widgets one revision may add and still count as co-signing.
const MAX_NEW_WIDGETS: usize = 64;

/// What a list (`/Fields`, `/Annots`) gained, if it only grew at its end and stayed the same
/// list: the same object as before, or one that did not exist before (never an existing object
/// re-used as the list). Returns the new entries and the list's own object, if it has one.
fn list_growth(
    old_val: Option<&Object>,
    new_val: Option<&Object>,
    od: &Document,
    nd: &Document,
) -> Option<(Vec<ObjectId>, Option<ObjectId>)> {
    let old_items: Vec<Object> = match old_val {
        None => Vec::new(),
        Some(Object::Array(a)) => a.clone(),
        Some(Object::Reference(r)) => match od.objects.get(r) {
            Some(Object::Array(a)) => a.clone(),
            _ => return None,
        },
        _ => return None,
    };
    let (new_items, list) = match new_val {
        None => (Vec::new(), None),
        Some(Object::Array(a)) => (a.clone(), None),
        Some(Object::Reference(r)) => {
            let same = old_val == new_val;
            let fresh = !od.objects.contains_key(r);
            if !(same || fresh) {
                return None;
            }
            match nd.objects.get(r) {
                Some(Object::Array(a)) => (a.clone(), Some(*r)),
                _ => return None,
            }
        }
        _ => return None,
    };
    if !new_items.starts_with(&old_items) {
        return None;
    }
    let added = new_items
        .get(old_items.len()..)?
        .iter()
        .map(|o| reference_of(Some(o)))
        .collect::<Option<Vec<_>>>()?;
    Some((added, list))
}

/// A `/Rect` of no area (an invisible widget), written inline.
fn invisible(d: &Dictionary) -> bool {
    let Ok(Object::Array(r)) = d.get(b"Rect") else {
        return false;
    };
    // Integers only: lopdf reads reals as f32, in which 17179869184.0 and 17179869796.0 are
    // one number and the box no area, while a viewer draws it 612 points wide.
    let n: Vec<i64> = r
        .iter()
        .filter_map(|o| match o {
            Object::Integer(i) => Some(*i),
            _ => None,
        })
        .collect();
    match n.as_slice() {
        [x1, y1, x2, y2] if r.len() == 4 => x1 == x2 || y1 == y2,
        _ => false,
    }
}

/// The objects an invisible widget's `/AP` names, if each is a new form XObject whose
/// dictionary refers to nothing (so it brings in no other object); `None` otherwise.
fn appearance_objects(d: &Dictionary, old: &Document, new: &Document) -> Option<Vec<ObjectId>> {
    let Ok(ap) = d.get(b"AP") else {
        return Some(Vec::new());
    };
    let Object::Dictionary(ap) = ap else {
        return None;
    };
    let mut out = Vec::new();
    for (_, v) in ap.iter() {
        match v {
            Object::Reference(r) => out.push(*r),
            Object::Dictionary(states) => {
                for (_, s) in states.iter() {
                    out.push(reference_of(Some(s))?);
                }
            }
            _ => return None,
        }
    }
    for r in &out {
        if old.objects.contains_key(r) {
            return None;
        }
        let Some(Object::Stream(st)) = new.objects.get(r) else {
            return None;
        };
        let mut refs = Vec::new();
        refs_in(&Object::Dictionary(st.dict.clone()), &mut refs);
        if name_of(&st.dict, b"Subtype").as_deref() != Some("Form") || !refs.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// Every object that differs between a signed revision `old` and a later one `new`, each with
/// its kind.
///
/// What another signer may add (kind `signature`) is decided by where each object sits, never
/// by what it says of itself, and nothing else is allowed: the form's `/Fields` and pages'
/// `/Annots` growing at their end (the same lists, or new ones) by at most
/// [`MAX_NEW_WIDGETS`] new signature widgets (`/FT /Sig`, `/Subtype /Widget`, a `/Rect` of no
/// area) whose `/V` is a new signature dictionary and whose appearance, if any, is new form
/// XObjects referring to nothing; the form's `/SigFlags`; the catalog gaining the form. Kind
/// `metadata`: the information dictionary (the same, or new where there was none) that nothing
/// refers to and that holds no references, and the catalog's own XMP stream. Everything else is a change: `shown` when the page tree reaches it
/// (or it was a page), `other` otherwise. New cross-reference and object streams that nothing
/// refers to are structure, not content.
/// How many real numbers `o` holds (lopdf keeps reals as `f32`).
fn real_count(o: &Object) -> usize {
    match o {
        Object::Real(_) => 1,
        Object::Array(a) => a.iter().map(real_count).sum(),
        Object::Dictionary(d) => d.iter().map(|(_, v)| real_count(v)).sum(),
        Object::Stream(st) => st.dict.iter().map(|(_, v)| real_count(v)).sum(),
        _ => 0,
    }
}

fn has_real(o: &Object) -> bool {
    real_count(o) > 0
}

/// The real numbers written in the object that starts at `from` in `text`, as the text writes
/// them (read as f64), up to its `endobj` or `stream` keyword or `to`: strings, hex strings,
/// comments and names are passed over. `None` past 100 000 numbers, or when the object runs to
/// `to` and `keyword_ends` (an object of its own ends at its keyword).
fn reals_written(text: &[u8], from: usize, to: usize, keyword_ends: bool) -> Option<Vec<f64>> {
    let to = to.min(text.len());
    let delimiter = |b: &u8| b.is_ascii_whitespace() || b"()<>[]{}/%\0".contains(b);
    let mut out = Vec::new();
    let mut i = from;
    // An object of its own starts with its `N G obj`.
    let mut header_passed = !keyword_ends;
    loop {
        if out.len() > 100_000 {
            return None;
        }
        let Some(&b) = text.get(i).filter(|_| i < to) else {
            return (!keyword_ends).then_some(out);
        };
        match b {
            b'%' => i = expand::past_comment(text, i),
            b'(' => i = expand::past_string(text, i).0,
            b'<' if text.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => i = expand::past_hex(text, i),
            b'/' => {
                i += 1;
                while text.get(i).is_some_and(|c| !delimiter(c)) {
                    i += 1;
                }
            }
            _ if delimiter(&b) => i += 1,
            _ => {
                let start = i;
                while text.get(i).is_some_and(|c| !delimiter(c)) {
                    i += 1;
                }
                let token = text.get(start..i).unwrap_or_default();
                if token == b"endobj" || token == b"stream" {
                    return Some(out);
                }
                // The next object or section: this one had no end of its own (lopdf does not
                // insist on `endobj`), and reading on would make each such object cost the
                // rest of the file.
                if token == b"obj" && header_passed
                    || matches!(token, b"xref" | b"trailer" | b"startxref")
                {
                    return None;
                }
                header_passed |= token == b"obj";
                if token.contains(&b'.') {
                    if let Some(v) = std::str::from_utf8(token)
                        .ok()
                        .and_then(|t| t.parse::<f64>().ok())
                    {
                        out.push(v);
                    }
                }
            }
        }
    }
}

/// The real numbers object `n` is written with in revision `d` of the file `bytes`: from its
/// place in the file, or from its object stream. `None` when jpid cannot find its text.
/// `expanded` keeps each object stream's expanded data once it was needed (many rewritten
/// objects may sit in one stream).
fn reals_of(
    d: &Document,
    bytes: &[u8],
    n: u32,
    expanded: &mut BTreeMap<u32, Option<Vec<u8>>>,
) -> Option<Vec<f64>> {
    use lopdf::xref::XrefEntry;
    match d.reference_table.get(n)? {
        XrefEntry::Normal { offset, .. } => {
            let at = usize::try_from(*offset).ok()?;
            reals_written(bytes, at, bytes.len(), true)
        }
        XrefEntry::Compressed { container, index } => {
            let st = d.objects.get(&(*container, 0))?.as_stream().ok()?;
            let data = expanded
                .entry(*container)
                .or_insert_with(|| {
                    st.decompressed_content_with_limit(expand::MAX_STREAM)
                        .ok()
                        .or_else(|| st.dict.get(b"Filter").is_err().then(|| st.content.clone()))
                })
                .as_deref()?;
            let first = usize::try_from(st.dict.get(b"First").ok()?.as_i64().ok()?).ok()?;
            let index_text = data.get(..first)?;
            let offsets: Vec<usize> = index_text
                .split(|b| b.is_ascii_whitespace())
                .filter(|t| !t.is_empty())
                .filter_map(|t| std::str::from_utf8(t).ok()?.parse().ok())
                .skip(1)
                .step_by(2)
                .collect();
            let i = usize::from(*index);
            let start = first.checked_add(*offsets.get(i)?)?;
            let end = offsets
                .get(i + 1)
                .and_then(|o| first.checked_add(*o))
                .unwrap_or(data.len());
            reals_written(data, start, end, false)
        }
        _ => None,
    }
}

/// Whether object `n` has one place in both revisions (then its bytes are the same).
fn same_place(old: &Document, new: &Document, n: u32) -> bool {
    use lopdf::xref::XrefEntry;
    match (old.reference_table.get(n), new.reference_table.get(n)) {
        (
            Some(XrefEntry::Normal {
                offset: a,
                generation: g,
            }),
            Some(XrefEntry::Normal {
                offset: b,
                generation: h,
            }),
        ) => a == b && g == h,
        (
            Some(XrefEntry::Compressed {
                container: a,
                index: i,
            }),
            Some(XrefEntry::Compressed {
                container: b,
                index: j,
            }),
        ) => a == b && i == j,
        _ => false,
    }
}

/// Every reference the document's objects make, once per time made. A cross-reference
/// stream's dictionary is its section's trailer: its /Root and /Info are not references from
/// the document.
fn document_refs(d: &Document) -> Vec<ObjectId> {
    let mut refs = Vec::new();
    for o in d.objects.values() {
        let xref_stream = matches!(o, Object::Stream(st)
            if st.dict.get(b"Type").ok().and_then(|t| t.as_name().ok()) == Some(b"XRef".as_slice()));
        if !xref_stream {
            refs_in(o, &mut refs);
        }
    }
    refs
}

fn diff(old: &Document, new: &Document, bytes: &[u8]) -> Vec<Change> {
    let root = reference_of(new.trailer.get(b"Root").ok());
    let old_root = reference_of(old.trailer.get(b"Root").ok());
    let catalog = |d: &Document, r: Option<ObjectId>| {
        r.and_then(|r| d.objects.get(&r))
            .and_then(|o| o.as_dict().ok())
            .cloned()
    };
    let (old_cat, new_cat) = (catalog(old, old_root), catalog(new, root));
    let pages_top = |c: &Option<Dictionary>| -> Vec<ObjectId> {
        c.as_ref()
            .and_then(|c| reference_of(c.get(b"Pages").ok()))
            .into_iter()
            .collect()
    };
    // What a viewer may draw: everything the page tree reaches, before and after.
    let mut shown = reachable(old, &pages_top(&old_cat));
    shown.extend(reachable(new, &pages_top(&new_cat)));
    let page_ids: BTreeSet<ObjectId> = old.page_iter().chain(new.page_iter()).collect();
    // Everything some object of each revision refers to.
    let (old_refs, new_refs) = (document_refs(old), document_refs(new));
    let referenced: BTreeSet<ObjectId> = new_refs.iter().copied().collect();

    let mut allowed: BTreeMap<ObjectId, (ChangeKind, &'static str)> = BTreeMap::new();
    let mut candidates: Vec<ObjectId> = Vec::new();
    // Each grown list: the objects allowed to change for it, and what it gained. A list may
    // only gain new signature widgets; gaining anything else (an annotation that was in the
    // file already, say) makes its owners' change count as what it is.
    let mut growths: Vec<(Vec<ObjectId>, Vec<ObjectId>)> = Vec::new();
    let sig = ChangeKind::Signature;
    // The catalog: the same object, changed only by gaining or growing the form.
    let mut form_obj = None;
    if let (Some(r), true, Some(a), Some(b)) = (root, root == old_root, &old_cat, &new_cat) {
        let (oa, na) = (a.get(b"AcroForm").ok(), b.get(b"AcroForm").ok());
        let form_ok = match (oa, na) {
            _ if oa == na => true,
            (None, Some(Object::Reference(f))) if !old.objects.contains_key(f) => true,
            (None | Some(Object::Dictionary(_)), Some(Object::Dictionary(nf))) => {
                let of = match oa {
                    Some(Object::Dictionary(d)) => d.clone(),
                    _ => Dictionary::new(),
                };
                same_but(&of, nf, &[b"SigFlags", b"Fields"], &[])
                    && list_growth(of.get(b"Fields").ok(), nf.get(b"Fields").ok(), old, new)
                        .map(|(added, list)| {
                            candidates.extend(added.iter().copied());
                            growths.push((root.into_iter().chain(list).collect(), added));
                            if let Some(l) = list {
                                allowed.insert(l, (sig, "the form's list of fields, grown"));
                            }
                        })
                        .is_some()
            }
            _ => false,
        };
        if a != b && same_but(a, b, &[b"AcroForm"], &[]) && form_ok {
            allowed.insert(r, (sig, "the catalog, gaining the form for a signature"));
        }
        form_obj = reference_of(na).filter(|f| oa == na || !old.objects.contains_key(f));
    }
    // The form as an object of its own.
    if let Some(f) = form_obj {
        let before = old
            .objects
            .get(&f)
            .and_then(|o| o.as_dict().ok())
            .cloned()
            .unwrap_or_default();
        if let Some(Object::Dictionary(after)) = new.objects.get(&f) {
            if same_but(&before, after, &[b"SigFlags", b"Fields"], &[]) {
                if let Some((added, list)) = list_growth(
                    before.get(b"Fields").ok(),
                    after.get(b"Fields").ok(),
                    old,
                    new,
                ) {
                    candidates.extend(added.iter().copied());
                    growths.push((std::iter::once(f).chain(list).collect(), added));
                    allowed.insert(f, (sig, "the form, listing a new signature"));
                    if let Some(l) = list {
                        allowed.insert(l, (sig, "the form's list of fields, grown"));
                    }
                }
            }
        }
    }
    // Pages that were there before: only their annotation lists may grow.
    for p in old.page_iter() {
        let (Some(Object::Dictionary(a)), Some(Object::Dictionary(b))) =
            (old.objects.get(&p), new.objects.get(&p))
        else {
            continue;
        };
        if !same_but(a, b, &[b"Annots"], &[]) {
            continue;
        }
        if let Some((added, list)) =
            list_growth(a.get(b"Annots").ok(), b.get(b"Annots").ok(), old, new)
        {
            candidates.extend(added.iter().copied());
            growths.push((std::iter::once(p).chain(list).collect(), added));
            allowed.insert(p, (sig, "a page's annotation list, grown"));
            if let Some(l) = list {
                allowed.insert(l, (sig, "a page's annotation list, grown"));
            }
        }
    }
    // The new widgets: invisible signature fields whose value is a new signature dictionary.
    candidates.sort();
    candidates.dedup();
    let mut accepted: BTreeSet<ObjectId> = BTreeSet::new();
    if candidates.len() <= MAX_NEW_WIDGETS {
        for w in candidates {
            if old.objects.contains_key(&w) {
                continue;
            }
            let Some(Object::Dictionary(d)) = new.objects.get(&w) else {
                continue;
            };
            // Only the keys a signature widget needs (jpid and pyHanko write no others): a
            // /Kids, /Parent or /DA would adopt or restyle other fields (review of 2026-12-06).
            const WIDGET_KEYS: [&[u8]; 11] = [
                b"Type", b"Subtype", b"FT", b"T", b"TU", b"TM", b"V", b"F", b"Rect", b"P", b"AP",
            ];
            let widget = matches!(d.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig")
                && name_of(d, b"Subtype").as_deref() == Some("Widget")
                && d.iter().all(|(k, _)| WIDGET_KEYS.contains(&k.as_slice()))
                && d.get(b"P")
                    .ok()
                    .is_none_or(|p| reference_of(Some(p)).is_some_and(|p| page_ids.contains(&p)))
                && invisible(d);
            // Its value: a signature dictionary jpid verifies as one (a dictionary that also
            // says /FT is skipped by the signature search, so it would never be checked).
            let value = reference_of(d.get(b"V").ok()).filter(|v| {
                !old.objects.contains_key(v)
                    && new
                        .objects
                        .get(v)
                        .and_then(|o| o.as_dict().ok())
                        .is_some_and(|sd| {
                            is_sig_dict(sd)
                                && !sd.has(b"FT")
                                && !sd.has(b"Kids")
                                && !sd.has(b"Parent")
                        })
            });
            let (true, Some(v), Some(ap)) = (widget, value, appearance_objects(d, old, new)) else {
                continue;
            };
            allowed.insert(w, (sig, "a new invisible signature field"));
            allowed.insert(v, (sig, "a new signature dictionary"));
            for a in ap {
                allowed.insert(a, (sig, "an invisible signature's empty appearance"));
            }
            accepted.insert(w);
        }
    }
    for (owners, added) in &growths {
        if added.iter().any(|a| !accepted.contains(a)) {
            for o in owners {
                allowed.remove(o);
            }
        }
    }
    // A new object the signed revision already referred to (a reference to nothing then)
    // fills a place the signed pages may draw: never an allowed addition.
    for r in &old_refs {
        if !old.objects.contains_key(r) {
            allowed.remove(r);
        }
    }
    // Metadata no page shows: the information dictionary (the same one as before, or a new one
    // where there was none), which no object refers to and which holds no references, and the
    // catalog's own XMP stream.
    let info = reference_of(new.trailer.get(b"Info").ok());
    let old_info = reference_of(old.trailer.get(b"Info").ok());
    if let Some(i) = info.filter(|i| {
        (old_info == Some(*i) || (old_info.is_none() && !old.objects.contains_key(i)))
            && Some(*i) != root
            && !shown.contains(i)
            && !referenced.contains(i)
    }) {
        if let Some(Object::Dictionary(d)) = new.objects.get(&i) {
            let mut refs = Vec::new();
            refs_in(&Object::Dictionary(d.clone()), &mut refs);
            if refs.is_empty() {
                allowed.insert(
                    i,
                    (ChangeKind::Metadata, "the document information dictionary"),
                );
            }
        }
    }
    let xmp = |c: &Option<Dictionary>| {
        c.as_ref()
            .and_then(|c| reference_of(c.get(b"Metadata").ok()))
    };
    // Only the catalog's /Metadata may refer to it, in either revision: a viewer draws from
    // more than the page tree (a form's default resources, a Type 3 glyph), and an object
    // referred to from anywhere else may be drawn (review of 2026-12-06).
    let only_metadata_refers =
        |refs: &[ObjectId], m: &ObjectId| refs.iter().filter(|r| *r == m).count() == 1;
    if let Some(m) = xmp(&new_cat).filter(|m| {
        xmp(&old_cat) == Some(*m)
            && !shown.contains(m)
            && only_metadata_refers(&old_refs, m)
            && only_metadata_refers(&new_refs, m)
    }) {
        if let Some(Object::Stream(st)) = new.objects.get(&m) {
            let mut refs = Vec::new();
            refs_in(&Object::Dictionary(st.dict.clone()), &mut refs);
            if refs.is_empty() && name_of(&st.dict, b"Subtype").as_deref() == Some("XML") {
                allowed.insert(m, (ChangeKind::Metadata, "the XMP metadata"));
            }
        }
    }

    let structural = |id: &ObjectId, o: &Object, before: Option<&Object>| {
        before.is_none()
            && !referenced.contains(id)
            && matches!(o, Object::Stream(st) if matches!(name_of(&st.dict, b"Type").as_deref(), Some("XRef" | "ObjStm")))
    };
    let kind_of = |id: &ObjectId, o: &Object| -> (ChangeKind, String) {
        if page_ids.contains(id) {
            return (ChangeKind::Shown, "a page".into());
        }
        if shown.contains(id) {
            return (
                ChangeKind::Shown,
                "an object a page shows or uses (content, resources, annotations)".into(),
            );
        }
        if Some(*id) == root {
            return (ChangeKind::Other, "the document catalog".into());
        }
        let d = match o {
            Object::Dictionary(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        };
        let what = match d.map(|d| (name_of(d, b"Type"), name_of(d, b"Subtype"))) {
            Some((Some(t), _)) => format!("an object declaring /Type /{t}"),
            Some((None, Some(st))) => format!("an object declaring /Subtype /{st}"),
            Some((None, None)) => "a dictionary".into(),
            None => "an object that is not a dictionary".into(),
        };
        (ChangeKind::Other, what)
    };
    let mut out = Vec::new();
    let (mut old_expanded, mut new_expanded) = (BTreeMap::new(), BTreeMap::new());
    for (id, obj) in &new.objects {
        let before = old.objects.get(id);
        // lopdf keeps reals as f32, so two objects it reads as equal (or an allowed change it
        // reads as touching only what it allows) may be written with numbers a viewer reads
        // apart: 2^34 and 2^34 + 816 are one f32. An object written again with real numbers
        // counts as the same only when the numbers are written the same.
        let reals_moved = before.is_some_and(|b| has_real(b) || has_real(obj))
            && !same_place(old, new, id.0)
            && match (
                reals_of(old, bytes, id.0, &mut old_expanded),
                reals_of(new, bytes, id.0, &mut new_expanded),
            ) {
                // The text must hold the reals lopdf read, no more and no fewer (numbers
                // after the object, or words the text reader skips, would hide a change).
                (Some(a), Some(b)) => {
                    a != b || before.map(real_count) != Some(a.len()) || real_count(obj) != b.len()
                }
                _ => true,
            };
        if reals_moved {
            let (kind, what) = kind_of(id, obj);
            out.push(Change {
                object: (id.0, id.1),
                how: "changed",
                kind,
                what: format!("{what}, its numbers written otherwise"),
            });
            continue;
        }
        if before == Some(obj) || structural(id, obj, before) {
            continue;
        }
        let how = if before.is_some() { "changed" } else { "added" };
        let (kind, what) = match allowed.get(id) {
            Some((k, w)) => (*k, (*w).to_string()),
            None => kind_of(id, obj),
        };
        out.push(Change {
            object: (id.0, id.1),
            how,
            kind,
            what,
        });
    }
    for (id, obj) in &old.objects {
        if !new.objects.contains_key(id) {
            let (kind, what) = kind_of(id, obj);
            out.push(Change {
                object: (id.0, id.1),
                how: "removed",
                kind,
                what,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page document whose page draws form `/X1` (object 12) and lists `annots`, with
    /// the catalog's `form` (a co-signer's invisible widget 20, signature 21, appearance
    /// `ap`) when given.
    fn page_doc(with_widget: Option<ObjectId>, form_12: bool) -> Document {
        use lopdf::{dictionary, Stream};
        let mut d = Document::with_version("1.7");
        let r = Object::Reference;
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => r((2, 0)) };
        let mut page = dictionary! {
            "Type" => "Page", "Parent" => r((2, 0)),
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "X1" => r((12, 0)) } },
            "Contents" => r((5, 0)),
        };
        d.objects.insert(
            (2, 0),
            dictionary! { "Type" => "Pages", "Kids" => vec![r((3, 0))], "Count" => 1 }.into(),
        );
        d.objects.insert(
            (5, 0),
            Stream::new(dictionary! {}, b"q /X1 Do Q".to_vec()).into(),
        );
        let form = || -> Object {
            Stream::new(
                dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 0.into(), 0.into()] },
                b"BT /F1 24 Tf (FORGED) Tj ET".to_vec(),
            )
            .into()
        };
        if form_12 {
            d.objects.insert((12, 0), form());
        }
        if let Some(ap) = with_widget {
            page.set("Annots", vec![r((20, 0))]);
            catalog.set(
                "AcroForm",
                dictionary! { "Fields" => vec![r((20, 0))], "SigFlags" => 3 },
            );
            d.objects.insert(
                (20, 0),
                dictionary! {
                    "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
                    "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()], "F" => 132,
                    "P" => r((3, 0)), "V" => r((21, 0)), "AP" => dictionary! { "N" => r(ap) },
                }
                .into(),
            );
            d.objects.insert(
                (21, 0),
                dictionary! {
                    "Type" => "Sig", "ByteRange" => vec![0.into(), 1.into(), 2.into(), 3.into()],
                    "Contents" => Object::String(vec![0], lopdf::StringFormat::Hexadecimal),
                }
                .into(),
            );
            if ap != (12, 0) {
                d.objects.insert(ap, form());
            }
        }
        d.objects.insert((3, 0), page.into());
        d.objects.insert((1, 0), catalog.into());
        d.trailer.set("Root", r((1, 0)));
        d
    }

    /// A new object the signed revision already referred to (a reference to nothing then)
    /// cannot come in as a co-signer's invisible appearance: the signed page draws it (review
    /// of 2026-12-06). A fresh appearance object is allowed.
    #[test]
    fn a_reference_to_nothing_cannot_be_filled_by_a_co_signer() {
        let signed = page_doc(None, false);
        let filled = page_doc(Some((12, 0)), true);
        let changes = diff(&signed, &filled, b"");
        assert!(
            changes
                .iter()
                .any(|c| c.object == (12, 0) && c.kind != ChangeKind::Signature),
            "{changes:?}"
        );
        let fresh = page_doc(Some((13, 0)), false);
        let changes = diff(&signed, &fresh, b"");
        assert!(
            changes.iter().all(|c| c.kind == ChangeKind::Signature),
            "{changes:?}"
        );
    }

    /// A co-signer's widget may hold only the keys a signature widget needs, and its value
    /// must be a signature jpid verifies: a /Kids adopting an existing field, or a value that
    /// also says /FT (skipped by the signature search), is a change (review of 2026-12-06).
    #[test]
    fn a_co_signer_widget_is_only_a_signature_widget() {
        let signed = page_doc(None, false);
        let not_all_signature = |d: &Document| {
            diff(&signed, d, b"")
                .iter()
                .any(|c| c.kind != ChangeKind::Signature)
        };
        let mut adopting = page_doc(Some((13, 0)), false);
        if let Some(Object::Dictionary(w)) = adopting.objects.get_mut(&(20, 0)) {
            w.set("Kids", vec![Object::Reference((5, 0))]);
        }
        assert!(not_all_signature(&adopting));
        let mut unverified = page_doc(Some((13, 0)), false);
        if let Some(Object::Dictionary(v)) = unverified.objects.get_mut(&(21, 0)) {
            v.set("FT", "Sig");
        }
        assert!(not_all_signature(&unverified));
        assert!(!not_all_signature(&page_doc(Some((13, 0)), false)));
    }

    /// The XMP stream may change only while the catalog's /Metadata is all that refers to it
    /// (a form's resources can make a viewer draw it).
    #[test]
    fn xmp_metadata_only_while_nothing_else_refers_to_it() {
        use lopdf::{dictionary, Stream};
        let with_xmp = |xml: &[u8], also: bool| {
            let mut d = page_doc(None, false);
            if let Some(Object::Dictionary(c)) = d.objects.get_mut(&(1, 0)) {
                c.set("Metadata", Object::Reference((30, 0)));
                if also {
                    c.set("AcroForm", dictionary! { "DR" => dictionary! { "Glyph" => Object::Reference((30, 0)) } });
                }
            }
            let st = Stream::new(
                dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
                xml.to_vec(),
            );
            d.objects.insert((30, 0), st.into());
            d
        };
        let changes = diff(&with_xmp(b"<a/>", false), &with_xmp(b"<b/>", false), b"");
        assert!(
            changes.iter().all(|c| c.kind == ChangeKind::Metadata),
            "{changes:?}"
        );
        let changes = diff(&with_xmp(b"<a/>", true), &with_xmp(b"<b/>", true), b"");
        assert!(
            changes.iter().any(|c| c.kind != ChangeKind::Metadata),
            "{changes:?}"
        );
    }

    /// A file of `objects` (numbered from 1) with its cross-reference table.
    fn tiny_pdf(objects: &[&[u8]]) -> Vec<u8> {
        let mut f = b"%PDF-1.7\n".to_vec();
        let mut at = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            at.push(f.len());
            f.extend(format!("{} 0 obj\n", i + 1).as_bytes());
            f.extend(*body);
            f.extend(b"\nendobj\n");
        }
        let xref = f.len();
        f.extend(format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes());
        for a in at {
            f.extend(format!("{a:010} 00000 n\r\n").as_bytes());
        }
        f.extend(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        f
    }

    /// A stream must end where its /Length says: lopdf reads a real or indirect /Length from
    /// the data's position without looking for `endstream`, poppler searches for it, and a
    /// co-signer moved where that search stops (review of 2026-12-06).
    #[test]
    fn streams_end_where_their_length_says() {
        let catalog: &[u8] = b"<< /Type /Catalog /Pages 2 0 R >>";
        let pages: &[u8] = b"<< /Type /Pages /Kids [] /Count 0 >>";
        // Direct and indirect integer lengths: read.
        assert!(load(&tiny_pdf(&[
            catalog,
            pages,
            b"<< /Length 5 >>\nstream\nq Q 1\nendstream"
        ]))
        .is_ok());
        assert!(load(&tiny_pdf(&[
            catalog,
            pages,
            b"<< /Length 4 0 R >>\nstream\nq Q 1\nendstream",
            b"5"
        ]))
        .is_ok());
        // A real /Length whose data is not followed by `endstream`: refused.
        let err = load(&tiny_pdf(&[
            catalog,
            pages,
            b"<< /Length 3.0 >>\nstream\nq Q 1\nendstream",
        ]))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("does not end where its /Length says"), "{err}");
    }

    #[test]
    fn an_invisible_rectangle_is_written_in_integers() {
        use lopdf::dictionary;
        let rect = |r: Vec<Object>| dictionary! { "Rect" => r };
        assert!(invisible(&rect(vec![
            0.into(),
            0.into(),
            0.into(),
            0.into()
        ])));
        assert!(invisible(&rect(vec![
            5.into(),
            0.into(),
            5.into(),
            9.into()
        ])));
        // One f32 for lopdf, 612 points for a viewer.
        let far = |x: f32| Object::Real(x);
        assert!(!invisible(&rect(vec![
            far(17_179_869_184.0),
            0.into(),
            far(17_179_869_796.0),
            792.into()
        ])));
        assert!(!invisible(&rect(vec![0.into(), 0.into(), 0.into()])));
    }

    /// The real numbers an object is written with: as written (f64), strings, hex strings,
    /// names and comments passed over, up to its `endobj` or `stream`.
    #[test]
    fn reals_as_written() {
        let text = b"6 0 obj\n<</A 1.5 /T (2.5 \\) 3.5) /H <2E35> /N /x4.5 % 5.5\n/M [1 0 0 1 17179870000.0 0]>>\nstream\n6.5";
        assert_eq!(
            reals_written(text, 0, text.len(), true),
            Some(vec![1.5, 17_179_870_000.0])
        );
        // An object of its own without its keyword: unknown, never "no numbers"; and the next
        // object's header ends the reading (lopdf does not insist on `endobj`).
        assert_eq!(reals_written(b"6 0 obj << /A 1.5 >>", 0, 20, true), None);
        let next = b"6 0 obj [1.5]\n7 0 obj [2.5] endobj";
        assert_eq!(reals_written(next, 0, next.len(), true), None);
        assert_eq!(
            reals_written(b"<< /A 1.5 >>", 0, 12, false),
            Some(vec![1.5])
        );
    }

    #[test]
    fn pdf_dates() {
        // 2026-12-05 10:00:00 +09:00 = 01:00:00 UTC.
        let t = parse_pdf_date("D:20261205100000+09'00'").expect("date");
        assert_eq!(t, parse_pdf_date("D:20261205010000Z").expect("utc"));
        assert_eq!(t.0, 1_796_432_400);
        assert_eq!(parse_pdf_date("D:20261305100000Z"), None);
        assert_eq!(parse_pdf_date("D:2026"), None);
        assert_eq!(parse_pdf_date("D:2026120510000x"), None);
    }

    #[test]
    fn revisions_end_after_eof_and_its_end_of_line() {
        let f = b"%PDF-1.7\n...%%EOF\nmore%%EOF\r\n";
        assert_eq!(revision_ends(f), vec![18, 29]);
        assert_eq!(revision_at(&revision_ends(f), f, 17), Some(1));
        assert_eq!(revision_at(&revision_ends(f), f, 18), Some(1));
        assert_eq!(revision_at(&revision_ends(f), f, 20), None);
    }

    #[test]
    fn the_hole_must_be_the_contents_string() {
        let file = b"0123<0a0b>89";
        assert!(check_range(file, &[0, 4, 10, 2], &[0x0a, 0x0b]).is_ok());
        // The hole is not the /Contents value.
        assert!(check_range(file, &[0, 4, 10, 2], &[0x0a, 0x0c]).is_err());
        // The hole does not start at '<'.
        assert!(check_range(file, &[0, 3, 10, 2], &[0x0a, 0x0b]).is_err());
        // Not from the first byte; past the end; negative.
        assert!(check_range(file, &[1, 4, 10, 2], &[0x0a, 0x0b]).is_err());
        assert!(check_range(file, &[0, 4, 10, 3], &[0x0a, 0x0b]).is_err());
        assert!(check_range(file, &[0, 4, 10, -1], &[0x0a, 0x0b]).is_err());
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics() {
        let trust = TrustStore::production();
        for f in [
            &b""[..],
            b"%PDF-1.7\n%%EOF",
            b"%PDF-1.7\n1 0 obj << /ByteRange [0 1 2 3] >>\n%%EOF",
        ] {
            let _ = verify_pdf(
                f,
                &trust,
                UnixTime(1_800_000_000),
                RevocationPolicy::NotChecked,
            );
        }
        assert!(matches!(
            verify_pdf(
                &vec![0u8; MAX_PDF + 1],
                &trust,
                UnixTime(0),
                RevocationPolicy::NotChecked
            ),
            Err(PdfError::TooLarge(_))
        ));
    }
}
