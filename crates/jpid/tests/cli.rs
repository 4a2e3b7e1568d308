//! The `jpid` binary as a user runs it, against the built-in simulated cards.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

/// jpid with no PC/SC service reachable (tests never touch a real reader by accident) and none
/// of the caller's `JPID_*` settings.
fn jpid_command() -> Command {
    jpid_testkit::isolated(env!("CARGO_BIN_EXE_jpid"))
}

fn jpid(args: &[&str]) -> Output {
    jpid_command().args(args).output().expect("run jpid")
}

fn json(out: &Output) -> Value {
    jpid_testkit::one_json(out)
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    jpid_testkit::tmpdir("cli", name)
}

fn assert_png(path: &Path, min_w: u32, min_h: u32) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let reader = decoder.read_info().expect("a valid PNG");
    let info = reader.info();
    assert!(
        info.width >= min_w && info.height >= min_h,
        "{}: {}x{}",
        path.display(),
        info.width,
        info.height
    );
}

#[test]
fn version_and_help() {
    let out = jpid(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("jpid "));
    let help = String::from_utf8_lossy(&jpid(&["--help"]).stdout).into_owned();
    for needle in ["sim:KIND", "--trust-anchor", "Exit status", "Examples"] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn detect_simulated_cards_as_json() {
    for kind in [
        "residence",
        "residence-gen2",
        "spr",
        "spr-gen2",
        "mynumber",
        "jpki-smartphone",
    ] {
        let out = jpid(&["--reader", &format!("sim:{kind}"), "detect", "--json"]);
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json(&out);
        assert_eq!(v["schema_version"], 2);
        assert_eq!(v["command"], "detect");
        assert_eq!(v["card"]["kind"], kind);
        assert_eq!(v["trust"]["mode"], "test", "sim readers say test trust");
    }
    let human =
        String::from_utf8_lossy(&jpid(&["--reader", "sim:mynumber", "detect"]).stdout).into_owned();
    assert!(
        human.contains("My Number Card") && human.contains("test trust"),
        "{human}"
    );
}

#[test]
fn reader_errors_are_typed_and_clear() {
    let out = jpid(&["detect", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "pcsc_unavailable");
    assert!(v["error"]["message"].as_str().unwrap().contains("PC/SC"));
    let out = jpid(&["detect"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error:") && err.contains("hint:"), "{err}");
    let out = jpid(&["--reader", "floppy", "detect", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["error"]["kind"], "usage");
    let out = jpid(&["--reader", "sim:passport", "detect"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("residence-gen2"));
}

#[test]
fn residence_read_is_genuine_and_exports_images() {
    for kind in ["residence", "residence-gen2", "spr", "spr-gen2"] {
        let dir = tmpdir(kind);
        let out = jpid(&[
            "--reader",
            &format!("sim:{kind},card-number=AB12345678CD"),
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
            "--out",
            dir.to_str().unwrap(),
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], true, "{kind}");
        assert_eq!(
            v["verification"]["reasons"].as_array().map(Vec::len),
            Some(0)
        );
        assert_eq!(v["verification"]["trust"]["mode"], "test");
        assert_png(&dir.join("face.png"), 100, 100);
        if kind.ends_with("gen2") {
            assert_png(&dir.join("name.png"), 50, 10);
            assert_png(&dir.join("address.png"), 50, 10);
        } else {
            assert_png(&dir.join("front.png"), 500, 300);
            assert!(dir.join("front.tif").exists());
        }
        assert!(dir.join("face.jp2").exists());
        // Re-verifying the dump offline, under the same (test) trust and at the read time,
        // agrees with the live read.
        let again = jpid(&[
            "--trust",
            "test",
            "residence",
            "verify",
            dir.join("card.json").to_str().unwrap(),
            "--at",
            "read",
            "--json",
        ]);
        assert!(
            again.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&again.stdout)
        );
        let w = json(&again);
        assert_eq!(w["verification"]["genuine"], true);
        assert_eq!(w["verification"]["checks"], v["verification"]["checks"]);
        assert_eq!(w["fields"], v["fields"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn tampered_cards_are_not_genuine_and_say_why() {
    for tamper in ["face", "front"] {
        let out = jpid(&[
            "--reader",
            &format!("sim:residence,card-number=AB12345678CD,tamper={tamper}"),
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(7), "{tamper}");
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], false);
        let msg = v["verification"]["reasons"][0]["message"].as_str().unwrap();
        assert!(msg.contains(tamper), "reason names the {tamper}: {msg}");
        assert_eq!(v["verification"]["reasons"][0]["code"], "image_altered");
    }
    let out = jpid(&[
        "--reader",
        "sim:residence,tamper=certificate",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT GENUINE"));
}

#[test]
fn an_altered_unsigned_address_is_shown_marked_never_as_proven() {
    // The address is written by the municipality and not signed: altering it leaves the card
    // genuine, so the value must carry its mark wherever it is shown.
    let args = |json: bool| {
        let mut a = vec![
            "--reader",
            "sim:residence,tamper=address",
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
        ];
        if json {
            a.push("--json");
        }
        jpid(&a)
    };
    let out = args(true);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["verification"]["outcome"], "genuine");
    let address = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "address")
        .cloned()
        .unwrap();
    assert_eq!(address["signed"], false, "{address}");
    assert!(address["unsigned_why"]
        .as_str()
        .is_some_and(|w| w.contains("municipality")));
    assert!(v["verification"]["unsigned"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["item"] == "address"));
    assert!(!v["verification"]["signed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "address"));
    // In the text, the line after the address is its mark.
    let out = args(false);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("住居地 / Address"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines[at + 1].contains("署名対象外 / NOT SIGNED"),
        "{}",
        lines[at + 1]
    );
}

#[test]
fn card_text_cannot_draw_on_the_clerks_terminal() {
    // A forged card (its face photo replaced) whose unsigned address clears the screen, draws a
    // green GENUINE, and hides everything after it; a right-to-left override and a new line
    // that would start a forged check line of its own.
    let dir = tmpdir("terminal-escapes");
    let out = jpid(&[
        "--reader",
        "sim:residence,tamper=face",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(7));
    let path = dir.join("card.json");
    let mut dump: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let forged =
        "\u{1b}[2J\u{1b}[H\u{1b}[1;32m真正 / GENUINE\u{1b}[0m\n  [ok] \u{202e}all checks\u{1b}[8m";
    let mut tlv = b"\xD2\x0820240401\xD3\x06131016\xD4".to_vec();
    tlv.push(u8::try_from(forged.len()).unwrap());
    tlv.extend_from_slice(forged.as_bytes());
    use base64::Engine as _;
    dump["files"]["df2.address"] = json!(base64::engine::general_purpose::STANDARD.encode(&tlv));
    std::fs::write(&path, dump.to_string()).unwrap();

    let out = jpid(&[
        "--trust",
        "test",
        "residence",
        "verify",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    for raw in ['\u{1b}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "{raw:?} reached the terminal: {text:?}"
        );
    }
    let address: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("住居地 / Address"))
        .collect();
    assert_eq!(address.len(), 1, "{text}");
    assert!(
        address[0].contains("\\u{1B}[2J") && address[0].contains("\\u{A}  [ok] \\u{202E}"),
        "{}",
        address[0]
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains("all checks") && !l.contains("住居地 / Address")),
        "{text}"
    );
    assert!(text.contains("NOT GENUINE"), "{text}");
    // JSON keeps the exact text, escaped as JSON escapes it.
    let out = jpid(&[
        "--trust",
        "test",
        "residence",
        "verify",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert!(!out.stdout.contains(&0x1b));
    let v = json(&out);
    let shown = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "address")
        .map(|f| f["value"].as_str().unwrap_or_default().to_string())
        .unwrap();
    assert!(shown.contains(forged), "{shown}");
}

#[test]
fn a_card_expired_since_the_time_asked_is_not_plainly_genuine() {
    // A generation-2 card that expired on 2025-01-01, and a dump whose (unsigned) read time
    // says 2024-06-01, when it was valid.
    let dir = tmpdir("expired-since");
    let out = jpid(&[
        "--reader",
        "sim:residence-gen2,expiry=2025-01-01",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(9));
    let path = dir.join("card.json");
    let mut dump: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    dump["read_at"] = json!("2024-06-01T00:00:00Z");
    std::fs::write(&path, dump.to_string()).unwrap();
    for at in ["read", "2024-06-01"] {
        let args = [
            "--trust",
            "test",
            "residence",
            "verify",
            path.to_str().unwrap(),
            "--at",
            at,
        ];
        let out = jpid(&[&args[..], &["--json"]].concat());
        assert_eq!(out.status.code(), Some(9), "--at {at}");
        let v = json(&out);
        let verdict = &v["verification"];
        assert_eq!(verdict["outcome"], "genuine_expired", "{verdict}");
        assert_eq!(verdict["validity"]["state"], "expired");
        assert_eq!(verdict["validity_at_time_asked"]["state"], "valid");
        assert_eq!(
            verdict["validity_at_time_asked"]["checked_at"],
            "2024-06-01T00:00:00Z"
        );
        let text = String::from_utf8_lossy(&jpid(&args).stdout).into_owned();
        assert!(text.contains("GENUINE BUT EXPIRED"), "{text}");
        assert!(
            text.contains("(the time asked): valid; expired since"),
            "{text}"
        );
    }
    // Still valid today: the time asked changes nothing.
    let out = jpid(&[
        "--reader",
        "sim:residence-gen2",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = jpid(&[
        "--trust",
        "test",
        "residence",
        "verify",
        path.to_str().unwrap(),
        "--at",
        "read",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json(&out)["verification"]["validity_at_time_asked"],
        Value::Null
    );
}

#[test]
fn dumps_get_no_trust_from_their_content() {
    let dir = tmpdir("dump-trust");
    let out = jpid(&[
        "--reader",
        "sim:residence",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let path = dir.join("card.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let check = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["residence", "verify", path.to_str().unwrap(), "--json"]);
        let out = jpid(&all);
        (out.status.code(), json(&out))
    };
    // An untampered dump from a simulated card: its "sim:" label switches nothing on.
    let (code, v) = check(&[]);
    assert_eq!(code, Some(7));
    assert_eq!(v["verification"]["trust"]["mode"], "production");
    let codes: Vec<_> = v["verification"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(codes, ["no_trust_anchor"]);
    // In text, the last line says what is most likely missing: --trust test, not the agency's
    // roots (issue 15).
    let out = jpid(&["residence", "verify", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("hint:") && last.contains("--trust test"),
        "{stderr}"
    );
    // Asked for by name, the test roots prove it.
    let (code, v) = check(&["--trust", "test"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["verification"]["genuine"], true);
    assert_eq!(v["time_source"], "now");
    // A forged dump (face and front swapped) fails even under test trust, naming the images.
    let mut dump: Value = serde_json::from_str(&original).unwrap();
    let front = dump["files"]["df1.front_image"].clone();
    dump["files"]["df1.front_image"] = dump["files"]["df1.face_image"].clone();
    dump["files"]["df1.face_image"] = front;
    std::fs::write(&path, serde_json::to_string(&dump).unwrap()).unwrap();
    let (code, v) = check(&["--trust", "test"]);
    assert_eq!(code, Some(7));
    assert_eq!(v["verification"]["reasons"][0]["code"], "image_altered");
    // Garbage is bad input (exit 2), not a verdict.
    std::fs::write(&path, "{\"schema\":\"jpid.residence-dump\",\"schema_version\":1,\"read_at\":\"2026-01-01T00:00:00Z\",\"files\":{}}").unwrap();
    let (code, v) = check(&["--trust", "test"]);
    assert_eq!(code, Some(2));
    assert_eq!(v["error"]["kind"], "bad_dump");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wrong_or_malformed_card_numbers() {
    let out = jpid(&[
        "--reader",
        "sim:residence",
        "residence",
        "read",
        "--card-number",
        "AB12345678CE",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(json(&out)["error"]["kind"], "wrong_card_number");
    // A malformed number is refused before any APDU: the APDU trace stays empty.
    let out = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args([
            "-vvv",
            "--reader",
            "sim:residence",
            "residence",
            "read",
            "--card-number",
            "AB123",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(">>>"), "no APDU may be sent: {err}");
    assert!(err.contains("2 letters, 8 digits and 2 letters"), "{err}");
    // Without a number and without a terminal: a clear usage error, not a hang.
    let out = jpid(&["--reader", "sim:residence", "residence", "read"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn apdu_trace_redacts_the_card_number_verify() {
    let out = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args([
            "-vvv",
            "--reader",
            "sim:residence",
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(">>> 08 20 00 86 Lc=19 REDACTED"),
        "VERIFY data is redacted in the trace"
    );
    assert!(err.contains("<<<"));
}

/// The JPKI signature certificate's SubjectAltName holds the holder's name, address, birth
/// date and sex: `-vvv` must not print it, as text or as hex (issue 16, attack run). The
/// user-authentication certificate, which holds no personal data, is still traced.
#[test]
fn apdu_trace_redacts_the_signature_certificate() {
    let out = jpid_stdin(
        &[
            "-vvv",
            "--reader",
            "sim:mynumber",
            "--trust",
            "test",
            "jpki",
            "certs",
            "--sign",
            "--pin-stdin",
        ],
        "ABC123\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    let name = "試験　花子";
    assert!(shown.contains(name), "the holder's name is read: {shown}");
    let trace = String::from_utf8_lossy(&out.stderr);
    let hex: String = name.bytes().map(|b| format!("{b:02X}")).collect();
    let spaced: String = name.bytes().map(|b| format!("{b:02X} ")).collect();
    for needle in [name, "試験", hex.as_str(), &hex[..12], spaced.trim_end()] {
        assert!(
            !trace.contains(needle) && !trace.contains(&needle.to_lowercase()),
            "the trace holds {needle:?}"
        );
    }
    assert!(trace.contains("bytes REDACTED 9000"), "{trace}");
    // The authentication certificate (no personal data) is still in the trace, as hex.
    assert!(trace.contains("<<< 3082"), "{trace}");
}

#[test]
fn demo_runs_every_simulated_card() {
    let out = jpid(&["demo", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    let cards = v["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 13);
    assert!(cards.iter().all(|c| c["as_expected"] == true), "{cards:?}");
    let outcomes: Vec<_> = cards
        .iter()
        .map(|c| (c["sim"].as_str().unwrap(), c["outcome"].as_str().unwrap()))
        .collect();
    for expected in [
        ("residence", "genuine"),
        ("residence,tamper=address", "genuine"),
        ("residence,tamper=face", "not_genuine"),
        ("residence-gen2,expiry=2025-03-31", "genuine_expired"),
        ("mynumber", "genuine"),
        ("mynumber,tamper=face-photo", "not_genuine"),
        ("mynumber,tamper=clone", "not_genuine"),
    ] {
        assert!(outcomes.contains(&expected), "{expected:?} in {outcomes:?}");
    }
    let clone = cards
        .iter()
        .find(|c| c["sim"] == "mynumber,tamper=clone")
        .unwrap();
    assert!(clone["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "chip_not_authenticated"));
}

#[test]
fn sim_list() {
    let v = json(&jpid(&["sim", "list", "--json"]));
    let kinds: Vec<_> = v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "residence",
            "residence-gen2",
            "spr",
            "spr-gen2",
            "mynumber",
            "jpki-smartphone",
            "specified-residence",
            "specified-spr"
        ]
    );
    assert_eq!(v["kinds"][0]["defaults"]["card_number"], "AB12345678CD");
    // The specified kinds are My Number chips: their defaults are the My Number keys.
    assert_eq!(v["kinds"][6]["defaults"]["key_b"], "02010120351234");
}

/// The simulated card's holder signs DIR/doc.txt with the signature key into DIR/doc.p7s
/// (detached CMS), the password on stdin.
fn card_signs_doc(dir: &std::path::Path) {
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "sign",
            "--in",
            dir.join("doc.txt").to_str().unwrap(),
            "--out",
            dir.join("doc.p7s").to_str().unwrap(),
            "--pin-stdin",
        ],
        "ABC123\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn jpid_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args(args)
        .env_remove("JPID_READER")
        .env_remove("JPID_PIN")
        .env_remove("JPID_SIGN_PASSWORD")
        .env_remove("JPID_BIRTH_DATE_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run jpid");
    // jpid may exit before reading stdin (a usage error): a broken pipe is not the test's failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn jpki_status_certs_and_a_signature_openssl_accepts() {
    let v = json(&jpid(&[
        "--reader",
        "sim:mynumber",
        "jpki",
        "status",
        "--json",
    ]));
    assert_eq!(v["pins"]["auth"]["remaining"], 3);
    assert_eq!(v["pins"]["sign"]["remaining"], 5);
    assert_eq!(v["token"], "My Number Card");
    let v = json(&jpid(&[
        "--reader",
        "sim:jpki-smartphone",
        "jpki",
        "status",
        "--json",
    ]));
    assert_eq!(v["token"], "smartphone JPKI (Android)");

    let dir = tmpdir("jpki");
    std::fs::create_dir_all(&dir).unwrap();
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "jpki",
            "certs",
            "--sign",
            "--pin-stdin",
            "--out",
            dir.to_str().unwrap(),
            "--json",
        ],
        "abc123\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["certificates"]["auth"]["valid"], true);
    assert_eq!(v["certificates"]["sign"]["valid"], true);
    assert_eq!(v["certificates"]["sign"]["revocation_checked"], false);
    let holder = v["certificates"]["sign"]["holder"].as_array().unwrap();
    assert!(holder
        .iter()
        .any(|a| a["key"] == "name" && a["value"] == "試験　花子"));
    assert!(v["certificates"]["auth"]["holder"]
        .as_array()
        .unwrap()
        .is_empty());

    let doc = dir.join("doc.txt");
    std::fs::write(&doc, b"a contract").unwrap();
    let sig = dir.join("doc.sig");
    for (key, pin, cert) in [("auth", "1234", "auth.der"), ("sign", "ABC123", "sign.der")] {
        let out = jpid_stdin(
            &[
                "--reader",
                "sim:mynumber",
                "jpki",
                "sign",
                "--key",
                key,
                "--in",
                doc.to_str().unwrap(),
                "--out",
                sig.to_str().unwrap(),
                "--raw",
                "--pin-stdin",
            ],
            pin,
        );
        assert!(
            out.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // An independent verifier: openssl, with the certificate jpid read.
        let pubkey = Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-in",
                dir.join(cert).to_str().unwrap(),
                "-pubkey",
                "-noout",
            ])
            .output()
            .expect("openssl is installed by scripts/test");
        let pem = dir.join("pub.pem");
        std::fs::write(&pem, &pubkey.stdout).unwrap();
        let ok = Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-verify",
                pem.to_str().unwrap(),
                "-signature",
                sig.to_str().unwrap(),
                doc.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{key}: openssl: {}",
            String::from_utf8_lossy(&ok.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jpki_pin_errors_and_no_pin_in_traces() {
    let dir = tmpdir("jpki-pin");
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("doc.txt");
    std::fs::write(&doc, b"x").unwrap();
    let sig = dir.join("doc.sig");
    let (d, s) = (doc.to_str().unwrap(), sig.to_str().unwrap());
    let args = |v: &'static str| -> Vec<&str> {
        vec![
            v,
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "auth",
            "--in",
            d,
            "--out",
            s,
            "--raw",
            "--pin-stdin",
            "--json",
        ]
    };
    // A wrong PIN: exit 8, the remaining tries in the message.
    let out = jpid_stdin(&args("-q")[1..], "9876\n");
    assert_eq!(out.status.code(), Some(8));
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "wrong_pin");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2 tries left"));
    // A malformed PIN never reaches the card: not one APDU in the trace.
    let out = jpid_stdin(&args("-vvv"), "12\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(">>>"));
    // The APDU trace of a whole signing session never shows the PIN, in text or hex.
    let out = jpid_stdin(&args("-vvv"), "1234\n");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(">>> 00 20 00 98 Lc=4 REDACTED"), "{err}");
    // One SELECT of the JPKI-AP, inside the exclusive hold: no wasted APDU before it.
    assert_eq!(
        err.matches(">>> 00 A4 04 0C Lc=10 D392F000260100000001")
            .count(),
        1,
        "{err}"
    );
    assert!(
        !err.contains("1234") && !err.contains("31323334"),
        "PIN leaked into the trace"
    );
    // Without a terminal and without --pin-stdin or JPID_PIN: a clear usage error.
    let out = jpid(&[
        "--reader",
        "sim:mynumber",
        "jpki",
        "sign",
        "--key",
        "auth",
        "--in",
        doc.to_str().unwrap(),
        "--out",
        sig.to_str().unwrap(),
        "--raw",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JPID_PIN"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mynumber_status_reports_every_key_without_spending() {
    let v = json(&jpid(&[
        "--reader",
        "sim:mynumber",
        "mynumber",
        "status",
        "--json",
    ]));
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 10);
    let get = |app: &str, key: &str| {
        keys.iter()
            .find(|k| k["app"] == app && k["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(get("jpki", "auth_pin")["remaining"], 3);
    assert_eq!(get("jpki", "sign_password")["remaining"], 5);
    assert_eq!(get("text", "pin")["remaining"], 3);
    assert_eq!(get("text", "key_a")["remaining"], 10);
    assert_eq!(get("surface", "birth_date_key")["remaining"], 10);
    assert_eq!(get("juki", "pin")["remaining"], 3);
    // The common AP's 001C PIN is asked too (which DF is the 住基AP is UNCONFIRMED).
    assert_eq!(get("common", "pin")["remaining"], 3);
    // The text table lines up in terminal columns, Japanese labels included (issue 15).
    let out = jpid(&["--reader", "sim:mynumber", "mynumber", "status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let columns: Vec<usize> = text
        .lines()
        .filter_map(|l| {
            l.find(" tries left").map(|i| {
                l[..i]
                    .rsplit_once("  ")
                    .map_or(0, |(head, _)| unicode_width::UnicodeWidthStr::width(head))
            })
        })
        .collect();
    assert_eq!(columns.len(), 10, "{text}");
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "{columns:?}\n{text}"
    );
    // The trace labels the counter's answer as what it is, not as a wrong PIN (issue 15).
    let out = jpid(&["-vvv", "--reader", "sim:mynumber", "mynumber", "status"]);
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(
        trace.contains("63C3 (3 tries left; an empty VERIFY only asks"),
        "{trace}"
    );
    assert!(!trace.contains("wrong PIN"), "{trace}");
    assert!(keys.iter().all(|k| k["state"] == "ok"));
    // A smartphone token has only the JPKI-AP.
    let v = json(&jpid(&[
        "--reader",
        "sim:jpki-smartphone",
        "mynumber",
        "status",
        "--json",
    ]));
    let keys = v["keys"].as_array().unwrap();
    assert!(keys
        .iter()
        .filter(|k| k["app"] != "jpki")
        .all(|k| k["state"] == "absent"));
    assert!(keys
        .iter()
        .filter(|k| k["app"] == "jpki")
        .all(|k| k["state"] == "ok"));
    let out = jpid(&["--reader", "sim:residence", "mynumber", "status", "--json"]);
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn jpki_cms_signature_verifies_with_openssl_cms() {
    let dir = tmpdir("cms");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    std::fs::write(
        dir.join("contract.txt"),
        "契約書 (synthetic test document)\n",
    )
    .unwrap();
    let pki = jpid_testpki::load_default().unwrap();
    for (key, pin, root) in [
        ("sign", "ABC123", pki.jpki_sign_ca().cert_der()),
        ("auth", "1234", pki.jpki_auth_ca().cert_der()),
    ] {
        let out = jpid_stdin(
            &[
                "--reader",
                "sim:mynumber",
                "jpki",
                "sign",
                "--key",
                key,
                "--in",
                &p("contract.txt"),
                "--out",
                &p("contract.p7s"),
                "--pin-stdin",
                "--json",
            ],
            pin,
        );
        assert!(
            out.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["format"], "cms");
        std::fs::write(dir.join("root.der"), root).unwrap();
        let pem = Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-in",
                &p("root.der"),
                "-out",
                &p("root.pem"),
            ])
            .output()
            .expect("openssl");
        assert!(pem.status.success());
        // The exact check a relying party runs (issue 4).
        let verify = |content: &str| {
            Command::new("openssl")
                .args([
                    "cms",
                    "-verify",
                    "-binary",
                    "-inform",
                    "DER",
                    "-in",
                    &p("contract.p7s"),
                    "-content",
                    content,
                    "-CAfile",
                    &p("root.pem"),
                    "-out",
                    "/dev/null",
                ])
                .output()
                .unwrap()
        };
        let ok = verify(&p("contract.txt"));
        assert!(
            ok.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        // The CAdES-BES signed attributes, as openssl reads them.
        let printed = Command::new("openssl")
            .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
            .arg(p("contract.p7s"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&printed.stdout);
        for attr in [
            "contentType (1.2.840.113549.1.9.3)",
            "messageDigest (1.2.840.113549.1.9.4)",
            "signingTime (1.2.840.113549.1.9.5)",
            "signingCertificateV2 (1.2.840.113549.1.9.16.2.47)",
        ] {
            assert!(text.contains(attr), "{key}: no {attr} in\n{text}");
        }
        std::fs::write(dir.join("altered.txt"), "契約書 (altered)\n").unwrap();
        assert!(
            !verify(&p("altered.txt")).status.success(),
            "{key}: altered content must fail"
        );
    }
    // The signature key needs the signature password: the auth PIN does not open it.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "sign",
            "--in",
            &p("contract.txt"),
            "--out",
            &p("x.p7s"),
            "--pin-stdin",
            "--json",
        ],
        "ZZZ999",
    );
    // A well-formed but wrong password reaches the card, which refuses it: the signature key
    // opens only with the signature password.
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(json(&out)["error"]["kind"], "wrong_pin");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mynumber_text_is_genuine_masked_and_catches_tampering() {
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "text",
            "--pin-stdin",
            "--json",
        ],
        "1234\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["verification"]["genuine"], true);
    assert_eq!(v["name"], "試験　花子");
    assert!(v["address"].as_str().unwrap().starts_with("東京都"));
    assert_eq!(v["birth_date"], "19900101");
    assert_eq!(v["sex"], "2");
    assert_eq!(v["my_number"], "************");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("999900000001"),
        "the My Number is masked"
    );
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "text",
            "--pin-stdin",
            "--show-my-number",
            "--json",
        ],
        "1234\n",
    );
    assert_eq!(json(&out)["my_number"], "999900000001");
    // The APDU trace of a whole read shows neither the PIN nor the My Number, in text or hex.
    let out = jpid_stdin(
        &[
            "-vvv",
            "--reader",
            "sim:mynumber",
            "mynumber",
            "text",
            "--pin-stdin",
        ],
        "1234\n",
    );
    let trace = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(trace.contains(">>> 00 B0"), "the trace is on");
    // DF31 = SHA-256 of EF 0001 gives the My Number back to anyone who tries all numbers.
    let df31 = {
        use sha2::Digest;
        let mut ef1 = vec![0xFF, 0x10, 0x0C];
        ef1.extend_from_slice(b"999900000001");
        ef1.extend_from_slice(&[0xFF, 0xFF]);
        hex::encode_upper(sha2::Sha256::digest(&ef1))
    };
    for secret in [
        "31323334",
        "1234",
        "999900000001",
        "393939393030303030303031",
        df31.as_str(),
    ] {
        assert!(!trace.contains(secret), "{secret} leaked into the trace");
    }
    assert!(!String::from_utf8_lossy(&out.stdout).contains("999900000001"));
    for tamper in ["basic", "mynumber", "cvc", "cvc-issuer"] {
        let out = jpid_stdin(
            &[
                "--reader",
                &format!("sim:mynumber,tamper={tamper}"),
                "mynumber",
                "text",
                "--pin-stdin",
                "--json",
            ],
            "1234\n",
        );
        assert_eq!(out.status.code(), Some(7), "{tamper}");
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], false);
        // Nothing unproven is shown as the holder's.
        for k in ["name", "address", "birth_date", "sex", "my_number"] {
            assert_eq!(v[k], Value::Null, "{tamper}: {k}");
        }
    }
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=basic",
            "mynumber",
            "text",
            "--pin-stdin",
        ],
        "1234\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Holder data withheld"), "{text}");
    assert!(
        !text.contains("住所:") && !text.contains("東京都"),
        "{text}"
    );
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "text",
            "--pin-stdin",
            "--json",
        ],
        "9999\n",
    );
    assert_eq!(out.status.code(), Some(8));
    assert!(json(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2 tries left"));
}

#[test]
fn the_last_try_is_kept_and_a_blocked_pin_is_never_tried() {
    let dir = tmpdir("last-try");
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("d.txt");
    std::fs::write(&doc, b"x").unwrap();
    let (d, o) = (doc.to_str().unwrap(), dir.join("d.sig"));
    let o = o.to_str().unwrap();
    // One try left: refused, even with the right PIN, with the count in the message; --force spends it.
    let args = [
        "--reader",
        "sim:mynumber,auth-tries=1",
        "jpki",
        "sign",
        "--key",
        "auth",
        "--in",
        d,
        "--out",
        o,
        "--raw",
        "--pin-stdin",
        "--json",
    ];
    let out = jpid_stdin(&args, "1234\n");
    assert_eq!(out.status.code(), Some(8));
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "pin_last_try");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only 1 try"));
    let mut forced = args.to_vec();
    forced.push("--force");
    assert!(jpid_stdin(&forced, "1234\n").status.success());
    // Blocked: reported with what to do, and the VERIFY with data is never sent.
    let out = jpid_stdin(
        &[
            "-vvv",
            "--reader",
            "sim:mynumber,auth-tries=0",
            "jpki",
            "sign",
            "--key",
            "auth",
            "--in",
            d,
            "--out",
            o,
            "--raw",
            "--pin-stdin",
            "--force",
        ],
        "1234\n",
    );
    assert_eq!(out.status.code(), Some(8));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("blocked") && err.contains("municipal office"),
        "{err}"
    );
    assert!(err.contains(">>> 00 20 00 98"), "the trace is on: {err}");
    assert_eq!(
        err.matches(">>> 00 20 00 98").count(),
        1,
        "only the empty status VERIFY was sent, never one carrying the PIN: {err}"
    );
    assert!(!err.contains("Lc=4"));
    // The status command shows the reduced counters.
    let v = json(&jpid(&[
        "--reader",
        "sim:mynumber,auth-tries=1,text-tries=0",
        "mynumber",
        "status",
        "--json",
    ]));
    let keys = v["keys"].as_array().unwrap();
    assert!(keys
        .iter()
        .any(|k| k["key"] == "auth_pin" && k["remaining"] == 1));
    assert!(keys
        .iter()
        .any(|k| k["app"] == "text" && k["key"] == "pin" && k["state"] == "blocked"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn age_check_discloses_only_the_answer() {
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "20",
            "--at",
            "2026-11-23",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["result"], true);
    assert_eq!(v["genuine"], true);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for secret in ["試験", "花子", "東京都", "19900101", "1990", "999900000001"] {
        assert!(!text.contains(secret), "the age check disclosed {secret}");
    }
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "chip_authenticated",
            "command",
            "genuine",
            "headline",
            "method",
            "on",
            "outcome",
            "over",
            "result",
            "schema_version",
            "trust",
            "validity_proven"
        ]
    );
    // The text AP records no expiry: the answer never calls the card plainly genuine.
    assert_eq!(v["validity_proven"], false);
    assert_eq!(v["outcome"], "genuine");
    assert!(v["headline"].as_str().unwrap().contains("CHECK THE EXPIRY"));
    assert_eq!(v["chip_authenticated"], "yes");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "20",
            "--pin-stdin",
        ],
        "02010120351234\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CHECK THE EXPIRY ON THE CARD"), "{text}");
    // Someone not yet born on the day asked about is not N or older (an answer, not an error).
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "0",
            "--at",
            "1980-01-01",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["result"], false);
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "37",
            "--at",
            "2026-11-23",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert_eq!(json(&out)["result"], false);
    // A forged birth date (basic four altered after signing) is not an answer.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=basic",
            "age",
            "--over",
            "20",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert_eq!(out.status.code(), Some(7));
    let v = json(&out);
    assert_eq!(v["genuine"], false);
    assert_eq!(v["result"], Value::Null, "no answer from unproven data");
}

#[test]
fn age_by_jpki_signature_certificate_discloses_only_the_answer() {
    let age = |over: &str, stdin: &str| {
        jpid_stdin(
            &[
                "--reader",
                "sim:mynumber",
                "age",
                "--over",
                over,
                "--method",
                "jpki",
                "--at",
                "2026-11-23",
                "--pin-stdin",
                "--json",
            ],
            stdin,
        )
    };
    // The simulated holder was born 1990-01-01: 36 on 2026-11-23.
    let out = age("20", "ABC123\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["result"], true);
    assert_eq!(v["genuine"], true);
    assert_eq!(v["method"], "jpki");
    assert_eq!(v["on"], "2026-11-23");
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "chip_authenticated",
            "command",
            "genuine",
            "headline",
            "method",
            "on",
            "outcome",
            "over",
            "result",
            "schema_version",
            "trust",
            "validity_proven"
        ],
        "the same shape as --method text"
    );
    // The card signed jpid's challenge with the certificate's key.
    assert_eq!(v["chip_authenticated"], "yes");
    assert_eq!(v["outcome"], "genuine");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for secret in ["試験", "花子", "東京都", "19900101", "1990", "JPIDTEST"] {
        assert!(!text.contains(secret), "the age check disclosed {secret}");
    }
    assert_eq!(json(&age("36", "ABC123\n"))["result"], true);
    assert_eq!(json(&age("37", "ABC123\n"))["result"], false);
    // The password from the environment (lower case is upper-cased), human output.
    let out = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args([
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "18",
            "--method",
            "jpki",
        ])
        .env("JPID_SIGN_PASSWORD", "abc123")
        .env_remove("JPID_READER")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("YES: 18 or older on "), "{text}");
    assert!(text.contains("JPKI signature certificate"), "{text}");
    assert!(!text.contains("花子") && !text.contains("1990"), "{text}");
    // A wrong password is a PIN error (exit 8), and nothing about the holder.
    let out = age("20", "WRONG1\n");
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(json(&out)["error"]["kind"], "wrong_pin");
    // A clone: the genuine card's certificate, byte for byte, on a chip without its key. The
    // certificate chains and is valid; only the challenge tells.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=clone",
            "age",
            "--over",
            "20",
            "--method",
            "jpki",
            "--pin-stdin",
            "--json",
        ],
        "ABC123\n",
    );
    assert_eq!(out.status.code(), Some(7));
    let v = json(&out);
    assert_eq!(v["result"], Value::Null);
    assert_eq!(v["genuine"], false);
    assert_eq!(v["outcome"], "not_genuine");
    assert_eq!(v["chip_authenticated"], "no");
}

#[test]
fn jpki_verify_checks_revocation_against_crls() {
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest, Sha256};
    let dir = tmpdir("verify-crl");
    std::fs::create_dir_all(dir.join("crls")).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let pki = jpid_testpki::load_default().unwrap();
    let fixture = |name: &str| {
        jpid_testpki::fixtures::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
    };
    std::fs::write(dir.join("doc.txt"), "申請書 (synthetic)\n").unwrap();
    std::fs::write(dir.join("sign.crl"), pki.jpki_sign_crl()).unwrap();
    std::fs::write(dir.join("crls/auth.pem"), fixture("jpki-auth-crl.pem")).unwrap();
    std::fs::write(dir.join("crls/sign.pem"), fixture("jpki-sign-crl.pem")).unwrap();
    // A good signature: the simulated card's holder, signed by the card.
    card_signs_doc(&dir);
    // The revoked holder's signature (bare PKCS#1 v1.5), made here with its fixture key.
    let digest = Sha256::digest(std::fs::read(dir.join("doc.txt")).unwrap());
    let key: &RsaPrivateKey = pki.jpki_revoked_holder().sign().private_key();
    let sig = key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
    std::fs::write(dir.join("revoked.sig"), sig).unwrap();
    std::fs::write(
        dir.join("revoked.der"),
        pki.jpki_revoked_holder().sign().cert_der(),
    )
    .unwrap();

    let check = |extra: &[&str], revoked: bool| {
        let mut args = vec!["--trust", "test", "jpki", "verify", "--in"];
        let doc = p("doc.txt");
        let (sig, cert) = (
            p(if revoked { "revoked.sig" } else { "doc.p7s" }),
            p("revoked.der"),
        );
        args.push(&doc);
        args.extend(["--sig", sig.as_str(), "--at", "2026-11-23", "--json"]);
        if revoked {
            args.extend(["--raw", "--cert", cert.as_str()]);
        }
        args.extend(extra);
        let out = jpid(&args);
        (out.status.code(), json(&out))
    };
    // Without CRLs: valid, and it says revocation was not checked.
    let (code, v) = check(&[], false);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["revocation_checked"], false);
    assert_eq!(v["revocation"]["status"], "not_checked");
    let (code, v) = check(&[], true);
    assert_eq!(
        code,
        Some(0),
        "without a CRL even a revoked certificate passes: {v}"
    );
    assert_eq!(v["revocation"]["status"], "not_checked");
    // With the signature root's CRL: good, with the CRL used.
    let sign_crl = p("sign.crl");
    let (code, v) = check(&["--crl", &sign_crl], false);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["revocation_checked"], true);
    assert_eq!(v["revocation"]["status"], "good");
    assert_eq!(v["revocation"]["crl_number"], "01");
    assert_eq!(v["revocation"]["crl_next_update"], "2029-01-01T00:00:00Z");
    // The revoked holder: exit 7, certificate_revoked, reason and date.
    for extra in [
        vec!["--crl", sign_crl.as_str()],
        vec!["--crl-dir", &p("crls")],
    ] {
        let (code, v) = check(&extra, true);
        assert_eq!(code, Some(7), "{v}");
        assert_eq!(v["valid"], false);
        assert_eq!(v["signature_ok"], true);
        assert_eq!(v["revocation"]["status"], "revoked");
        assert_eq!(v["revocation"]["reason"], "affiliationChanged");
        assert_eq!(v["revocation"]["revoked_at"], "2024-12-01T00:00:00Z");
        assert!(v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "certificate_revoked"));
    }
    // Only the other root's CRL: unknown; valid with a warning, or exit 7 when required.
    let auth_crl = p("crls/auth.pem");
    let (code, v) = check(&["--crl", &auth_crl], false);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["revocation"]["status"], "unknown");
    assert_eq!(v["warnings"][0]["code"], "revocation_unknown");
    let (code, v) = check(&["--crl", &auth_crl, "--require-revocation"], false);
    assert_eq!(code, Some(7), "{v}");
    assert_eq!(v["reasons"][0]["code"], "revocation_unknown");
    // The CRL has expired by then (nextUpdate 2029-01-01 passed; the certificate too).
    let out = jpid(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
        "--crl",
        &sign_crl,
        "--at",
        "2029-01-02",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(v["revocation"]["status"], "unknown", "{v}");
    assert!(
        v["revocation"]["why"].as_str().unwrap().contains("expired"),
        "{v}"
    );
    // Human output says it.
    let out = jpid(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("revoked.sig"),
        "--raw",
        "--cert",
        &p("revoked.der"),
        "--crl",
        &sign_crl,
        "--at",
        "2026-11-23",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7));
    assert!(text.contains("REVOKED on 2024-12-01"), "{text}");
    let out = jpid(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("revocation NOT checked"));
    // Not a CRL: bad_crl, exit 2, naming the file.
    let (code, v) = check(&["--crl", &p("doc.txt")], false);
    assert_eq!(code, Some(2));
    assert_eq!(v["error"]["kind"], "bad_crl");
    assert!(v["error"]["message"].as_str().unwrap().contains("doc.txt"));
    // --require-revocation without a CRL is a usage error.
    let (code, v) = check(&["--require-revocation"], false);
    assert_eq!(code, Some(2));
    assert_eq!(v["error"]["kind"], "usage");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jpki_verify_checks_cms_and_raw_signatures_offline() {
    let dir = tmpdir("verify");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    std::fs::write(dir.join("doc.txt"), "申請書 (synthetic)\n").unwrap();
    std::fs::write(dir.join("other.txt"), "something else\n").unwrap();
    card_signs_doc(&dir);
    let check = |args: &[&str]| {
        let out = jpid(args);
        (out.status.code(), json(&out))
    };
    let (code, v) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
        "--json",
    ]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["key"], "jpki-sign");
    assert_eq!(v["revocation_checked"], false);
    assert_eq!(v["revocation"]["status"], "not_checked");
    assert!(v["holder"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["key"] == "address"));
    // Another file: the content was not what was signed.
    let (code, v) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("other.txt"),
        "--sig",
        &p("doc.p7s"),
        "--json",
    ]);
    assert_eq!(code, Some(7));
    assert_eq!(v["reasons"][0]["code"], "content_altered");
    // Who the certificate names is shown only for a valid signature, as `pdf verify` does.
    assert_eq!(v["holder"], json!([]), "{v}");
    let out = jpid(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("other.txt"),
        "--sig",
        &p("doc.p7s"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("holder named by the certificate: withheld"),
        "{text}"
    );
    assert!(!text.contains("花子"), "{text}");
    // Without the test roots the signer's CA is unknown.
    let (code, v) = check(&[
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
        "--json",
    ]);
    assert_eq!(code, Some(7));
    assert!(v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "unknown_issuer"));
    // Expired by then.
    let (code, v) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
        "--at",
        "2030-01-01",
        "--json",
    ]);
    assert_eq!(code, Some(7));
    assert!(v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "certificate_expired"));

    // A signature made by an independent producer: openssl cms with the test holder's key.
    let pki = jpid_testpki::load_default().unwrap();
    std::fs::write(dir.join("sign.der"), pki.jpki_holder().sign().cert_der()).unwrap();
    let key_pk8 = jpid_testpki::fixtures::ALL
        .iter()
        .find(|(n, _)| *n == "jpki-holder-sign-key.pk8")
        .unwrap()
        .1;
    std::fs::write(dir.join("key.pk8"), key_pk8).unwrap();
    let ssl = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &p("sign.der"),
        "-out",
        &p("sign.pem"),
    ]);
    ssl(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        &p("key.pk8"),
        "-out",
        &p("key.pem"),
    ]);
    ssl(&[
        "cms",
        "-sign",
        "-binary",
        "-md",
        "sha256",
        "-in",
        &p("doc.txt"),
        "-signer",
        &p("sign.pem"),
        "-inkey",
        &p("key.pem"),
        "-outform",
        "DER",
        "-out",
        &p("openssl.p7s"),
    ]);
    let (code, v) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("openssl.p7s"),
        "--json",
    ]);
    assert_eq!(code, Some(0), "jpid accepts openssl's detached CMS: {v}");

    // Raw: a bare signature with the certificate given apart.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "sign",
            "--in",
            &p("doc.txt"),
            "--out",
            &p("doc.sig"),
            "--raw",
            "--pin-stdin",
        ],
        "ABC123\n",
    );
    assert!(out.status.success());
    let (code, _) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.sig"),
        "--raw",
        "--cert",
        &p("sign.pem"),
        "--json",
    ]);
    assert_eq!(code, Some(0));
    let (code, _) = check(&[
        "--trust",
        "test",
        "jpki",
        "verify",
        "--in",
        &p("other.txt"),
        "--sig",
        &p("doc.sig"),
        "--raw",
        "--cert",
        &p("sign.der"),
        "--json",
    ]);
    assert_eq!(code, Some(7));
    // Garbage is bad input, --crl says it is not built.
    std::fs::write(dir.join("junk.p7s"), b"not a signature").unwrap();
    let (code, v) = check(&[
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("junk.p7s"),
        "--json",
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(v["error"]["kind"], "bad_dump");
    let (code, _) = check(&[
        "jpki",
        "verify",
        "--in",
        &p("doc.txt"),
        "--sig",
        &p("doc.p7s"),
        "--crl",
        &p("x.crl"),
        "--json",
    ]);
    assert_eq!(code, Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn face_authentication_card_has_no_pins_and_no_signature_key() {
    let v = json(&jpid(&[
        "--reader",
        "sim:mynumber,face-auth=yes",
        "mynumber",
        "status",
        "--json",
    ]));
    let keys = v["keys"].as_array().unwrap();
    let state = |app: &str, key: &str| {
        keys.iter()
            .find(|k| k["app"] == app && k["key"] == key)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state("jpki", "auth_pin"), "absent");
    assert_eq!(state("jpki", "sign_password"), "absent");
    assert_eq!(state("text", "pin"), "absent");
    assert_eq!(state("text", "key_b"), "ok");
    // The card-face data still opens with 照合番号B.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,face-auth=yes",
            "mynumber",
            "text",
            "--with",
            "b",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Signing: no key, said plainly, nothing tried.
    let dir = tmpdir("face");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d"), b"x").unwrap();
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,face-auth=yes",
            "jpki",
            "sign",
            "--key",
            "sign",
            "--in",
            dir.join("d").to_str().unwrap(),
            "--out",
            dir.join("d.p7s").to_str().unwrap(),
            "--pin-stdin",
            "--json",
        ],
        "ABC123\n",
    );
    assert_eq!(out.status.code(), Some(5));
    assert!(json(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no sign key"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mynumber_card_info_reads_the_common_ap_record() {
    let v = json(&jpid(&[
        "--reader",
        "sim:mynumber",
        "mynumber",
        "card-info",
        "--json",
    ]));
    assert_eq!(v["serial"], "999900000000001");
    assert_eq!(v["municipality_code"], "13101");
    assert_eq!(v["expiry"], "20350101");
    assert_eq!(v["unconfirmed"], true);
    let out = jpid(&[
        "--reader",
        "sim:jpki-smartphone",
        "mynumber",
        "card-info",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn mynumber_face_exports_decodable_images_and_names_the_unsigned_fields() {
    // 照合番号B: the card face; no My Number image.
    let dir = tmpdir("face-b");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--out",
            dir.to_str().unwrap(),
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["verification"]["genuine"], true);
    assert_eq!(v["birth_date"], "19900101");
    assert_eq!(v["sex"], "2");
    assert_eq!(v["expiry"], "20350101");
    let unsigned: Vec<_> = v["verification"]["unsigned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["item"].as_str().unwrap())
        .collect();
    assert_eq!(
        unsigned,
        ["expiry", "security_code_image", "municipality_code"]
    );
    assert_eq!(v["verification"]["chip_authenticated"]["state"], "yes");
    assert_eq!(v["verification"]["outcome"], "genuine");
    assert_eq!(
        v["verification"]["covered"],
        serde_json::json!(["card_face"])
    );
    assert_png(&dir.join("face.png"), 200, 250);
    assert_png(&dir.join("name.png"), 400, 40);
    assert_png(&dir.join("address.png"), 600, 72);
    assert_png(&dir.join("security-code.png"), 24, 12);
    assert!(!dir.join("my-number.png").exists());
    // The human output says what the signature does not cover.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--pin-stdin",
        ],
        "02010120351234\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NOT covered by the signature") && text.contains("GENUINE"));
    // B does not open the My Number image: refused before any APDU.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--show-my-number",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert_eq!(out.status.code(), Some(2));
    // 照合番号A with --show-my-number: the My Number image too, only then.
    let dir = tmpdir("face-a");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--with",
            "a",
            "--show-my-number",
            "--out",
            dir.to_str().unwrap(),
            "--pin-stdin",
            "--json",
        ],
        "999900000001\n",
    );
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(
        v["verification"]["covered"],
        serde_json::json!(["card_face", "my_number_image"])
    );
    assert_png(&dir.join("my-number.png"), 72, 12);
    let dir = tmpdir("face-a-no-number");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--with",
            "a",
            "--out",
            dir.to_str().unwrap(),
            "--pin-stdin",
        ],
        "999900000001\n",
    );
    assert!(out.status.success());
    assert!(dir.join("face.png").exists() && !dir.join("my-number.png").exists());
}

