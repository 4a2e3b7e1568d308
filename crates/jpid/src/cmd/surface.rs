//! `jpid mynumber face` and `jpid mynumber birth-date`: the My Number card's card-face AP
//! (券面事項確認AP, mynumber-card.md §4), read with 照合番号A/B or the birth-date key and proven
//! through its CVC.

use std::path::{Path, PathBuf};

use jpid_card::mynumber::{self, SurfaceKey};
use jpid_card::Channel;
use jpid_verify::surface::{verify_surface, SurfaceFiles, SurfaceVerdict};
use jpid_verify::{TrustMode, TrustStore};
use serde_json::{json, Value};

use crate::cli::FaceKeyArg;
use crate::cmd::jpki::key_error;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};
use crate::pin;

/// Environment variable holding the card-face AP's birth-date key (6 digits, era YYMMDD).
pub const ENV_BIRTH_DATE_KEY: &str = "JPID_BIRTH_DATE_KEY";

/// Reads the birth-date key: stdin with `--pin-stdin`, else [`ENV_BIRTH_DATE_KEY`], else a
/// no-echo prompt. Never argv.
pub fn birth_date_key(pin_stdin: bool) -> Result<SurfaceKey, CliError> {
    let text = pin::read_secret(
        "birth-date key (6 digits: birth date as era YYMMDD)",
        Some(ENV_BIRTH_DATE_KEY),
        pin_stdin,
    )?;
    SurfaceKey::birth_date(&text)
        .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))
}

/// Opens the card-face AP with `key` inside an exclusive hold, reads it, and verifies it.
pub fn read_verified(
    ctx: &Ctx,
    key: &SurfaceKey,
    force: bool,
    want_my_number_image: bool,
) -> Result<(SurfaceVerdict, TrustStore, SurfaceFiles), CliError> {
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut ch = Channel::new(spec.open()?);
    let read = {
        let mut ex = ch.exclusive()?;
        mynumber::read_surface(&mut ex, key, force, want_my_number_image).map_err(key_error)?
    };
    let files = SurfaceFiles {
        birth: read.birth,
        face: read.face,
        // EF 0003 is unsigned and informational: parsed for the card face only, so an age
        // check never depends on it.
        info: matches!(key, SurfaceKey::A(_) | SurfaceKey::B(_)).then_some(read.info),
        cvc: read.cvc,
        my_number_image: read.my_number_image,
    };
    let v = verify_surface(&files, &trust)
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

fn verification_json(v: &SurfaceVerdict, trust: &TrustStore) -> Value {
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

fn verdict_text(v: &SurfaceVerdict, trust: &TrustStore) -> String {
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
    files: &SurfaceFiles,
    ctx: &Ctx,
    with_my_number: bool,
) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display())))?;
    let dump = jpid_verify::dump::FaceDump {
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
/// with A and `--show-my-number` also the My Number image (EF 0005). mynumber-card.md §4.
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
        FaceKeyArg::A => SurfaceKey::a(&pin::read_secret(
            "照合番号A (the 12-digit My Number)",
            None,
            pin_stdin,
        )?),
        FaceKeyArg::B => {
            SurfaceKey::b(&pin::read_secret("照合番号B (14 digits)", None, pin_stdin)?)
        }
    }
    .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))?;
    let (v, trust, files) = read_verified(ctx, &key, force, show_my_number)?;
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
            face.birth_date.as_str(),
            face.sex.as_str(),
            face.expiry.as_str(),
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
/// through the CVC (mynumber-card.md §4).
pub fn birth_date(
    ctx: &Ctx,
    pin_stdin: bool,
    force: bool,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let key = birth_date_key(pin_stdin)?;
    let (v, trust, files) = read_verified(ctx, &key, force, false)?;
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
            b.birth_date.as_str(),
            verdict_text(&v, &trust)
        )
    });
    if v.genuine() {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the birth record is not proven genuine").reported())
    }
}
