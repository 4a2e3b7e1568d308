//! `jpid mynumber status | card-info | text | face | birth-date`: the My Number card's
//! applications other than the JPKI-AP: every key's state (docs/spec/mynumber-card.md §2–§5),
//! the common AP's record (§5), the card-face entry auxiliary ("text") AP (§3) and the
//! card-face AP (§4), each proven through its CVC.

use std::path::{Path, PathBuf};

use jpid_card::jpki::PinState;
use jpid_card::mynumber::{self, CardFaceKey, MyNumber};
use jpid_card::Channel;
use jpid_verify::card_face::{verify_card_face_opened, CardFaceFiles, CardFaceVerdict};
use jpid_verify::{TrustMode, TrustStore};
use serde_json::{json, Value};

use crate::cli::FaceKeyArg;
use crate::cmd::jpki::state_json;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};
use crate::pin;

/// `jpid mynumber status`: every key of every application, no try spent.
pub fn status(ctx: &Ctx) -> Result<(), CliError> {
    use jpid_card::mynumber::{self, KeyStatus};
    let spec = ctx.reader()?;
    let mut ch = Channel::new(spec.open()?);
    let keys = mynumber::status(&mut ch)?;
    if keys.iter().all(|(_, s)| *s == KeyStatus::Absent) {
        return Err(CliError::new(
            Kind::UnsupportedCard,
            "this card has none of the My Number card's applications",
        )
        .hint("run `jpid detect` to see what card this is"));
    }
    let rows: Vec<Value> = keys
        .iter()
        .map(|(k, s)| {
            let mut v = match s {
                KeyStatus::State(st) => state_json(*st),
                KeyStatus::Absent => json!({"state": "absent"}),
                KeyStatus::Unexpected(sw) => json!({
                    "state": "unexpected",
                    "status_word": format!("{:04X}", sw.to_u16()),
                    "detail": sw.describe(),
                }),
            };
            if let Value::Object(m) = &mut v {
                m.insert("app".into(), json!(k.app));
                m.insert("key".into(), json!(k.key));
                m.insert("label".into(), json!(k.label));
                m.insert("max_tries".into(), json!(k.max_tries));
            }
            v
        })
        .collect();
    ctx.out.emit("mynumber status", json!({"keys": rows}), || {
        let mut t = String::from("No try was spent reading these.\n");
        for (k, s) in &keys {
            let state = match s {
                KeyStatus::State(PinState::Remaining(n)) => {
                    format!("{n} of {} tries left", k.max_tries)
                }
                KeyStatus::State(PinState::Verified) => "verified in this session".into(),
                KeyStatus::State(PinState::Blocked) => "BLOCKED (municipal office)".into(),
                KeyStatus::Absent => "not on this card".into(),
                KeyStatus::Unexpected(sw) => format!(
                    "UNREADABLE: the card answered {:04X} ({}) to the status query",
                    sw.to_u16(),
                    sw.describe()
                ),
            };
            t.push_str(&format!(
                "  {} {} {state}\n",
                crate::output::pad(k.app, 8),
                crate::output::pad(k.label, 62)
            ));
        }
        t
    });
    Ok(())
}

/// `jpid mynumber card-info`: the common AP's record (UNCONFIRMED layout, no PIN).
pub fn card_info(ctx: &Ctx) -> Result<(), CliError> {
    let spec = ctx.reader()?;
    let mut ch = Channel::new(spec.open()?);
    let Some(rec) = jpid_card::mynumber::card_record(&mut ch)? else {
        return Err(CliError::new(
            Kind::UnsupportedCard,
            "this card has no common AP (a smartphone token, or not a My Number card)",
        )
        .hint("run `jpid detect` to see what card this is"));
    };
    ctx.out.emit(
        "mynumber card-info",
        json!({"serial": rec.serial, "municipality_code": rec.municipality_code, "expiry": rec.expiry,
               "unconfirmed": true, "signed": false}),
        || format!(
            "card serial: {}\nmunicipality code: {}\ncard expiry: {}\n(layout from one public source, UNCONFIRMED; this record is not signed)\n",
            rec.serial, rec.municipality_code, rec.expiry
        ),
    );
    Ok(())
}

