//! `jpid residence read` and `jpid residence verify`: the Residence Card and SPR certificate
//! (docs/spec/residence-card.md §0–§4; the dump file, docs/dump.md).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use jpid_card::residence::{read_card, CardNumber, Progress, ResidenceRead};
use jpid_card::{CardTransport, Channel};
use jpid_model::dump::{ResidenceDump, MAX_DUMP_BYTES};
use jpid_verify::residence::{self, ParsedResidence, ResidenceFiles, ResidenceVerdict};
use jpid_verify::{TrustMode, TrustStore, UnixTime};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};

use crate::output::now;

fn card_number(given: Option<&str>) -> Result<CardNumber, CliError> {
    let text = match given {
        Some(t) => t.to_string(),
        None => {
            if !std::io::stdin().is_terminal() {
                return Err(CliError::new(Kind::Usage, "no card number given").hint(
                    "pass --card-number AB12345678CD (printed at the top right of the card)",
                ));
            }
            eprint!("Card number (2 letters, 8 digits, 2 letters, top right of the card): ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| {
                CliError::new(Kind::Io, format!("cannot read the card number: {e}"))
            })?;
            line
        }
    };
    // The rejected text is not echoed: a near-miss typo would print most of a real number.
    CardNumber::try_from(text.as_str()).map_err(|e| {
        CliError::new(Kind::Usage, format!("that is not a card number: {e}"))
            .hint("nothing was sent to the card")
    })
}

/// The operating system's CSPRNG, asked afresh for every buffer; a failure stops the read
/// rather than let anything weaker stand in.
fn os_random(buf: &mut [u8]) -> Result<(), String> {
    getrandom::getrandom(buf).map_err(|e| e.to_string())
}

pub fn read(ctx: &Ctx, given: Option<&str>, out: Option<&Path>) -> Result<(), CliError> {
    let number = card_number(given)?;
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut channel = Channel::new(spec.open()?);
    let reader = channel.transport().reader_name().to_string();
    let show_progress = !ctx.out.json && std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if show_progress {
            eprint!(
                "\rreading {}/{}: {:<32} {:>6} bytes",
                p.done,
                p.total,
                p.file.name(),
                p.bytes
            );
            let _ = std::io::stderr().flush();
        }
    };
    let result = read_files(&mut channel, &number, &mut progress);
    if show_progress {
        eprintln!();
    }
    let read = result?;
    let read_at = now();
    let stats = channel.stats();
    let files = read.files;
    let dump = ResidenceDump {
        read_at,
        reader: reader.clone(),
        card_type: read.card_type.value().into(),
        generation: read.card_type.generation(),
        files: files.clone(),
    }
    .to_json();
    // Which APDU form the read used: the spec's extended one, or short APDUs because the
    // reader says it carries no more, or because the reader or card refused the extended form.
    let refused = channel.extended_refused_by().map(|r| r.id());
    log::info!(
        "read with {} APDUs{}",
        if channel.extended_length() {
            "extended-length"
        } else {
            "short"
        },
        refused.map_or(String::new(), |by| format!(
            " (the {by} refused extended length)"
        ))
    );
    let extra = json!({
        "reader": reader,
        "stats": {"apdus": stats.apdus, "bytes_sent": stats.bytes_sent, "bytes_received": stats.bytes_received, "extended_length": channel.extended_length(), "extended_refused_by": refused},
    });
    report(
        ctx,
        "residence read",
        &files,
        &trust,
        read_at,
        read_at,
        out,
        Some(&dump),
        extra,
    )
}

/// Reads every file of the card, with the operating system's random numbers.
pub fn read_files<T: CardTransport>(
    channel: &mut Channel<T>,
    number: &CardNumber,
    progress: &mut dyn FnMut(Progress),
) -> Result<ResidenceRead, CliError> {
    Ok(read_card(channel, number, &mut os_random, progress)?)
}

