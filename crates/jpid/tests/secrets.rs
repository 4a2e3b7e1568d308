//! Secrets stay secret: a whole session of every command that takes a PIN or key, traced at the
//! most verbose level, never shows the secret (as text or as the hex of its bytes) on stdout,
//! stderr, in the service's log or in its audit store; and a process holding a PIN cannot dump
//! core.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use support::service::*;

/// Every form in which a secret could leak: the text, and the hex of its ASCII bytes.
fn forms(secret: &str) -> Vec<String> {
    let hex = hex::encode(secret.as_bytes());
    let spaced: Vec<String> = secret.bytes().map(|b| format!("{b:02X}")).collect();
    vec![
        secret.to_string(),
        hex.clone(),
        hex.to_uppercase(),
        spaced.join(" "),
    ]
}

fn assert_no_secret(what: &str, text: &str, secret: &str) {
    for f in forms(secret) {
        assert!(
            !leaks(text, &f, secret),
            "{what}: the secret leaked as {f:?}"
        );
    }
}

/// Whether `form` of `secret` stands in `text`. A secret written in hex digits (a numeric PIN)
/// also occurs by chance inside the long hex strings of an APDU trace (a SHA-256 digest held
/// "9876" once in a thousand runs): there, only an occurrence not inside a longer run of hex
/// digits counts. Every other form counts wherever it stands.
fn leaks(text: &str, form: &str, secret: &str) -> bool {
    if form != secret || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return text.contains(form);
    }
    let bytes = text.as_bytes();
    let hexish = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(u8::is_ascii_hexdigit)
    };
    text.match_indices(form)
        .any(|(at, _)| !hexish(at.checked_sub(1)) && !hexish(Some(at + form.len())))
}

#[test]
fn a_numeric_secret_inside_a_digest_is_not_a_leak_but_alone_it_is() {
    let trace = ">>> 80 2A 00 00 Lc=51 30313009802D13C6FD6C9876802B46 Le=256";
    assert!(!leaks(trace, "9876", "9876"));
    assert!(leaks("pin: 9876", "9876", "9876"));
    assert!(leaks("\"pin\":\"9876\"", "9876", "9876"));
    assert!(leaks("20 39 38 37 36", "39 38 37 36", "9876"));
}