#[test]
fn mynumber_face_tampering_and_wrong_keys() {
    for (tamper, key) in [
        ("face-photo", "02010120351234"),
        ("face-dob", "02010120351234"),
        ("surface-cvc", "02010120351234"),
    ] {
        let out = jpid_stdin(
            &[
                "--reader",
                &format!("sim:mynumber,tamper={tamper}"),
                "mynumber",
                "face",
                "--pin-stdin",
                "--json",
            ],
            &format!("{key}\n"),
        );
        assert_eq!(out.status.code(), Some(7), "{tamper}");
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], false);
        let code = if tamper == "surface-cvc" {
            "unknown_issuer"
        } else {
            "data_altered"
        };
        assert_eq!(v["verification"]["reasons"][0]["code"], code, "{tamper}");
        // Nothing unproven is shown or written as the card's.
        for field in ["birth_date", "sex", "expiry"] {
            assert_eq!(v[field], Value::Null, "{tamper}: {field}");
        }
    }
    let dir = tmpdir("face-withheld");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=face-dob",
            "mynumber",
            "face",
            "--pin-stdin",
            "--out",
            dir.to_str().unwrap(),
        ],
        "02010120351234\n",
    );
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Card face withheld"), "{text}");
    assert!(
        !text.contains("19800101") && !text.contains("生年月日:"),
        "{text}"
    );
    let mut written: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, ["face.json"], "the dump as read, no pictures");
    // A substituted My Number image is never called signed, nor written.
    let dir = tmpdir("my-number-withheld");
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=my-number-image",
            "mynumber",
            "face",
            "--with",
            "a",
            "--show-my-number",
            "--pin-stdin",
            "--out",
            dir.to_str().unwrap(),
        ],
        "999900000001\n",
    );
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("(signed;"), "{text}");
    assert!(
        text.contains("My Number image: read, NOT proven genuine"),
        "{text}"
    );
    assert!(!dir.join("my-number.png").exists());
    // Another card's signed records behind this card's keys (both hold 1990-01-01, the records
    // 1975-03-15): every signature holds, but a genuine card's key holds its own birth date.
    for (sub, key) in [("face", "02010120351234"), ("birth-date", "020101")] {
        let out = jpid_stdin(
            &[
                "--reader",
                "sim:mynumber,tamper=other-card",
                "mynumber",
                sub,
                "--pin-stdin",
                "--json",
            ],
            &format!("{key}\n"),
        );
        assert_eq!(out.status.code(), Some(7), "{sub}");
        let v = json(&out);
        assert!(
            jpid_testkit::reason_codes(&v["verification"]["reasons"])
                .contains(&"key_not_birth_date".to_string()),
            "{sub}: {v}"
        );
        assert_eq!(v["birth_date"], Value::Null, "{sub}");
    }
    // The birth record: a forged date is withheld.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=birth-record",
            "mynumber",
            "birth-date",
            "--pin-stdin",
            "--json",
        ],
        "020101\n",
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(json(&out)["birth_date"], Value::Null);
    // The unsigned expiry can be altered without detection; the output says it is unsigned.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber,tamper=face-expiry",
            "mynumber",
            "face",
            "--pin-stdin",
            "--json",
        ],
        "02010120351234\n",
    );
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["expiry"], "20450101");
    assert!(v["verification"]["unsigned"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["item"] == "expiry"));
    // A wrong 照合番号B: exit 8 with the tries left; malformed keys never reach the card.
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "face",
            "--pin-stdin",
            "--json",
        ],
        "02010120359999\n",
    );
    assert_eq!(out.status.code(), Some(8));
    assert!(json(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("9 tries left"));
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "birth-date",
            "--pin-stdin",
            "--json",
        ],
        "2010\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "mynumber",
            "birth-date",
            "--pin-stdin",
            "--json",
        ],
        "020101\n",
    );
    assert!(out.status.success());
    assert_eq!(json(&out)["birth_date"], "19900101");
}

