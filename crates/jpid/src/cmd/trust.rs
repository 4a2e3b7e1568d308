//! `jpid trust`: trust roots set up once. Roots added with `jpid trust add` are kept in the data
//! directory and loaded by every command and by `jpid serve`; `JPID_TRUST_ANCHORS` (files
//! separated by `:`) adds more for deployments; `--trust-anchor` adds more for one command.
//!
//! The directory holds one DER file per root, named by its SHA-256 (`<hex>.der`). A simulator
//! TEST root may be kept too, but only when asked for with `--test`; it is stored as
//! `<hex>.test.der`, and while one is kept every result says it was checked under test trust.

use std::path::{Path, PathBuf};

use jpid_verify::trust::{Origin, RESIDENCE_PINS, ZAIRYU2_ROOTS_PAGE, ZAIRYU_ROOTS_PAGE};
use jpid_verify::{Purpose, TrustStore};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::error::{CliError, Kind};

/// The environment variable naming extra anchor files, separated by `:`.
pub const ENV_ANCHORS: &str = "JPID_TRUST_ANCHORS";
/// The environment variable that moves the trust directory.
pub const ENV_DIR: &str = "JPID_TRUST_DIR";

/// `$JPID_TRUST_DIR`, else `$XDG_DATA_HOME/jpid/trust`, else `~/.local/share/jpid/trust`.
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os(ENV_DIR).filter(|v| !v.is_empty()) {
        return PathBuf::from(d);
    }
    jpid_server::store::data_dir()
        .unwrap_or_else(|| PathBuf::from("jpid"))
        .join("trust")
}

/// A root kept in the trust directory.
pub struct Stored {
    /// The file.
    pub path: PathBuf,
    /// Kept with `--test`: a simulator TEST root.
    pub test: bool,
}

