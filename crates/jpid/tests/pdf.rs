//! PDF signatures (issue 17): `jpid pdf sign` on the simulated My Number card, checked by
//! independent verifiers (poppler's pdfsig, pyHanko) and by `jpid pdf verify`; PDFs signed by
//! pyHanko (RSA and ECDSA P-384) verified by jpid; and the tampering cases public advisories of
//! other PDF signers describe. The Python side is scripts/pdf_check.py (pyHanko 0.38, installed
//! by scripts/ensure-packages with poppler-utils).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn jpid_command() -> Command {
    jpid_testkit::isolated(env!("CARGO_BIN_EXE_jpid"))
}

fn jpid(args: &[&str]) -> Output {
    jpid_command().args(args).output().expect("run jpid")
}

fn jpid_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = jpid_command()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run jpid");
    // jpid may exit before reading stdin (a refusal): a broken pipe is not the test's failure.
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("jpid output")
}

fn json(out: &Output) -> Value {
    jpid_testkit::one_json(out)
}

fn tmpdir(name: &str) -> PathBuf {
    let d = jpid_testkit::tmpdir("pdf", name);
    std::fs::create_dir_all(&d).expect("temporary directory");
    d
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// scripts/pdf_check.py with `args`; its one JSON object.
fn pdf_check(args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pdf_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("python3 (scripts/ensure-packages installs it)");
    assert!(
        out.status.success(),
        "pdf_check.py {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pdf_check.py prints JSON")
}

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The test PKI's PKCS#8 key `name` as a PEM file `out` in `dir` (pyHanko reads PEM).
fn key_pem(dir: &Path, name: &str, out: &str) {
    let der = dir.join(format!("{out}.pk8"));
    std::fs::write(&der, fixture(name)).expect("key");
    openssl(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        s(&der),
        "-out",
        s(&dir.join(out)),
    ]);
}

fn fixture(name: &str) -> &'static [u8] {
    jpid_testpki::fixtures::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("fixture {name}"))
        .1
}

