//! `jpid jpki status | certs | sign | verify | change-pin`: the JPKI-AP
//! (docs/spec/mynumber-card.md §2) and JPKI signatures made elsewhere
//! (docs/spec/services.md).

use std::io::Read;
use std::path::Path;

use jpid_card::jpki::{self, Hash, KeyKind, PinState};
use jpid_card::{CardTransport, Channel};
use jpid_verify::jpki::{holder_attributes, verify_certificate};
use jpid_verify::x509::{verify_rsa_pkcs1, HashAlg, ParsedCert};
use jpid_verify::{
    CrlStore, Purpose, RevocationPolicy, RevocationSources, RevocationStatus, TrustStore, UnixTime,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{now, trust_json, trust_line};
use crate::pin;

/// The reader's channel and the trust store.
pub(crate) fn connect(
    ctx: &Ctx,
) -> Result<(Channel<Box<dyn CardTransport>>, TrustStore), CliError> {
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    Ok((Channel::new(spec.open()?), trust))
}

/// [`connect`], with the JPKI-AP selected (for flows without a PIN; PIN flows select inside
/// their exclusive hold, which resets the card).
fn open(ctx: &Ctx) -> Result<(Channel<Box<dyn CardTransport>>, TrustStore), CliError> {
    let (mut ch, trust) = connect(ctx)?;
    jpki::select(&mut ch)?;
    Ok((ch, trust))
}

pub(crate) fn state_json(s: PinState) -> Value {
    match s {
        PinState::Remaining(n) => json!({"state": "ok", "remaining": n}),
        PinState::Verified => json!({"state": "verified"}),
        PinState::Blocked => json!({"state": "blocked", "remaining": 0}),
    }
}

fn state_text(kind: KeyKind, s: PinState) -> String {
    match s {
        PinState::Remaining(n) => format!(
            "{}: {n} of {} tries left\n",
            kind.pin_name(),
            kind.max_tries()
        ),
        PinState::Verified => format!("{}: verified in this session\n", kind.pin_name()),
        PinState::Blocked => format!(
            "{}: BLOCKED (the holder must go to the municipal office)\n",
            kind.pin_name()
        ),
    }
}

/// `jpid jpki status`: token kind and both PINs' tries, without spending any.
pub fn status(ctx: &Ctx) -> Result<(), CliError> {
    let (mut ch, _) = open(ctx)?;
    let label = jpki::token_label(&mut ch)?;
    let auth = jpki::pin_state(&mut ch, KeyKind::Auth)?;
    let sign = jpki::pin_state(&mut ch, KeyKind::Sign)?;
    let token = match label.as_str() {
        "JPKIAPICCTOKEN2" => "My Number Card",
        "JPKIAPGPSETOKEN" => "smartphone JPKI (Android)",
        "JPKIAPIOSTOKEN" => "smartphone JPKI (iPhone)",
        "JPKIAPICCTOKEN" => "Basic Resident Register card",
        _ => "unknown JPKI token",
    };
    ctx.out.emit(
        "jpki status",
        json!({"token_label": label, "token": token, "pins": {"auth": state_json(auth), "sign": state_json(sign)}}),
        || format!("{token} ({label})\n{}{}", state_text(KeyKind::Auth, auth), state_text(KeyKind::Sign, sign)),
    );
    Ok(())
}

/// The `revocation` object of the JSON output (docs/json.md).
pub(crate) fn revocation_json(status: &RevocationStatus) -> Value {
    status.to_json()
}

fn findings_json(list: &[jpid_verify::verdict::Reason]) -> Vec<Value> {
    list.iter()
        .map(|r| json!({"code": r.code, "message": r.message}))
        .collect()
}

/// The revocation policy of `--crl`, `--crl-dir` and `--require-revocation`.
/// The revocation sources `--crl`, `--crl-dir` and `--ocsp-url` name (none configured when
/// none is given: revocation is then not checked, and the result says so).
pub(crate) fn load_revocation(
    args: &crate::cli::RevocationArgs,
) -> Result<RevocationSources, CliError> {
    let mut sources = RevocationSources::default();
    if let Some(url) = &args.ocsp_url {
        if !url.starts_with("http://") {
            return Err(CliError::new(
                Kind::Usage,
                "--ocsp-url takes an http:// URL (OCSP answers are signed; JPKI's responders are reached over HTTP)",
            ));
        }
        sources.ocsp = Some(std::sync::Arc::new(jpid_verify::OcspSource::new(
            url.clone(),
        )));
    }
    if !args.crl.is_empty() || args.crl_dir.is_some() {
        let bad = |e: jpid_verify::CrlError| {
            CliError::new(Kind::BadCrl, e.to_string())
                .hint("give the DER or PEM CRL published by the certificate's root (RFC 5280)")
        };
        let mut store = CrlStore::from_files(&args.crl).map_err(bad)?;
        if let Some(dir) = &args.crl_dir {
            store.add_dir(dir).map_err(bad)?;
            if store.is_empty() {
                return Err(CliError::new(
                    Kind::BadCrl,
                    format!("no *.crl, *.der or *.pem file in {}", dir.display()),
                ));
            }
        }
        sources.crls = Some(std::sync::Arc::new(store));
    }
    if args.require_revocation && !sources.configured() {
        return Err(CliError::new(
            Kind::Usage,
            "--require-revocation needs a revocation source: --crl FILE, --crl-dir DIR or --ocsp-url URL",
        ));
    }
    Ok(sources)
}

fn cert_json(
    kind: KeyKind,
    der: &[u8],
    trust: &TrustStore,
    at: UnixTime,
) -> Result<(Value, String, bool), CliError> {
    let purpose = match kind {
        KeyKind::Auth => Purpose::JpkiAuth,
        KeyKind::Sign => Purpose::JpkiSign,
    };
    let v =
        verify_certificate(der, purpose, trust, at, RevocationPolicy::NotChecked).map_err(|e| {
            CliError::new(
                Kind::Card,
                format!("the {} certificate is malformed: {e}", kind.id()),
            )
        })?;
    let parsed = ParsedCert::parse(der).map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let attrs = holder_attributes(&parsed);
    let reasons: Vec<Value> = v
        .reasons
        .iter()
        .map(|r| json!({"code": r.code, "message": r.message}))
        .collect();
    let value = json!({
        "subject": v.subject, "issuer": v.issuer, "serial": v.serial,
        "not_before": v.validity.0.to_rfc3339(), "not_after": v.validity.1.to_rfc3339(),
        "valid": v.valid(), "reasons": reasons, "revocation_checked": v.revocation_checked,
        "revocation": revocation_json(&v.revocation),
        "anchor": v.proof().map(|p| p.get().anchor.clone()),
        "holder": attrs,
        "holder_verified": v.valid(),
    });
    let mut text = format!(
        "{} certificate\n  subject: {}\n  issuer:  {}\n  serial:  {}\n  valid:   {} to {}\n",
        kind.id(),
        v.subject,
        v.issuer,
        v.serial,
        v.validity.0.to_rfc3339(),
        v.validity.1.to_rfc3339()
    );
    for a in &attrs {
        text.push_str(&format!(
            "  {} / {}: {}{}\n",
            a.label,
            a.label_ja,
            a.value,
            if v.valid() { "" } else { "  (UNVERIFIED)" }
        ));
    }
    if v.valid() {
        text.push_str("  chain: VALID (signature and validity checked; revocation NOT checked: no CRL source)\n");
    } else {
        for r in &v.reasons {
            text.push_str(&format!("  chain: NOT VALID: {} ({})\n", r.message, r.code));
        }
    }
    Ok((value, text, v.valid()))
}

/// `jpid jpki certs`: the certificates, their chains to the JPKI roots, and (after the signature
/// password) the signature certificate with the holder's attributes.
pub fn certs(
    ctx: &Ctx,
    with_sign: bool,
    pin_stdin: bool,
    force: bool,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let sign_pin = if with_sign {
        Some(pin::read(KeyKind::Sign, pin_stdin)?)
    } else {
        None
    };
    let (mut ch, trust) = open(ctx)?;
    let at = now();
    let mut certs = serde_json::Map::new();
    let mut text = String::new();
    let mut all_valid = true;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let auth = jpki::certificate(&mut ch, KeyKind::Auth)?;
    files.push(("auth.der".into(), auth.clone()));
    files.push((
        "auth-ca.der".into(),
        jpki::ca_certificate(&mut ch, KeyKind::Auth)?,
    ));
    let (v, t, ok) = cert_json(KeyKind::Auth, &auth, &trust, at)?;
    certs.insert("auth".into(), v);
    text.push_str(&t);
    all_valid &= ok;
    if let Some(pin) = sign_pin {
        // Nobody else may use the card while the password is open.
        let mut ex = ch.exclusive()?;
        // The hold reset the card: select the JPKI-AP again inside it.
        jpki::select(&mut ex)?;
        jpki::verify_pin(&mut ex, &pin, force)?;
        let sign = jpki::certificate(&mut ex, KeyKind::Sign)?;
        files.push(("sign.der".into(), sign.clone()));
        files.push((
            "sign-ca.der".into(),
            jpki::ca_certificate(&mut ex, KeyKind::Sign)?,
        ));
        let (v, t, ok) = cert_json(KeyKind::Sign, &sign, &trust, at)?;
        certs.insert("sign".into(), v);
        text.push_str(&t);
        all_valid &= ok;
        // Dropping the hold resets the card, closing the verified session.
        drop(ex);
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display()))
        })?;
        for (name, der) in &files {
            std::fs::write(dir.join(name), der)
                .map_err(|e| CliError::new(Kind::Io, format!("cannot write {name}: {e}")))?;
        }
        text.push_str(&format!("certificates written to {}\n", dir.display()));
    }
    text.push_str(&trust_line(&trust));
    ctx.out.emit(
        "jpki certs",
        json!({"certificates": certs, "checked_at": at.to_rfc3339(), "trust": trust_json(&trust)}),
        || text,
    );
    if all_valid {
        Ok(())
    } else {
        Err(CliError::new(
            Kind::NotGenuine,
            "a certificate does not chain to a trusted JPKI root or is not valid now",
        )
        .reported())
    }
}