/// The roots kept in the trust directory (none when it does not exist).
pub fn stored() -> Result<Vec<Stored>, CliError> {
    let d = dir();
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(CliError::new(
                Kind::Io,
                format!("cannot read the trust directory {}: {e}", d.display()),
            ))
        }
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".der") {
            out.push(Stored {
                path: e.path(),
                test: stem.ends_with(".test"),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The files `JPID_TRUST_ANCHORS` names.
pub fn env_files() -> Vec<PathBuf> {
    std::env::var_os(ENV_ANCHORS)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn test_root_fingerprints() -> Vec<[u8; 32]> {
    jpid_sim::trust::roots()
        .into_iter()
        .map(|(_, _, der)| Sha256::digest(der).into())
        .collect()
}

/// `jpid trust add FILE [--test]`.
pub fn add(ctx: &Ctx, file: &Path, test: bool) -> Result<(), CliError> {
    if test {
        return add_test(ctx, file);
    }
    let tests = test_root_fingerprints();
    // Checked as every anchor file is (pins, known roots, size); a TEST root only with --test.
    let mut check = TrustStore::empty().refusing(tests);
    check.add_file(file).map_err(|e| {
        let test_root = matches!(e, jpid_verify::trust::TrustError::TestRoot { .. });
        let e = CliError::from(e);
        if test_root {
            e.hint("to try jpid on simulated cards without --trust test, keep it as a TEST root: jpid trust add --test FILE")
        } else {
            e
        }
    })?;
    let added: Vec<(String, Purpose, Vec<u8>)> = check
        .anchors()
        .iter()
        .map(|a| (a.name().to_string(), a.purpose(), a.der().to_vec()))
        .collect();
    keep(ctx, &added, false)
}

/// `jpid trust add --test FILE`: only the simulator's TEST roots, by fingerprint.
fn add_test(ctx: &Ctx, file: &Path) -> Result<(), CliError> {
    let shown = file.display().to_string();
    let bytes = jpid_verify::trust::read_anchor_file(file)?;
    let roots = jpid_sim::trust::roots();
    let mut added = Vec::new();
    for der in jpid_verify::trust::certificates_in(&shown, &bytes)? {
        let digest = Sha256::digest(&der);
        let Some((name, purpose, _)) = roots.iter().find(|(_, _, r)| Sha256::digest(r) == digest)
        else {
            return Err(CliError::new(
                Kind::Trust,
                format!(
                    "{shown} holds a certificate that is not one of jpid's simulator TEST roots; \
                     --test keeps only those (add production roots without --test)"
                ),
            ));
        };
        added.push((format!("{name} (TEST)"), *purpose, der));
    }
    keep(ctx, &added, true)
}

/// Writes the checked roots into the trust directory and reports them.
fn keep(ctx: &Ctx, added: &[(String, Purpose, Vec<u8>)], test: bool) -> Result<(), CliError> {
    let d = dir();
    std::fs::create_dir_all(&d).map_err(|e| {
        CliError::new(
            Kind::Io,
            format!("cannot create the trust directory {}: {e}", d.display()),
        )
    })?;
    let mut rows = Vec::new();
    for (name, purpose, der) in added {
        let hex = hex::encode(Sha256::digest(der));
        let path = d.join(if test {
            format!("{hex}.test.der")
        } else {
            format!("{hex}.der")
        });
        std::fs::write(&path, der).map_err(|e| {
            CliError::new(Kind::Io, format!("cannot write {}: {e}", path.display()))
        })?;
        rows.push(json!({
            "name": name,
            "purpose": purpose.id(),
            "sha256": hex,
            "stored": path.display().to_string(),
            "test": test,
        }));
    }
    let text = rows
        .iter()
        .map(|r| {
            format!(
                "added {} ({}), SHA-256 {}\n  kept as {}{}\n",
                r["name"].as_str().unwrap_or_default(),
                r["purpose"].as_str().unwrap_or_default(),
                r["sha256"].as_str().unwrap_or_default(),
                r["stored"].as_str().unwrap_or_default(),
                if test {
                    "\n  a simulator TEST root: every result now says test trust; remove it with `jpid trust remove`"
                } else {
                    ""
                }
            )
        })
        .collect::<String>();
    ctx.out
        .emit("trust add", json!({"added": rows}), || text.clone());
    Ok(())
}

/// `jpid trust remove SHA256` (a unique prefix of at least 8 hex digits).
pub fn remove(ctx: &Ctx, sha256: &str) -> Result<(), CliError> {
    let prefix = sha256.trim().to_ascii_lowercase();
    if prefix.len() < 8 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::new(
            Kind::Usage,
            "give at least the first 8 hex digits of the root's SHA-256 (see `jpid trust list`)",
        ));
    }
    let matching: Vec<Stored> = stored()?
        .into_iter()
        .filter(|s| {
            s.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    let [one] = matching.as_slice() else {
        return Err(CliError::new(
            Kind::Usage,
            format!(
                "{} roots kept in {} start with {prefix}; give exactly one",
                matching.len(),
                dir().display()
            ),
        ));
    };
    std::fs::remove_file(&one.path).map_err(|e| {
        CliError::new(
            Kind::Io,
            format!("cannot remove {}: {e}", one.path.display()),
        )
    })?;
    let shown = one.path.display().to_string();
    ctx.out.emit("trust remove", json!({"removed": shown}), || {
        format!("removed {shown}\n")
    });
    Ok(())
}

/// Where an anchor came from, as the list shows it.
fn source(origin: &Origin, stored: &[Stored], env: &[PathBuf]) -> Value {
    match origin {
        Origin::BuiltIn => json!({"kind": "built_in"}),
        Origin::Test => json!({"kind": "test"}),
        Origin::File(path) => {
            let p = Path::new(path);
            let kind = if stored.iter().any(|s| s.path == p) {
                "stored"
            } else if env.iter().any(|e| e == p) {
                "environment"
            } else {
                "flag"
            };
            json!({"kind": kind, "path": path})
        }
    }
}

/// `jpid trust list`: for each card family, the roots loaded and the ones missing.
pub fn list(ctx: &Ctx) -> Result<(), CliError> {
    let store = ctx.trust(false)?;
    let kept = stored()?;
    let env = env_files();
    let families = [
        (
            Purpose::Residence,
            "Residence Card / SPR certificate, chip generation 1",
        ),
        (
            Purpose::ResidenceGen2,
            "Residence Card / SPR certificate, chip generation 2",
        ),
        (
            Purpose::JpkiAuth,
            "JPKI user authentication (My Number Card)",
        ),
        (Purpose::JpkiSign, "JPKI digital signature (My Number Card)"),
    ];
    let mut out = Vec::new();
    let mut text = format!("trust roots (kept in {})\n", dir().display());
    for (purpose, label) in families {
        let loaded: Vec<Value> = store
            .anchors()
            .iter()
            .filter(|a| a.purpose() == purpose)
            .map(|a| {
                json!({
                    "name": a.name(),
                    "sha256": hex::encode(a.sha256()),
                    "source": source(a.origin(), &kept, &env),
                })
            })
            .collect();
        let missing: Vec<Value> = RESIDENCE_PINS
            .iter()
            .filter(|p| p.purpose == purpose)
            .filter(|p| !store.anchors().iter().any(|a| p.matches(a.sha256())))
            .map(|p| {
                json!({
                    "name": p.name,
                    "official_files": p.official,
                    "page": if purpose == Purpose::Residence { ZAIRYU_ROOTS_PAGE } else { ZAIRYU2_ROOTS_PAGE },
                })
            })
            .collect();
        text.push_str(&format!("\n{label}\n"));
        for l in &loaded {
            // The name says where the root came from ([built in], [added from FILE, ...],
            // (TEST)); a kept or environment file is named as such.
            let kind = l["source"]["kind"].as_str().unwrap_or_default();
            text.push_str(&format!(
                "  loaded   {}{}\n",
                l["name"].as_str().unwrap_or_default(),
                match kind {
                    "stored" => " (kept by jpid trust add)",
                    "environment" => " (from JPID_TRUST_ANCHORS)",
                    _ => "",
                }
            ));
        }
        for m in &missing {
            text.push_str(&format!(
                "  MISSING  {}: the agency's file {} at {}; then `jpid trust add FILE`\n",
                m["name"].as_str().unwrap_or_default(),
                m["official_files"].as_str().unwrap_or_default(),
                m["page"].as_str().unwrap_or_default()
            ));
        }
        if loaded.is_empty() && missing.is_empty() {
            text.push_str("  none loaded\n");
        }
        out.push(
            json!({"family": purpose.id(), "label": label, "loaded": loaded, "missing": missing}),
        );
    }
    text.push_str(&crate::output::trust_line(&store));
    ctx.out.emit(
        "trust list",
        json!({"dir": dir().display().to_string(), "families": out, "trust": crate::output::trust_json(&store)}),
        || text.clone(),
    );
    Ok(())
}
