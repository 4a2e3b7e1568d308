//! The service under abuse: every endpoint against every scope, replayed, expired and raced
//! challenges, deeply nested and malformed JSON, and slow clients.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::service::*;

#[test]
fn every_endpoint_needs_its_scope_and_only_its_scope() {
    let dir = tmpdir("scopes");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let server = serve(&db, &["--trust", "test"]);
    let addr = server.addr.as_str();
    // (method, path, the scope it needs)
    let endpoints = [
        ("POST", "/v1/residence/verify", "residence"),
        ("POST", "/v1/mynumber/text/verify", "mynumber"),
        ("POST", "/v1/mynumber/face/verify", "mynumber"),
        ("POST", "/v1/jpki/challenges", "jpki"),
        ("POST", "/v1/jpki/login", "jpki"),
        ("POST", "/v1/jpki/signature/verify", "jpki"),
        ("POST", "/v1/age/verify", "age"),
        ("GET", "/v1/audit", "audit"),
        ("GET", "/v1/audit/00000000000000000000000000000000", "audit"),
        ("POST", "/ui/read", "counter"),
    ];
    let scopes = [
        "residence",
        "mynumber",
        "mynumber:number",
        "jpki",
        "age",
        "counter",
        "audit",
    ];
    let keys: Vec<(&str, String)> = scopes.iter().map(|s| (*s, make_key(&db, s).1)).collect();
    for (method, path, needed) in endpoints {
        // No key, a malformed key, an unknown key: 401.
        for auth in [
            None,
            Some("Bearer nonsense"),
            Some("Bearer jpid_0123456789ab_00"),
        ] {
            let hdrs: Vec<(&str, &str)> =
                auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
            let a = request(addr, method, path, &hdrs, b"{}").unwrap();
            assert_eq!(a.status, 401, "{method} {path} with {auth:?}");
            assert_eq!(a.json()["error"]["kind"], "unauthorized");
        }
        for (scope, key) in &keys {
            let a = call(addr, method, path, key, b"{}");
            if *scope == needed {
                assert_ne!(
                    a.status, 403,
                    "{method} {path} refused its own scope {scope}"
                );
            } else {
                assert_eq!(
                    a.status,
                    403,
                    "{method} {path} let {scope} in: {}",
                    a.text()
                );
                assert!(
                    a.text().contains(needed),
                    "the 403 should name {needed}: {}",
                    a.text()
                );
            }
        }
    }
    // The My Number itself needs mynumber:number on top of mynumber.
    let (_, mn) = make_key(&db, "mynumber");
    let a = call(
        addr,
        "POST",
        "/v1/mynumber/text/verify?show_my_number=true",
        &mn,
        b"{}",
    );
    assert_eq!(a.status, 403);
    assert!(a.text().contains("mynumber:number"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn challenges_are_single_use_expire_and_survive_a_race() {
    let dir = tmpdir("challenges");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, key) = make_key(&db, "jpki");
    let server = serve_with(&db, &["--trust", "test"], &["--challenge-ttl", "1"]);
    let addr = server.addr.clone();

    // Expired: answered after its lifetime, refused even with a correct signature.
    let ch = call(&addr, "POST", "/v1/jpki/challenges", &key, b"").json();
    assert_eq!(ch["expires_in"], 1);
    let body = card_login_body(&ch, &dir);
    std::thread::sleep(Duration::from_millis(1_500));
    let v = call(&addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(
        (v["authenticated"].clone(), v["reasons"][0]["code"].clone()),
        (json!(false), json!("challenge_expired"))
    );
    // And it is gone: the second try is unknown, not expired.
    let v = call(&addr, "POST", "/v1/jpki/login", &key, &body).json();
    assert_eq!(v["reasons"][0]["code"], "challenge_unknown");

    // Raced: eight clients send the same correct answer at once; exactly one logs in.
    let ch = call(&addr, "POST", "/v1/jpki/challenges", &key, b"").json();
    let body = Arc::new(card_login_body(&ch, &dir));
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<Value> = (0..8)
        .map(|_| {
            let (addr, key, body, barrier) =
                (addr.clone(), key.clone(), body.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                call(&addr, "POST", "/v1/jpki/login", &key, &body).json()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let wins = results
        .iter()
        .filter(|v| v["authenticated"] == true)
        .count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results
        .iter()
        .filter(|v| v["authenticated"] == false)
        .all(|v| v["reasons"][0]["code"] == "challenge_unknown"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_json_gets_clear_400s_and_the_service_stays_up() {
    let dir = tmpdir("json");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let (_, key) = make_key(&db, "residence,mynumber,jpki,age,counter");
    let server = serve(&db, &["--trust", "test"]);
    let addr = server.addr.as_str();
    let deep_array = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("/v1/residence/verify", deep_array.clone().into_bytes()),
        ("/v1/mynumber/text/verify", deep_object.clone().into_bytes()),
        ("/v1/age/verify", format!("{{\"over\":20,\"text_dump\":{deep_array}}}").into_bytes()),
        ("/v1/jpki/login", b"{\"challenge_id\":1}".to_vec()),
        ("/v1/jpki/signature/verify", b"{\"data\":\"!!!\",\"signature\":\"x\",\"certificate\":\"x\"}".to_vec()),
        ("/v1/age/verify", b"{\"over\":-1}".to_vec()),
        ("/v1/age/verify", b"{\"over\":20,\"at\":\"2999-01-01\",\"text_dump\":{}}".to_vec()),
        ("/v1/residence/verify", vec![0xFF, 0xFE, 0x00]),
        ("/v1/residence/verify", b"{\"schema\":\"jpid.residence-dump\",\"schema_version\":1,\"read_at\":\"2026-11-23T00:00:00Z\",\"files\":{\"mf.card_type\":\"wQEx\"}}".to_vec()),
    ];
    for (path, body) in &bodies {
        let a = call(addr, "POST", path, &key, body);
        assert_eq!(a.status, 400, "{path}: {}", a.text());
        let m = a.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(!m.is_empty() && m.len() < 2000, "{path}: {m}");
    }
    // No message quotes what the client sent: a schema, a version, a base64 error's byte, a
    // counter read's kind or field name.
    let quoted: Vec<(&str, Vec<u8>)> = vec![
        ("/v1/residence/verify", b"{\"schema\":\"QUOTE-ME\",\"schema_version\":1,\"read_at\":\"2026-11-23T00:00:00Z\",\"files\":{}}".to_vec()),
        ("/v1/residence/verify", b"{\"schema\":\"jpid.residence-dump\",\"schema_version\":987654,\"read_at\":\"2026-11-23T00:00:00Z\",\"files\":{}}".to_vec()),
        ("/v1/jpki/signature/verify", b"{\"digest_sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"signature\":\"QUOTE~ME\",\"certificate\":\"x\"}".to_vec()),
    ];
    for (path, body) in &quoted {
        let a = call(addr, "POST", path, &key, body);
        assert_eq!(a.status, 400, "{path}: {}", a.text());
        let t = a.text();
        for echo in ["QUOTE", "987654", "126", "offset"] {
            assert!(!t.contains(echo), "{path} quoted {echo}: {t}");
        }
    }
    let auth = format!("Bearer {key}");
    let page = [
        ("Authorization", auth.as_str()),
        ("X-Jpid-Page", "1"),
        ("Content-Type", "application/json"),
    ];
    for body in [
        "{\"kind\":\"QUOTE-ME\"}",
        "{\"kind\":\"residence\",\"QUOTE-ME\":1}",
    ] {
        let a = request(addr, "POST", "/ui/read", &page, body.as_bytes()).unwrap();
        assert_eq!(a.status, 400, "{body}: {}", a.text());
        assert!(!a.text().contains("QUOTE"), "{body}: {}", a.text());
    }
    assert_eq!(
        request(addr, "GET", "/healthz", &[], b"").unwrap().status,
        200
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slow_clients_are_cut_off_and_do_not_block_others() {
    let dir = tmpdir("slow");
    let db = format!("sqlite://{}/audit.sqlite3", dir.display());
    let server = serve(&db, &[]);
    let addr = server.addr.clone();
    // A client that starts a request head and never finishes it.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"POST /v1/residence/verify HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let start = Instant::now();
    // Meanwhile others are served at once.
    for _ in 0..5 {
        assert_eq!(
            request(&addr, "GET", "/healthz", &[], b"").unwrap().status,
            200
        );
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    // The slow one is closed after the header timeout (10 s), well before 30 s.
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(25),
        "closed after {waited:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