/// The simulated card (signature password ABC123) signs `input` into `output`.
fn card_signs_pdf(input: &Path, output: &Path) {
    let out = jpid_stdin(
        &[
            "--reader",
            "sim:mynumber",
            "pdf",
            "sign",
            "--in",
            s(input),
            "--out",
            s(output),
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

/// A one-page `doc.pdf`, signed by the simulated card into `signed.pdf`.
fn card_signs(dir: &Path) {
    pdf_check(&["make-doc", s(&dir.join("doc.pdf"))]);
    card_signs_pdf(&dir.join("doc.pdf"), &dir.join("signed.pdf"));
}

fn verify(file: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["pdf", "verify", s(file)]);
    let out = jpid(&args);
    let v = json(&out);
    (out, v)
}

/// `jpid --json --trust test pdf verify FILE OPTIONS...`.
fn verify_test(file: &Path, options: &[&str]) -> (Output, Value) {
    let mut args = vec!["--json", "--trust", "test", "pdf", "verify", s(file)];
    args.extend_from_slice(options);
    let out = jpid(&args);
    let v = json(&out);
    (out, v)
}

fn codes(list: &Value) -> Vec<String> {
    jpid_testkit::reason_codes(list)
}

#[test]
fn the_card_signs_a_pdf_that_pdfsig_pyhanko_and_jpid_accept() {
    let dir = tmpdir("card");
    card_signs(&dir);
    let signed = dir.join("signed.pdf");
    let pki = jpid_testpki::load_default().expect("test PKI");
    let holder = pki.jpki_holder().holder().name.clone();

    // poppler: valid, and the signature covers the whole document.
    let p = pdf_check(&["pdfsig", s(&signed)]);
    let sig = &p["signatures"][0];
    assert_eq!(sig["valid"], true, "{p}");
    assert_eq!(sig["whole_document"], true, "{p}");
    assert_eq!(sig["type"], "adbe.pkcs7.detached", "{p}");

    // pyHanko, with the test signature root as its only trust anchor.
    let root = dir.join("jpki-sign-ca.pem");
    std::fs::write(&root, fixture("jpki-sign-ca.pem")).expect("write root");
    let h = pdf_check(&["validate", s(&signed), "--root", s(&root)]);
    assert_eq!(h["all_valid_and_whole_file"], true, "{h}");
    assert_eq!(h["signatures"][0]["coverage"], "ENTIRE_FILE", "{h}");

    // jpid, under test trust asked for by name: valid, with the holder's name.
    let (out, v) = verify(&signed, &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["valid"], true);
    let sig = &v["signatures"][0];
    assert_eq!(sig["holder_name"], holder.as_str());
    assert_eq!(
        sig["claimed_name"],
        holder.as_str(),
        "/Name names the holder"
    );
    assert_eq!(sig["sub_filter"], "adbe.pkcs7.detached");
    assert_eq!(sig["digest"], "SHA-256");
    assert_eq!(sig["covers_whole_file"], true);
    assert!(sig["claimed_signing_time"]
        .as_str()
        .is_some_and(|m| m.starts_with("D:") && m.ends_with("+09'00'")));
    assert_eq!(sig["valid_at_claimed_signing_time"], true);
    let human =
        String::from_utf8_lossy(&jpid(&["--trust", "test", "pdf", "verify", s(&signed)]).stdout)
            .into_owned();
    assert!(human.starts_with("VALID"), "{human}");
    // The headline says revocation was not checked (no --crl, --crl-dir or --ocsp-url).
    assert!(
        human
            .lines()
            .next()
            .is_some_and(|l| l.ends_with("revocation NOT checked")),
        "{human}"
    );
    assert!(
        human.contains(&format!("signer (from the certificate): {holder}")),
        "{human}"
    );
    assert!(
        human.contains("(a claim)") && human.contains("no timestamp proves it"),
        "{human}"
    );

    // Without test trust the simulator's root anchors nothing.
    let (out, v) = verify(&signed, &[]);
    assert!(!out.status.success());
    assert_eq!(v["valid"], false);
    assert!(
        codes(&v["signatures"][0]["reasons"]).contains(&"unknown_issuer".to_string()),
        "{v}"
    );

    // The profile: one incremental update, the original bytes untouched at the front.
    let original = std::fs::read(dir.join("doc.pdf")).expect("doc");
    let bytes = std::fs::read(&signed).expect("signed");
    assert!(bytes.starts_with(&original));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/SubFilter /adbe.pkcs7.detached")
            || text.contains("/SubFilter/adbe.pkcs7.detached"),
        "SubFilter"
    );
    assert!(!text.contains("ETSI.CAdES"), "no PAdES subfilter");
    assert!(!text.contains("/DocMDP"), "no DocMDP");
}

#[test]
fn a_claimed_name_cannot_write_lines_of_its_own() {
    // The signer's /Name rewritten in place (same length, so every offset holds) to a name with
    // a line break and a forged verdict line after it.
    let dir = tmpdir("name-lines");
    card_signs(&dir);
    let bytes = std::fs::read(dir.join("signed.pdf")).expect("signed");
    let name = b"/Name<FEFF8A669A13300082B15B50>";
    let at = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("the card's /Name, 試験　花子");
    let mut forged = bytes.clone();
    // U+FEFF "x" LF "OK!": six UTF-16 units, as the original.
    forged[at..at + name.len()].copy_from_slice(b"/Name<FEFF0078000A004F004B0021>");
    let path = dir.join("forged-name.pdf");
    std::fs::write(&path, &forged).expect("write");
    let out = jpid(&["--trust", "test", "pdf", "verify", s(&path)]);
    assert_eq!(out.status.code(), Some(7), "the signature covers /Name");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/Name written by the signing software: x\\u{A}OK! (a claim)"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("OK!")), "{text}");
}

#[test]
fn tampering_after_signing_is_caught() {
    let dir = tmpdir("tamper");
    card_signs(&dir);
    let signed = dir.join("signed.pdf");
    let bytes = std::fs::read(&signed).expect("signed");

    // One byte changed inside the signed range (the page's text).
    let at = bytes
        .windows(4)
        .position(|w| w == b"jpid")
        .expect("the page text");
    let mut flipped = bytes.clone();
    flipped[at] = b'J';
    let one_byte = dir.join("one-byte.pdf");
    std::fs::write(&one_byte, &flipped).expect("write");
    let (out, v) = verify(&one_byte, &["--trust", "test"]);
    assert!(!out.status.success());
    assert_eq!(v["valid"], false);
    assert!(
        codes(&v["signatures"][0]["reasons"]).contains(&"content_altered".to_string()),
        "{v}"
    );

    // An unsigned revision appended that changes what page 1 shows (pyHanko writes it).
    let changed = dir.join("changed.pdf");
    pdf_check(&["change-page", s(&signed), s(&changed)]);
    let (out, v) = verify(&changed, &["--trust", "test"]);
    assert!(!out.status.success());
    assert_eq!(v["valid"], false);
    assert_eq!(v["modified_after_signing"], true);
    assert!(
        codes(&v["reasons"]).contains(&"modified_after_signing".to_string()),
        "{v}"
    );
    let sig = &v["signatures"][0];
    assert_eq!(sig["covers_whole_file"], false);
    assert_eq!(
        sig["revision"], 2,
        "the signature covers the second of three revisions"
    );
    assert!(
        sig["later_changes"]
            .as_array()
            .is_some_and(|l| l.iter().any(|c| c["kind"] == "shown")),
        "the change to the page is named: {v}"
    );
    // The CMS signature itself still checks: what fails is the coverage.
    assert_eq!(sig["signature_ok"], true);
    let p = pdf_check(&["pdfsig", s(&changed)]);
    assert_eq!(p["signatures"][0]["whole_document"], false, "{p}");

    // Bytes appended after %%EOF (no new revision): the range no longer reaches the end.
    let mut tail = bytes.clone();
    tail.extend_from_slice(b"\n% appended\n");
    let appended = dir.join("appended.pdf");
    std::fs::write(&appended, &tail).expect("write");
    let (out, v) = verify(&appended, &["--trust", "test"]);
    assert!(!out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["covers_whole_file"], false);

    // A file with no signature at all is not valid.
    let (out, v) = verify(&dir.join("doc.pdf"), &["--trust", "test"]);
    assert!(!out.status.success());
    assert!(
        codes(&v["reasons"]).contains(&"no_signature".to_string()),
        "{v}"
    );

    // Not a PDF: a clear error, not a panic.
    let junk = dir.join("junk.pdf");
    std::fs::write(&junk, b"%PDF-1.7\n garbage").expect("write");
    let out = jpid(&["pdf", "verify", s(&junk)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a PDF jpid can read"), "{err}");
}

#[test]
fn pdfs_signed_by_pyhanko_with_rsa_and_p384_keys_verify() {
    let dir = tmpdir("pyhanko");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    pdf_check(&["make-doc", &p("doc.pdf")]);

    // RSA: the test holder's signature key and certificate, signed by pyHanko.
    let pki = jpid_testpki::load_default().expect("test PKI");
    std::fs::write(dir.join("sign.der"), pki.jpki_holder().sign().cert_der()).expect("cert");
    key_pem(&dir, "jpki-holder-sign-key.pk8", "key.pem");
    openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &p("sign.der"),
        "-out",
        &p("sign.pem"),
    ]);
    pdf_check(&[
        "sign",
        &p("doc.pdf"),
        &p("rsa.pdf"),
        "--key",
        &p("key.pem"),
        "--cert",
        &p("sign.pem"),
    ]);
    let (out, v) = verify(&dir.join("rsa.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["digest"], "SHA-256");

    // Co-signing: the card signs the pyHanko-signed file again; both signatures are checked,
    // the first one's later changes are only the second signature.
    card_signs_pdf(&dir.join("rsa.pdf"), &dir.join("cosigned.pdf"));
    let (out, v) = verify(&dir.join("cosigned.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["signatures"][0]["covers_whole_file"], false);
    assert_eq!(v["signatures"][0]["valid"], true);
    assert_eq!(v["signatures"][1]["covers_whole_file"], true);
    let root = dir.join("jpki-sign-ca.pem");
    std::fs::write(&root, fixture("jpki-sign-ca.pem")).expect("write root");
    let h = pdf_check(&["validate", &p("cosigned.pdf"), "--root", s(&root)]);
    assert_eq!(h["all_valid_and_whole_file"], true, "{h}");

    // ECDSA P-384 with SHA-384 (the next-generation card's plan): a test root named as a JPKI
    // signature root, added with --trust-anchor.
    openssl(&[
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        &p("ec-root.key"),
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &p("ec-root.key"),
        "-sha384",
        "-days",
        "3650",
        "-subj",
        "/C=JP/O=JPKI TEST P-384 (jpid)/OU=JPKI for digital signature/OU=jpid TEST P-384 root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        &p("ec-root.pem"),
    ]);
    openssl(&[
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        &p("ec-leaf.key"),
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        &p("ec-leaf.key"),
        "-subj",
        "/C=JP/CN=JPIDTEST-P384",
        "-out",
        &p("ec-leaf.csr"),
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=critical,CA:FALSE\n",
    )
    .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("ec-leaf.csr"),
        "-CA",
        &p("ec-root.pem"),
        "-CAkey",
        &p("ec-root.key"),
        "-CAcreateserial",
        "-sha384",
        "-days",
        "365",
        "-extfile",
        &p("leaf.ext"),
        "-out",
        &p("ec-leaf.pem"),
    ]);
    pdf_check(&[
        "sign",
        &p("doc.pdf"),
        &p("ec.pdf"),
        "--key",
        &p("ec-leaf.key"),
        "--cert",
        &p("ec-leaf.pem"),
        "--md",
        "sha384",
    ]);
    let (out, v) = verify(&dir.join("ec.pdf"), &["--trust-anchor", &p("ec-root.pem")]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["digest"], "SHA-384");
    // The same file with a byte of the page changed.
    let mut bytes = std::fs::read(dir.join("ec.pdf")).expect("ec");
    let at = bytes.windows(4).position(|w| w == b"jpid").expect("text");
    bytes[at] = b'J';
    std::fs::write(dir.join("ec-flipped.pdf"), &bytes).expect("write");
    let (out, v) = verify(
        &dir.join("ec-flipped.pdf"),
        &["--trust-anchor", &p("ec-root.pem")],
    );
    assert!(!out.status.success());
    assert!(
        codes(&v["signatures"][0]["reasons"]).contains(&"content_altered".to_string()),
        "{v}"
    );
    // And checked against a different P-384 key (the wrong certificate): not valid.
    let (out, _) = verify(&dir.join("ec.pdf"), &[]);
    assert!(
        !out.status.success(),
        "no anchor for the P-384 root: not valid"
    );
}

#[test]
fn signing_refuses_what_it_cannot_sign_before_asking_the_password() {
    let dir = tmpdir("refuse");
    std::fs::write(dir.join("not.pdf"), b"hello").expect("write");
    // No stdin given: had jpid asked the password, it would fail for that instead.
    let out = jpid(&[
        "--reader",
        "sim:mynumber",
        "pdf",
        "sign",
        "--in",
        s(&dir.join("not.pdf")),
        "--out",
        s(&dir.join("out.pdf")),
        "--pin-stdin",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be read"), "{err}");
    assert!(!dir.join("out.pdf").exists());
    // The same file as --in and --out.
    let out = jpid(&[
        "pdf",
        "sign",
        "--in",
        s(&dir.join("not.pdf")),
        "--out",
        s(&dir.join("not.pdf")),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out must differ"));
}

mod support;

/// `POST /v1/jpki/pdf/verify`: the CLI's answer, audited, for a signed PDF and the tampered
/// ones; a body that is not declared a PDF is refused.
#[test]
fn the_service_verifies_pdfs_as_the_cli_does() {
    use support::service::{documented, make_key, request, serve};
    let dir = tmpdir("service");
    card_signs(&dir);
    let changed = dir.join("changed.pdf");
    pdf_check(&["change-page", s(&dir.join("signed.pdf")), s(&changed)]);
    let db = format!("sqlite://{}", dir.join("audit.sqlite3").display());
    let server = serve(&db, &["--trust", "test"]);
    let (_, key) = make_key(&db, "jpki,audit");
    let auth = format!("Bearer {key}");
    let post = |body: &[u8], ty: &str| {
        request(
            &server.addr,
            "POST",
            "/v1/jpki/pdf/verify",
            &[("Authorization", &auth), ("Content-Type", ty)],
            body,
        )
        .expect("POST")
    };
    documented("pdf", || {
        for (file, valid) in [("signed.pdf", true), ("changed.pdf", false)] {
            let bytes = std::fs::read(dir.join(file)).expect("pdf");
            let a = post(&bytes, "application/pdf");
            assert_eq!(a.status, 200, "{}", a.text());
            let mut v = a.json();
            assert_eq!(v["valid"], valid, "{file}: {v}");
            // The audit record: this PDF's SHA-256 and the outcome, never the PDF.
            let id = v["audit_id"].as_str().expect("audit_id").to_string();
            let r = request(
                &server.addr,
                "GET",
                &format!("/v1/audit/{id}"),
                &[("Authorization", &auth)],
                b"",
            )
            .expect("GET")
            .json();
            assert_eq!(r["record"]["method"], "jpki-pdf-signature");
            assert_eq!(
                r["record"]["result"],
                if valid { "valid" } else { "invalid" }
            );
            use sha2::Digest;
            assert_eq!(
                r["record"]["input_sha256"],
                hex::encode(sha2::Sha256::digest(&bytes))
            );
            // The same verdict as `jpid --json pdf verify` (but for when and where it ran).
            let (_, mut cli) = verify(&dir.join(file), &["--trust", "test"]);
            for k in ["audit_id", "checked_at", "trust"] {
                v.as_object_mut().expect("object").remove(k);
            }
            for k in ["checked_at", "trust", "command", "schema_version"] {
                cli.as_object_mut().expect("object").remove(k);
            }
            // The certificate check's time is the only difference inside the signatures.
            assert_eq!(
                v["signatures"][0]["later_changes"], cli["signatures"][0]["later_changes"],
                "{file}"
            );
            assert_eq!(v["reasons"], cli["reasons"], "{file}");
            assert_eq!(
                v["signatures"][0]["reasons"], cli["signatures"][0]["reasons"],
                "{file}"
            );
            assert_eq!(
                v["signatures"][0]["holder_name"],
                cli["signatures"][0]["holder_name"]
            );
        }
        // One byte changed: not valid, and said why.
        let mut bytes = std::fs::read(dir.join("signed.pdf")).expect("pdf");
        let at = bytes.windows(4).position(|w| w == b"jpid").expect("text");
        bytes[at] = b'J';
        let v = post(&bytes, "application/pdf").json();
        assert_eq!(v["valid"], false);
        assert!(
            codes(&v["signatures"][0]["reasons"]).contains(&"content_altered".to_string()),
            "{v}"
        );
        // At most four PDF checks at once (each holds its body and its parse): four slow
        // uploads hold every slot, a fifth is refused before its body is read, and once they
        // are gone checks are answered again. The server may take a slow upload's head after
        // the next check's (the order of connections is its own), and then refuses that slow
        // upload: an upload answered before its body is sent is replaced until four wait.
        let open_slow = || {
            use std::io::Write;
            let mut c = std::net::TcpStream::connect(&server.addr).expect("connect");
            write!(
                c,
                "POST /v1/jpki/pdf/verify HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n%PDF-"
            )
            .expect("write");
            c
        };
        let answered = |c: &std::net::TcpStream| {
            c.set_nonblocking(true).expect("nonblocking");
            let r = c.peek(&mut [0u8; 1]);
            c.set_nonblocking(false).expect("blocking");
            // An answer, or the connection closed: not waiting any more.
            !matches!(r, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        };
        let signed = std::fs::read(dir.join("signed.pdf")).expect("pdf");
        let mut slow: Vec<std::net::TcpStream> = Vec::new();
        let refused = (0..400).any(|_| {
            slow.retain(|c| !answered(c));
            while slow.len() < 4 {
                slow.push(open_slow());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            // Refused for the PDF bound while the four uploads still wait for their bodies.
            let a = post(&signed, "application/pdf");
            a.status == 429
                && a.text().contains("PDF checks are in progress")
                && !slow.iter().any(answered)
        });
        assert!(refused, "a fifth PDF check while four hold their slots");
        let status_until = |want: u16| {
            (0..400).any(|_| {
                let st = post(&signed, "application/pdf").status;
                if st != want {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                st == want
            })
        };
        drop(slow);
        assert!(status_until(200), "the slots come back");
        // Not declared a PDF; not a PDF.
        assert_eq!(post(&bytes, "application/json").status, 415);
        let a = post(b"%PDF-1.7 nothing", "application/pdf");
        assert_eq!(a.status, 400, "{}", a.text());
        assert!(a.text().contains("not a PDF jpid can read"), "{}", a.text());
    });
}

/// The certificate is the one the signer identifier names, and the name shown is that
/// certificate's (GHSA-58hw-cg5m-88rp); revocation from the signature CA's CRL; and a test root
/// kept by name with `jpid trust add --test` makes the plain `jpid pdf verify` accept the
/// simulator's signature.
#[test]
fn the_signer_certificate_revocation_and_kept_test_trust() {
    let dir = tmpdir("advisories");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    card_signs(&dir);
    let pki = jpid_testpki::load_default().expect("test PKI");
    let holder = pki.jpki_holder().holder().name.clone();
    let other = pki.jpki_revoked_holder();
    std::fs::write(dir.join("other.pem"), fixture("jpki-revoked-sign.pem")).expect("cert");

    // Another certificate added to the CMS (unsigned bytes): still the real signer's name.
    pdf_check(&[
        "swap-signer",
        &p("signed.pdf"),
        &p("added.pdf"),
        "--cert",
        &p("other.pem"),
    ]);
    let (out, v) = verify(&dir.join("added.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["holder_name"], holder.as_str());
    // The signer identifier rewritten to name the other certificate: not valid, and the other
    // holder's name is not given as proven.
    pdf_check(&[
        "swap-signer",
        &p("signed.pdf"),
        &p("named.pdf"),
        "--cert",
        &p("other.pem"),
        "--name-it",
    ]);
    let (out, v) = verify(&dir.join("named.pdf"), &["--trust", "test"]);
    assert!(!out.status.success());
    let sig = &v["signatures"][0];
    assert!(
        codes(&sig["reasons"]).contains(&"signer_certificate_mismatch".to_string()),
        "{v}"
    );
    assert_eq!(sig["holder_name"], Value::Null);
    assert_ne!(other.holder().name, holder);
    assert!(
        !v.to_string().contains(&other.holder().name),
        "the substituted holder is not named: {v}"
    );

    // The revoked test holder's key signs (pyHanko); the signature CA's CRL says revoked.
    key_pem(&dir, "jpki-revoked-sign-key.pk8", "rkey.pem");
    pdf_check(&[
        "sign",
        &p("doc.pdf"),
        &p("revoked.pdf"),
        "--key",
        &p("rkey.pem"),
        "--cert",
        &p("other.pem"),
    ]);
    std::fs::write(dir.join("sign.crl"), fixture("jpki-sign-crl.der")).expect("crl");
    let (out, v) = verify(&dir.join("revoked.pdf"), &["--trust", "test"]);
    assert!(
        out.status.success(),
        "without a CRL revocation is not checked: {v}"
    );
    assert_eq!(v["signatures"][0]["revocation_checked"], false);
    let crl = p("sign.crl");
    let (out, v) = verify_test(&dir.join("revoked.pdf"), &["--crl", &crl]);
    assert!(!out.status.success(), "{v}");
    assert!(
        codes(&v["signatures"][0]["reasons"]).contains(&"certificate_revoked".to_string()),
        "{v}"
    );
    // The card's own holder, same CRL: checked and good.
    let (out, v) = verify_test(&dir.join("signed.pdf"), &["--crl", &crl]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["revocation_checked"], true);

    // Test roots kept by name: then `jpid pdf verify signed.pdf` alone says valid, with the name.
    let trust_dir = dir.join("trust");
    let kept = |args: &[&str]| {
        jpid_command()
            .env("JPID_TRUST_DIR", &trust_dir)
            .args(args)
            .output()
            .expect("run jpid")
    };
    std::fs::write(dir.join("root.pem"), fixture("jpki-sign-ca.pem")).expect("root");
    let out = kept(&["trust", "add", "--test", &p("root.pem")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kept(&["pdf", "verify", &p("signed.pdf")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with("VALID") && text.contains(&holder),
        "{text}"
    );
}

/// A PDF whose cross-references are a stream (PDF 1.5+, as many producers write): the card's
/// update keeps that kind, and pdfsig, pyHanko and jpid accept the result.
#[test]
fn a_pdf_with_a_cross_reference_stream_is_signed_in_kind() {
    let dir = tmpdir("xref-stream");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    pdf_check(&["make-doc", "--xref-stream", &p("doc.pdf")]);
    card_signs_pdf(&dir.join("doc.pdf"), &dir.join("signed.pdf"));
    let bytes = std::fs::read(dir.join("signed.pdf")).expect("signed");
    let tail =
        String::from_utf8_lossy(&bytes[std::fs::read(dir.join("doc.pdf")).expect("doc").len()..])
            .into_owned();
    assert!(
        tail.contains("/XRef") && !tail.contains("\nxref\n"),
        "the update uses a cross-reference stream"
    );
    let ps = pdf_check(&["pdfsig", &p("signed.pdf")]);
    assert_eq!(ps["signatures"][0]["valid"], true, "{ps}");
    assert_eq!(ps["signatures"][0]["whole_document"], true, "{ps}");
    std::fs::write(dir.join("root.pem"), fixture("jpki-sign-ca.pem")).expect("root");
    let h = pdf_check(&["validate", &p("signed.pdf"), "--root", &p("root.pem")]);
    assert_eq!(h["all_valid_and_whole_file"], true, "{h}");
    let (out, v) = verify(&dir.join("signed.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    // pyHanko co-signs it: its update's cross-reference stream names a new /Info, which only
    // the stream's trailer refers to; that is metadata, not a change to what is shown (a
    // false rejection found by the review of 2026-12-06).
    std::fs::write(dir.join("rc.pem"), fixture("jpki-revoked-sign.pem")).expect("cert");
    key_pem(&dir, "jpki-revoked-sign-key.pk8", "rk.pem");
    pdf_check(&[
        "sign",
        &p("signed.pdf"),
        &p("cosigned.pdf"),
        "--key",
        &p("rk.pem"),
        "--cert",
        &p("rc.pem"),
        "--field",
        "Sig2",
    ]);
    let (out, v) = verify(&dir.join("cosigned.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2), "{v}");
}

/// An independent review's forgeries, each needing only a co-signer with a valid key of their
/// own (here the second test holder): objects that declare themselves signature fields, a
/// visible signature box drawn over the page, and a cross-reference entry pointing at another
/// object. And what a co-signer may do: sign invisibly, their software updating the document
/// information.
#[test]
fn what_a_co_signer_may_and_may_not_change() {
    let dir = tmpdir("cosigner");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    card_signs(&dir);
    std::fs::write(dir.join("rc.pem"), fixture("jpki-revoked-sign.pem")).expect("cert");
    key_pem(&dir, "jpki-revoked-sign-key.pk8", "rk.pem");
    let cosign = |input: &str, output: &str, extra: &[&str]| {
        let mut args = vec![
            "sign", input, output, "--key", "", "--cert", "", "--field", "Sig2",
        ];
        let (key, cert) = (p("rk.pem"), p("rc.pem"));
        args[4] = key.as_str();
        args[6] = cert.as_str();
        args.extend_from_slice(extra);
        pdf_check(&args);
    };
    let first = |file: &str| -> Value {
        let (out, v) = verify(&dir.join(file), &["--trust", "test"]);
        assert_eq!(out.status.success(), v["valid"] == true);
        v
    };

    // The card signs the signed file again (its widget joins the page's /Annots): valid.
    card_signs_pdf(&dir.join("signed.pdf"), &dir.join("twice.pdf"));
    let v = first("twice.pdf");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2));

    // Invisible co-signature (pyHanko updates /Info): both signatures valid.
    cosign(&p("signed.pdf"), &p("invisible.pdf"), &[]);
    let v = first("invisible.pdf");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signatures"][0]["valid"], true);

    // The page changed in between, the changed objects claiming /FT /Sig: the first signature
    // is not valid, the change named as shown.
    pdf_check(&[
        "change-page",
        "--disguise",
        &p("signed.pdf"),
        &p("disguised.pdf"),
    ]);
    cosign(&p("disguised.pdf"), &p("disguised-cosigned.pdf"), &[]);
    let v = first("disguised-cosigned.pdf");
    assert_eq!(v["valid"], false, "{v}");
    let sig = &v["signatures"][0];
    assert_eq!(sig["valid"], false);
    assert!(
        sig["later_changes"]
            .as_array()
            .is_some_and(|l| l.iter().any(|c| c["kind"] == "shown")),
        "{v}"
    );
    assert_eq!(
        v["signatures"][1]["valid"], true,
        "the co-signer's own signature checks"
    );

    // A visible signature box over the page's text: the first signature is not valid (a
    // visible appearance draws on what was signed; docs/pdf.md).
    cosign(&p("signed.pdf"), &p("visible.pdf"), &["--visible"]);
    let v = first("visible.pdf");
    assert_eq!(v["signatures"][0]["valid"], false, "{v}");

    // A cross-reference entry pointing at another object than the one it names.
    pdf_check(&["dup-xref", &p("signed.pdf"), &p("dup.pdf")]);
    let out = jpid(&["--trust", "test", "pdf", "verify", &p("dup.pdf")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // Refused before it is parsed (two objects named at one offset) or after (an entry naming
    // another object than the one it points at).
    assert!(
        err.contains("not a PDF jpid can read")
            && (err.contains("both said to be at byte") || err.contains("points object 20")),
        "{err}"
    );
}

/// Revocation by OCSP (`--ocsp-url`) in `jpid pdf verify`: OpenSSL's responder for the test
/// signature CA says good for the card's holder and revoked for the second test holder.
#[test]
fn pdf_signers_are_checked_by_ocsp() {
    use jpid_testkit::ocsp::{ca_files, index_line, responder_cert, Responder};
    use rsa::pkcs8::EncodePrivateKey;
    let dir = tmpdir("ocsp");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    card_signs(&dir);
    let pki = jpid_testpki::load_default().expect("test PKI");
    let ca = pki.jpki_sign_ca();
    ca_files(
        &dir,
        ca.cert_der(),
        ca.private_key().to_pkcs8_der().expect("pkcs8").as_bytes(),
    );
    let serial = |der: &[u8]| {
        jpid_verify::x509::ParsedCert::parse(der)
            .expect("cert")
            .serial_hex()
    };
    let index = format!(
        "{}{}",
        index_line(&serial(pki.jpki_holder().sign().cert_der()), false),
        index_line(&serial(pki.jpki_revoked_holder().sign().cert_der()), true)
    );
    let signer = responder_cert(&dir, "responder", Some("extendedKeyUsage = OCSPSigning"));
    let responder = Responder::start(&dir, &index, (&signer.0, &signer.1), &["-ndays", "1"]);

    // The card's holder: good, said so.
    let (out, v) = verify(&dir.join("signed.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
    let (out, v) = verify_test(
        &dir.join("signed.pdf"),
        &["--ocsp-url", &responder.url, "--require-revocation"],
    );
    assert!(out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["revocation_checked"], true, "{v}");
    let rev = &v["signatures"][0]["revocation"];
    assert_eq!(
        (rev["status"].as_str(), rev["via"].as_str()),
        (Some("good"), Some("ocsp")),
        "{v}"
    );
    assert_eq!(rev["ocsp_responder"], responder.url.as_str());

    // The second holder, signing with pyHanko: revoked.
    key_pem(&dir, "jpki-revoked-sign-key.pk8", "rk.pem");
    std::fs::write(dir.join("rc.pem"), fixture("jpki-revoked-sign.pem")).expect("cert");
    pdf_check(&[
        "sign",
        &p("doc.pdf"),
        &p("revoked.pdf"),
        "--key",
        &p("rk.pem"),
        "--cert",
        &p("rc.pem"),
    ]);
    let (out, v) = verify_test(&dir.join("revoked.pdf"), &["--ocsp-url", &responder.url]);
    assert!(!out.status.success(), "{v}");
    assert!(
        codes(&v["signatures"][0]["reasons"]).contains(&"certificate_revoked".to_string()),
        "{v}"
    );

    // Nobody answering, revocation required: not valid; not required: valid with a warning.
    let dead = format!("http://127.0.0.1:{}/", jpid_testkit::postgres::free_port());
    let (out, _) = verify_test(
        &dir.join("signed.pdf"),
        &["--ocsp-url", &dead, "--require-revocation"],
    );
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (out, v) = verify_test(&dir.join("signed.pdf"), &["--ocsp-url", &dead]);
    assert!(out.status.success(), "{v}");
    assert!(
        codes(&v["signatures"][0]["warnings"]).contains(&"revocation_unknown".to_string()),
        "{v}"
    );
    // A URL that is not http:// is a usage error.
    let out = jpid(&["pdf", "verify", &p("signed.pdf"), "--ocsp-url", "ftp://x/"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A PDF written by another producer (poppler's cairo back end, with compressed streams and
/// its own object layout): the card signs it, then signs it again; pdfsig and jpid accept both.
#[test]
fn a_pdf_from_another_producer_is_signed_and_co_signed() {
    let dir = tmpdir("cairo");
    pdf_check(&["make-doc", s(&dir.join("doc.pdf"))]);
    let out = Command::new("pdftocairo")
        .args(["-pdf", s(&dir.join("doc.pdf")), s(&dir.join("cairo.pdf"))])
        .output()
        .expect("pdftocairo (poppler-utils, installed by scripts/ensure-packages)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    card_signs_pdf(&dir.join("cairo.pdf"), &dir.join("once.pdf"));
    card_signs_pdf(&dir.join("once.pdf"), &dir.join("twice.pdf"));
    for (file, n) in [("once.pdf", 1), ("twice.pdf", 2)] {
        let (out, v) = verify(&dir.join(file), &["--trust", "test"]);
        assert!(out.status.success(), "{file}: {v}");
        assert_eq!(v["signatures"].as_array().map(Vec::len), Some(n));
        let p = pdf_check(&["pdfsig", s(&dir.join(file))]);
        let last = &p["signatures"][n - 1];
        assert_eq!(
            (last["valid"].clone(), last["whole_document"].clone()),
            (Value::Bool(true), Value::Bool(true)),
            "{file}: {p}"
        );
    }
}

/// lopdf keeps real numbers as 32-bit floats: a co-signer rewriting a form's translation from
/// 2^34 to 2^34 + 816 points (one f32) moved another line onto the page while jpid read the
/// object as unchanged (review of 2026-12-06). Such an object now counts as changed; the same
/// numbers written again (a co-signature without the nudge) do not.
#[test]
fn a_number_only_a_viewer_tells_apart_is_still_a_change() {
    let dir = tmpdir("nudge");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    pdf_check(&["far-doc", &p("doc.pdf")]);
    card_signs_pdf(&dir.join("doc.pdf"), &dir.join("signed.pdf"));
    pdf_check(&["nudge-real", &p("signed.pdf"), &p("nudged.pdf")]);
    // What poppler draws: the first line before, the second after.
    let text = |f: &str| {
        let out = Command::new("pdftotext")
            .args([&p(f), "-"])
            .output()
            .expect("pdftotext");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(text("signed.pdf").contains("SIGNED: pay 100 yen"));
    assert!(text("nudged.pdf").contains("NUDGED: pay 1000000 yen"));
    card_signs_pdf(&dir.join("nudged.pdf"), &dir.join("cosigned.pdf"));
    let (out, v) = verify(&dir.join("cosigned.pdf"), &["--trust", "test"]);
    assert!(!out.status.success(), "{v}");
    let first = &v["signatures"][0];
    assert_eq!(first["valid"], false, "{v}");
    let changes = first["later_changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["object"] == "6 0" && c["kind"] == "shown"),
        "{v}"
    );
    // Co-signed without the nudge: both valid.
    card_signs_pdf(&dir.join("signed.pdf"), &dir.join("plain.pdf"));
    let (out, v) = verify(&dir.join("plain.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
}

/// A page's annotation list may gain only new signature widgets: a co-signer listing an
/// annotation that was already in the file (unlisted, so no page showed it) makes the page
/// show it, which jpid once allowed as "the list grew" (review of 2026-12-06).
#[test]
fn a_co_signer_may_not_list_an_annotation_already_in_the_file() {
    let dir = tmpdir("stray-annotation");
    let p = |n: &str| dir.join(n).to_str().expect("path").to_string();
    pdf_check(&["make-doc", "--stray-annotation", &p("doc.pdf")]);
    card_signs_pdf(&dir.join("doc.pdf"), &dir.join("signed.pdf"));
    pdf_check(&[
        "list-annotation",
        &p("signed.pdf"),
        &p("listed.pdf"),
        "--object",
        "6",
    ]);
    card_signs_pdf(&dir.join("listed.pdf"), &dir.join("cosigned.pdf"));
    let (out, v) = verify(&dir.join("cosigned.pdf"), &["--trust", "test"]);
    assert!(!out.status.success(), "{v}");
    assert_eq!(v["signatures"][0]["valid"], false, "{v}");
    let changes = v["signatures"][0]["later_changes"]
        .as_array()
        .expect("changes");
    assert!(
        changes.iter().any(|c| c["kind"] == "shown"),
        "the page that lists it: {v}"
    );
    // The same file co-signed without listing it: both valid.
    card_signs_pdf(&dir.join("signed.pdf"), &dir.join("plain.pdf"));
    let (out, v) = verify(&dir.join("plain.pdf"), &["--trust", "test"]);
    assert!(out.status.success(), "{v}");
}
