//! A PDF signature field added by incremental update, in the profile the Legal Affairs Bureau's
//! online filing accepts (docs/pdf.md; ../shared/spec/next-wave.md §4.1): `/Type /Sig`,
//! `/Filter /Adobe.PPKLite`, `/SubFilter /adbe.pkcs7.detached`, `/Name`, `/M`, a `/ByteRange`
//! of the whole file but the `/Contents` hole, and `/Contents` reserved at 9 472 bytes. No DocMDP,
//! no timestamp, no PAdES subfilter; the signature is invisible (a zero-size widget).
//!
//! The objects and the cross-reference section of the update are written by `lopdf`'s
//! incremental writer (it keeps the file's cross-reference kind: table or stream); what is done
//! by hand is what a signature needs and no library here does: reserving the hole, finding it
//! in the written bytes, and filling in `/ByteRange` and `/Contents` without moving a byte.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, StringFormat};

/// Bytes reserved for the DER CMS in `/Contents` (PDFBox's default, which the reference signer
/// the filing system accepts uses; next-wave.md §4.2).
pub const RESERVED: usize = 9472;

/// A placeholder offset: ten digits, wide enough for any offset jpid writes (files are bounded
/// by `jpid_verify::pdf::MAX_PDF`).
const PLACEHOLDER: i64 = 9_999_999_999;

/// A file with its signature field added and its hole reserved, waiting for the CMS.
pub struct Prepared {
    bytes: Vec<u8>,
    /// `<` of the `/Contents` hex string, and one past its `>`.
    hole: (usize, usize),
}

impl Prepared {
    /// The bytes the signature covers: everything but the hole.
    pub fn signed_parts(&self) -> [&[u8]; 2] {
        let (b, c) = self.hole;
        [
            self.bytes.get(..b).unwrap_or_default(),
            self.bytes.get(c..).unwrap_or_default(),
        ]
    }