fn run(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let mut c = jpid();
    c.args(args)
        .env("JPID_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    // jpid may exit before reading stdin (a usage error): a broken pipe is not the test's failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn no_secret_reaches_the_cli_output_or_its_trace() {
    let dir = tmpdir("cli-secrets");
    std::fs::write(dir.join("doc"), b"a document").unwrap();
    let doc = dir.join("doc").display().to_string();
    let sig = dir.join("doc.sig").display().to_string();
    let out = dir.join("out").display().to_string();
    let sim = ["-vvv", "--reader", "sim:mynumber"];
    let cases: Vec<(Vec<&str>, &str, Option<i32>)> = vec![
        (
            vec![
                "jpki",
                "sign",
                "--key",
                "auth",
                "--raw",
                "--in",
                &doc,
                "--out",
                &sig,
                "--pin-stdin",
            ],
            "1234",
            Some(0),
        ),
        (
            vec![
                "jpki",
                "sign",
                "--key",
                "sign",
                "--in",
                &doc,
                "--out",
                &sig,
                "--pin-stdin",
            ],
            "ABC123",
            Some(0),
        ),
        (
            vec!["jpki", "certs", "--sign", "--pin-stdin"],
            "ABC123",
            Some(0),
        ),
        (
            vec!["mynumber", "text", "--pin-stdin", "--out", &out],
            "1234",
            Some(0),
        ),
        (
            vec!["mynumber", "text", "--with", "b", "--pin-stdin"],
            "02010120351234",
            Some(0),
        ),
        (
            vec!["mynumber", "face", "--pin-stdin", "--out", &out],
            "02010120351234",
            Some(0),
        ),
        (
            vec!["mynumber", "birth-date", "--pin-stdin"],
            "020101",
            Some(0),
        ),
        (
            vec![
                "age",
                "--over",
                "20",
                "--method",
                "surface-dob",
                "--pin-stdin",
            ],
            "020101",
            Some(0),
        ),
        (
            vec!["age", "--over", "20", "--method", "jpki", "--pin-stdin"],
            "ABC123",
            Some(0),
        ),
        // Wrong secrets: the error names the key and the tries left, never the secret.
        (vec!["mynumber", "text", "--pin-stdin"], "9876", Some(8)),
        (
            vec![
                "jpki",
                "sign",
                "--key",
                "sign",
                "--in",
                &doc,
                "--out",
                &sig,
                "--pin-stdin",
            ],
            "WRONGPW9",
            Some(8),
        ),
        (
            vec!["mynumber", "face", "--pin-stdin"],
            "02010120359999",
            Some(8),
        ),
    ];
    for (args, secret, code) in cases {
        let all: Vec<&str> = sim.iter().copied().chain(args.iter().copied()).collect();
        let (got, text) = run(&all, &format!("{secret}\n"));
        assert_eq!(got, code, "{args:?}: {text}");
        assert!(
            text.contains(">>>"),
            "{args:?}: no APDU trace, so the check proves nothing"
        );
        assert_no_secret(&format!("{args:?}"), &text, secret);
    }
    // The dumps written hold no secret either.
    for f in ["text.json", "face.json"] {
        let bytes = std::fs::read_to_string(dir.join("out").join(f)).unwrap();
        for secret in ["1234\"", "02010120351234", "020101\""] {
            assert!(!bytes.contains(secret), "{f} holds {secret}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_process_holding_a_pin_cannot_dump_core() {
    let mut c = jpid();
    c.args([
        "--reader",
        "sim:mynumber",
        "mynumber",
        "text",
        "--pin-stdin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let limits = format!("/proc/{}/limits", child.id());
    // While jpid waits for the PIN, its core-file limit is already zero.
    let deadline = Instant::now() + Duration::from_secs(10);
    let core_line = loop {
        let text = std::fs::read_to_string(&limits).unwrap_or_default();
        let line = text
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap_or("")
            .to_string();
        // Soft and hard limits both zero (the soft one often is by default).
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(4..6) == Some(&["0", "0"][..]) || Instant::now() > deadline {
            break line;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    child.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    let _ = child.wait();
    let fields: Vec<&str> = core_line.split_whitespace().collect();
    assert_eq!(fields.get(4..6), Some(&["0", "0"][..]), "{core_line}");
}

#[test]
fn no_secret_reaches_the_service_log_or_its_audit_store() {
    let dir = tmpdir("svc-secrets");
    let db_path = dir.join("audit.sqlite3");
    let db = format!("sqlite://{}", db_path.display());
    let (_, key) = make_key(&db, "counter,audit,jpki");
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let mut child = jpid()
        .args([
            "-vvv",
            "--trust",
            "test",
            "--reader",
            "sim:mynumber",
            "--json",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
        ])
        .env("JPID_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Server {
        addr: serde_json::from_str::<serde_json::Value>(&line).unwrap()["listening"]
            .as_str()
            .unwrap()
            .to_string(),
        child,
    };
    let addr = server.addr.as_str();
    // Sign in as the counter page does, and read the card with each kind of secret.
    let origin = format!("http://{addr}");
    let a = request(
        addr,
        "POST",
        "/login",
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("key={key}").as_bytes(),
    )
    .unwrap();
    let cookie = a
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let hdrs = [
        ("Cookie", cookie.as_str()),
        ("X-Jpid-Page", "1"),
        ("Content-Type", "application/json"),
    ];
    let reads = [
        (json!({"kind": "mynumber-text", "pin": "1234"}), "1234", 200),
        (
            json!({"kind": "mynumber-face", "pin": "02010120351234"}),
            "02010120351234",
            200,
        ),
        // Refused by the card: 422, in the clerk's words (web.rs, card_failure).
        (json!({"kind": "mynumber-text", "pin": "9876"}), "9876", 422),
        (
            json!({"kind": "mynumber-face", "pin": "02010120359999"}),
            "02010120359999",
            422,
        ),
    ];
    for (body, _, status) in &reads {
        let a = request(addr, "POST", "/ui/read", &hdrs, body.to_string().as_bytes()).unwrap();
        assert_eq!(a.status, *status, "{body}: {}", a.text());
        for (_, secret, _) in &reads {
            assert_no_secret("an answer", &a.text(), secret);
        }
    }
    drop(server);
    let mut log = String::new();
    std::fs::File::open(dir.join("serve.log"))
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains(">>>"),
        "no APDU trace in the service log, so the check proves nothing"
    );
    let store = std::fs::read(&db_path).unwrap();
    let wal = std::fs::read(dir.join("audit.sqlite3-wal")).unwrap_or_default();
    let store = String::from_utf8_lossy(&[store, wal].concat()).into_owned();
    for (_, secret, _) in &reads {
        assert_no_secret("the service log", &log, secret);
        assert!(!store.contains(secret), "the audit store holds {secret}");
    }
    assert!(
        !store.contains("999900000001"),
        "the audit store holds the My Number"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