/// `jpid mynumber text`: the card-face entry auxiliary AP, proven genuine.
pub fn text(
    ctx: &Ctx,
    with: crate::cli::TextKeyArg,
    pin_stdin: bool,
    show_my_number: bool,
    force: bool,
    out: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let (v, trust, files) = read_text_verified(ctx, with, pin_stdin, force, true)?;
    let dump_path = match out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display()))
            })?;
            let dump = jpid_model::dump::TextDump {
                read_at: crate::output::now(),
                reader: ctx.global.reader.clone(),
                files,
            };
            let text = serde_json::to_string_pretty(&dump.to_json(show_my_number))
                .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
            let path = dir.join("text.json");
            std::fs::write(&path, text).map_err(|e| {
                CliError::new(Kind::Io, format!("cannot write {}: {e}", path.display()))
            })?;
            Some(path.display().to_string())
        }
        None => None,
    };
    // Values the signature does not prove are not shown as the holder's (the dump, when asked
    // for, keeps the raw files for investigation).
    let basic = v.basic.as_ref().filter(|_| v.genuine());
    let shown = v.my_number.as_ref().filter(|_| v.genuine()).map(|n| {
        if show_my_number {
            n.clone()
        } else {
            "*".repeat(n.len())
        }
    });
    let mut verification = v.verdict.to_json();
    if let Value::Object(m) = &mut verification {
        m.insert(
            "covered".into(),
            json!(v.proof().map(|p| p.get().covered.clone())),
        );
        m.insert("trust".into(), trust_json(&trust));
    }
    let body = json!({
        "my_number": shown,
        "my_number_masked": !show_my_number,
        "dump": dump_path,
        "name": basic.map(|b| &b.name),
        "address": basic.map(|b| &b.address),
        "birth_date": basic.map(|b| &b.birth_date),
        "sex": basic.map(|b| &b.sex),
        "verification": verification,
    });
    ctx.out.emit("mynumber text", body, || {
        let mut t = String::new();
        if let Some(n) = &shown {
            t.push_str(&format!("My Number / 個人番号: {n}{}\n", if show_my_number { "" } else { "  (masked; --show-my-number shows it)" }));
        }
        if !v.genuine() && (v.basic.is_some() || v.my_number.is_some()) {
            t.push_str("Holder data withheld / 記載事項は表示しません: not proven genuine\n");
        }
        if let Some(b) = basic {
            use crate::output::one_line;
            t.push_str(&format!("Name / 氏名: {}\nAddress / 住所: {}\nDate of birth / 生年月日: {}\nSex / 性別: {}\n", one_line(&b.name), one_line(&b.address), one_line(&b.birth_date), one_line(&b.sex)));
        }
        for c in &v.checks {
            t.push_str(&format!("  [{}] {}: {}\n", if c.passed { "ok" } else { "FAIL" }, c.name, c.detail));
        }
        t.push_str(&trust_line(&trust));
        if v.genuine() {
            t.push_str(&format!("signed through the card's certified AP key by {}.\n", signer(&trust)));
        }
        t.push_str(&crate::output::verdict_text(&v.verdict));
        t
    });
    crate::output::verdict_exit(v.outcome(), "the card's data")
}

/// A fresh challenge for the chip to sign (the operating system's CSPRNG): only one chosen for
/// this read proves the chip answered.
pub(crate) fn fresh_challenge() -> Result<[u8; 32], CliError> {
    let mut c = [0u8; 32];
    getrandom::getrandom(&mut c).map_err(|e| {
        CliError::new(
            Kind::Internal,
            format!("no randomness for a challenge: {e}"),
        )
    })?;
    Ok(c)
}

/// Has the selected text or card-face AP sign `challenge` (INTERNAL AUTHENTICATE); a chip that
/// refuses answers without a signature, and the verdict then says it was not authenticated.
pub(crate) fn authenticate<T: jpid_card::CardTransport>(
    ch: &mut Channel<T>,
    challenge: &[u8],
) -> Result<jpid_model::ChipAnswer, CliError> {
    Ok(mynumber::chip_answer(ch, challenge)?)
}

/// Opens the text AP with the chosen key, reads it, and verifies it.
pub(crate) fn read_text_verified(
    ctx: &Ctx,
    with: crate::cli::TextKeyArg,
    pin_stdin: bool,
    force: bool,
    want_my_number: bool,
) -> Result<
    (
        jpid_verify::text::TextVerdict,
        TrustStore,
        jpid_verify::text::TextFiles,
    ),
    CliError,
