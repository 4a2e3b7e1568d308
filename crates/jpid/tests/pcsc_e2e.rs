//! The PC/SC path end to end: a private pcscd with the vsmartcard vpcd driver (started by the
//! test), a simulated card inserted with `jpid sim attach`, and `jpid --reader pcsc ...` as the
//! client. Needs pcscd and vsmartcard-vpcd (installed by scripts/test); fails without them.

use jpid_testkit::pcscd;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Attached(Child);

impl Drop for Attached {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn jpid(env: &[(&'static str, std::path::PathBuf)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jpid"));
    c.args(args).env_remove("JPID_READER");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run jpid")
}

/// Inserts `card` and waits until pcscd shows a card with `atr` in the test reader.
fn attach(harness: &pcscd::Pcscd, card: &str, atr: &str) -> Attached {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jpid"));
    c.args([
        "sim",
        "attach",
        "--card",
        card,
        "--vpcd",
        &harness.vpcd_addr(),
        "--for",
        "120",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let child = c.spawn().expect("spawn jpid sim attach");
    let attached = Attached(child);
    // Wait until pcscd reports the card in the reader.
    let env = harness.client_env();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = jpid(&env, &["readers", "--json"]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            let present = v["readers"].as_array().is_some_and(|rs| {
                rs.iter().any(|r| {
                    r["name"]
                        .as_str()
                        .is_some_and(|n| n.contains(harness.reader_name()))
                        && r["card_present"] == true
                        && r["atr"] == atr
                })
            });
            if present {
                return attached;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the simulated card never appeared in pcscd:\n{}",
            harness.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn json(out: &Output) -> Value {
    jpid_testkit::one_json(out)
}

#[test]
fn detect_and_read_through_pcscd() {
    let harness = pcscd::Pcscd::start();
    let env = harness.client_env();

    {
        let _card = attach(&harness, "residence", "3B80800101");
        let out = jpid(&env, &["--reader", "pcsc", "detect", "--json"]);
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            harness.log()
        );
        let v = json(&out);
        assert_eq!(v["card"]["kind"], "residence");
        assert_eq!(v["card"]["atr"], "3B80800101");
        assert_eq!(
            v["trust"]["mode"], "production",
            "a real reader gets no test trust by default"
        );

        // A whole read through pcscd; the test roots only because they are asked for by name.
        let dir = std::env::temp_dir().join(format!("jpid-e2e-{}", std::process::id()));
        let out = jpid(
            &env,
            &[
                "--reader",
                &format!("pcsc:{}", harness.reader_name()),
                "--trust",
                "test",
                "residence",
                "read",
                "--card-number",
                "AB12345678CD",
                "--out",
                dir.to_str().unwrap(),
                "--json",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], true);
        assert_eq!(v["verification"]["trust"]["mode"], "test");
        // vpcd says nothing about extended length: the spec's one-shot form is tried first and
        // passes through pcscd.
        assert_eq!(v["stats"]["extended_length"], true, "{}", v["stats"]);
        assert_eq!(v["stats"]["extended_refused_by"], Value::Null);
        assert!(dir.join("front.png").exists() && dir.join("face.png").exists());
        let _ = std::fs::remove_dir_all(&dir);

        // Without --trust test the same card is not proven genuine, and the reason says why.
        let out = jpid(
            &env,
            &[
                "--reader",
                "pcsc",
                "residence",
                "read",
                "--card-number",
                "AB12345678CD",
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(7));
        let v = json(&out);
        let codes: Vec<_> = v["verification"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].clone())
            .collect();
        assert_eq!(
            codes,
            ["no_trust_anchor"],
            "the images are intact; only the root is missing"
        );
    }

    // A card behind a short-APDU-only path (ext=off through vpcd): the extended form is refused
    // with 67 00, the read falls back to short APDUs, says so, and is still genuine.
    wait_until_removed(&env);
    {
        let _card = attach(&harness, "residence-gen2,ext=off", "3B80800101");
        let out = jpid(
            &env,
            &[
                "-v",
                "--reader",
                "pcsc",
                "--trust",
                "test",
                "--json",
                "residence",
                "read",
                "--card-number",
                "AB12345678CD",
            ],
        );
        let v = json(&out);
        assert_eq!(v["verification"]["genuine"], true, "{v}");
        assert_eq!(v["stats"]["extended_length"], false);
        assert_eq!(v["stats"]["extended_refused_by"], "card");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(log.contains("the card refused extended length"), "{log}");
    }
    wait_until_removed(&env);
    {
        let _card = attach(&harness, "mynumber", "3BE000FF8131FE4514");
        let out = jpid(&env, &["--reader", "pcsc", "detect", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(json(&out)["card"]["kind"], "mynumber");
        opensc_reads_and_signs(&harness);
        jpki_cli_reads_and_signs(&harness);
        // The PIN-less counter check through PC/SC: short APDUs, the INTERNAL AUTHENTICATE
        // answer (256 bytes) arrives whole.
        let (code, v) = pinless_check(&env);
        assert_eq!(code, Some(0), "{v}");
        assert_eq!(v["verification"]["outcome"], "genuine");
        assert_eq!(v["verification"]["chip_authenticated"]["state"], "yes");
    }
    // The clone has the same ATR: wait until pcscd has seen the first card leave.
    wait_until_removed(&env);
    {
        let _card = attach(&harness, "mynumber,tamper=clone", "3BE000FF8131FE4514");
        let (code, v) = pinless_check(&env);
        assert_eq!(code, Some(7), "{v}");
        assert_eq!(v["verification"]["outcome"], "not_genuine");
        assert_eq!(v["verification"]["chip_authenticated"]["state"], "no");
    }
}

/// jpki-cli (siketyan/jpki-rs, from crates.io; scripts/test installs it) is a reader written
/// against real cards by others: its certificate reads must give what jpid reads, its PIN status
/// the card's counter, and its signature (SHA-1 DigestInfo, its own choice) must verify with
/// openssl under the certificate jpid read.
fn jpki_cli_reads_and_signs(harness: &pcscd::Pcscd) {
    let env = harness.client_env();
    let bin = which_jpki_cli();
    let dir = std::env::temp_dir().join(format!("jpid-jpki-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();

    // jpid's reading of the same certificates, for comparison.
    let out = jpid(
        &env,
        &[
            "--reader",
            "pcsc",
            "--trust",
            "test",
            "jpki",
            "certs",
            "--out",
            &p("jpid"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jpid_auth = std::fs::read(dir.join("jpid/auth.der")).unwrap();

    let out = run(&env, &bin, &["crypto", "--auth", "read-certificate"]);
    assert!(
        out.status.success(),
        "jpki-cli: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout, jpid_auth,
        "jpki-cli and jpid read the same authentication certificate"
    );
    let out = run(
        &env,
        &bin,
        &["crypto", "--auth", "--ca", "read-certificate"],
    );
    assert!(
        out.status.success(),
        "jpki-cli: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.first(), Some(&0x30), "a DER certificate");
    assert_eq!(
        out.stdout,
        jpid_testpki::load_default()
            .unwrap()
            .jpki_auth_ca()
            .cert_der(),
        "the CA certificate is the test PKI's"
    );
    let out = run(&env, &bin, &["crypto", "--auth", "stat"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "3",
        "tries left"
    );

    // Signing reads the document from stdin and then asks the PIN on the terminal: give it a
    // terminal (a pty), type the document and end it (^D ^D), then the PIN at its prompt (which
    // ends in ':'; jpki-cli 0.4.3 prints its message key, not the message). With the document
    // on a redirected stdin it cannot read the PIN (EBADF), and it exits 0 even then, so the
    // signature file is what tells.
    std::fs::write(dir.join("doc.txt"), b"signed by jpki-cli").unwrap();
    let script = format!(
        "import os, pty, select, sys, time\n\
         pid, fd = pty.fork()\n\
         if pid == 0:\n\
         \x20   os.execvp('sh', ['sh', '-c', {cmd:?}])\n\
         time.sleep(0.5)\n\
         os.write(fd, b'signed by jpki-cli\\x04\\x04')\n\
         seen = b''\n\
         deadline = time.time() + 30\n\
         sent = False\n\
         while time.time() < deadline:\n\
         \x20   r, _, _ = select.select([fd], [], [], 0.2)\n\
         \x20   if r:\n\
         \x20       try:\n\
         \x20           chunk = os.read(fd, 1024)\n\
         \x20       except OSError:\n\
         \x20           break\n\
         \x20       if not chunk:\n\
         \x20           break\n\
         \x20       seen += chunk\n\
         \x20   if not sent and seen.rstrip().endswith(b':'):\n\
         \x20       time.sleep(0.3)\n\
         \x20       os.write(fd, b'1234\\r')\n\
         \x20       sent = True\n\
         done, status = os.waitpid(pid, os.WNOHANG)\n\
         if done == 0:\n\
         \x20   os.kill(pid, 9)\n\
         \x20   _, status = os.waitpid(pid, 0)\n\
         sys.stderr.write(seen.decode('utf-8', 'replace'))\n\
         sys.exit(os.waitstatus_to_exitcode(status))\n",
        cmd = format!("{bin} crypto --auth sign {}", p("sig.bin")),
    );
    let out = run(&env, "python3", &["-c", &script]);
    assert!(
        out.status.success(),
        "jpki-cli sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        openssl_verifies(
            &dir.join("jpid/auth.der"),
            "-sha1",
            &p("sig.bin"),
            &p("doc.txt")
        ),
        "openssl rejects jpki-cli's signature; jpki-cli said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its PIN try was not spent: the counter is full again after the right PIN.
    let out = run(&env, &bin, &["crypto", "--auth", "stat"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
    let _ = std::fs::remove_dir_all(&dir);
}

/// jpki-cli on PATH or in cargo's bin directory.
fn which_jpki_cli() -> String {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin/jpki-cli"));
    if let Some(b) = cargo_bin.filter(|b| b.exists()) {
        return b.to_string_lossy().into_owned();
    }
    if Command::new("jpki-cli").arg("--version").output().is_ok() {
        return "jpki-cli".into();
    }
    panic!("jpki-cli is needed: scripts/test installs it (cargo install --locked jpki-cli --version 0.4.3)")
}

/// Whether openssl verifies the PKCS#1 v1.5 `signature` over `doc` (digest `-sha1` or
/// `-sha256`) under the key of the DER certificate `cert`: an independent check of what a
/// card signed.
fn openssl_verifies(cert: &std::path::Path, digest: &str, signature: &str, doc: &str) -> bool {
    let pubkey = run(
        &[],
        "openssl",
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            cert.to_str().unwrap(),
            "-pubkey",
            "-noout",
        ],
    )
    .stdout;
    let key = cert.with_extension("pub");
    std::fs::write(&key, pubkey).unwrap();
    run(
        &[],
        "openssl",
        &[
            "dgst",
            digest,
            "-verify",
            key.to_str().unwrap(),
            "-signature",
            signature,
            doc,
        ],
    )
    .status
    .success()
}

/// Waits until pcscd has seen the card leave (the next one may have the same ATR).
fn wait_until_removed(env: &[(&'static str, std::path::PathBuf)]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let out = jpid(env, &["readers", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let present = v["readers"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r["card_present"] == true));
        if !present {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `jpid mynumber check` through pcscd with the simulated holder's 照合番号B on stdin (test
/// trust by name: the card is behind PC/SC, not a `sim:` reader).
fn pinless_check(env: &[(&'static str, std::path::PathBuf)]) -> (Option<i32>, Value) {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_jpid"));
    c.args([
        "--reader",
        "pcsc",
        "--trust",
        "test",
        "--json",
        "mynumber",
        "check",
        "--pin-stdin",
    ])
    .env_remove("JPID_READER")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("run jpid");
    let _ = child.stdin.take().unwrap().write_all(b"02010120351234\n");
    let out = child.wait_with_output().unwrap();
    (out.status.code(), json(&out))
}

fn run(env: &[(&'static str, std::path::PathBuf)], program: &str, args: &[&str]) -> Output {
    let mut c = Command::new(program);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("{program} is needed (installed by scripts/test): {e}"))
}

/// A client nobody here wrote: OpenSC's own JPKI driver lists the certificates, and its PKCS#11
/// module signs; openssl checks the signature against the certificate jpid reads.
fn opensc_reads_and_signs(harness: &pcscd::Pcscd) {
    let env = harness.client_env();
    let dir = std::env::temp_dir().join(format!("jpid-opensc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("jpid")).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();

    let out = run(&env, "opensc-tool", &["--name"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("jpki"),
        "OpenSC matches its JPKI driver: {out:?}"
    );
    let out = run(&env, "pkcs15-tool", &["--list-certificates"]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    for label in [
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
    ] {
        assert!(
            listed.contains(label),
            "pkcs15-tool lists {label}:\n{listed}"
        );
    }
    // The signature certificate after verifying the signature password.
    let out = run(
        &env,
        "pkcs15-tool",
        &[
            "--read-certificate",
            "02",
            "--verify-pin",
            "--auth-id",
            "02",
            "--pin",
            "ABC123",
            "--output",
            &p("sign.pem"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // jpid reads the same certificates through the same reader.
    let mut c = Command::new(env!("CARGO_BIN_EXE_jpid"));
    c.args([
        "--reader",
        "pcsc",
        "jpki",
        "certs",
        "--sign",
        "--pin-stdin",
        "--out",
        &p("jpid"),
    ]);
    for (k, v) in &env {
        c.env(k, v);
    }
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"ABC123\n").unwrap();
    child.wait().unwrap();
    let jpid_sign =
        std::fs::read(dir.join("jpid/sign.der")).expect("jpid wrote the signature certificate");
    let opensc_sign = run(
        &[],
        "openssl",
        &["x509", "-in", &p("sign.pem"), "-outform", "DER"],
    )
    .stdout;
    assert_eq!(
        opensc_sign, jpid_sign,
        "OpenSC and jpid read the same signature certificate"
    );

    // Sign with OpenSC's PKCS#11 module; verify with openssl and the certificate jpid read.
    std::fs::write(dir.join("msg.txt"), b"signed through OpenSC").unwrap();
    let module = [
        "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/opensc-pkcs11.so",
    ]
    .into_iter()
    .find(|m| std::path::Path::new(m).exists())
    .expect("opensc-pkcs11 is installed by scripts/test");
    // OpenSC's PKCS#11 module signs msg.txt into `sig` with the authentication key (PIN 1234).
    let pkcs11_sign = |sig: &str| {
        run(
            &env,
            "pkcs11-tool",
            &[
                "--module",
                module,
                "--slot-index",
                "0",
                "--login",
                "--pin",
                "1234",
                "--sign",
                "--id",
                "01",
                "-m",
                "SHA256-RSA-PKCS",
                "--input-file",
                &p("msg.txt"),
                "--output-file",
                sig,
            ],
        )
    };
    let out = pkcs11_sign(&p("msg.sig"));
    assert!(
        out.status.success(),
        "pkcs11-tool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        openssl_verifies(
            &dir.join("jpid/auth.der"),
            "-sha256",
            &p("msg.sig"),
            &p("msg.txt")
        ),
        "openssl rejects the OpenSC signature"
    );
    // Successive OpenSC processes on the same inserted card, nothing in between: each finds
    // the token (a PIN verified by the one before must not leave the card looking different),
    // signs, and the signature verifies.
    for round in 2..=3 {
        let out = run(&env, "pkcs15-tool", &["--list-certificates"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("User Authentication Certificate"),
            "round {round}: pkcs15-tool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let sig = p(&format!("msg{round}.sig"));
        let out = pkcs11_sign(&sig);
        assert!(
            out.status.success(),
            "round {round}: pkcs11-tool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            openssl_verifies(&dir.join("jpid/auth.der"), "-sha256", &sig, &p("msg.txt")),
            "round {round}: openssl rejects the signature"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