/// `jpid jpki sign`: a detached CMS signature (`.p7s`, RFC 5652) or, with `--raw`, a bare
/// PKCS#1 v1.5 signature, over a file; SHA-256; the card signs.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    ctx: &Ctx,
    key: KeyKind,
    input: &Path,
    output: &Path,
    raw: bool,
    pin_stdin: bool,
    force: bool,
) -> Result<(), CliError> {
    let content_digest = hash_file(input)?;
    if raw && key == KeyKind::Auth && !ctx.out.json {
        eprintln!(
            "jpid: warning: a bare signature with the user-authentication key is the same operation \
             as a JPKI login; sign only data whose origin you trust"
        );
    }
    let how = if raw {
        Signing::Raw
    } else {
        Signing::Cms { with_ca: false }
    };
    let signed = card_signs(ctx, key, how, pin_stdin, force, &mut |_| {
        Some(content_digest)
    })?;
    let (bytes, parsed) = (signed.bytes, signed.signer);
    std::fs::write(output, &bytes)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot write {}: {e}", output.display())))?;
    let format = if raw { "pkcs1" } else { "cms" };
    ctx.out.emit(
        "jpki sign",
        json!({"key": key.id(), "hash": "sha256", "format": format, "digest": hex::encode(content_digest),
               "signature": output.display().to_string(), "bytes": bytes.len(), "certificate_serial": parsed.serial_hex()}),
        || format!(
            "signed {} with the {} key ({}, SHA-256): {}\n",
            input.display(),
            key.id(),
            if raw { "bare RSA PKCS#1 v1.5" } else { "detached CMS with the signer certificate" },
            output.display()
        ),
    );
    Ok(())
}

