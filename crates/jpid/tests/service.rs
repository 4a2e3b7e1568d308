//! `jpid serve` as an eKYC backend uses it: dumps and JPKI logins from simulated cards posted to
//! the API, against SQLite and against a real PostgreSQL that the test starts itself.

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::service::*;

/// `jpid --reader SIM residence read --out DIR` and the dump it wrote.
fn residence_dump(sim: &str, dir: &Path) -> Vec<u8> {
    let out = jpid()
        .args([
            "--reader",
            sim,
            "--json",
            "residence",
            "read",
            "--card-number",
            "AB12345678CD",
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 7 | 9)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.join("card.json")).unwrap()
}

/// The whole API against one database.
fn api_suite(db: &str) {
    let dir = tmpdir(&format!("suite-{}", db.len()));
    let server = serve(db, &["--trust", "test", "--reader", "sim:residence"]);
    let addr = server.addr.as_str();
    let (_, all) = make_key(db, "all");
    let (_, age_only) = make_key(db, "age");

    // Only /healthz answers without a key.
    let a = request(addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!((a.status, a.json()["status"].clone()), (200, json!("ok")));
    for (m, p) in [
        ("GET", "/v1/openapi.json"),
        ("POST", "/v1/residence/verify"),
        ("POST", "/v1/jpki/challenges"),
        ("GET", "/v1/audit"),
        ("GET", "/"),
        ("POST", "/ui/read"),
    ] {
        let a = request(addr, m, p, &[], b"{}").unwrap();
        assert_eq!(
            a.status,
            401,
            "{m} {p} answered without a key: {}",
            a.text()
        );
    }
    let a = call(
        addr,
        "GET",
        "/v1/openapi.json",
        "jpid_000000000000_nope",
        b"",
    );
    assert_eq!(a.status, 401);
    let a = call(addr, "GET", "/v1/openapi.json", &all, b"");
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["openapi"], "3.0.3");

    // A genuine residence card.
    let dump = residence_dump("sim:residence", &dir.join("good"));
    let a = call(addr, "POST", "/v1/residence/verify", &all, &dump);
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(v["genuine"], true, "{v}");
    // Generation 1 records no expiry on the chip: genuine, validity not proven.
    assert_eq!(v["validity_proven"], false, "{v}");
    assert!(v["headline"].as_str().unwrap().contains("CHECK THE EXPIRY"));
    assert!(v["fields"].as_array().is_some_and(|f| !f.is_empty()));
    // The answer is written straight from typed values: its text must stay what a JSON value
    // with sorted keys prints, as it was when the service built the answer as a Value.
    assert_eq!(a.text(), v.to_string());
    // The answer says where its trust came from (issue 15): 4 built-in JPKI roots, 4 test roots.
    assert_eq!(
        v["trust"]["sources"],
        json!({"built_in": 4, "file": 0, "test": 4}),
        "{}",
        v["trust"]
    );
    assert!(v["anchor"].as_str().unwrap().contains("(TEST)"), "{v}");
    assert_eq!(
        v["images_png_base64"],
        Value::Null,
        "images only when asked"
    );
    let good_id = v["audit_id"].as_str().unwrap().to_string();
    // Asked for, the verified images come back as PNG (issue 15: for a selfie match).
    let a = call(addr, "POST", "/v1/residence/verify?images=png", &all, &dump);
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(a.text(), v.to_string());
    for k in ["face", "front"] {
        let png = B64
            .decode(v["images_png_base64"][k].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{k}");
    }
    assert_eq!(
        v["images_png_base64"]["name"],
        Value::Null,
        "generation 1 has no name image"
    );
    let a = call(addr, "POST", "/v1/residence/verify?images=jpg", &all, &dump);
    assert_eq!(a.status, 400);
    // Generation 2: the signed name image comes back; the address image, which the signature
    // does not cover, is never handed out as verified.
    let gen2 = residence_dump("sim:residence-gen2", &dir.join("gen2"));
    let v = call(addr, "POST", "/v1/residence/verify?images=png", &all, &gen2).json();
    assert_eq!(v["genuine"], true, "{v}");
    assert!(v["images_png_base64"]["name"].is_string(), "{v}");
    assert!(v["images_png_base64"].get("address").is_none(), "{v}");
    // A card expired since the (unsigned) read time a dump claims is not plainly genuine.
    let expired = residence_dump("sim:residence-gen2,expiry=2025-01-01", &dir.join("gen2x"));
    let mut d: Value = serde_json::from_slice(&expired).unwrap();
    d["read_at"] = json!("2024-06-01T00:00:00Z");
    let v = call(
        addr,
        "POST",
        "/v1/residence/verify?at=read",
        &all,
        d.to_string().as_bytes(),
    )
    .json();
    assert_eq!(v["outcome"], "genuine_expired", "{v}");
    assert_eq!(v["validity_at_time_asked"]["state"], "valid", "{v}");
    assert_eq!(v["time_source"], "dump_read_at", "{v}");
    // A key without the scope is refused, and says which scope it lacks.
    let a = call(addr, "POST", "/v1/residence/verify", &age_only, &dump);
    assert_eq!(a.status, 403);
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("residence"));

    // A tampered one is not genuine and says why.
    let bad = residence_dump("sim:residence,tamper=face", &dir.join("bad"));
    let a = call(addr, "POST", "/v1/residence/verify", &all, &bad);
    let v = a.json();
    assert_eq!(a.text(), v.to_string());
    let bad_id = v["audit_id"].as_str().unwrap().to_string();
    assert_eq!(v["genuine"], false);
    assert_eq!(v["reasons"][0]["code"], "image_altered", "{v}");
    assert_eq!(v["fields"], json!([]), "no fields from a forgery");
    let a = call(addr, "POST", "/v1/residence/verify?images=png", &all, &bad);
    assert_eq!(
        a.json()["images_png_base64"],
        Value::Null,
        "no images from a forgery"
    );

    // Malformed input: 400 with a message.
    for (body, needle) in [
        (&b""[..], "empty"),
        (b"{\"schema\":", "not JSON"),
        (b"[]", "residence-card dump"),
        (
            b"{\"schema\":\"jpid.residence-dump\",\"schema_version\":9}",
            "schema_version",
        ),
    ] {
        let a = call(addr, "POST", "/v1/residence/verify", &all, body);
        assert_eq!(a.status, 400, "{}", a.text());
        let m = a.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains(needle), "{m:?} lacks {needle:?}");
    }
    let mut edited: Value = serde_json::from_slice(&dump).unwrap();
    edited["files"]["df3.signature"] = json!("AAAA");
    let a = call(
        addr,
        "POST",
        "/v1/residence/verify",
        &all,
        edited.to_string().as_bytes(),
    );
    assert_eq!(a.status, 400, "{}", a.text());
    // Too large.
    {
        // Announced, not sent: the limit is enforced on the announced length, at once.
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(c, "POST /v1/residence/verify HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {all}\r\nContent-Length: 3145728\r\n\r\n").unwrap();
        let mut head = [0u8; 12];
        c.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 413");
    }

    // JPKI login with the simulated card: challenge, the card signs it, login; a replay fails.
    let a = call(addr, "POST", "/v1/jpki/challenges", &all, b"");
    assert_eq!(a.status, 200, "{}", a.text());
    let ch = a.json();
    let nonce = B64.decode(ch["nonce"].as_str().unwrap()).unwrap();
    assert_eq!(nonce.len(), 32);
    let sig = card_sign(&nonce, &dir);
    let out = jpid()
        .args(["--reader", "sim:mynumber", "jpki", "certs", "--out"])
        .arg(dir.join("certs"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = std::fs::read(dir.join("certs/auth.der")).unwrap();
    let login = json!({
        "challenge_id": ch["challenge_id"],
        "signature": B64.encode(&sig),
        "certificate": B64.encode(&cert),
    })
    .to_string();
    let v = call(addr, "POST", "/v1/jpki/login", &all, login.as_bytes()).json();
    assert_eq!(v["authenticated"], true, "{v}");
    assert_eq!(
        v["revocation"]["checked"], false,
        "revocation must say it was not checked"
    );
    let login_id = v["audit_id"].as_str().unwrap().to_string();
    let v = call(addr, "POST", "/v1/jpki/login", &all, login.as_bytes()).json();
    let login2_id = v["audit_id"].as_str().unwrap().to_string();
    assert_eq!(v["authenticated"], false);
    assert_eq!(v["reasons"][0]["code"], "challenge_unknown");
    // A signature over another nonce fails.
    let ch2 = call(addr, "POST", "/v1/jpki/challenges", &all, b"{}").json();
    let wrong = json!({"challenge_id": ch2["challenge_id"], "signature": B64.encode(&sig), "certificate": B64.encode(&cert)});
    let v = call(
        addr,
        "POST",
        "/v1/jpki/login",
        &all,
        wrong.to_string().as_bytes(),
    )
    .json();
    let wrong_id = v["audit_id"].as_str().unwrap().to_string();
    assert_eq!(v["authenticated"], false);
    assert_eq!(v["reasons"][0]["code"], "signature_invalid", "{v}");
    // Strict schema.
    let a = call(
        addr,
        "POST",
        "/v1/jpki/login",
        &all,
        b"{\"challenge_id\":\"x\",\"signature\":\"\",\"certificate\":\"\",\"extra\":1}",
    );
    assert_eq!(a.status, 400);
    // The unknown field is refused by what jpid expects, without echoing what was sent.
    assert!(a.text().contains("unknown field"), "{}", a.text());
    assert!(a.text().contains("challenge_id"), "{}", a.text());
    assert!(!a.text().contains("extra"), "{}", a.text());

    // The same signature through the signature endpoint: valid, made with the auth key.
    let body = json!({"digest_sha256": hex::encode(Sha256::digest(&nonce)), "signature": B64.encode(&sig), "certificate": B64.encode(&cert)});
    let v = call(
        addr,
        "POST",
        "/v1/jpki/signature/verify",
        &all,
        body.to_string().as_bytes(),
    )
    .json();
    assert_eq!(
        (v["valid"].clone(), v["key"].clone()),
        (json!(true), json!("jpki-auth")),
        "{v}"
    );
    let sig_id = v["audit_id"].as_str().unwrap().to_string();

    // Every answer above has its audit record, with the input's hash and no personal data.
    for id in [&good_id, &login_id, &bad_id, &login2_id, &wrong_id, &sig_id] {
        let a = call(addr, "GET", &format!("/v1/audit/{id}"), &all, b"");
        assert_eq!(a.status, 200, "{}", a.text());
    }
    let r = call(addr, "GET", &format!("/v1/audit/{good_id}"), &all, b"").json();
    assert_eq!(r["record"]["method"], "residence");
    assert_eq!(
        r["record"]["input_sha256"],
        hex::encode(Sha256::digest(&dump))
    );
    let history = call(addr, "GET", "/v1/audit?limit=1000", &all, b"").json();
    for r in history["records"].as_array().unwrap() {
        let text = r.to_string();
        assert!(
            !text.contains("AB12345678CD"),
            "the audit store holds the card number: {text}"
        );
    }
    let a = call(addr, "GET", "/v1/audit", &age_only, b"");
    assert_eq!(a.status, 403);

    // A revoked key stops working.
    let (id, doomed) = make_key(db, "residence");
    let out = jpid()
        .args(["serve", "--db", db, "keys", "revoke", &id])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        call(addr, "POST", "/v1/residence/verify", &doomed, &dump).status,
        401
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn service_api_on_sqlite() {
    let dir = tmpdir("sqlite");
    // Every answer of the suite is checked against the OpenAPI document (issue 15).
    documented("api-suite", || {
        api_suite(&format!("sqlite://{}/audit.sqlite3", dir.display()))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn service_api_on_postgresql() {
    let pg = Postgres::start("api");
    api_suite(&pg.url);
}

/// PostgreSQL over TLS: a server certificate jpid cannot verify stops it, with no fallback to
/// plain text (the cluster would take a plain connection); `--db-ca` makes it verify, requires
/// TLS even where the URL does not say so, and still checks the name; then keys, verifications
/// and their audit records go over connections the server logs as TLS. The password in the URL
/// never reaches an output.
#[test]
fn postgresql_over_tls_verifies_the_servers_certificate() {
    let (pg, ca) = Postgres::start_tls("tls");
    let dir = tmpdir("pg-tls");
    let ca = ca.to_str().unwrap();
    // `trust` authentication ignores the password; it is here to be hidden.
    let url = pg.url.replace("postgres@", "postgres:s3cret-pw@");
    let keys = |url: &str, extra: &[&str]| {
        let out = jpid()
            .args(["--json", "serve", "--db", url])
            .args(extra)
            .args([
                "keys",
                "create",
                "--name",
                "t",
                "--scopes",
                "residence,audit",
            ])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("s3cret-pw"), "{text}");
        (out.status.success(), text)
    };

    for untrusted in [
        url.clone(),
        url.replace("sslmode=require", "sslmode=prefer"),
    ] {
        let (ok, text) = keys(&untrusted, &[]);
        assert!(!ok, "{untrusted}: {text}");
        assert!(text.contains("certificate verify failed"), "{text}");
        assert!(text.contains("--db-ca"), "the hint names --db-ca: {text}");
    }
    // The certificate names 127.0.0.1, not localhost: a trusted CA is not enough.
    let by_name = url.replace("127.0.0.1", "localhost") + "&hostaddr=127.0.0.1";
    let (ok, text) = keys(&by_name, &["--db-ca", ca]);
    assert!(!ok && text.contains("certificate verify failed"), "{text}");
    let (ok, text) = keys(
        &url.replace("sslmode=require", "sslmode=disable"),
        &["--db-ca", ca],
    );
    assert!(!ok && text.contains("sslmode=disable"), "{text}");
    for (file, says) in [
        ("/nonexistent/ca.pem", "cannot read /nonexistent/ca.pem"),
        ("/etc/hostname", "does not hold readable PEM certificates"),
    ] {
        let (ok, text) = keys(&url, &["--db-ca", file]);
        assert!(!ok && text.contains(says), "{text}");
    }

    // No sslmode in the URL: --db-ca makes TLS required all the same.
    let url = url.replace("?sslmode=require", "");
    let (ok, text) = keys(&url, &["--db-ca", ca]);
    assert!(ok, "{text}");
    let key = serde_json::from_str::<Value>(&text).unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let dump = residence_dump("sim:residence", &dir);
    let server = serve_with(&url, &["--trust", "test"], &["--db-ca", ca]);
    let addr = server.addr.as_str();
    let a = call(addr, "POST", "/v1/residence/verify", &key, &dump);
    assert_eq!(a.status, 200, "{}", a.text());
    let id = a.json()["audit_id"].as_str().unwrap().to_string();
    let rec = call(addr, "GET", &format!("/v1/audit/{id}"), &key, b"");
    assert_eq!(rec.status, 200, "{}", rec.text());
    let log = pg.log();
    let authorized: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("connection authorized"))
        .collect();
    // keys create (migrations, the key), the service's migrations, reader and writer.
    assert!(authorized.len() >= 4, "{log}");
    for l in authorized {
        assert!(l.contains("SSL enabled"), "{l}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// PostgreSQL stops and comes back under a running service: while it is down every request
/// gets 503 and nothing is verified unrecorded; once it is back the service reconnects by itself
/// and answers again, and the audit holds exactly the answered verifications.
#[test]
fn postgresql_restart_is_survived_without_restarting_jpid() {
    let pg = Postgres::start("restart");
    let dir = tmpdir("pg-restart");
    let dump = residence_dump("sim:residence", &dir);
    let (_, key) = make_key(&pg.url, "residence,audit");
    let server = serve(&pg.url, &["--trust", "test"]);
    let addr = server.addr.as_str();
    let verify = || call(addr, "POST", "/v1/residence/verify", &key, &dump);

    let first = verify();
    assert_eq!(first.status, 200, "{}", first.text());
    pg.stop();
    for _ in 0..3 {
        let down = verify();
        assert_eq!(down.status, 503, "{}", down.text());
        assert!(down.json().get("genuine").is_none(), "{}", down.text());
    }
    let health = request(addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(health.status, 503, "{}", health.text());

    pg.start_again();
    // A client retries a 503; for a second after a failed reconnection the service answers
    // 503 at once, then reconnects.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let back = loop {
        let a = verify();
        if a.status != 503 || std::time::Instant::now() > deadline {
            break a;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(back.status, 200, "{}", back.text());
    assert_eq!(back.json()["genuine"], json!(true));
    let health = request(addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    let audit = call(addr, "GET", "/v1/audit?limit=50", &key, b"");
    assert_eq!(audit.status, 200, "{}", audit.text());
    let ids: Vec<Value> = audit.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    for answered in [&first, &back] {
        assert!(
            ids.contains(&answered.json()["audit_id"]),
            "{}",
            audit.text()
        );
    }
    assert_eq!(ids.len(), 2, "only the answered verifications are recorded");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_with_no_db_flag_uses_sqlite_in_the_data_directory() {
    let home = tmpdir("xdg");
    let mut c = jpid();
    c.env("XDG_DATA_HOME", &home)
        .args(["--json", "serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let addr = v["listening"].as_str().unwrap().to_string();
    let a = request(&addr, "GET", "/healthz", &[], b"").unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(a.status, 200);
    assert!(v["db"].as_str().unwrap().starts_with("sqlite://"));
    assert!(home.join("jpid/jpid.sqlite3").exists());
    assert_eq!(
        v["trust"], "production",
        "no test roots unless asked for by name"
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// Load, `kill -9`, restart: every request that got an answer has its audit record.
fn survives_kill_9(db: &str) {
    let dir = tmpdir(&format!("kill-{}", db.len()));
    let dump = Arc::new(residence_dump("sim:residence", &dir));
    let (_, key) = make_key(db, "residence,audit");
    let mut server = serve(db, &["--trust", "test"]);
    let addr = server.addr.clone();
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, key, dump, answered, stop) = (
                addr.clone(),
                key.clone(),
                dump.clone(),
                answered.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let auth = format!("Bearer {key}");
                    match request(
                        &addr,
                        "POST",
                        "/v1/residence/verify",
                        &[("Authorization", &auth)],
                        &dump,
                    ) {
                        Ok(a) if a.status == 200 => {
                            let id = a.json()["audit_id"].as_str().unwrap().to_string();
                            answered.lock().unwrap().push(id);
                        }
                        Ok(a) => panic!("unexpected answer {}: {}", a.status, a.text()),
                        // The server died mid-request: no answer, so no promise.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Let load build up, then kill -9 while requests are in flight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while answered.lock().unwrap().len() < 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 50,
        "only {} answers before the kill",
        answered.len()
    );
    drop(server);
    let server = serve(db, &["--trust", "test"]);
    for id in &answered {
        let a = call(&server.addr, "GET", &format!("/v1/audit/{id}"), &key, b"");
        assert_eq!(
            a.status, 200,
            "answered request {id} has no audit record after kill -9"
        );
    }
    eprintln!("{} answered requests, every one recorded", answered.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_answered_request_is_recorded_across_kill_9_sqlite() {
    let dir = tmpdir("kill-sqlite");
    survives_kill_9(&format!("sqlite://{}/audit.sqlite3", dir.display()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_answered_request_is_recorded_across_kill_9_postgresql() {
    let pg = Postgres::start("kill");
    survives_kill_9(&pg.url);
}

/// The JPKI login through the card: a challenge, and the login body answering it.
fn card_login(addr: &str, key: &str, dir: &Path) -> Vec<u8> {
    let ch = call(addr, "POST", "/v1/jpki/challenges", key, b"").json();
    card_login_body(&ch, dir)
}

#[test]
fn jpki_logins_check_revocation_when_crls_are_configured() {
    let dir = tmpdir("crl");
    let pki = jpid_testpki::load_default().unwrap();
    std::fs::create_dir_all(dir.join("crls")).unwrap();
    std::fs::write(dir.join("crls/auth.crl"), pki.jpki_auth_crl()).unwrap();
    std::fs::write(dir.join("crls/sign.crl"), pki.jpki_sign_crl()).unwrap();
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, key) = make_key(&db, "jpki");
    let crl_dir = dir.join("crls").display().to_string();
    let server = serve_with(&db, &["--trust", "test"], &["--crl-dir", &crl_dir]);
    let addr = server.addr.as_str();

    // The card's holder: authenticated, and the CRL vouched for the certificate.
    let body = card_login(addr, &key, &dir);
    let v = call(addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], true, "{v}");
    assert_eq!(
        (
            v["revocation"]["checked"].clone(),
            v["revocation"]["status"].clone()
        ),
        (json!(true), json!("good")),
        "{v}"
    );

    // A revoked holder with a correct signature is refused.
    let body = revoked_holder_login(addr, &key);
    let v = call(addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], false, "{v}");
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "certificate_revoked"),
        "{v}"
    );
    assert_eq!(v["revocation"]["status"], "revoked");
    drop(server);

    // A CRL directory that holds something else: the service refuses to start.
    std::fs::write(dir.join("crls/notes.pem"), "not a CRL").unwrap();
    let out = jpid()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
            "--crl-dir",
            &crl_dir,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.pem"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A login by the test PKI's revoked holder (a correct signature over the challenge).
fn revoked_holder_login(addr: &str, key: &str) -> Vec<u8> {
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    let pki = jpid_testpki::load_default().unwrap();
    let ch = call(addr, "POST", "/v1/jpki/challenges", key, b"").json();
    let nonce = B64.decode(ch["nonce"].as_str().unwrap()).unwrap();
    let holder = pki.jpki_revoked_holder();
    let k: &RsaPrivateKey = holder.auth().private_key();
    let sig = k
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&nonce))
        .unwrap();
    json!({"challenge_id": ch["challenge_id"], "signature": B64.encode(sig), "certificate": B64.encode(holder.auth().cert_der())})
        .to_string()
        .into_bytes()
}

/// JPKI logins checked online by OCSP (issue 16), against `openssl ocsp` run by the test: the
/// card's holder logs in and the answer says the responder vouched; a revoked holder is refused;
/// with the responder gone (its answers cached until nextUpdate), logins still pass; a service
/// whose responder never answers refuses logins (fail closed) and says why.
#[test]
fn jpki_logins_check_revocation_by_ocsp() {
    use jpid_testkit::ocsp::{ca_files, index_line, responder_cert, Responder};
    use rsa::pkcs8::EncodePrivateKey;
    let dir = tmpdir("ocsp");
    let pki = jpid_testpki::load_default().unwrap();
    let ca = pki.jpki_auth_ca();
    ca_files(
        &dir,
        ca.cert_der(),
        ca.private_key().to_pkcs8_der().unwrap().as_bytes(),
    );
    let serial = |der: &[u8]| {
        jpid_verify::x509::ParsedCert::parse(der)
            .unwrap()
            .serial_hex()
    };
    let index = format!(
        "{}{}",
        index_line(&serial(pki.jpki_holder().auth().cert_der()), false),
        index_line(&serial(pki.jpki_revoked_holder().auth().cert_der()), true)
    );
    let signer = responder_cert(&dir, "responder", Some("extendedKeyUsage = OCSPSigning"));
    let responder = Responder::start(&dir, &index, (&signer.0, &signer.1), &["-ndays", "1"]);
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, key) = make_key(&db, "jpki");
    let server = serve_with(&db, &["--trust", "test"], &["--ocsp-url", &responder.url]);
    let addr = server.addr.as_str();

    let body = card_login(addr, &key, &dir);
    let v = call(addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], true, "{v}");
    assert_eq!(v["revocation"]["checked"], true, "{v}");
    assert_eq!(v["revocation"]["status"], "good", "{v}");
    let detail = v["revocation"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("OCSP responder") && detail.contains(&responder.url),
        "{detail}"
    );
    let v = call(
        addr,
        "POST",
        "/v1/jpki/login",
        &key,
        &revoked_holder_login(addr, &key),
    )
    .json();
    assert_eq!(v["authenticated"], false, "{v}");
    assert_eq!(v["revocation"]["status"], "revoked", "{v}");
    // The responder goes away: the cached answer holds until its nextUpdate.
    drop(responder);
    let body = card_login(addr, &key, &dir);
    let v = call(addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], true, "cached: {v}");
    drop(server);

    // A responder that never answers: revocation is required, so the login is refused.
    let closed = free_port();
    let server = serve_with(
        &db,
        &["--trust", "test"],
        &["--ocsp-url", &format!("http://127.0.0.1:{closed}/")],
    );
    let addr = server.addr.as_str();
    let body = card_login(addr, &key, &dir);
    let v = call(addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], false, "fail closed: {v}");
    assert_eq!(
        (
            v["revocation"]["checked"].clone(),
            v["revocation"]["status"].clone()
        ),
        (json!(false), json!("unknown")),
        "{v}"
    );
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "revocation_unknown"
                && r["message"].as_str().unwrap().contains("cannot be reached")),
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `jpid --reader SIM mynumber SUB --pin-stdin --out DIR [extra]` with `secret` on stdin.
fn mynumber_dump(sim: &str, sub: &str, secret: &str, extra: &[&str], dir: &Path) -> Vec<u8> {
    use std::io::Write;
    let mut c = jpid();
    c.args([
        "--reader",
        sim,
        "--json",
        "mynumber",
        sub,
        "--pin-stdin",
        "--out",
    ])
    .arg(dir)
    .args(extra)
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    // jpid may exit before reading stdin (a usage error): a broken pipe is not the test's failure.
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{secret}\n").as_bytes());
    let out = child.wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 7)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = match sub {
        "text" => "text.json",
        "face" => "face.json",
        _ => "birth.json",
    };
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn my_number_card_dumps_are_verified_and_the_my_number_is_never_stored() {
    documented(
        "my_number_card_dumps_are",
        my_number_card_dumps_are_verified_and_the_my_number_is_never_stored_inner,
    );
}

fn my_number_card_dumps_are_verified_and_the_my_number_is_never_stored_inner() {
    let dir = tmpdir("mynumber");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let server = serve(&db, &["--trust", "test"]);
    let addr = server.addr.as_str();
    let (_, basic) = make_key(&db, "mynumber,age,audit");
    let (_, number) = make_key(&db, "mynumber,mynumber:number");

    // The text AP: a dump without the My Number unless the reader asked for it.
    let plain = mynumber_dump("sim:mynumber", "text", "1234", &[], &dir.join("t1"));
    assert!(!String::from_utf8_lossy(&plain).contains("my_number"));
    let with = mynumber_dump(
        "sim:mynumber",
        "text",
        "1234",
        &["--show-my-number"],
        &dir.join("t2"),
    );
    let v = call(addr, "POST", "/v1/mynumber/text/verify", &basic, &plain).json();
    assert_eq!(v["genuine"], true, "{v}");
    // No chip answered for a dump: no chip check is listed, passed or not; the facet says why.
    let checks = v["checks"].as_array().or(v["verdict"]["checks"].as_array());
    assert!(
        checks.is_some_and(|c| !c.is_empty() && !c.iter().any(|c| c["name"] == "chip_authentication")),
        "{v}"
    );
    assert!(v["basic_four"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(v["my_number"], Value::Null);
    let v = call(addr, "POST", "/v1/mynumber/text/verify", &basic, &with).json();
    assert_eq!(
        v["my_number"], "************",
        "masked for a key without mynumber:number"
    );
    let a = call(
        addr,
        "POST",
        "/v1/mynumber/text/verify?show_my_number=true",
        &basic,
        &with,
    );
    assert_eq!(a.status, 403);
    let v = call(
        addr,
        "POST",
        "/v1/mynumber/text/verify?show_my_number=true",
        &number,
        &with,
    )
    .json();
    assert_eq!(v["my_number"], "999900000001");
    let tampered = mynumber_dump(
        "sim:mynumber,tamper=basic",
        "text",
        "1234",
        &[],
        &dir.join("t3"),
    );
    let v = call(addr, "POST", "/v1/mynumber/text/verify", &basic, &tampered).json();
    assert_eq!(v["genuine"], false);
    assert_eq!(v["basic_four"], Value::Null, "no data from a forgery");

    // The card-face AP with 照合番号B: genuine, images as PNG; a swapped photo is caught.
    let face = mynumber_dump(
        "sim:mynumber",
        "face",
        "02010120351234",
        &[],
        &dir.join("f1"),
    );
    let v = call(addr, "POST", "/v1/mynumber/face/verify", &basic, &face).json();
    assert_eq!(v["genuine"], true, "{v}");
    // With 照合番号A and the My Number image: returned only with the scope and asked for, and
    // the audit record says whether it left the service (issue 16).
    let with_image = mynumber_dump(
        "sim:mynumber",
        "face",
        "999900000001",
        &["--with", "a", "--show-my-number"],
        &dir.join("f-a"),
    );
    let image_returned = |key: &str, query: &str| {
        let a = call(
            addr,
            "POST",
            &format!("/v1/mynumber/face/verify{query}"),
            key,
            &with_image,
        );
        assert_eq!(a.status, 200, "{}", a.text());
        let v = a.json();
        let id = v["audit_id"].as_str().unwrap().to_string();
        let rec = call(addr, "GET", &format!("/v1/audit/{id}"), &basic, b"").json();
        let detail: Value =
            serde_json::from_str(rec["record"]["detail"].as_str().unwrap()).unwrap();
        (
            v["my_number_image_png_base64"].is_string(),
            detail["my_number_image_returned"].clone(),
        )
    };
    assert_eq!(image_returned(&basic, ""), (false, json!(false)));
    assert_eq!(
        image_returned(&number, "?show_my_number=true"),
        (true, json!(true))
    );
    let png = B64
        .decode(v["images_png_base64"]["face"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(v["unsigned"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["item"] == "expiry"));
    // In words too, the unsigned expiry is not shown as proven; the signed birth date is.
    assert_eq!(v["words"]["expiry"]["signed"], false, "{}", v["words"]);
    assert_eq!(v["words"]["birth_date"]["signed"], true, "{}", v["words"]);
    assert!(v["words"]["birth_date"]["ja"]
        .as_str()
        .unwrap()
        .contains("（"));
    // A dump is offline: nothing shows a chip answered.
    assert_eq!(v["chip_authenticated"]["state"], "not_applicable", "{v}");
    let forged = mynumber_dump(
        "sim:mynumber,tamper=face-photo",
        "face",
        "02010120351234",
        &[],
        &dir.join("f2"),
    );
    let v = call(addr, "POST", "/v1/mynumber/face/verify", &basic, &forged).json();
    assert_eq!(v["genuine"], false, "{v}");
    assert_eq!(v["images_png_base64"], Value::Null);

    // The PIN-less check from what a reader sent: the basic four, the card face and the JPKI
    // user-authentication certificate, each checked; offline, so the chip facet does not apply.
    let pki = jpid_testpki::load_default().unwrap();
    let check = |text: &[u8], face: &[u8], cert: &[u8]| {
        let body = json!({
            "text_dump": serde_json::from_slice::<Value>(text).unwrap(),
            "face_dump": serde_json::from_slice::<Value>(face).unwrap(),
            "auth_certificate": B64.encode(cert),
        });
        let a = call(
            addr,
            "POST",
            "/v1/mynumber/check/verify",
            &basic,
            body.to_string().as_bytes(),
        );
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()
    };
    let v = check(&plain, &face, pki.jpki_holder().auth().cert_der());
    assert_eq!(v["outcome"], "genuine", "{v}");
    assert_eq!(v["chip_authenticated"]["state"], "not_applicable");
    assert_eq!(v["auth_certificate"]["revocation"]["status"], "not_checked");
    assert!(v["basic_four"]["name"].is_string());
    let v = check(&plain, &forged, pki.jpki_holder().auth().cert_der());
    assert_eq!(v["outcome"], "not_genuine", "{v}");
    assert_eq!(v["basic_four"], Value::Null, "no data from a forgery");
    // Each dump genuine, but of two cards: the card face of another holder is refused.
    let other = mynumber_dump(
        "sim:mynumber,tamper=other-card",
        "face",
        "02010120351234",
        &[],
        &dir.join("f3"),
    );
    let v = call(addr, "POST", "/v1/mynumber/face/verify", &basic, &other).json();
    assert_eq!(
        v["genuine"], true,
        "another card's face alone is genuine: {v}"
    );
    let v = check(&plain, &other, pki.jpki_holder().auth().cert_der());
    assert_eq!(v["outcome"], "not_genuine", "{v}");
    assert!(v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "cards_differ"));
    assert_eq!(v["basic_four"], Value::Null, "no data from a mismatch");
    // A signature certificate in place of the authentication one is refused.
    let v = check(&plain, &face, pki.jpki_holder().sign().cert_der());
    assert_eq!(v["outcome"], "not_genuine", "{v}");

    // Age: over or not, nothing else, from the text AP or from the birth record.
    let birth = mynumber_dump("sim:mynumber", "birth-date", "020101", &[], &dir.join("b1"));
    for (field, dump, method) in [
        ("text_dump", &plain, "text"),
        ("face_dump", &birth, "surface-dob"),
    ] {
        let dump: Value = serde_json::from_slice(dump).unwrap();
        for (over, expect) in [(18, true), (200, false)] {
            let body = json!({"over": over, "at": "2026-11-23", field: dump});
            let a = call(
                addr,
                "POST",
                "/v1/age/verify",
                &basic,
                body.to_string().as_bytes(),
            );
            assert_eq!(a.status, 200, "{}", a.text());
            let v = a.json();
            assert_eq!(
                (
                    v["is_over"].clone(),
                    v["method"].clone(),
                    v["genuine"].clone()
                ),
                (json!(expect), json!(method), json!(true))
            );
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                [
                    "audit_id",
                    "chip_authenticated",
                    "genuine",
                    "headline",
                    "is_over",
                    "method",
                    "on",
                    "outcome",
                    "over",
                    "reasons",
                    "validity_proven"
                ],
                "only the answer"
            );
            // Neither record proves an expiry, and no chip answered for a dump.
            assert_eq!(v["validity_proven"], false, "{v}");
            assert!(v["headline"].as_str().unwrap().contains("CHECK THE EXPIRY"));
            assert_eq!(v["chip_authenticated"], "not_applicable");
        }
        // Someone not yet born on the day asked about is not 0 or older; recorded as such.
        let body = json!({"over": 0, "at": "1980-01-01", field: dump});
        let a = call(
            addr,
            "POST",
            "/v1/age/verify",
            &basic,
            body.to_string().as_bytes(),
        );
        let v = a.json();
        assert_eq!(
            (v["is_over"].clone(), v["genuine"].clone()),
            (json!(false), json!(true))
        );
        let id = v["audit_id"].as_str().unwrap();
        let rec = call(addr, "GET", &format!("/v1/audit/{id}"), &basic, b"").json();
        assert_eq!(rec["record"]["result"], "not_over", "{rec}");
        let detail: Value =
            serde_json::from_str(rec["record"]["detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["chip_authenticated"], "not_applicable", "{detail}");
        assert_eq!(detail["time_source"], "server_clock", "{detail}");
        assert!(detail["checked_at"].is_string(), "{detail}");
    }
    let body =
        json!({"over": 18, "text_dump": serde_json::from_slice::<Value>(&tampered).unwrap()});
    let v = call(
        addr,
        "POST",
        "/v1/age/verify",
        &basic,
        body.to_string().as_bytes(),
    )
    .json();
    assert_eq!(
        (v["is_over"].clone(), v["genuine"].clone()),
        (Value::Null, json!(false))
    );

    // The audit store holds no My Number, name or birth date.
    let history = call(addr, "GET", "/v1/audit?limit=1000", &basic, b"").json();
    let records = history["records"].as_array().unwrap();
    assert!(records.len() >= 10);
    for r in records {
        for (k, v) in r.as_object().unwrap() {
            // Random hex ids and hashes, and the time, may contain any digits.
            if ["id", "input_sha256", "key_id", "at"].contains(&k.as_str()) {
                continue;
            }
            let v = v.to_string();
            for secret in ["999900000001", "1234", "020101", "1990", "0101"] {
                assert!(!v.contains(secret), "{secret} in the audit store: {k}={v}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn challenge_creation_is_rate_limited_per_key() {
    documented(
        "challenge_creation_is_ra",
        challenge_creation_is_rate_limited_per_key_inner,
    );
}

fn challenge_creation_is_rate_limited_per_key_inner() {
    let dir = tmpdir("rate");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, a) = make_key(&db, "jpki");
    let (_, b) = make_key(&db, "jpki");
    let server = serve_with(&db, &[], &["--challenge-rate", "1"]);
    // Burst: five times the rate, then 429 with a message.
    let codes: Vec<u16> = (0..5)
        .map(|_| call(&server.addr, "POST", "/v1/jpki/challenges", &a, b"").status)
        .collect();
    assert_eq!(codes, [200; 5]);
    let last = call(&server.addr, "POST", "/v1/jpki/challenges", &a, b"");
    assert_eq!(last.status, 429);
    assert_eq!(last.json()["error"]["kind"], "rate_limited");
    // Another key has its own budget.
    assert_eq!(
        call(&server.addr, "POST", "/v1/jpki/challenges", &b, b"").status,
        200
    );
    // A body is refused: challenges take no input.
    let a2 = call(
        &server.addr,
        "POST",
        "/v1/jpki/challenges",
        &b,
        b"{\"nonce\":\"mine\"}",
    );
    assert_eq!(a2.status, 400);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `POST /login` with a key, as the sign-in form sends it; returns the session cookie.
fn sign_in(addr: &str, key: &str) -> Option<String> {
    sign_in_with(addr, &format!("key={key}"))
}

/// Posts the sign-in form (`key=…` or `code=…`); the session cookie, if one was set.
fn sign_in_with(addr: &str, form: &str) -> Option<String> {
    let origin = format!("http://{addr}");
    let a = request(
        addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
        ],
        form.as_bytes(),
    )
    .unwrap();
    let cookie = a.header("set-cookie")?.to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    Some(cookie.split(';').next().unwrap().to_string())
}

#[test]
fn a_photo_comparison_needs_a_photo_shown() {
    // A genuine residence card without a photo (issued under 16): the clerk was shown no
    // photo, so no comparison can be recorded against its check.
    let dir = tmpdir("no-photo");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let server = serve(
        &db,
        &["--trust", "test", "--reader", "sim:residence,photo=no"],
    );
    let addr = server.addr.as_str();
    let (_, key) = make_key(&db, "counter,audit");
    let auth = format!("Bearer {key}");
    let page = [
        ("Authorization", auth.as_str()),
        ("X-Jpid-Page", "1"),
        ("Content-Type", "application/json"),
    ];
    let a = request(
        addr,
        "POST",
        "/ui/read",
        &page,
        b"{\"kind\":\"residence\",\"card_number\":\"AB12345678CD\"}",
    )
    .unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["genuine"], true, "{}", a.text());
    let check = a.json()["audit_id"].as_str().unwrap().to_string();
    let a = request(
        addr,
        "POST",
        "/ui/compare",
        &page,
        json!({"audit_id": check, "result": "match"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(a.status, 400, "{}", a.text());
    let rec = call(addr, "GET", &format!("/v1/audit/{check}"), &key, b"").json();
    let detail: Value = serde_json::from_str(rec["record"]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["photo_shown"], false, "{detail}");
    assert_eq!(detail["chip_authenticated"], "not_possible", "{detail}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_and_counter_sessions_are_checked_on_every_request() {
    documented(
        "keys_and_counter_session",
        keys_and_counter_sessions_are_checked_on_every_request_inner,
    );
}

fn keys_and_counter_sessions_are_checked_on_every_request_inner() {
    let dir = tmpdir("sessions");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let server = serve(&db, &["--trust", "test", "--reader", "sim:mynumber"]);
    let addr = server.addr.as_str();
    let (staff_id, staff) = make_key(&db, "counter,audit");
    let (api_id, api) = make_key(&db, "jpki,residence");
    let (_, other_counter) = make_key(&db, "counter");
    let (_, other) = make_key(&db, "jpki");

    // Nothing is read from a request without a key: a request announcing a 3 MiB body gets
    // 401 at once, before a byte of the body is sent (not 413 after reading it).
    {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            c,
            "POST /v1/residence/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 3145728\r\n\r\n"
        )
        .unwrap();
        let mut head = [0u8; 12];
        c.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 401");
    }

    // Sign-in: only a key with the counter scope, only from this origin.
    assert!(
        sign_in(addr, &api).is_none(),
        "a key without counter got a session"
    );
    let a = request(
        addr,
        "POST",
        "/login",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("key={staff}").as_bytes(),
    )
    .unwrap();
    assert_eq!(a.status, 403);
    let cookie = sign_in(addr, &staff).expect("a session");
    // A pairing code (issue 15) signs in once, for its key; racing sign-ins with one code get
    // one session between them; a code for a key revoked since does nothing; a key without
    // the counter scope gets no code.
    let code = pairing_code(&db, &staff_id);
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let (addr, form) = (addr.to_string(), format!("code={code}"));
            std::thread::spawn(move || sign_in_with(&addr, &form))
        })
        .collect();
    let sessions: Vec<String> = racers
        .into_iter()
        .filter_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(sessions.len(), 1, "one code, {} sessions", sessions.len());
    let page = request(addr, "GET", "/", &[("Cookie", &sessions[0])], b"").unwrap();
    assert_eq!(page.status, 200, "the paired session opens the page");
    assert!(
        sign_in_with(addr, &format!("code={code}")).is_none(),
        "used twice"
    );
    assert!(sign_in_with(addr, "code=AAAAA-AAAAA").is_none());
    let out = jpid()
        .args(["serve", "--db", &db, "keys", "pair", &api_id])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a code for a key without counter"
    );
    let (doomed_id, _) = make_key(&db, "counter");
    let doomed_code = pairing_code(&db, &doomed_id);
    assert!(jpid()
        .args(["serve", "--db", &db, "keys", "revoke", &doomed_id])
        .status()
        .unwrap()
        .success());
    assert!(
        sign_in_with(addr, &format!("code={doomed_code}")).is_none(),
        "a code outlived its key's revocation"
    );
    let page = request(addr, "GET", "/", &[("Cookie", &cookie)], b"").unwrap();
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap().to_string();
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("default-src 'none'"),
        "{csp}"
    );

    // The cookie counts on the page's own endpoints only, and their posts need the page header.
    let read = |hdrs: &[(&str, &str)], body: &str| {
        request(addr, "POST", "/ui/read", hdrs, body.as_bytes()).unwrap()
    };
    let with_page = [
        ("Cookie", cookie.as_str()),
        ("X-Jpid-Page", "1"),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(
        read(
            &[("Cookie", &cookie)],
            "{\"kind\":\"mynumber-text\",\"pin\":\"1234\"}"
        )
        .status,
        403
    );
    let a = read(&with_page, "{\"kind\":\"mynumber-text\",\"pin\":\"1234\"}");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["genuine"], true);
    let text_check = a.json()["audit_id"].as_str().unwrap().to_string();
    // The text AP shows no photo: nothing to compare.
    let a = request(
        addr,
        "POST",
        "/ui/compare",
        &with_page,
        json!({"audit_id": text_check, "result": "match"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(a.status, 400, "{}", a.text());
    // The read's record says what the verdict depended on and what was returned.
    let rec = request(
        addr,
        "GET",
        &format!("/v1/audit/{text_check}"),
        &[("Cookie", &cookie)],
        b"",
    )
    .unwrap()
    .json();
    let detail: Value = serde_json::from_str(rec["record"]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["chip_authenticated"], "yes", "{detail}");
    assert_eq!(detail["my_number_returned"], false, "{detail}");
    assert_eq!(detail["time_source"], "server_clock", "{detail}");
    assert!(detail["checked_at"].is_string(), "{detail}");
    // The card face shows the photo.
    let a = read(
        &with_page,
        "{\"kind\":\"mynumber-face\",\"pin\":\"02010120351234\"}",
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["genuine"], true);
    let check = a.json()["audit_id"].as_str().unwrap().to_string();
    // The clerk's photo comparison is recorded against that check, by the same key only.
    let compare = |hdrs: &[(&str, &str)], body: String| {
        request(addr, "POST", "/ui/compare", hdrs, body.as_bytes()).unwrap()
    };
    let a = compare(
        &with_page,
        json!({"audit_id": check, "result": "match"}).to_string(),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["check"], check.as_str());
    let compared = a.json()["audit_id"].as_str().unwrap().to_string();
    let rec = request(
        addr,
        "GET",
        &format!("/v1/audit/{compared}"),
        &[("Cookie", &cookie)],
        b"",
    )
    .unwrap()
    .json();
    assert_eq!(
        (
            rec["record"]["method"].clone(),
            rec["record"]["result"].clone()
        ),
        (json!("photo-compare"), json!("match")),
        "{rec}"
    );
    assert!(
        rec["record"]["detail"].as_str().unwrap().contains(&check),
        "{rec}"
    );
    for (body, status) in [
        (json!({"audit_id": check, "result": "maybe"}), 400),
        (json!({"audit_id": "0".repeat(32), "result": "match"}), 404),
        (json!({"audit_id": check}), 400),
    ] {
        let a = compare(&with_page, body.to_string());
        assert_eq!(a.status, status, "{body}: {}", a.text());
    }
    // Another key cannot record a comparison against this check.
    let a = request(
        addr,
        "POST",
        "/ui/compare",
        &[
            ("Authorization", &format!("Bearer {other_counter}")),
            ("Content-Type", "application/json"),
        ],
        json!({"audit_id": check, "result": "no_match"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(a.status, 404, "{}", a.text());
    assert_eq!(
        request(addr, "GET", "/v1/audit", &[("Cookie", &cookie)], b"")
            .unwrap()
            .status,
        200
    );
    let a = request(
        addr,
        "POST",
        "/v1/jpki/challenges",
        &[("Cookie", &cookie), ("X-Jpid-Page", "1")],
        b"",
    )
    .unwrap();
    assert_eq!(a.status, 401, "the session cookie must not reach the API");

    // A PIN never comes back in an error, whatever its form.
    for body in [
        "{\"kind\":\"mynumber-text\",\"pin\":9876}",
        "{\"kind\":\"mynumber-text\",\"pin\":\"98765\"}",
        "{\"kind\":\"mynumber-face\",\"pin\":\"9876X\"}",
        "{\"kind\":\"mynumber-text\",\"pin\":[9876]}",
    ] {
        let a = read(&with_page, body);
        assert_eq!(a.status, 400, "{body}: {}", a.text());
        assert!(
            !a.text().contains("9876"),
            "the PIN came back: {}",
            a.text()
        );
    }
    // A wrong PIN is refused in the clerk's words, with the tries left, and leaves an audit
    // record of its own kind (with no PIN in it) whose id comes with the answer.
    let a = read(&with_page, "{\"kind\":\"mynumber-text\",\"pin\":\"4321\"}");
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(!a.text().contains("4321"));
    let e = &a.json()["error"];
    assert_eq!(e["kind"], "wrong_pin", "{e}");
    let left = e["tries_left"].as_u64().expect("tries left");
    assert!(
        e["message_ja"]
            .as_str()
            .unwrap()
            .starts_with(&format!("暗証番号が違います（残り{left}回）")),
        "{e}"
    );
    let failed_id = a.header("x-jpid-audit-id").expect("audit id").to_string();
    let history = request(
        addr,
        "GET",
        "/v1/audit?limit=50",
        &[("Cookie", &cookie)],
        b"",
    )
    .unwrap()
    .json();
    let records = history["records"].as_array().unwrap();
    let failed = records
        .iter()
        .find(|r| r["id"] == failed_id.as_str())
        .unwrap_or_else(|| panic!("no record {failed_id}: {history}"));
    assert_eq!(failed["result"], "error", "{failed}");
    assert_eq!(failed["key_id"], format!("web:{staff_id}"), "{failed}");
    assert_eq!(failed["reasons"], "wrong_pin", "{failed}");
    // The wrong PIN is nowhere in the records (random hex ids and hashes, and times, may hold
    // any four digits by chance: they are not searched).
    for r in records {
        for (k, v) in r.as_object().unwrap() {
            if ["id", "input_sha256", "key_id", "at"].contains(&k.as_str()) {
                continue;
            }
            let v = match (k.as_str(), v.as_str()) {
                // The detail's time, likewise.
                ("detail", Some(d)) => {
                    let mut d: Value = serde_json::from_str(d).unwrap();
                    d.as_object_mut().unwrap().remove("checked_at");
                    d.to_string()
                }
                _ => v.to_string(),
            };
            assert!(!v.contains("4321"), "the PIN in the audit store: {k}={v}");
        }
    }
    // Counter records hash what the card gave, not a constant and not the PIN.
    let hashes: Vec<&str> = records
        .iter()
        .filter(|r| r["result"] == "genuine")
        .map(|r| r["input_sha256"].as_str().unwrap())
        .collect();
    assert!(!hashes.is_empty());
    assert_ne!(
        hashes[0],
        hex::encode(Sha256::digest(b"counter:mynumber-text"))
    );

    // A challenge answers only for the key that asked for it.
    let ch = call(addr, "POST", "/v1/jpki/challenges", &api, b"").json();
    let body =
        json!({"challenge_id": ch["challenge_id"], "signature": "AAAA", "certificate": "AAAA"})
            .to_string();
    let v = call(addr, "POST", "/v1/jpki/login", &other, body.as_bytes()).json();
    assert_eq!(v["reasons"][0]["code"], "challenge_unknown");

    // Revoking a key that was just used (and is cached) stops it, and its sessions, within 5 s.
    assert_eq!(
        call(addr, "POST", "/v1/jpki/challenges", &api, b"").status,
        200
    );
    for id in [&api_id, &staff_id] {
        let out = jpid()
            .args(["serve", "--db", &db, "keys", "revoke", id])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    std::thread::sleep(std::time::Duration::from_millis(5_500));
    assert_eq!(
        call(addr, "POST", "/v1/jpki/challenges", &api, b"").status,
        401
    );
    assert_eq!(
        read(&with_page, "{\"kind\":\"mynumber-text\",\"pin\":\"1234\"}").status,
        401
    );
    assert_eq!(
        request(addr, "GET", "/", &[("Cookie", &cookie)], b"")
            .unwrap()
            .status,
        401
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every error is JSON in the documented shape, even those the HTTP framework writes (405, 413,
/// a malformed query), none repeats what the client sent, and 429 says when to retry (issue 15).
#[test]
fn every_error_is_json_and_429_says_when_to_retry() {
    documented(
        "every_error_is_json_and_",
        every_error_is_json_and_429_says_when_to_retry_inner,
    );
}

fn every_error_is_json_and_429_says_when_to_retry_inner() {
    let dir = tmpdir("json-errors");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, key) = make_key(&db, "all");
    let server = serve_with(&db, &[], &["--challenge-rate", "1"]);
    let json_error = |a: &Answer, status: u16, kind: &str| {
        assert_eq!(a.status, status, "{}", a.text());
        assert!(
            a.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{status}: {:?}",
            a.header("content-type")
        );
        assert_eq!(a.json()["error"]["kind"], kind, "{}", a.text());
    };
    // A path that takes POST only.
    let a = call(&server.addr, "GET", "/v1/residence/verify", &key, b"");
    json_error(&a, 405, "method_not_allowed");
    assert!(a.header("allow").is_some_and(|v| v.contains("POST")));
    // A challenge body over its 64-byte limit.
    let a = call(
        &server.addr,
        "POST",
        "/v1/jpki/challenges",
        &key,
        &[b'{'; 100],
    );
    json_error(&a, 413, "too_large");
    // A malformed query: refused without quoting it.
    let a = call(&server.addr, "GET", "/v1/audit?limit=QUOTE-ME", &key, b"");
    json_error(&a, 400, "bad_request");
    assert!(!a.text().contains("QUOTE-ME"), "{}", a.text());
    // A date that does not exist is refused, not moved to March, and not quoted back.
    let dump = residence_dump("sim:residence", &dir.join("dump"));
    for at in ["2026-02-31", "2026-02-31QUOTE"] {
        let a = call(
            &server.addr,
            "POST",
            &format!("/v1/residence/verify?at={at}"),
            &key,
            &dump,
        );
        json_error(&a, 400, "bad_request");
        assert!(!a.text().contains("2026-02-31"), "{}", a.text());
    }
    // Past the per-key challenge rate: 429 with Retry-After.
    let mut last = None;
    for _ in 0..8 {
        let a = call(&server.addr, "POST", "/v1/jpki/challenges", &key, b"");
        if a.status == 429 {
            last = Some(a);
            break;
        }
    }
    let a = last.expect("the rate limit answers 429");
    json_error(&a, 429, "rate_limited");
    assert_eq!(a.header("retry-after"), Some("1"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends a POST's head announcing a body that never comes (a slow body), and returns the open
/// connection.
fn slow_body(addr: &str, key: &str, path: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    )
    .unwrap();
    s
}

/// The status of the answer on `s`, if one arrives within `wait`.
fn status_within(s: &mut std::net::TcpStream, wait: std::time::Duration) -> Option<u16> {
    use std::io::Read;
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 12];
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    std::str::from_utf8(&buf[..got])
        .ok()?
        .get(9..12)?
        .parse()
        .ok()
}

/// The attack run's slow bodies (issue 16): a key without an endpoint's scope is refused from
/// its headers, before it sends any body; one key's slow bodies hold at most its share of the
/// service (`MAX_IN_FLIGHT_PER_KEY`, 64), the rest get 429 at once, and another key is still
/// answered meanwhile.
#[test]
fn slow_bodies_cannot_hold_the_service() {
    use std::time::{Duration, Instant};
    let dir = tmpdir("slow-bodies");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, age) = make_key(&db, "age");
    let (_, slow) = make_key(&db, "residence");
    let (_, other) = make_key(&db, "residence");
    let dump = residence_dump("sim:residence", &dir.join("dump"));
    let server = serve(&db, &["--trust", "test"]);
    let addr = server.addr.as_str();

    // Without the scope: 403 from the headers alone, the body never sent.
    for _ in 0..20 {
        let mut s = slow_body(addr, &age, "/v1/residence/verify");
        assert_eq!(
            status_within(&mut s, Duration::from_secs(5)),
            Some(403),
            "a key without the scope was kept waiting for its body"
        );
    }

    // One key, 80 slow bodies: 64 are held (waiting for their bodies), 16 refused at once.
    let mut held: Vec<std::net::TcpStream> = (0..80)
        .map(|_| slow_body(addr, &slow, "/v1/residence/verify"))
        .collect();
    let mut refused = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut waiting: Vec<usize> = (0..held.len()).collect();
    while Instant::now() < deadline && refused < 16 {
        waiting.retain(
            |&i| match status_within(&mut held[i], Duration::from_millis(20)) {
                Some(429) => {
                    refused += 1;
                    false
                }
                Some(other) => panic!("a slow body was answered {other}"),
                None => true,
            },
        );
    }
    assert_eq!(
        refused, 16,
        "80 slow bodies of one key: 64 held, 16 refused"
    );
    // Meanwhile another key is answered at once.
    let started = Instant::now();
    let a = call(addr, "POST", "/v1/residence/verify", &other, &dump);
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(started.elapsed() < Duration::from_secs(5));
    // And the slow key itself is refused until its bodies end.
    let a = call(addr, "POST", "/v1/residence/verify", &slow, &dump);
    assert_eq!(a.status, 429, "{}", a.text());
    assert_eq!(a.header("retry-after"), Some("1"));
    drop(held);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tmpfs of `size` mounted on `dir` for the test's life (the test runs as root, as
/// scripts/test does in CI).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mounting a small tmpfs failed (this test runs as root, as scripts/test does): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir.to_path_buf())
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// The attack run's full disk (issue 16): when the audit store cannot commit, every
/// verification answers 503 and nothing is answered without its record, and `/healthz` says
/// so (it said ok before) so that a load balancer takes the instance out; once space is back,
/// both recover without a restart.
#[test]
fn a_full_disk_shows_in_healthz_and_recovers() {
    let dir = tmpdir("full-disk");
    let disk = SmallDisk::mount(&dir.join("disk"), "3m");
    let db = format!("sqlite://{}/audit.sqlite3", disk.0.display());
    let (_, key) = make_key(&db, "residence");
    let dump = residence_dump("sim:residence", &dir.join("dump"));
    let server = serve(&db, &["--trust", "test"]);
    let addr = server.addr.as_str();
    let healthz = || request(addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(healthz().status, 200);
    assert_eq!(
        call(addr, "POST", "/v1/residence/verify", &key, &dump).status,
        200
    );
    let filler = disk.fill();
    let a = call(addr, "POST", "/v1/residence/verify", &key, &dump);
    assert_eq!(a.status, 503, "answered without its record? {}", a.text());
    let h = healthz();
    assert_eq!(h.status, 503, "healthz: {}", h.text());
    assert_eq!(
        h.json()["status"],
        "audit_store_cannot_commit",
        "{}",
        h.text()
    );
    std::fs::remove_file(filler).unwrap();
    // Back within 10 s of the last failed audit batch (a load balancer has stopped sending
    // requests, so no batch comes to say so sooner).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while healthz().status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "healthz did not recover: {}",
            healthz().text()
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let a = call(addr, "POST", "/v1/residence/verify", &key, &dump);
    assert_eq!(a.status, 200, "{}", a.text());
    drop(server);
    drop(disk);
    let _ = std::fs::remove_dir_all(&dir);
}

/// HAProxy (Debian's package, installed by scripts/ensure-packages) in front of `backends`,
/// round robin, no stickiness, health-checking `/healthz`; stopped when dropped.
struct Balancer {
    child: std::process::Child,
    addr: String,
}

impl Balancer {
    fn start(dir: &Path, backends: &[&str]) -> Balancer {
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, a)| format!("  server s{i} {a} check inter 300ms fall 2 rise 2\n"))
            .collect();
        let cfg = format!(
            "global\n  maxconn 2048\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  retries 0\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  balance roundrobin\n  option httpchk GET /healthz\n  http-check expect status 200\n{servers}"
        );
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        // Debian puts it in /usr/sbin, which a CI user's PATH may lack.
        let bin = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("haproxy");
        let child = std::process::Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(
                "haproxy is not installed (Debian: apt-get install haproxy; scripts/test does it)",
            );
        let addr = format!("127.0.0.1:{port}");
        // Up when every backend is: a round of /healthz through it all answer 200.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let ok = (0..backends.len() * 2).all(|_| {
                request(&addr, "GET", "/healthz", &[], b"").is_ok_and(|a| a.status == 200)
            });
            if ok {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "haproxy did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Balancer { child, addr }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Several instances on one PostgreSQL behind a real load balancer (issue 16): a login's
/// challenge and answer may reach different instances; a replay through another instance
/// fails; eight clients racing one answer across instances get exactly one login; kill -9 of
/// one instance under load loses no record of an answered request.
#[test]
fn three_instances_behind_haproxy_share_logins_and_lose_no_record() {
    let dir = tmpdir("cluster");
    let pg = Postgres::start("cluster");
    let (_, key) = make_key(&pg.url, "jpki,residence,audit");
    let mut instances: Vec<Server> = (0..3)
        .map(|_| serve_with(&pg.url, &["--trust", "test"], &["--challenge-rate", "1"]))
        .collect();
    let owned: Vec<String> = instances.iter().map(|s| s.addr.clone()).collect();
    let addrs: Vec<&str> = owned.iter().map(String::as_str).collect();
    let lb = Balancer::start(&dir.join("lb"), &addrs);

    // A challenge from instance 0 answered at instance 1; the same answer replayed at 2 fails.
    let ch = call(addrs[0], "POST", "/v1/jpki/challenges", &key, b"").json();
    let body = card_login_body(&ch, &dir);
    let v = call(addrs[1], "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["authenticated"], true, "{v}");
    let v = call(addrs[2], "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(
        v["authenticated"], false,
        "a replay at another instance: {v}"
    );
    assert_eq!(v["reasons"][0]["code"], "challenge_unknown", "{v}");
    // Through the balancer (round robin: each step lands on the next instance).
    for _ in 0..3 {
        let ch = call(&lb.addr, "POST", "/v1/jpki/challenges", &key, b"").json();
        let body = card_login_body(&ch, &dir);
        let v = call(&lb.addr, "POST", "/v1/jpki/login", &key, &body).json();
        assert_eq!(v["authenticated"], true, "{v}");
    }

    // Eight clients race one answer through the balancer: exactly one login.
    let ch = call(&lb.addr, "POST", "/v1/jpki/challenges", &key, b"").json();
    let body = Arc::new(card_login_body(&ch, &dir));
    let gate = Arc::new(std::sync::Barrier::new(8));
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (addr, key, body, gate) =
                (lb.addr.clone(), key.clone(), body.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                let a = call(&addr, "POST", "/v1/jpki/login", &key, &body);
                assert_eq!(a.status, 200, "{}", a.text());
                a.json()["authenticated"] == true
            })
        })
        .collect();
    let logins = racers
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(logins, 1, "eight racers, {logins} logins");

    // The per-key challenge rate is one bucket for all instances (1 per second, bursts of 5
    // here): once one instance refuses, the others refuse too. (A token accrues each second,
    // so the check is tried again if one lands between the requests.)
    let status = |addr: &str| call(addr, "POST", "/v1/jpki/challenges", &key, b"").status;
    let shared = (0..3).any(|_| {
        let spent = (0..10).any(|_| status(addrs[0]) == 429);
        spent && status(addrs[1]) == 429 && status(addrs[2]) == 429
    });
    assert!(shared, "the challenge rate is not shared between instances");

    // kill -9 one instance under load: every 200 has its record.
    let dump = Arc::new(residence_dump("sim:residence", &dir.join("dump")));
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, key, dump, answered, stop) = (
                lb.addr.clone(),
                key.clone(),
                dump.clone(),
                answered.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let auth = format!("Bearer {key}");
                while !stop.load(Ordering::Relaxed) {
                    // A request the killed instance had in hand gets the balancer's 502/503
                    // (or a dropped connection): no answer, so no promise.
                    if let Ok(a) = request(
                        &addr,
                        "POST",
                        "/v1/residence/verify",
                        &[("Authorization", &auth)],
                        &dump,
                    ) {
                        if a.status == 200 {
                            let id = a.json()["audit_id"].as_str().unwrap().to_string();
                            answered.lock().unwrap().push(id);
                        }
                    }
                }
            })
        })
        .collect();
    let wait_for = |n: usize| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while answered.lock().unwrap().len() < n && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait_for(150);
    let victim = &mut instances[1];
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    let at_kill = answered.lock().unwrap().len();
    // The survivors carry the load on.
    wait_for(at_kill + 150);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= at_kill + 100,
        "{} answers, {at_kill} before the kill: the survivors did not carry on",
        answered.len()
    );
    for id in &answered {
        let a = call(addrs[0], "GET", &format!("/v1/audit/{id}"), &key, b"");
        assert_eq!(a.status, 200, "answered request {id} has no audit record");
    }
    eprintln!(
        "{} answered requests through the balancer ({at_kill} before kill -9 of one instance), every one recorded",
        answered.len()
    );
    drop(lb);
    drop(instances);
    let _ = std::fs::remove_dir_all(&dir);
}