> {
    use crate::cli::TextKeyArg;
    use jpid_card::mynumber::{self, TextKey};
    use jpid_verify::text::verify_text;
    let key = match with {
        TextKeyArg::Pin => TextKey::pin(&pin::read_secret(
            "card-face entry auxiliary PIN",
            Some(pin::ENV_TEXT_PIN),
            pin_stdin,
        )?),
        TextKeyArg::A => TextKey::a(&pin::read_secret(
            "照合番号A (the 12-digit My Number)",
            None,
            pin_stdin,
        )?),
        TextKeyArg::B => TextKey::b(&pin::read_secret("照合番号B (14 digits)", None, pin_stdin)?),
    }
    .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))?;
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut ch = Channel::new(spec.open()?);
    let challenge = fresh_challenge()?;
    let (files, answer) = {
        let mut ex = ch.exclusive()?;
        let files = mynumber::read_text(&mut ex, &key, force, MyNumber::read_if(want_my_number))?;
        (files, authenticate(&mut ex, &challenge)?)
    };
    let v = verify_text(&files, &trust, crate::output::now(), Some(&answer))
        .map_err(|e| CliError::new(Kind::NotGenuine, format!("NOT GENUINE: {e}")))?;
    Ok((v, trust, files))
}

/// Environment variable holding the card-face AP's birth-date key (6 digits, era YYMMDD).
pub const ENV_BIRTH_DATE_KEY: &str = "JPID_BIRTH_DATE_KEY";

/// Reads the birth-date key: stdin with `--pin-stdin`, else [`ENV_BIRTH_DATE_KEY`], else a
/// no-echo prompt. Never argv.
pub fn birth_date_key(pin_stdin: bool) -> Result<CardFaceKey, CliError> {
    let text = pin::read_secret(
        "birth-date key (6 digits: birth date as era YYMMDD)",
        Some(ENV_BIRTH_DATE_KEY),
        pin_stdin,
    )?;
    CardFaceKey::birth_date(&text)
        .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))
}

/// Opens the card-face AP with `key` inside an exclusive hold, reads it, and verifies it.
pub(crate) fn read_card_face_verified(
    ctx: &Ctx,
    key: &CardFaceKey,
    force: bool,
    want_my_number_image: bool,
) -> Result<(CardFaceVerdict, TrustStore, CardFaceFiles), CliError> {
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut ch = Channel::new(spec.open()?);
    let challenge = fresh_challenge()?;
    let (mut files, answer) = {
        let mut ex = ch.exclusive()?;
        let files =
            mynumber::read_card_face(&mut ex, key, force, MyNumber::read_if(want_my_number_image))?;
        (files, authenticate(&mut ex, &challenge)?)
    };
    // EF 0003 is unsigned and informational: kept for the card face only, so an age check
    // never depends on it.
    if matches!(key, CardFaceKey::BirthDate(_)) {
        files.info = None;
    }
    // The birth-date key and 照合番号B hold the birth date: the verifier checks it against
    // the signed records (照合番号A, the My Number, holds none).
    let key_is = |era: &str| key.holds_birth_date(era).unwrap_or(false);
    let with_date = !matches!(key, CardFaceKey::A(_));
    let v = verify_card_face_opened(
        &files,
        &trust,
        crate::output::now(),
        Some(&answer),
        with_date.then_some(&key_is as &dyn Fn(&str) -> bool),
    )
    .map_err(|e| CliError::new(Kind::NotGenuine, format!("NOT GENUINE: {e}")))?;
    Ok((v, trust, files))
}

fn signer(trust: &TrustStore) -> &'static str {
    if trust.mode() == TrustMode::Test {
        "a jpid TEST issuer key (test trust: --trust test, or a simulated reader)"
    } else {
        "J-LIS"
    }
}

fn verification_json(v: &CardFaceVerdict, trust: &TrustStore) -> Value {
    let mut j = v.verdict.to_json();
    if let Value::Object(m) = &mut j {
        m.insert(
            "covered".into(),
            json!(v.proof().map(|p| p.get().covered.clone())),
        );
        m.insert("trust".into(), trust_json(trust));
    }
    j
}