/// What [`card_signs`] returns: the signature (a DER CMS SignedData, or the bare PKCS#1 v1.5
/// signature) and the signer certificate.
pub(crate) struct CardSignature {
    pub bytes: Vec<u8>,
    pub signer: ParsedCert,
}

/// What the card's signature is wrapped in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signing {
    /// The bare PKCS#1 v1.5 signature of the content digest.
    Raw,
    /// A detached CMS SignedData; `with_ca`: carrying the card's CA certificate too.
    Cms { with_ca: bool },
}

/// The card signs with `key`: asks the PIN (from stdin with `pin_stdin`), counts its tries
/// first and refuses the last without `force`, reads the certificate (after VERIFY: the
/// signature certificate is PIN-protected), asks `content_digest` for the SHA-256 of the
/// content (which may name the certificate's holder; `None` stops here), and has the card sign
/// the CMS signed attributes or the bare digest, in the same session. The card's answer is
/// checked against its own certificate before it is handed out.
pub(crate) fn card_signs(
    ctx: &Ctx,
    key: KeyKind,
    how: Signing,
    pin_stdin: bool,
    force: bool,
    content_digest: &mut dyn FnMut(&ParsedCert) -> Option<[u8; 32]>,
) -> Result<CardSignature, CliError> {
    let (cms, with_ca) = match how {
        Signing::Raw => (false, false),
        Signing::Cms { with_ca } => (true, with_ca),
    };
    let pin = pin::read(key, pin_stdin)?;
    let (mut ch, _) = connect(ctx)?;
    let (signature, parsed, attrs, signed_digest, ca) = {
        let mut ex = ch.exclusive()?;
        // The hold reset the card: select the JPKI-AP again inside it.
        jpki::select(&mut ex)?;
        jpki::verify_pin(&mut ex, &pin, force)?;
        // The certificate first: the CMS signed attributes name it.
        let cert = jpki::certificate(&mut ex, key)?;
        let parsed =
            ParsedCert::parse(&cert).map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
        let content_digest = &content_digest(&parsed).ok_or_else(|| {
            CliError::new(Kind::BadDump, "the content to sign could not be prepared")
        })?;
        let ca = if with_ca {
            let der = jpki::ca_certificate(&mut ex, key)?;
            Some(ParsedCert::parse(&der).map_err(|e| {
                CliError::new(Kind::Card, format!("the card's CA certificate: {e}"))
            })?)
        } else {
            None
        };
        // What the card signs: the content digest (raw), or the digest of the signed attributes.
        let attrs = if cms {
            Some(
                crate::cms::SignedAttributes::new(content_digest, &parsed, crate::output::now())
                    .map_err(|e| {
                        CliError::new(Kind::Card, format!("the card's certificate: {e}"))
                    })?,
            )
        } else {
            None
        };
        let signed_digest: [u8; 32] = match &attrs {
            None => *content_digest,
            Some(a) => Sha256::digest(a.to_be_signed().map_err(|e| {
                CliError::new(
                    Kind::Internal,
                    format!("cannot encode the signed attributes: {e}"),
                )
            })?)
            .into(),
        };
        let di = Hash::Sha256
            .digest_info(&signed_digest)
            .ok_or_else(|| CliError::new(Kind::Internal, "digest length"))?;
        let signature = jpki::sign(&mut ex, key, &di)?;
        (signature, parsed, attrs, signed_digest, ca)
    };
    // Check what the card returned before handing it out.
    let spki = parsed
        .spki_der()
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    verify_rsa_pkcs1(&spki, HashAlg::Sha256, &signed_digest, &signature).map_err(|_| {
        CliError::new(
            Kind::Card,
            "the card's signature does not verify with its own certificate",
        )
    })?;
    let bytes = match &attrs {
        None => signature,
        Some(attrs) => {
            crate::cms::signed_data(&parsed, ca.as_ref(), attrs, &signature).map_err(|e| {
                CliError::new(
                    Kind::Internal,
                    format!("cannot encode the CMS signature: {e}"),
                )
            })?
        }
    };
    Ok(CardSignature {
        bytes,
        signer: parsed,
    })
}