pub fn verify(
    ctx: &Ctx,
    path: &Path,
    at: Option<&str>,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let (read_at, reader, files) = load_dump(path)?;
    // Nothing in a dump can switch trust on: its content is whatever its author wrote, and the
    // test PKI's keys are public. A dump from a simulated card verifies only with --trust test.
    let trust = ctx.trust(false)?;
    // Likewise the dump's read_at is unsigned: the default is now; the read time only on request.
    let (at, time_source) = match at {
        None => (now(), "now"),
        Some("read") => (
            read_at,
            "read_at from the dump (not signed: trust it only if you trust the file)",
        ),
        Some(t) => (
            UnixTime::parse(t).ok_or_else(|| {
                CliError::new(
                    Kind::Usage,
                    format!("--at {t:?} is not read, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"),
                )
            })?,
            "--at",
        ),
    };
    let simulated = reader.starts_with("sim:") && trust.mode() != TrustMode::Test;
    let extra =
        json!({"dump": path.display().to_string(), "reader": reader, "time_source": time_source});
    let result = report(
        ctx,
        "residence verify",
        &files,
        &trust,
        read_at,
        at,
        out,
        None,
        extra,
    );
    // The last line, where it is read: the likely cause is the missing --trust test, not the
    // agency's roots.
    if simulated && result.is_err() && !ctx.out.json {
        eprintln!(
            "hint: this dump says it was read from a simulated card ({reader}); the simulator's \
             test roots are trusted only with --trust test",
            reader = crate::output::one_line(&reader)
        );
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn report(
    ctx: &Ctx,
    command: &str,
    files: &ResidenceFiles,
    trust: &TrustStore,
    read_at: UnixTime,
    at: UnixTime,
    out: Option<&Path>,
    dump: Option<&Value>,
    extra: Value,
) -> Result<(), CliError> {
    // A live read (which has a dump to write) whose data does not parse is not genuine; a dump
    // file that does not parse is bad input.
    let card = residence::parse(files).map_err(|e| match dump {
        Some(_) => CliError::new(
            Kind::NotGenuine,
            format!("NOT GENUINE: the card's data is malformed: {e}"),
        ),
        None => CliError::new(Kind::BadDump, format!("the dump's data is malformed: {e}")),
    })?;
    // A live read has a dump to write; a dump file being verified has none.
    let from = match dump {
        Some(_) => residence::ReadFrom::Chip,
        None => residence::ReadFrom::Dump,
    };
    // Judged at the time asked, and against today: a card expired by now is never plainly
    // genuine, whatever time was asked about.
    let verdict = residence::verify(&card, trust, at, from).judged_now(now());
    let images = match out {
        Some(dir) => export(dir, &card, dump)?,
        None => Value::Null,
    };
    let mut body = json!({
        "card": {
            "kind": card.card_type.family(),
            "generation": card.generation,
            "card_type": card.card_type.value(),
            "description": describe(&card),
            "photo": card.face_image.is_some(),
        },
        "read_at": read_at.to_rfc3339(),
        "fields": card.fields,
        "images": images,
        "verification": verification_json(&verdict, at, trust),
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    ctx.out
        .emit(command, body, || human(&card, &verdict, trust, at, out));
    crate::output::verdict_exit(verdict.outcome(), "the card")
}

fn describe(card: &ParsedResidence) -> String {
    card.card_type.describe()
}

fn verification_json(v: &ResidenceVerdict, at: UnixTime, trust: &TrustStore) -> Value {
    let mut j = v.verdict.to_json();
    if let Value::Object(m) = &mut j {
        m.insert(
            "certificate".into(),
            json!(v
                .certificate
                .as_ref()
                .map(|(s, i, n)| json!({"subject": s, "issuer": i, "serial": n}))),
        );
        m.insert(
            "anchor".into(),
            json!(v.proof().map(|p| p.get().anchor.clone())),
        );
        m.insert("checked_at".into(), json!(at.to_rfc3339()));
        m.insert("trust".into(), trust_json(trust));
    }
    j
}

fn human(
    card: &ParsedResidence,
    v: &ResidenceVerdict,
    trust: &TrustStore,
    at: UnixTime,
    out: Option<&Path>,
) -> String {
    let mut s = format!(
        "{}\ncard type: {} (MF/EF02, not signed{})\n",
        describe(card),
        card.card_type.value(),
        if card.generation == 1 {
            ": the signed front image shows which card this is"
        } else {
            ""
        }
    );
    // The values are shown before the verdict: when the card is not proven genuine, say so
    // first and on every value the signature would have covered, so that none reads as proven.
    let proven = v.genuine();
    if !proven {
        s.push_str("  真正と確認できません / NOT GENUINE: none of these values is proven (see the checks below)\n");
    }
    for f in &card.fields {
        let shown = crate::output::in_words(&f.value, &f.text, &f.text_ja);
        let shown = match (proven, f.unsigned_why) {
            (false, None) => format!("{shown}  (UNVERIFIED)"),
            _ => shown,
        };
        s.push_str(&crate::output::field_line(
            f.label,
            f.label_ja,
            &shown,
            f.unsigned_why,
        ));
    }
    if card.face_image.is_none() {
        s.push_str("  face photo: none on this card\n");
    }
    if let Some(dir) = out {
        s.push_str(&format!(
            "images and card.json written to {}\n",
            dir.display()
        ));
    }
    s.push('\n');
    for c in &v.checks {
        s.push_str(&format!(
            "  [{}] {}: {}\n",
            if c.passed { "ok" } else { "FAIL" },
            c.name,
            c.detail
        ));
    }
    s.push_str(&format!("  checked at {}\n", at.to_rfc3339()));
    s.push_str(&trust_line(trust));
    s.push_str(&crate::output::verdict_text(&v.verdict));
    if v.genuine() {
        s.push_str("Compare the face photo with the person in front of you: that is not something a chip can prove.\n");
    }
    s
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, CliError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Writes the raw images, PNG versions and the dump; returns the `images` JSON object.
fn export(dir: &Path, card: &ParsedResidence, dump: Option<&Value>) -> Result<Value, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::new(Kind::Io, format!("cannot create {}: {e}", dir.display())))?;
    let mut images = serde_json::Map::new();
    for (name, ext, bytes) in [
        ("front", "tif", &card.front_image),
        ("face", "jp2", &card.face_image),
        ("name", "tif", &card.name_image),
        ("address", "tif", &card.address_image),
    ] {
        let Some(bytes) = bytes else { continue };
        let raw = write(dir, &format!("{name}.{ext}"), bytes)?;
        let entry = match jpid_image::to_png(bytes) {
            Ok(img) => {
                let png = write(dir, &format!("{name}.png"), &img.png)?;
                json!({"raw": raw.display().to_string(), "png": png.display().to_string(), "width": img.width, "height": img.height})
            }
            Err(e) => {
                log::warn!("the {name} image could not be decoded: {e}");
                json!({"raw": raw.display().to_string(), "png": null, "error": e.to_string()})
            }
        };
        images.insert(name.into(), entry);
    }
    if let Some(dump) = dump {
        let text = serde_json::to_string_pretty(dump)
            .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
        let path = write(dir, "card.json", text.as_bytes())?;
        images.insert("dump".into(), json!(path.display().to_string()));
    }
    Ok(Value::Object(images))
}

fn load_dump(path: &Path) -> Result<(UnixTime, String, ResidenceFiles), CliError> {
    let bad = |m: String| CliError::new(Kind::BadDump, format!("{}: {m}", path.display()));
    let limit = MAX_DUMP_BYTES as u64;
    // Bounded read: metadata can lie (pipes, /proc, a file growing meanwhile).
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_string(&mut text))
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    let dump = ResidenceDump::from_json(&text).map_err(|e| bad(e.to_string()))?;
    Ok((dump.read_at, dump.reader, dump.files))
}
