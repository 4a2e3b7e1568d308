//! `jpid mynumber status | card-info | text | face | birth-date`: the My Number card's
//! applications other than the JPKI-AP: every key's state (docs/spec/mynumber-card.md §2–§5),
//! the common AP's record (§5), the card-face entry auxiliary ("text") AP (§3) and the
//! card-face AP (§4), each proven through its CVC.

use std::path::{Path, PathBuf};

use jpid_card::jpki::PinState;
use jpid_card::mynumber::{self, CardFaceKey, MyNumber};
use jpid_card::Channel;
use jpid_verify::card_face::{verify_card_face, CardFaceFiles, CardFaceVerdict};
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
            };
            t.push_str(&format!("  {:<8} {:<60} {state}\n", k.app, k.label));
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
    let shown = v.my_number.as_ref().map(|n| {
        if show_my_number {
            n.clone()
        } else {
            "*".repeat(n.len())
        }
    });
    let reasons: Vec<Value> = v
        .reasons
        .iter()
        .map(|(c, m)| json!({"code": c, "message": m}))
        .collect();
    let body = json!({
        "my_number": shown,
        "my_number_masked": !show_my_number,
        "dump": dump_path,
        "name": v.basic.as_ref().map(|b| &b.name),
        "address": v.basic.as_ref().map(|b| &b.address),
        "birth_date": v.basic.as_ref().map(|b| &b.birth_date),
        "sex": v.basic.as_ref().map(|b| &b.sex),
        "verification": {
            "genuine": v.genuine(),
            "reasons": reasons,
            "checks": v.checks,
            "covered": v.proof().map(|p| p.get().covered.clone()),
            "trust": trust_json(&trust),
        },
    });
    ctx.out.emit("mynumber text", body, || {
        let mut t = String::new();
        if let Some(n) = &shown {
            t.push_str(&format!("My Number / 個人番号: {n}{}\n", if show_my_number { "" } else { "  (masked; --show-my-number shows it)" }));
        }
        if let Some(b) = &v.basic {
            t.push_str(&format!("Name / 氏名: {}\nAddress / 住所: {}\nDate of birth / 生年月日: {}\nSex / 性別: {}\n", b.name, b.address, b.birth_date, b.sex));
        }
        for c in &v.checks {
            t.push_str(&format!("  [{}] {}: {}\n", if c.passed { "ok" } else { "FAIL" }, c.name, c.detail));
        }
        t.push_str(&trust_line(&trust));
        if v.genuine() {
            let by = if trust.mode() == jpid_verify::TrustMode::Test {
                "a jpid TEST issuer key (simulated card)"
            } else {
                "J-LIS"
            };
            t.push_str(&format!("GENUINE: signed through the card's certified AP key by {by}.\n"));
        } else {
            t.push_str("NOT GENUINE:\n");
            for (c, m) in &v.reasons {
                t.push_str(&format!("  - {m} ({c})\n"));
            }
        }
        t
    });
    if v.genuine() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the card's data is not proven genuine").reported())
    }
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
    let files = {
        let mut ex = ch.exclusive()?;
        mynumber::read_text(&mut ex, &key, force, MyNumber::read_if(want_my_number))?
    };
    let v = verify_text(&files, &trust)
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
    let mut files = {
        let mut ex = ch.exclusive()?;
        mynumber::read_card_face(&mut ex, key, force, MyNumber::read_if(want_my_number_image))?
    };
    // EF 0003 is unsigned and informational: kept for the card face only, so an age check
    // never depends on it.
    if matches!(key, CardFaceKey::BirthDate(_)) {
        files.info = None;
    }
    let v = verify_card_face(&files, &trust)
        .map_err(|e| CliError::new(Kind::NotGenuine, format!("NOT GENUINE: {e}")))?;
    Ok((v, trust, files))
}

fn signer(trust: &TrustStore) -> &'static str {
    if trust.mode() == TrustMode::Test {
        "a jpid TEST issuer key (simulated card)"
    } else {
        "J-LIS"
    }
}

fn verification_json(v: &CardFaceVerdict, trust: &TrustStore) -> Value {
    let reasons: Vec<Value> = v
        .reasons
        .iter()
        .map(|(c, m)| json!({"code": c, "message": m}))
        .collect();
    json!({
        "genuine": v.genuine(),
        "reasons": reasons,
        "checks": v.checks,
        "covered": v.proof().map(|p| p.get().covered.clone()),
        "unsigned": v.unsigned,
        "trust": trust_json(trust),
    })
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
            "GENUINE: signed through the card-face AP's certified key by {}.\n",
            signer(trust)
        ));
    } else {
        t.push_str("NOT GENUINE:\n");
        for (c, m) in &v.reasons {
            t.push_str(&format!("  - {m} ({c})\n"));
        }
    }
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
    let images = match out {
        Some(dir) => {
            write_dump(dir, "face.json", &files, ctx, show_my_number)?;
            let mut list: Vec<(&str, &[u8])> = vec![
                ("face", &face.photo),
                ("name", &face.name_image),
                ("address", &face.address_image),
                ("security-code", &face.security_code_image),
            ];
            if let Some(m) = v.my_number_image.as_ref().filter(|_| show_my_number) {
                list.push(("my-number", &m.image));
            }
            export(dir, &list)?
        }
        None => Value::Null,
    };
    let body = json!({
        "birth_date": face.birth_date,
        "sex": face.sex,
        "expiry": face.expiry,
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
        let mut t = format!(
            "Date of birth / 生年月日: {}\nSex / 性別: {}\nExpiry / 有効期限: {}  (NOT covered by the signature)\nSecurity-code image: NOT covered by the signature\nPhoto: {} bytes JPEG 2000; name image {} bytes, address image {} bytes\n",
            face.birth_date.compact(),
            face.sex.as_str(),
            face.expiry.compact(),
            face.photo.len(),
            face.name_image.len(),
            face.address_image.len(),
        );
        if let Some(i) = &v.info {
            t.push_str(&format!(
                "Municipality code (EF 0003, not signed): {}\n",
                i.municipality_code
            ));
        }
        if v.my_number_image.is_some() {
            t.push_str("My Number image: read (signed; written only as my-number.png)\n");
        }
        if let Some(dir) = out {
            t.push_str(&format!("images written to {}\n", dir.display()));
        }
        t.push_str(&verdict_text(&v, &trust));
        t
    });
    if v.genuine() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the card face is not proven genuine").reported())
    }
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
    let body = json!({
        "birth_date": b.birth_date,
        "verification": verification_json(&v, &trust),
    });
    ctx.out.emit("mynumber birth-date", body, || {
        format!(
            "Date of birth / 生年月日: {}\n{}",
            b.birth_date.compact(),
            verdict_text(&v, &trust)
        )
    });
    if v.genuine() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the birth record is not proven genuine").reported())
    }
}