pub(crate) fn hash_file(path: &Path) -> Result<[u8; 32], CliError> {
    let mut hasher = Sha256::new();
    let mut f = std::fs::File::open(path)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot read {}: {e}", path.display())))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| CliError::new(Kind::Io, format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
}

/// Reads a small input file (a signature or a certificate), bounded.
pub(crate) fn read_small(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(1 << 20).read_to_end(&mut out))
        .map_err(|e| {
            CliError::new(
                Kind::Io,
                format!("cannot read the {what} {}: {e}", path.display()),
            )
        })?;
    Ok(out)
}

/// `jpid jpki verify`: a JPKI signature made elsewhere, checked offline.
pub fn verify(ctx: &Ctx, args: &crate::cli::VerifyArgs) -> Result<(), CliError> {
    use jpid_verify::signature::{verify_cms, verify_raw};
    let sources = load_revocation(&args.revocation)?;
    let policy = sources.policy(args.revocation.require_revocation);
    let trust = ctx.trust(false)?;
    let at = match &args.at {
        Some(t) => UnixTime::parse(t)
            .ok_or_else(|| CliError::new(Kind::Usage, format!("--at {t:?} is not a date")))?,
        None => now(),
    };
    let digest = hash_file(&args.input)?;
    let sig = read_small(&args.signature, "signature")?;
    let bad =
        |e: jpid_verify::signature::SignatureError| CliError::new(Kind::BadDump, e.to_string());
    let v = if args.raw {
        let cert_path = args.cert.as_ref().ok_or_else(|| {
            CliError::new(
                Kind::Usage,
                "--raw needs --cert FILE (the signer certificate)",
            )
        })?;
        let mut cert = read_small(cert_path, "certificate")?;
        if cert.starts_with(b"-----BEGIN") {
            let text = String::from_utf8_lossy(&cert).into_owned();
            let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            use base64::Engine;
            cert = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| {
                    CliError::new(
                        Kind::BadDump,
                        format!("the certificate PEM is not valid base64: {e}"),
                    )
                })?;
        }
        verify_raw(&digest, &sig, &cert, &trust, at, policy).map_err(bad)?
    } else {
        verify_cms(&digest, &sig, &trust, at, policy).map_err(bad)?
    };
    let reasons: Vec<Value> = v
        .reasons
        .iter()
        .map(|r| json!({"code": r.code, "message": r.message}))
        .collect();
    let purpose = v.purpose.map(|p| p.id());
    ctx.out.emit(
        "jpki verify",
        json!({
            "valid": v.valid(), "signature_ok": v.signature_ok, "key": purpose,
            "certificate": {"subject": v.certificate.subject, "issuer": v.certificate.issuer, "serial": v.certificate.serial,
                            "not_before": v.certificate.validity.0.to_rfc3339(), "not_after": v.certificate.validity.1.to_rfc3339()},
            "holder": if v.valid() { json!(v.holder) } else { json!([]) }, "reasons": reasons, "warnings": findings_json(&v.certificate.warnings),
            "revocation_checked": v.certificate.revocation_checked,
            "revocation": revocation_json(&v.certificate.revocation),
            "checked_at": at.to_rfc3339(), "trust": trust_json(&trust),
        }),
        || {
            let mut t = if v.valid() {
                format!("signer: {}\nissuer: {}\n", v.certificate.subject, v.certificate.issuer)
            } else {
                format!(
                    "certificate subject: {} (UNVERIFIED: the signature is not valid)\ncertificate issuer: {}\n",
                    v.certificate.subject, v.certificate.issuer
                )
            };
            // Who the certificate names only when the signature is valid (as `pdf verify`): a
            // name from a certificate nobody vouched for is whatever its maker wrote.
            if v.valid() {
                for a in &v.holder {
                    t.push_str(&format!(
                        "  {} / {}: {}\n",
                        a.label,
                        a.label_ja,
                        crate::output::one_line(&a.value)
                    ));
                }
            } else if !v.holder.is_empty() {
                t.push_str("  holder named by the certificate: withheld (the signature is not valid)\n");
            }
            t.push_str(&trust_line(&trust));
            let revocation = match &v.certificate.revocation {
                RevocationStatus::NotChecked => "revocation NOT checked (no --crl, --crl-dir or --ocsp-url given)".to_string(),
                other => other.to_string(),
            };
            t.push_str(&format!("revocation: {revocation}\n"));
            for w in &v.certificate.warnings {
                t.push_str(&format!("WARNING: {}\n", w.message));
            }
            if v.valid() {
                let rev = match &v.certificate.revocation {
                    RevocationStatus::Good {
                        via: jpid_verify::RevocationVia::Ocsp { .. },
                        ..
                    } => "not revoked according to a current OCSP answer",
                    RevocationStatus::Good { .. } => "not revoked according to a current CRL",
                    RevocationStatus::Unknown { .. } => "revocation status UNKNOWN",
                    _ => "revocation NOT checked",
                };
                t.push_str(&format!("VALID: signed with a JPKI {} key; certificate chains and is valid at {}; {rev}\n", purpose.map(|p| if p == "jpki-sign" { "signature" } else { "user-authentication" }).unwrap_or("?"), at.to_rfc3339()));
            } else {
                t.push_str("NOT VALID:\n");
                for r in &v.reasons {
                    t.push_str(&format!("  - {} ({})\n", r.message, r.code));
                }
            }
            t
        },
    );
    if v.valid() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the signature is not valid").reported())
    }
}