fn verdict_text(v: &CardFaceVerdict, trust: &TrustStore) -> String {
    let mut t = String::new();
    for c in &v.checks {
        t.push_str(&format!(
            "  [{}] {}: {}\n",
            if c.passed { "ok" } else { "FAIL" },
            c.name,
            c.detail
        ));
    }
    t.push_str(&trust_line(trust));
    if v.genuine() {
        t.push_str(&format!(
            "signed through the card-face AP's certified key by {}.\n",
            signer(trust)
        ));
    }
    t.push_str(&crate::output::verdict_text(&v.verdict));
    t
}

/// The dump (`jpid.mynumber-face-dump`, docs/dump.md) the verification service accepts; the My
/// Number image only when asked for.
fn write_dump(
    dir: &Path,
    name: &str,
    files: &CardFaceFiles,
    ctx: &Ctx,
    with_my_number: bool,
) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display())))?;
    let dump = jpid_model::dump::FaceDump {
        read_at: crate::output::now(),
        reader: ctx.global.reader.clone(),
        files: files.clone(),
    };
    let text = serde_json::to_string_pretty(&dump.to_json(with_my_number))
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    write(dir, name, text.as_bytes())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, CliError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Converts each image to PNG (JP2 photo included) and writes it into `dir`; returns the
/// `images` JSON object. An image that does not decode is reported, not written.
fn export(dir: &Path, images: &[(&str, &[u8])]) -> Result<Value, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display())))?;
    let mut out = serde_json::Map::new();
    for (name, bytes) in images {
        let entry = match jpid_image::to_png(bytes) {
            Ok(img) => {
                let png = write(dir, &format!("{name}.png"), &img.png)?;
                json!({"png": png.display().to_string(), "width": img.width, "height": img.height})
            }
            Err(e) => {
                log::warn!("the {name} image could not be decoded: {e}");
                json!({"png": null, "error": e.to_string()})
            }
        };
        out.insert((*name).into(), entry);
    }
    Ok(Value::Object(out))
}

/// `jpid mynumber face`: the card face (EF 0002) with 照合番号A or B, proven through the CVC;
/// with A and `--show-my-number` also the My Number image (EF 0005). docs/spec/mynumber-card.md §4.
pub fn face(
    ctx: &Ctx,
    with: FaceKeyArg,
    out: Option<&Path>,
    show_my_number: bool,
    pin_stdin: bool,
    force: bool,
) -> Result<(), CliError> {
    if show_my_number && with != FaceKeyArg::A {
        return Err(
            CliError::new(Kind::Usage, "only 照合番号A opens the My Number image")
                .hint("use --with a --show-my-number"),
        );
    }
    let key = match with {
        FaceKeyArg::A => CardFaceKey::a(&pin::read_secret(
            "照合番号A (the 12-digit My Number)",
            None,
            pin_stdin,
        )?),
        FaceKeyArg::B => {
            CardFaceKey::b(&pin::read_secret("照合番号B (14 digits)", None, pin_stdin)?)
        }
    }
    .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))?;
    let (v, trust, files) = read_card_face_verified(ctx, &key, force, show_my_number)?;
    let Some(face) = v.face.as_ref() else {
        return Err(CliError::new(Kind::Card, "the card face was not read"));
    };
    // What the signature does not prove is not shown, and not written as pictures a person
    // would take for the card's (the dump keeps the raw files, as read, for a later look).
    let covered = |item: &str| v.proof().is_some_and(|p| p.get().covered.contains(&item));
    let proven = covered("card_face");
    let my_number_proven = covered("my_number_image");
    let images = match out {
        Some(dir) => {
            write_dump(dir, "face.json", &files, ctx, show_my_number)?;
            let mut list: Vec<(&str, &[u8])> = Vec::new();
            if proven {
                list.extend([
                    ("face", face.photo.as_slice()),
                    ("name", face.name_image.as_slice()),
                    ("address", face.address_image.as_slice()),
                    ("security-code", face.security_code_image.as_slice()),
                ]);
            }
            if let Some(m) = v
                .my_number_image
                .as_ref()
                .filter(|_| show_my_number && my_number_proven)
            {
                list.push(("my-number", &m.image));
            }
            export(dir, &list)?
        }
        None => Value::Null,
    };
    let body = json!({
        "birth_date": proven.then_some(face.birth_date),
        "sex": proven.then_some(&face.sex),
        "expiry": proven.then_some(face.expiry),
        "card_key_sha256": face.card_key.fingerprint(),
        "municipality_code": v.info.as_ref().map(|i| &i.municipality_code),
        "sizes": {
            "photo": face.photo.len(),
            "name_image": face.name_image.len(),
            "address_image": face.address_image.len(),
            "security_code_image": face.security_code_image.len(),
            "my_number_image": v.my_number_image.as_ref().map(|m| m.image.len()),
        },
        "images": images,
        "verification": verification_json(&v, &trust),
    });
    ctx.out.emit("mynumber face", body, || {
        let mut t = if proven {
            format!(
                "Date of birth / 生年月日: {}\nSex / 性別: {}\nExpiry / 有効期限: {}  (NOT covered by the signature)\nSecurity-code image: NOT covered by the signature\nPhoto: {} bytes JPEG 2000; name image {} bytes, address image {} bytes\n",
                face.birth_date.compact(),
                face.sex.as_str(),
                face.expiry.compact(),
                face.photo.len(),
                face.name_image.len(),
                face.address_image.len(),
            )
        } else {
            "Card face withheld / 券面事項は表示しません: not proven genuine (no images written)\n"
                .to_string()
        };
        if let Some(i) = &v.info {
            t.push_str(&format!(
                "Municipality code (EF 0003, not signed): {}\n",
                i.municipality_code
            ));
        }
        match (v.my_number_image.is_some(), my_number_proven) {
            (false, _) => {}
            (true, true) => {
                t.push_str("My Number image: read (signed; written only as my-number.png)\n")
            }
            (true, false) => t.push_str(
                "My Number image: read, NOT proven genuine (withheld, not written)\n",
            ),
        }
        if let Some(dir) = out {
            t.push_str(&format!(
                "{} written to {}\n",
                if proven { "dump and images" } else { "dump (face.json, as read)" },
                dir.display()
            ));
        }
        t.push_str(&verdict_text(&v, &trust));
        t
    });
    crate::output::verdict_exit(v.outcome(), "the card face")
}

