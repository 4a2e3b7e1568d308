//! `jpid pdf sign | verify`: PDF signatures with the JPKI signature key, in the profile the
//! Legal Affairs Bureau accepts (docs/pdf.md), and their verification.

use std::io::Read;
use std::path::Path;

use jpid_card::jpki::KeyKind;
use jpid_verify::pdf::{verify_pdf, PdfVerdict, MAX_PDF};
use jpid_verify::{RevocationStatus, UnixTime};

use crate::cli::RevocationArgs;
use crate::cmd::jpki::{card_signs, load_revocation, Signing};
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::one_line;
use crate::output::{now, trust_json, trust_line};

/// Reads a PDF of at most [`MAX_PDF`] bytes.
fn read_pdf(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PDF as u64 + 1).read_to_end(&mut out))
        .map_err(|e| CliError::new(Kind::Io, format!("cannot read {}: {e}", path.display())))?;
    if out.len() > MAX_PDF {
        return Err(CliError::new(
            Kind::Usage,
            format!(
                "{} is larger than {MAX_PDF} bytes, the largest PDF jpid reads",
                path.display()
            ),
        ));
    }
    Ok(out)
}

/// `jpid pdf sign`.
pub fn sign(
    ctx: &Ctx,
    input: &Path,
    output: &Path,
    pin_stdin: bool,
    force: bool,
) -> Result<(), CliError> {
    if input == output {
        return Err(CliError::new(
            Kind::Usage,
            "--out must differ from --in: the signed PDF is written as a new file",
        ));
    }
    let original = read_pdf(input)?;
    // The field is prepared first with a placeholder name, so that a PDF jpid cannot sign is
    // refused before any PIN is asked or any try spent; the real one follows once the
    // certificate is read.
    let bad_pdf = |e: String| CliError::new(Kind::BadDump, format!("{}: {e}", input.display()));
    crate::pdf_sign::prepare(&original, "-", "D:19700101000000Z").map_err(bad_pdf)?;
    // The card's certificate names the signer; the card signs the digest of the prepared
    // file, which names it. So the certificate is read first (it needs the password), and the
    // signature made in the same session.
    let at = now();
    let time = crate::pdf_sign::pdf_date_jst(at);
    let mut prepared = None;
    let mut prepare_err = None;
    let signed = card_signs(
        ctx,
        KeyKind::Sign,
        Signing::Cms { with_ca: true },
        pin_stdin,
        force,
        &mut |cert| {
            let name = jpid_verify::jpki::holder_attributes(cert)
                .into_iter()
                .find(|a| a.key == "name")
                .map(|a| a.value)
                .unwrap_or_else(|| cert.subject());
            match crate::pdf_sign::prepare(&original, &name, &time) {
                Ok(p) => {
                    let digest = jpid_verify::signature::CmsDigest::Sha256.of(&p.signed_parts());
                    prepared = Some(p);
                    <[u8; 32]>::try_from(digest.as_slice()).ok()
                }
                Err(e) => {
                    prepare_err = Some(e);
                    None
                }
            }
        },
    );
    if let Some(e) = prepare_err {
        return Err(bad_pdf(e));
    }
    let signed = signed?;
    let prepared = prepared.ok_or_else(|| CliError::new(Kind::Internal, "no prepared PDF"))?;
    let bytes = prepared
        .finish(&signed.bytes)
        .map_err(|e| CliError::new(Kind::Internal, e))?;
    // Check the result as a relying party would (structure and signature; the chain is the
    // verifier's business, under its trust), before writing it.
    let v = verify_pdf(
        &bytes,
        &jpid_verify::TrustStore::production(),
        at,
        jpid_verify::RevocationPolicy::NotChecked,
    )
    .map_err(|e| CliError::new(Kind::Internal, format!("the signed PDF: {e}")))?;
    let ours = v.signatures.last();
    if !ours
        .is_some_and(|s| s.covers_whole_file && s.check.as_ref().is_some_and(|c| c.signature_ok))
    {
        return Err(CliError::new(
            Kind::Internal,
            "the signed PDF does not check (its signature or range is wrong); nothing was written",
        ));
    }
    std::fs::write(output, &bytes)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot write {}: {e}", output.display())))?;
    let name = ours.and_then(|s| s.certificate_name()).unwrap_or("?");
    ctx.out.emit(
        "pdf sign",
        serde_json::json!({
            "in": input.display().to_string(), "out": output.display().to_string(),
            "bytes": bytes.len(), "sub_filter": "adbe.pkcs7.detached", "digest": "SHA-256",
            "signer_name": name, "signing_time": time,
            "certificate_serial": signed.signer.serial_hex(),
        }),
        || {
            format!(
                "signed {} with the card's signature key (adbe.pkcs7.detached, SHA-256, signer {name}, {time}): {}\n\
                 do not change {} after this: the filing system refuses PDFs modified after signing\n",
                input.display(),
                output.display(),
                output.display()
            )
        },
    );
    Ok(())
}