#[test]
fn age_by_the_card_face_birth_record_discloses_only_the_answer() {
    let age = |spec: &str, over: &str, key: &str| {
        jpid_stdin(
            &[
                "--reader",
                spec,
                "age",
                "--over",
                over,
                "--method",
                "surface-dob",
                "--at",
                "2026-11-23",
                "--pin-stdin",
                "--json",
            ],
            key,
        )
    };
    let out = age("sim:mynumber", "20", "020101\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["result"], true);
    assert_eq!(v["genuine"], true);
    assert_eq!(v["method"], "surface-dob");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for secret in ["19900101", "1990", "020101"] {
        assert!(!text.contains(secret), "the age check disclosed {secret}");
    }
    assert_eq!(
        json(&age("sim:mynumber", "37", "020101\n"))["result"],
        false
    );
    // A forged birth record is no answer.
    let out = age("sim:mynumber,tamper=birth-record", "20", "020101\n");
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(json(&out)["result"], Value::Null);
    // Another card's signed birth record (1975-03-15) behind this card's key (1990-01-01): each
    // signature holds, but a genuine card opens its record with the date it holds.
    let out = age("sim:mynumber,tamper=other-card", "50", "020101\n");
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(json(&out)["result"], Value::Null);
    // A wrong key costs a try (exit 8); the key comes from the environment too, never argv.
    let out = age("sim:mynumber", "20", "010101\n");
    assert_eq!(out.status.code(), Some(8));
    let out = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args([
            "--reader",
            "sim:mynumber",
            "age",
            "--over",
            "20",
            "--method",
            "surface-dob",
            "--json",
        ])
        .env("JPID_BIRTH_DATE_KEY", "020101")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json(&out)["result"], true);
    // --with belongs to --method text.
    let out = jpid(&[
        "--reader",
        "sim:mynumber",
        "age",
        "--over",
        "20",
        "--method",
        "surface-dob",
        "--with",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn card_face_traces_show_neither_keys_nor_personal_data() {
    for (args, key) in [
        (
            &[
                "mynumber",
                "face",
                "--with",
                "a",
                "--show-my-number",
                "--pin-stdin",
            ][..],
            "999900000001",
        ),
        (&["mynumber", "birth-date", "--pin-stdin"][..], "020101"),
    ] {
        let mut all = vec!["-vvv", "--reader", "sim:mynumber"];
        all.extend_from_slice(args);
        let out = jpid_stdin(&all, &format!("{key}\n"));
        assert!(out.status.success());
        let trace = String::from_utf8_lossy(&out.stderr).replace(' ', "");
        assert!(trace.contains(">>>"), "no APDU trace");
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02X}")).collect::<String>();
        for secret in [key, "19900101"] {
            assert!(
                !trace.contains(secret) && !trace.contains(&hex(secret)),
                "{secret} in the trace of {args:?}"
            );
        }
    }
}

#[test]
fn residence_verify_after_the_card_expired_is_not_plain_genuine() {
    // The simulated generation-2 card expires (card and period of stay) on 2031-01-01.
    let dir = tmpdir("expired-dump");
    let d = dir.to_str().unwrap();
    let out = jpid(&[
        "--reader",
        "sim:residence-gen2",
        "--json",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        d,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = dir.join("card.json");
    let verify = |at: &str| {
        let out = jpid(&[
            "--trust",
            "test",
            "--json",
            "residence",
            "verify",
            dump.to_str().unwrap(),
            "--at",
            at,
        ]);
        (out.status.code(), json(&out))
    };
    let (code, v) = verify("2026-12-01");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verification"]["outcome"], "genuine");
    assert_eq!(v["verification"]["validity"]["state"], "valid");
    // After the expiry: its own outcome and exit status, never 0.
    let (code, v) = verify("2032-06-01");
    assert_eq!(code, Some(9), "{v}");
    let verdict = &v["verification"];
    assert_eq!(verdict["outcome"], "genuine_expired");
    assert_eq!(
        verdict["headline"],
        "真正・有効期限切れ / GENUINE BUT EXPIRED"
    );
    assert_eq!(verdict["validity"]["state"], "expired");
    let dates = verdict["validity"]["dates"].as_array().unwrap();
    for what in ["card_expiry", "stay_expiry"] {
        let d = dates.iter().find(|d| d["what"] == what).expect(what);
        assert_eq!(d["date"], "2031-01-01");
        assert_eq!(d["in_force"], false);
        assert_eq!(d["signed"], true);
    }
    // An offline dump never claims the chip answered.
    assert_eq!(verdict["chip_authenticated"]["state"], "not_applicable");
    // The text form says it in words, and marks the unsigned fields where they are shown.
    let out = jpid(&[
        "--trust",
        "test",
        "residence",
        "verify",
        dump.to_str().unwrap(),
        "--at",
        "2032-06-01",
    ]);
    assert_eq!(out.status.code(), Some(9));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("GENUINE BUT EXPIRED"), "{text}");
    assert!(!text.contains("\n真正 / GENUINE\n"), "{text}");
    assert!(text.contains("署名対象外 / NOT SIGNED"), "{text}");
}

/// A CRL of the JPKI user-authentication CA that revokes the simulated card's own certificate.
fn crl_revoking_the_sim_card(path: &Path) {
    let pki = jpid_testpki::load_default().unwrap();
    let holder = pki.jpki_holder().auth().certificate().unwrap();
    let ca = pki.jpki_auth_ca();
    let crl = jpid_testpki::issue_crl(
        ca.cert_der(),
        ca.private_key(),
        &jpid_testpki::CrlSpec {
            number: 7,
            this_update: jpid_testpki::Day(2026, 1, 1),
            next_update: jpid_testpki::Day(2028, 1, 1),
            revoked: vec![jpid_testpki::CrlEntry {
                serial: holder.tbs_certificate.serial_number.as_bytes().to_vec(),
                revoked_on: jpid_testpki::Day(2026, 6, 1),
                reason: Some(jpid_testpki::CrlReason::KeyCompromise),
            }],
        },
    )
    .unwrap();
    std::fs::write(path, crl).unwrap();
}

#[test]
fn mynumber_check_without_a_pin_catches_a_clone_and_a_revoked_certificate() {
    let dir = tmpdir("pinless-check");
    std::fs::create_dir_all(&dir).unwrap();
    let crl = dir.join("auth.crl");
    crl_revoking_the_sim_card(&crl);
    let good_crl = dir.join("auth-good.crl");
    std::fs::write(
        &good_crl,
        jpid_testpki::load_default().unwrap().jpki_auth_crl(),
    )
    .unwrap();
    let check = |card: &str, extra: &[&str]| {
        let reader = format!("sim:{card}");
        let mut args = vec!["--reader", reader.as_str(), "--json", "mynumber", "check"];
        args.push("--pin-stdin");
        args.extend(extra);
        // 照合番号B carries the card's expiry year (2035 unless the card says otherwise).
        let year = card
            .split("expiry=")
            .nth(1)
            .and_then(|d| d.get(..4))
            .unwrap_or("2035");
        let out = jpid_stdin(&args, &format!("020101{year}1234\n"));
        (out.status.code(), json(&out))
    };
    // Genuine: both APs' chips answered, the certificate chains, its CRL says good.
    let (code, v) = check("mynumber", &["--crl", good_crl.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{v}");
    let verdict = &v["verification"];
    assert_eq!(verdict["outcome"], "genuine");
    assert_eq!(verdict["chip_authenticated"]["state"], "yes");
    assert_eq!(v["auth_certificate"]["revocation"]["status"], "good");
    assert_eq!(v["birth_date"], "19900101");
    let chip_checks = verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "chip_authentication" && c["passed"] == true)
        .count();
    assert_eq!(chip_checks, 2, "text AP and card-face AP: {verdict}");
    let same_card = |verdict: &Value| {
        verdict["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "same_card")
            .map(|c| c["passed"].clone())
    };
    assert_eq!(same_card(verdict), Some(json!(true)), "{verdict}");
    // No key was spent beyond the one entry of 照合番号B, and no PIN at all.
    let out = jpid(&["--reader", "sim:mynumber", "--json", "mynumber", "status"]);
    let status = json(&out);
    for k in status["keys"].as_array().unwrap() {
        if k["state"] != "absent" {
            assert_eq!(k["remaining"], k["max_tries"], "{k}");
        }
    }
    // A card whose printed expiry (DF29, not signed) has passed: never plain genuine, and the
    // date is marked as unsigned.
    // An expired card whose unsigned DF29 was rewritten to a later date: the JPKI certificate's
    // signed end is no proof for the card (nothing binds it to the card), so never plainly
    // genuine.
    let (code, v) = check("mynumber,expiry=2024-01-01,tamper=face-expiry", &[]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verification"]["validity_proven"], false, "{v}");
    assert!(
        v["verification"]["headline"]
            .as_str()
            .unwrap()
            .contains("CHECK THE EXPIRY"),
        "{v}"
    );
    let (code, v) = check("mynumber,expiry=2025-01-01", &[]);
    assert_eq!(code, Some(9), "{v}");
    let verdict = &v["verification"];
    assert_eq!(verdict["outcome"], "genuine_expired");
    let date = verdict["validity"]["dates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["what"] == "card_expiry")
        .cloned()
        .unwrap();
    assert_eq!(
        (date["in_force"].clone(), date["signed"].clone()),
        (json!(false), json!(false))
    );
    // The clone: signed data copied onto a chip with another key.
    let (code, v) = check("mynumber,tamper=clone", &[]);
    assert_eq!(code, Some(7), "{v}");
    let verdict = &v["verification"];
    assert_eq!(verdict["outcome"], "not_genuine");
    assert_eq!(verdict["chip_authenticated"]["state"], "no");
    assert!(verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "chip_not_authenticated"));
    // Nothing from a clone is shown as the holder's.
    assert_eq!(v["name"], Value::Null);
    // Two genuine records of two cards: another card's card-face AP beside this card's text
    // AP, every signature intact and the chip answering. Only their disagreement tells.
    let (code, v) = check("mynumber,tamper=other-card", &[]);
    assert_eq!(code, Some(7), "{v}");
    let verdict = &v["verification"];
    assert_eq!(verdict["outcome"], "not_genuine");
    assert_eq!(same_card(verdict), Some(json!(false)), "{verdict}");
    assert!(verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "cards_differ"));
    assert_eq!(v["name"], Value::Null);
    // A revoked user-authentication certificate: not genuine, and says why.
    let (code, v) = check("mynumber", &["--crl", crl.to_str().unwrap()]);
    assert_eq!(code, Some(7), "{v}");
    assert_eq!(v["verification"]["outcome"], "not_genuine");
    assert_eq!(v["auth_certificate"]["revocation"]["status"], "revoked");
    assert!(v["verification"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "certificate_revoked"));
}

/// A card may answer fewer bytes than asked in the middle of a file, and its certificate EFs
/// carry FF filler after the certificate (docs/spec/mynumber-card.md §1). jpid reads on from
/// where the card stopped and reads a certificate by its own length (issue 14).
#[test]
fn short_answers_and_filler_are_read_by_the_tlv_length() {
    let apdus = |out: &Output| {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains(">>>"))
            .count()
    };
    for card in [
        "sim:mynumber,ext=off,short-reads=200",
        "sim:mynumber,short-reads=200",
        "sim:mynumber,ext=off,filler=2000",
    ] {
        let out = jpid(&["--reader", card, "--json", "jpki", "certs"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{card}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["certificates"]["auth"]["valid"], true, "{card}");
        let out = jpid_stdin(
            &[
                "--reader",
                card,
                "--json",
                "mynumber",
                "text",
                "--pin-stdin",
            ],
            "1234\n",
        );
        assert_eq!(json(&out)["verification"]["genuine"], true, "{card}");
        let out = jpid_stdin(
            &[
                "--reader",
                card,
                "--json",
                "mynumber",
                "face",
                "--pin-stdin",
            ],
            "02010120351234\n",
        );
        assert_eq!(json(&out)["verification"]["genuine"], true, "{card}");
    }
    // Short APDUs, 512 bytes of filler after each certificate: SELECT AP, then per certificate
    // SELECT EF and the reads its length needs (auth certificate 912 bytes: 4; CA certificate
    // 1 070 bytes: 5), never the filler. Reading each file to its end took 18.
    let out = jpid(&["-vvv", "--reader", "sim:mynumber,ext=off", "jpki", "certs"]);
    assert!(out.status.success());
    assert_eq!(apdus(&out), 12);
    // The text AP: only EF 0001 (whose DF31 hashes its physical bytes, filler included) is
    // read to its end; EF 0002-0004 and 0007 by their TLV length. With extended length:
    // SELECT AP, the counter query, VERIFY, then SELECT EF and READ per file, 0001's second
    // READ (6B00), the challenge: 15 (19 reading every file to its end).
    let out = jpid_stdin(
        &[
            "-vvv",
            "--reader",
            "sim:mynumber",
            "mynumber",
            "text",
            "--pin-stdin",
        ],
        "1234\n",
    );
    assert!(out.status.success());
    assert_eq!(apdus(&out), 15);
    // The same with the card answering 200 bytes at most: 14 (21 reading to the end).
    let out = jpid(&[
        "-vvv",
        "--reader",
        "sim:mynumber,ext=off,short-reads=200",
        "jpki",
        "certs",
    ]);
    assert!(out.status.success());
    assert_eq!(apdus(&out), 14);
}

/// Specified residence cards (特定在留カード等, types 07/08): a My Number chip with a residence
/// AP (docs/spec/next-wave.md §1). jpid recognises them, reads their My Number applications as a
/// My Number card, and says plainly that their residence AP is not supported (exit 5).
#[test]
fn specified_residence_cards_are_recognised_and_their_residence_ap_refused_clearly() {
    for (card, kind, card_type) in [
        ("sim:specified-residence", "specified-residence", "07"),
        ("sim:specified-spr", "specified-spr", "08"),
    ] {
        let v = json(&jpid(&["--reader", card, "--json", "detect"]));
        assert_eq!(v["card"]["kind"], kind, "{v}");
        assert_eq!(v["card"]["card_type"], card_type);
        let out = jpid(&[
            "--reader",
            card,
            "--json",
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
        ]);
        assert_eq!(out.status.code(), Some(5), "{card}");
        let v = json(&out);
        assert_eq!(v["error"]["kind"], "unsupported_card", "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("特定") && message.contains("not support"),
            "{message}"
        );
        // The My Number side reads as a My Number card.
        let out = jpid_stdin(
            &[
                "--reader",
                card,
                "--json",
                "mynumber",
                "check",
                "--pin-stdin",
            ],
            "02010120351234\n",
        );
        assert_eq!(out.status.code(), Some(0), "{card}");
        assert_eq!(json(&out)["verification"]["outcome"], "genuine");
    }
    // An ordinary My Number card has no residence AP.
    let v = json(&jpid(&["--reader", "sim:mynumber", "--json", "detect"]));
    assert_eq!(v["card"]["kind"], "mynumber");
}

/// The simulator's TEST roots (private keys in this repository) are never production anchors:
/// offered with --trust-anchor they are refused with a pointer to --trust test, so a signature
/// anyone can make with the committed TEST key never verifies as "production" (issue 15). A
/// trust-anchor file that never ends is refused after a bounded read (issue 16).
#[test]
fn test_roots_are_refused_as_trust_anchors_and_anchor_files_are_bounded() {
    let dir = tmpdir("test-root-anchor");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    std::fs::write(dir.join("doc.txt"), "synthetic\n").unwrap();
    let pki = jpid_testpki::load_default().unwrap();
    std::fs::write(dir.join("test-sign-ca.der"), pki.jpki_sign_ca().cert_der()).unwrap();
    card_signs_doc(&dir);
    let (doc, sig) = (p("doc.txt"), p("doc.p7s"));
    let verify = |trust: &[&str]| {
        let mut args = trust.to_vec();
        args.extend(["jpki", "verify", "--in", &doc, "--sig", &sig, "--json"]);
        let out = jpid(&args);
        (out.status.code(), json(&out))
    };
    let (code, v) = verify(&["--trust-anchor", &p("test-sign-ca.der")]);
    assert_ne!(code, Some(0), "{v}");
    assert_eq!(v["error"]["kind"], "trust_anchor", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--trust test"),
        "{v}"
    );
    // Asked for by name, the TEST trust verifies it, and says it is test trust.
    let (code, v) = verify(&["--trust", "test"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["trust"]["mode"], "test");
    // An authentication-key signature without its root is named as such (issue 15: it was
    // called "not issued by a JPKI jpki-sign root").
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "auth",
            "--in",
            &doc,
            "--out",
            &p("auth.p7s"),
            "--pin-stdin",
        ],
        "1234\n",
    );
    assert!(out.status.success());
    let out = jpid(&[
        "jpki",
        "verify",
        "--in",
        &doc,
        "--sig",
        &p("auth.p7s"),
        "--json",
    ]);
    let v = json(&out);
    let why = v["reasons"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(why.contains("jpki-auth root"), "{v}");
    // A file that never ends.
    let (code, v) = verify(&["--trust-anchor", "/dev/zero"]);
    assert_ne!(code, Some(0));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than"),
        "{v}"
    );
    // Every file jpid reads is bounded (issue 16): the database's CA file too.
    let out = jpid(&[
        "serve",
        "--db",
        "postgres://u@127.0.0.1:1/x",
        "--db-ca",
        "/dev/zero",
        "keys",
        "list",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/dev/zero is larger than 1 MiB"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Trust roots set up once (issue 15): `jpid trust add` keeps a root in the data directory and
/// later commands verify without any trust flag; `trust list` says, per card family, what is
/// loaded (and from where) and what is missing; a TEST root is kept only with --test.
#[test]
fn trust_roots_are_set_up_once_and_listed_by_family() {
    let dir = tmpdir("trust-store");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trust_dir = dir.join("trust");
    let run = |args: &[&str]| {
        jpid_command()
            .env("JPID_TRUST_DIR", &trust_dir)
            .env_remove("JPID_TRUST_ANCHORS")
            .args(args)
            .output()
            .unwrap()
    };
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let out = run(&[
        "--reader",
        "sim:residence-gen2",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
        "--out",
        &p("card"),
    ]);
    assert!(out.status.success());
    let dump = p("card/card.json");
    // A fresh machine: no root for generation 2, so the dump is not proven genuine.
    let out = run(&["--json", "residence", "verify", &dump]);
    assert_eq!(out.status.code(), Some(7));
    let root = dir.join("zairyu2-test-root.der");
    std::fs::write(
        &root,
        jpid_testpki::load_default()
            .unwrap()
            .zairyu2_ca()
            .cert_der(),
    )
    .unwrap();
    // The TEST root is refused as a production root, with the way to keep it as a TEST root.
    let out = run(&["--json", "trust", "add", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("--test"),
        "{v}"
    );
    // Kept once with --test; then the same command verifies, and says it was test trust.
    let out = run(&["--json", "trust", "add", "--test", root.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sha = json(&out)["added"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&["--json", "residence", "verify", &dump]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["verification"]["genuine"], true);
    assert_eq!(v["verification"]["trust"]["mode"], "test");
    // The list: generation 2 loaded from the test root, generation 1 missing with the agency's
    // files named.
    let v = json(&run(&["--json", "trust", "list"]));
    let family = |id: &str| {
        v["families"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["family"] == id)
            .cloned()
            .unwrap()
    };
    let gen2 = family("residence-gen2");
    assert_eq!(gen2["loaded"][0]["source"]["kind"], "test", "{gen2}");
    let gen1 = family("residence");
    assert_eq!(gen1["missing"].as_array().unwrap().len(), 4, "{gen1}");
    assert!(gen1["missing"][3]["official_files"]
        .as_str()
        .unwrap()
        .contains("001460777.zip"));
    assert_eq!(
        family("jpki-auth")["loaded"][0]["source"]["kind"],
        "built_in"
    );
    // Removed: back to not proven.
    let out = run(&["trust", "remove", &sha[..12]]);
    assert!(out.status.success());
    let out = run(&["--json", "residence", "verify", &dump]);
    assert_eq!(out.status.code(), Some(7));
    // A root a user made with J-LIS's name on it is never counted or named as a built-in one.
    let mine = dir.join("my-root.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/C=JP/O=JPKI/OU=JPKI for user authentication/OU=Japan Agency for Local Authority Information Systems",
            "-keyout",
        ])
        .arg(dir.join("my-root.key"))
        .arg("-out")
        .arg(&mine)
        .output()
        .expect("openssl");
    assert!(made.status.success());
    let v = json(&run(&[
        "--trust-anchor",
        mine.to_str().unwrap(),
        "--json",
        "trust",
        "list",
    ]));
    assert_eq!(v["trust"]["mode"], "production");
    assert_eq!(v["trust"]["sources"]["file"], 1, "{}", v["trust"]);
    assert_eq!(v["trust"]["sources"]["built_in"], 4);
    let added: Vec<Value> = v["families"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["family"] == "jpki-auth")
        .flat_map(|f| f["loaded"].as_array().unwrap().clone())
        .filter(|a| a["source"]["kind"] == "flag")
        .collect();
    assert_eq!(added.len(), 1, "{v}");
    assert!(
        added[0]["name"].as_str().unwrap().contains("added from"),
        "{}",
        added[0]
    );
    // JPID_TRUST_ANCHORS names files for a deployment: a missing one is an error naming it.
    let out = jpid_command()
        .env("JPID_TRUST_DIR", &trust_dir)
        .env("JPID_TRUST_ANCHORS", dir.join("absent.pem"))
        .args(["--json", "residence", "verify", &dump])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("absent.pem"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The values of a card that is not proven genuine are shown before the verdict: the text says
/// so first, and every value the signature would have covered carries UNVERIFIED, so that no
/// line reads as proven on its own. A genuine card's lines carry no such mark.
#[test]
fn residence_values_of_a_forgery_are_marked_unverified() {
    let read = |sim: &str| {
        jpid(&[
            "--reader",
            sim,
            "--trust",
            "test",
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
        ])
    };
    let out = read("sim:residence-gen2,tamper=face");
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    let first_field = text.find("生年月日").expect("the birth date is shown");
    let warning = text
        .find("NOT GENUINE: none of these values is proven")
        .expect("the warning");
    assert!(warning < first_field, "{text}");
    let expiry = text.lines().find(|l| l.contains("有効期間満了日")).unwrap();
    assert!(expiry.ends_with("(UNVERIFIED)"), "{expiry}");
    let out = read("sim:residence-gen2");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("UNVERIFIED") && !text.contains("NOT GENUINE"),
        "{text}"
    );
}