/// `jpid mynumber birth-date`: the birth record (EF 0001) with the birth-date key, proven
/// through the CVC (docs/spec/mynumber-card.md §4).
pub fn birth_date(
    ctx: &Ctx,
    pin_stdin: bool,
    force: bool,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let key = birth_date_key(pin_stdin)?;
    let (v, trust, files) = read_card_face_verified(ctx, &key, force, false)?;
    if let Some(dir) = out {
        write_dump(dir, "birth.json", &files, ctx, false)?;
    }
    let Some(b) = v.birth.as_ref() else {
        return Err(CliError::new(Kind::Card, "the birth record was not read"));
    };
    let proven = v
        .proof()
        .is_some_and(|p| p.get().covered.contains(&"birth_record"));
    let body = json!({
        "birth_date": proven.then_some(b.birth_date),
        "verification": verification_json(&v, &trust),
    });
    ctx.out.emit("mynumber birth-date", body, || {
        if proven {
            format!(
                "Date of birth / 生年月日: {}\n{}",
                b.birth_date.compact(),
                verdict_text(&v, &trust)
            )
        } else {
            format!(
                "Date of birth withheld / 生年月日は表示しません: not proven genuine\n{}",
                verdict_text(&v, &trust)
            )
        }
    });
    crate::output::verdict_exit(v.outcome(), "the birth record")
}