/// `jpid jpki change-pin`.
pub fn change_pin(ctx: &Ctx, key: KeyKind, pin_stdin: bool, force: bool) -> Result<(), CliError> {
    let form = |e: jpid_card::jpki::BadPin| {
        CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card")
    };
    let (old, new) = if pin_stdin {
        let old = pin::read_secret("current PIN", None, true)?;
        let new = pin::read_secret("new PIN", None, true)?;
        (
            jpki::Pin::new(key, &old).map_err(form)?,
            jpki::Pin::new(key, &new).map_err(form)?,
        )
    } else {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(CliError::new(
                Kind::Usage,
                "changing a PIN needs a terminal or --pin-stdin",
            ));
        }
        let old = pin::read_secret(&format!("current {}", key.pin_name()), None, false)?;
        let new = pin::read_secret(&format!("new {}", key.pin_name()), None, false)?;
        let again = pin::read_secret(&format!("new {} again", key.pin_name()), None, false)?;
        if *new != *again {
            return Err(CliError::new(Kind::Usage, "the two new PINs differ")
                .hint("nothing was sent to the card"));
        }
        (
            jpki::Pin::new(key, &old).map_err(form)?,
            jpki::Pin::new(key, &new).map_err(form)?,
        )
    };
    let (mut ch, _) = connect(ctx)?;
    {
        let mut ex = ch.exclusive()?;
        // The hold reset the card: select the JPKI-AP again inside it.
        jpki::select(&mut ex)?;
        jpki::change_pin(&mut ex, &old, &new, force)?;
    }
    ctx.out.emit(
        "jpki change-pin",
        json!({"key": key.id(), "changed": true}),
        || format!("the {} was changed\n", key.pin_name()),
    );
    Ok(())
}