    /// The signed file: `cms` (DER) hex-encoded into the hole, zero-padded.
    pub fn finish(mut self, cms: &[u8]) -> Result<Vec<u8>, String> {
        if cms.len() > RESERVED {
            return Err(format!(
                "the signature is {} bytes; {RESERVED} were reserved",
                cms.len()
            ));
        }
        let hex = hex::encode_upper(cms);
        let (b, _) = self.hole;
        let start = b + 1;
        let slot = self
            .bytes
            .get_mut(start..start + hex.len())
            .ok_or("the reserved hole is shorter than the signature")?;
        slot.copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

fn malformed(e: impl std::fmt::Display) -> String {
    format!("the PDF cannot be read: {e}")
}

/// As verification loads it (bounded, strict, the cross-reference table checked): jpid signs
/// only what it would verify.
fn load(bytes: &[u8]) -> Result<Document, String> {
    jpid_verify::pdf::load(bytes).map_err(|e| match e {
        jpid_verify::pdf::PdfError::Malformed(m) => malformed(m),
        other => other.to_string(),
    })
}

fn reference(o: Option<&Object>) -> Option<ObjectId> {
    match o {
        Some(Object::Reference(r)) => Some(*r),
        _ => None,
    }
}

/// Appends `item` to the array `key` of `dict`, creating it, or to the array object it refers
/// to (cloned into the update).
fn push_to(
    inc: &mut IncrementalDocument,
    owner: ObjectId,
    key: &[u8],
    item: Object,
) -> Result<(), String> {
    let target = {
        let d = inc.new_document.get_dictionary(owner).map_err(malformed)?;
        reference(d.get(key).ok())
    };
    match target {
        Some(id) => {
            inc.opt_clone_object_to_new_document(id)
                .map_err(malformed)?;
            inc.new_document
                .get_object_mut(id)
                .and_then(Object::as_array_mut)
                .map_err(|_| format!("/{} is not an array", String::from_utf8_lossy(key)))?
                .push(item);
        }
        None => {
            let d = inc
                .new_document
                .get_dictionary_mut(owner)
                .map_err(malformed)?;
            match d.get_mut(key) {
                Ok(Object::Array(a)) => a.push(item),
                Ok(_) => return Err(format!("/{} is not an array", String::from_utf8_lossy(key))),
                Err(_) => d.set(key.to_vec(), Object::Array(vec![item])),
            }
        }
    }
    Ok(())
}

/// Every field name (`/T`) the document already uses.
fn field_names(doc: &Document) -> Vec<Vec<u8>> {
    doc.objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| match d.get(b"T") {
            Ok(Object::String(s, _)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Adds an invisible signature field on the first page whose signature dictionary names
/// `signer_name` and `signing_time` (a PDF date), with the hole reserved.
pub fn prepare(input: &[u8], signer_name: &str, signing_time: &str) -> Result<Prepared, String> {
    let doc = load(input)?;
    if doc.trailer.has(b"Encrypt") {
        return Err("the PDF is encrypted; jpid does not sign encrypted PDFs".into());
    }
    let page = doc
        .page_iter()
        .next()
        .ok_or("the PDF has no page to put the signature field on")?;
    let catalog = reference(doc.trailer.get(b"Root").ok()).ok_or("the PDF has no catalog")?;
    let taken = field_names(&doc);
    let field_name = (1..)
        .map(|n| format!("jpid-signature-{n}"))
        .find(|n| !taken.iter().any(|t| t == n.as_bytes()))
        .unwrap_or_default();
    let mut inc = IncrementalDocument::create_from(input.to_vec(), doc);

    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"adbe.pkcs7.detached".to_vec()));
    sig.set("Name", lopdf::text_string(signer_name));
    sig.set(
        "M",
        Object::String(signing_time.as_bytes().to_vec(), StringFormat::Literal),
    );
    sig.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(PLACEHOLDER),
            Object::Integer(PLACEHOLDER),
            Object::Integer(PLACEHOLDER),
        ]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0; RESERVED], StringFormat::Hexadecimal),
    );
    let sig_id = inc.new_document.add_object(Object::Dictionary(sig));

    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set(
        "T",
        Object::String(field_name.into_bytes(), StringFormat::Literal),
    );
    field.set("V", Object::Reference(sig_id));
    // Print (4) and Locked (128): an invisible, unchangeable widget.
    field.set("F", Object::Integer(132));
    field.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    field.set("P", Object::Reference(page));
    let field_id = inc.new_document.add_object(Object::Dictionary(field));

    // The form: the catalog's /AcroForm (an object of its own, or inline in the catalog).
    inc.opt_clone_object_to_new_document(catalog)
        .map_err(malformed)?;
    let acroform = {
        let c = inc
            .new_document
            .get_dictionary(catalog)
            .map_err(malformed)?;
        reference(c.get(b"AcroForm").ok())
    };
    let form_owner = match acroform {
        Some(id) => {
            inc.opt_clone_object_to_new_document(id)
                .map_err(malformed)?;
            // The catalog itself does not change: drop the clone.
            inc.new_document.objects.remove(&catalog);
            id
        }
        None => {
            let c = inc
                .new_document
                .get_dictionary_mut(catalog)
                .map_err(malformed)?;
            if !matches!(c.get(b"AcroForm"), Ok(Object::Dictionary(_))) {
                c.set("AcroForm", Object::Dictionary(Dictionary::new()));
            }
            catalog
        }
    };
    if form_owner == catalog {
        let c = inc
            .new_document
            .get_dictionary_mut(catalog)
            .map_err(malformed)?;
        let form = c
            .get_mut(b"AcroForm")
            .and_then(Object::as_dict_mut)
            .map_err(malformed)?;
        match form.get_mut(b"Fields") {
            Ok(Object::Array(a)) => a.push(Object::Reference(field_id)),
            Ok(Object::Reference(r)) => {
                let r = *r;
                inc.opt_clone_object_to_new_document(r).map_err(malformed)?;
                inc.new_document
                    .get_object_mut(r)
                    .and_then(Object::as_array_mut)
                    .map_err(|_| "/Fields is not an array".to_string())?
                    .push(Object::Reference(field_id));
            }
            _ => form.set("Fields", Object::Array(vec![Object::Reference(field_id)])),
        }
        inc.new_document
            .get_dictionary_mut(catalog)
            .and_then(|c| c.get_mut(b"AcroForm"))
            .and_then(Object::as_dict_mut)
            .map_err(malformed)?
            .set("SigFlags", Object::Integer(3));
    } else {
        push_to(&mut inc, form_owner, b"Fields", Object::Reference(field_id))?;
        inc.new_document
            .get_dictionary_mut(form_owner)
            .map_err(malformed)?
            .set("SigFlags", Object::Integer(3));
    }
    // The page lists the widget among its annotations.
    inc.opt_clone_object_to_new_document(page)
        .map_err(malformed)?;
    push_to(&mut inc, page, b"Annots", Object::Reference(field_id))?;

    let mut out = Vec::with_capacity(input.len() + 2 * RESERVED + 4096);
    inc.save_to(&mut out).map_err(malformed)?;

    // Find the hole and the range inside the signature dictionary's own object in the update
    // (never in the original bytes, nor in another object that happens to hold the same text,
    // such as a page copied into the update).
    let from = input.len();
    let tail = out.get(from..).ok_or("the update was not written")?;
    let header = format!("{} {} obj", sig_id.0, sig_id.1);
    let obj_start = find(tail, header.as_bytes())
        .ok_or("the signature dictionary was not found in the update")?;
    let obj_len = tail
        .get(obj_start..)
        .and_then(|t| find(t, b"endobj"))
        .ok_or("the signature dictionary is not closed in the update")?;
    let obj = tail
        .get(obj_start..obj_start + obj_len)
        .ok_or("the signature dictionary is out of the file")?;
    let zeros = format!("<{}>", "0".repeat(2 * RESERVED));
    let b = from
        + obj_start
        + find(obj, zeros.as_bytes())
            .ok_or("the reserved /Contents was not found in the signature dictionary")?;
    let c = b + zeros.len();
    let range_text = format!("0 {PLACEHOLDER} {PLACEHOLDER} {PLACEHOLDER}");
    let r = from
        + obj_start
        + find(obj, range_text.as_bytes())
            .ok_or("the /ByteRange placeholder was not found in the signature dictionary")?;
    let d = out.len() - c;
    let mut filled = format!("0 {b} {c} {d}");
    if filled.len() > range_text.len() {
        return Err("the file is too large for the /ByteRange reserved".into());
    }
    while filled.len() < range_text.len() {
        filled.push(' ');
    }
    out.get_mut(r..r + filled.len())
        .ok_or("the /ByteRange placeholder is out of the file")?
        .copy_from_slice(filled.as_bytes());
    Ok(Prepared {
        bytes: out,
        hole: (b, c),
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `D:YYYYMMDDHHmmSS+09'00'`: `at` in Japan Standard Time, as `/M` carries it.
pub fn pdf_date_jst(at: jpid_verify::UnixTime) -> String {
    let secs = at.0 as i64 + 9 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "D:{y:04}{m:02}{d:02}{:02}{:02}{:02}+09'00'",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_time_is_written_in_japan_time() {
        // 2026-12-05 01:00:00 UTC.
        let t = jpid_verify::UnixTime(1_796_432_400);
        assert_eq!(pdf_date_jst(t), "D:20261205100000+09'00'");
        assert_eq!(jpid_verify::pdf::parse_pdf_date(&pdf_date_jst(t)), Some(t));
        // Across a year end in JST.
        let t = jpid_verify::UnixTime(1_798_729_200); // 2026-12-31 15:00 UTC
        assert_eq!(pdf_date_jst(t), "D:20270101000000+09'00'");
    }
}
