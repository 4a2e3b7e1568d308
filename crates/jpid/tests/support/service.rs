//! Test support for the verification service: the `jpid serve` process, API keys, and logins
//! signed by the simulated card; the HTTP client and the private PostgreSQL come from
//! jpid-testkit.
#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub use jpid_testkit::http::{call, request, Answer};
pub use jpid_testkit::postgres::{free_port, Postgres};

pub fn jpid() -> Command {
    jpid_testkit::isolated(env!("CARGO_BIN_EXE_jpid"))
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = jpid_testkit::tmpdir("svc", name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running `jpid serve`.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `jpid <global> serve --listen 127.0.0.1:0 --db DB` and waits for its address.
pub fn serve(db: &str, global: &[&str]) -> Server {
    serve_with(db, global, &[])
}

/// [`serve`] with options of `serve` itself.
pub fn serve_with(db: &str, global: &[&str], options: &[&str]) -> Server {
    let mut c = jpid();
    c.args(global)
        .args(["--json", "serve", "--listen", "127.0.0.1:0", "--db", db])
        .args(options)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = c.spawn().expect("spawn jpid serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the serve line");
    let v: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("jpid serve did not start ({e}): {line:?}"));
    let addr = v["listening"].as_str().expect("listening").to_string();
    Server { child, addr }
}

/// `jpid --json serve --db DB ARGS…`: its one JSON document (the command must succeed).
fn serve_json(db: &str, args: &[&str]) -> Value {
    let out = jpid()
        .args(["--json", "serve", "--db", db])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `jpid serve keys create`: returns (id, key).
pub fn make_key(db: &str, scopes: &str) -> (String, String) {
    let v = serve_json(
        db,
        &["keys", "create", "--name", "test", "--scopes", scopes],
    );
    (
        v["id"].as_str().unwrap().to_string(),
        v["key"].as_str().unwrap().to_string(),
    )
}

/// `jpid serve keys pair ID`: a one-time pairing code for the counter key `id`.
pub fn pairing_code(db: &str, id: &str) -> String {
    serve_json(db, &["keys", "pair", id])["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The simulated My Number card signs `data` with its user-authentication key:
/// `jpid --reader sim:mynumber jpki sign --key auth --raw`, the PIN from JPID_PIN.
pub fn card_sign(data: &[u8], dir: &std::path::Path) -> Vec<u8> {
    std::fs::write(dir.join("to-sign.bin"), data).unwrap();
    let out = jpid()
        .args([
            "--reader",
            "sim:mynumber",
            "jpki",
            "sign",
            "--key",
            "auth",
            "--raw",
            "--in",
        ])
        .arg(dir.join("to-sign.bin"))
        .arg("--out")
        .arg(dir.join("to-sign.sig"))
        .env("JPID_PIN", "1234")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.join("to-sign.sig")).unwrap()
}

/// The body of `POST /v1/jpki/login` answering challenge `ch` (as the service sent it) with the
/// simulated card's signature and auth certificate.
pub fn card_login_body(ch: &Value, dir: &std::path::Path) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let nonce = b64.decode(ch["nonce"].as_str().unwrap()).unwrap();
    let pki = jpid_testpki::load_default().unwrap();
    serde_json::json!({
        "challenge_id": ch["challenge_id"],
        "signature": b64.encode(card_sign(&nonce, dir)),
        "certificate": b64.encode(pki.jpki_holder().auth().cert_der()),
    })
    .to_string()
    .into_bytes()
}

/// Runs `f`, then checks every answer it got on this thread against the service's OpenAPI
/// document with the standard validators (openapi-spec-validator, openapi-schema-validator):
/// each status documented for its operation, each JSON body matching that status's schema.
pub fn documented<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let (out, answers) = jpid_testkit::http::recording(f);
    assert!(!answers.is_empty(), "{name}: no answers were recorded");
    let doc = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../jpid-server/src/openapi.json"
    ))
    .unwrap();
    let scratch = tmpdir(&format!("openapi-{name}"));
    jpid_testkit::http::check_against_openapi(&doc, &answers, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    out
}