/// `jpid pdf verify`.
pub fn verify(
    ctx: &Ctx,
    input: &Path,
    revocation: &RevocationArgs,
    at: Option<&str>,
) -> Result<(), CliError> {
    let sources = load_revocation(revocation)?;
    let policy = sources.policy(revocation.require_revocation);
    let trust = ctx.trust(false)?;
    let at = match at {
        Some(t) => UnixTime::parse(t)
            .ok_or_else(|| CliError::new(Kind::Usage, format!("--at {t:?} is not a date")))?,
        None => now(),
    };
    let bytes = read_pdf(input)?;
    let v = verify_pdf(&bytes, &trust, at, policy)
        .map_err(|e| CliError::new(Kind::BadDump, format!("{}: {e}", input.display())))?;
    let mut body = v.to_json();
    if let Some(o) = body.as_object_mut() {
        o.insert("checked_at".into(), at.to_rfc3339().into());
        o.insert("trust".into(), trust_json(&trust));
    }
    ctx.out
        .emit("pdf verify", body, || text(&v, at, &trust_line(&trust)));
    if v.valid() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the PDF's signatures are not valid").reported())
    }
}

/// The words for people: the headline first, then each signature; values the signature does
/// not prove are marked as claims.
fn text(v: &PdfVerdict, at: UnixTime, trust: &str) -> String {
    let mut t = String::new();
    if v.valid() {
        // The headline says how far revocation was checked, as `jpki verify` does: a clerk
        // reading only this line must not take "not revoked" for granted.
        let checked = v
            .signatures
            .iter()
            .filter(|s| {
                s.check
                    .as_ref()
                    .is_some_and(|c| c.certificate.revocation_checked)
            })
            .count();
        let revocation = match checked {
            0 => "revocation NOT checked".to_string(),
            n if n == v.signatures.len() => "revocation checked".to_string(),
            n => format!("revocation checked for {n} of {}", v.signatures.len()),
        };
        t.push_str(&format!(
            "VALID: {} signature(s), every one checked, the last one covering the whole file; certificates valid at {}; {revocation}\n",
            v.signatures.len(),
            at.to_rfc3339()
        ));
    } else {
        t.push_str("NOT VALID:\n");
        for r in &v.reasons {
            t.push_str(&format!("  - {} ({})\n", r.message, r.code));
        }
    }
    for (i, s) in v.signatures.iter().enumerate() {
        t.push_str(&format!(
            "\nsignature {} of {}{}: {}\n",
            i + 1,
            v.signatures.len(),
            s.field
                .as_deref()
                .map(|f| format!(" (field {})", one_line(f)))
                .unwrap_or_default(),
            if s.valid() { "valid" } else { "NOT VALID" }
        ));
        match (s.valid(), s.certificate_name()) {
            (true, Some(n)) => t.push_str(&format!(
                "  signer (from the certificate): {}\n",
                one_line(n)
            )),
            (false, Some(n)) => t.push_str(&format!(
                "  signer named by the certificate: {} (UNVERIFIED: the signature is not valid)\n",
                one_line(n)
            )),
            _ => {}
        }
        if let Some(n) = &s.name {
            t.push_str(&format!(
                "  /Name written by the signing software: {} (a claim)\n",
                one_line(n)
            ));
        }
        if let Some(m) = &s.claimed_time {
            t.push_str(&format!(
                "  signing time claimed by the signer's clock: {} (no timestamp proves it)\n",
                one_line(m)
            ));
        }
        if let Some(c) = &s.check {
            t.push_str(&format!(
                "  certificate: {} (serial {}), issued by {}\n",
                c.certificate.subject, c.certificate.serial, c.certificate.issuer
            ));
            let rev = match &c.certificate.revocation {
                RevocationStatus::NotChecked => {
                    "NOT checked (no --crl, --crl-dir or --ocsp-url given)".to_string()
                }
                other => other.to_string(),
            };
            t.push_str(&format!("  revocation: {rev}\n"));
            for w in &c.certificate.warnings {
                t.push_str(&format!("  WARNING: {}\n", w.message));
            }
        }
        t.push_str(&format!(
            "  covers: {}\n",
            match (s.revision, s.covers_whole_file) {
                (_, true) => "the whole file".to_string(),
                (Some(r), false) => format!("revision {r} of {}", v.revisions.len()),
                (None, false) => "no whole revision".to_string(),
            }
        ));
        for c in &s.later_changes {
            t.push_str(&format!(
                "  changed after it: object {} {} {} ({}: {})\n",
                c.object.0,
                c.object.1,
                c.how,
                c.kind.code(),
                c.what
            ));
        }
        for r in &s.reasons {
            t.push_str(&format!("  - {} ({})\n", r.message, r.code));
        }
    }
    t.push_str(trust);
    t
}
