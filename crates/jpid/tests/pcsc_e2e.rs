//! The PC/SC path end to end: a private pcscd with the vsmartcard vpcd driver (started by the
//! test), a simulated card inserted with `jpid sim attach`, and `jpid --reader pcsc ...` as the
//! client. Needs pcscd and vsmartcard-vpcd (installed by scripts/test); fails without them.

#[path = "../../jpid-sim/tests/support/pcscd.rs"]
mod pcscd;

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
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
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

    {
        let _card = attach(&harness, "mynumber", "3BE000FF8131FE4514");
        let out = jpid(&env, &["--reader", "pcsc", "detect", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(json(&out)["card"]["kind"], "mynumber");
    }
}