/// `jpid mynumber check`: the PIN-less counter check (docs/spec/services.md §3; JPKI FAQ Q3-6:
/// face-to-face use without a PIN needs the card confirmed genuine and the user-authentication
/// certificate confirmed valid). With 照合番号B typed from the card face: the basic four (text
/// AP) and the face photo (card-face AP), each proven through its CVC and with the chip signing
/// a fresh challenge, and the JPKI user-authentication certificate (no PIN) checked for chain,
/// validity and, with --crl/--crl-dir, revocation. No PIN try is spent; a wrong 照合番号B costs one
/// try of one AP.
pub fn check(ctx: &Ctx, args: &crate::cli::CheckArgs) -> Result<(), CliError> {
    use jpid_card::mynumber::TextKey;
    let secret = pin::read_secret("照合番号B (14 digits)", None, args.pin_stdin)?;
    let usage = |e: jpid_card::mynumber::BadKey| {
        CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card")
    };
    let text_key = TextKey::b(&secret).map_err(usage)?;
    let face_key = CardFaceKey::b(&secret).map_err(usage)?;
    drop(secret);
    let sources = crate::cmd::jpki::load_revocation(&args.revocation)?;
    let policy = sources.policy(args.revocation.require_revocation);
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut ch = Channel::new(spec.open()?);
    let challenges = (fresh_challenge()?, fresh_challenge()?);
    let read = {
        let mut ex = ch.exclusive()?;
        mynumber::read_check(
            &mut ex,
            (&text_key, &face_key),
            args.force,
            (&challenges.0, &challenges.1),
        )?
    };
    let at = crate::output::now();
    let v = jpid_verify::check::verify_check(
        &read.text,
        &read.face,
        &read.auth_certificate,
        Some((&read.text_answer, &read.face_answer)),
        &trust,
        at,
        policy,
    )
    .map_err(|e| CliError::new(Kind::NotGenuine, format!("NOT GENUINE: {e}")))?;
    let photo = match (&args.out, v.face.face.as_ref()) {
        (Some(dir), Some(f)) if v.genuine() => export(dir, &[("face", &f.photo)])?,
        _ => Value::Null,
    };
    let c = &v.certificate;
    let g = v.genuine();
    let basic = v.text.basic.as_ref().filter(|_| g);
    let mut verification = v.verdict.to_json();
    if let Value::Object(m) = &mut verification {
        m.insert("trust".into(), trust_json(&trust));
    }
    let body = json!({
        "name": basic.map(|b| &b.name),
        "address": basic.map(|b| &b.address),
        "birth_date": basic.map(|b| &b.birth_date),
        "sex": basic.map(|b| &b.sex),
        "expiry": v.face.face.as_ref().filter(|_| g).map(|f| f.expiry),
        "images": photo,
        "auth_certificate": {
            "subject": c.subject, "issuer": c.issuer, "serial": c.serial,
            "not_before": c.validity.0.to_rfc3339(), "not_after": c.validity.1.to_rfc3339(),
            "revocation": crate::cmd::jpki::revocation_json(&c.revocation),
        },
        "verification": verification,
    });
    ctx.out.emit("mynumber check", body, || {
        let mut t = String::from("PIN-less counter check (照合番号B; no PIN try spent)\n");
        if let Some(b) = basic {
            t.push_str(&crate::output::field_line("Name", "氏名", &b.name, None));
            t.push_str(&crate::output::field_line(
                "Address", "住所", &b.address, None,
            ));
            t.push_str(&crate::output::field_line(
                "Date of birth",
                "生年月日",
                &b.birth_date,
                None,
            ));
            t.push_str(&crate::output::field_line("Sex", "性別", &b.sex, None));
        }
        if let Some(f) = v.face.face.as_ref().filter(|_| g) {
            t.push_str(&crate::output::field_line(
                "Expiry",
                "有効期限",
                &f.expiry.iso(),
                Some("stored after the card-face signature; compare it with the card"),
            ));
            t.push_str(&format!(
                "  photo: {} bytes JPEG 2000 (signed){}\n",
                f.photo.len(),
                args.out
                    .as_ref()
                    .map_or(String::new(), |d| format!(", written to {}", d.display()))
            ));
        }
        t.push_str(&format!(
            "  JPKI user-authentication certificate: serial {}, valid {} to {}, revocation: {}\n",
            c.serial,
            c.validity.0.to_rfc3339(),
            c.validity.1.to_rfc3339(),
            c.revocation
        ));
        for ch in &v.checks {
            t.push_str(&format!(
                "  [{}] {}: {}\n",
                if ch.passed { "ok" } else { "FAIL" },
                ch.name,
                ch.detail
            ));
        }
        t.push_str(&trust_line(&trust));
        t.push_str(&crate::output::verdict_text(&v.verdict));
        if g {
            t.push_str("Compare the face photo with the person in front of you.\n");
        }
        t
    });
    crate::output::verdict_exit(v.outcome(), "the card")
}
