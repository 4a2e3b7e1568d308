//! Hostile cards (docs/simulator.md "Hostile cards"): every mode of the simulator's hostile layer
//! against the main commands. Each run must end within [`TIME_BOUND`] under an address-space
//! limit of [`MEMORY_BOUND_KIB`], with a typed card error (never success, never `internal`, never
//! a panic or a signal), and its output must never call anything genuine or valid.
//!
//! The fault is placed at the first, a middle and the last answer the mode aims at
//! (`hostile-after=N`); one more run with `hostile-after=COUNT` checks that COUNT is right (the
//! command then meets no fault and succeeds), so the sweep cannot silently miss the command.

use jpid_testkit::pcscd;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest a run against a hostile card may take (documented in docs/simulator.md).
const TIME_BOUND: Duration = Duration::from_secs(10);
/// Address-space limit of every run, in KiB (1 GiB; documented in docs/simulator.md).
const MEMORY_BOUND_KIB: u64 = 1024 * 1024;

/// Exit statuses of typed card errors: card removed 4, unsupported card 5, card error 6,
/// not genuine 7 (docs/json.md).
const TYPED: [i32; 4] = [4, 5, 6, 7];

const ALL_MODES: [&str; 14] = [
    "truncate",
    "lone-sw",
    "empty",
    "garbage",
    "ber-overlong",
    "ber-4byte",
    "ber-5byte",
    "ber-nested",
    "storm-61",
    "storm-6c",
    "endless",
    "removed",
    "bad-mac",
    "bad-padding",
];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs jpid under `ulimit -v`, feeding `stdin`, killing it past [`TIME_BOUND`].
fn run(args: &[&str], stdin: &str) -> Run {
    run_env(
        args,
        stdin,
        &[(
            "PCSCLITE_CSOCK_NAME",
            "/nonexistent/jpid-test/pcscd.comm".into(),
        )],
    )
}

fn run_env(args: &[&str], stdin: &str, env: &[(&str, std::path::PathBuf)]) -> Run {
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_BOUND_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_jpid"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .env_remove("JPID_READER")
        .env_remove("JPID_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = c.spawn().expect("spawn jpid");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    // Drain the pipes on threads so a chatty child cannot block.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for jpid") {
            break status;
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("jpid {args:?} still running after {TIME_BOUND:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
        took: start.elapsed(),
    }
}

/// Whether any `genuine` or `valid` member anywhere in `v` is `true`.
fn says_genuine(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| {
            ((k == "genuine" || k == "valid") && v == &Value::Bool(true)) || says_genuine(v)
        }),
        Value::Array(a) => a.iter().any(says_genuine),
        _ => false,
    }
}

/// One command against one simulated kind: `count` is how many answers a mode aims at during
/// the command (every answer with data; measured, and checked by the last run).
struct Case {
    kind: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
    count: u64,
}

fn spec(case: &Case, mode: &str, seed: u64, after: u64) -> String {
    format!(
        "sim:{},hostile-mode={mode},hostile={seed},hostile-after={after}",
        case.kind
    )
}

fn jpid_args<'a>(reader: &'a str, case: &'a Case) -> Vec<&'a str> {
    let mut a = vec!["--reader", reader, "--trust", "test", "--json"];
    a.extend_from_slice(case.args);
    a
}

/// Checks one run against a hostile card; `must_fail` when the fault is certain to be met.
fn check(reader: &str, case: &Case, must_fail: bool) {
    let r = run(&jpid_args(reader, case), case.stdin);
    let what = format!("{reader} {:?}", case.args);
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "{what}: panic\n{}",
        r.stderr
    );
    let code = r
        .code
        .unwrap_or_else(|| panic!("{what}: killed by a signal (memory?)\n{}", r.stderr));
    assert!(r.took <= TIME_BOUND, "{what}: took {:?}", r.took);
    let doc: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {}", r.stdout));
    assert!(
        !says_genuine(&doc),
        "{what}: said genuine/valid: {}",
        r.stdout
    );
    if must_fail {
        assert!(
            TYPED.contains(&code),
            "{what}: exit {code}, not a typed card error\n{}\n{}",
            r.stdout,
            r.stderr
        );
        let kind = doc["error"]["kind"].as_str().unwrap_or("");
        if code != 7 {
            assert!(
                !kind.is_empty() && kind != "internal" && kind != "io",
                "{what}: error kind {kind:?}: {}",
                r.stdout
            );
        }
    } else {
        assert!(
            code == 0 || TYPED.contains(&code),
            "{what}: exit {code}\n{}",
            r.stderr
        );
    }
}

/// Runs every mode against `case` at the first, a middle and the last aimed-at answer, with two
/// seeds, and checks `count` by a clean run past it.
fn sweep(case: &Case, modes: &[&str], unaffected: &[&str]) {
    let last = case.count.saturating_sub(1);
    let mut afters = vec![0, case.count / 2, last];
    afters.dedup();
    for mode in modes {
        // bad-mac and bad-padding ignore hostile-after: one authentication per read.
        let afters: &[u64] = if matches!(*mode, "bad-mac" | "bad-padding") {
            &[0]
        } else {
            &afters
        };
        for seed in [0, 1] {
            for after in afters {
                let must_fail = !unaffected.contains(mode);
                check(&spec(case, mode, seed, *after), case, must_fail);
            }
        }
    }
    // Past the last aimed-at answer the command meets no fault: it must succeed, or the count
    // (and so the sweep) is wrong.
    let reader = spec(case, "garbage", 0, case.count);
    let r = run(&jpid_args(&reader, case), case.stdin);
    assert_eq!(
        r.code,
        Some(0),
        "{reader}: with every answer honest the command should succeed (is count {} right?)\n{}",
        case.count,
        r.stdout
    );
}

const RESIDENCE_READ: &[&str] = &["residence", "read", "--card-number", "AB12345678CD"];

#[test]
fn hostile_residence_read() {
    sweep(
        &Case {
            kind: "residence",
            args: RESIDENCE_READ,
            stdin: "",
            count: 11,
        },
        &ALL_MODES,
        &[],
    );
}

#[test]
fn hostile_residence_read_in_short_chunks() {
    // Generation 2 without extended length: chunked plain and SM reads (many more answers).
    sweep(
        &Case {
            kind: "residence-gen2,ext=off",
            args: RESIDENCE_READ,
            stdin: "",
            count: 49,
        },
        &ALL_MODES,
        &[],
    );
}

#[test]
fn hostile_jpki_certs() {
    let case = Case {
        kind: "mynumber",
        args: &["jpki", "certs"],
        stdin: "",
        count: 2,
    };
    let modes: Vec<&str> = ALL_MODES[..12]
        .iter()
        .copied()
        .filter(|m| *m != "endless")
        .collect();
    sweep(&case, &modes, &[]);
    // A certificate EF that never ends: jpid reads the certificate by its own length (as real
    // EFs carry filler after it), so the honest certificate verifies and the endless rest is
    // never asked for. The run ends quickly, with few APDUs.
    for after in [0, 1] {
        let reader = spec(&case, "endless", 0, after);
        let mut args = vec!["-vvv"];
        args.extend(jpid_args(&reader, &case));
        let r = run(&args, "");
        assert_eq!(r.code, Some(0), "{reader}: {}", r.stderr);
        assert!(r.took <= TIME_BOUND);
        let reads = r.stderr.lines().filter(|l| l.contains(">>> 00 B0")).count();
        assert!(reads <= 2, "{reader}: {reads} READ BINARY");
    }
}

#[test]
fn hostile_mynumber_text() {
    sweep(
        &Case {
            kind: "mynumber",
            args: &["mynumber", "text", "--pin-stdin"],
            stdin: "1234\n",
            // EF 0001-0004, EF 0007 and the answer to the challenge.
            count: 6,
        },
        &ALL_MODES[..12],
        &[],
    );
}

#[test]
fn hostile_mynumber_face() {
    sweep(
        &Case {
            kind: "mynumber",
            args: &["mynumber", "face", "--with", "a", "--pin-stdin"],
            stdin: "999900000001\n",
            // EF 0002-0004 and the answer to the challenge.
            count: 4,
        },
        &ALL_MODES[..12],
        &[],
    );
}

#[test]
fn hostile_detect() {
    // detect reads the card type (residence) or the 32-byte token label (My Number) and nothing
    // under secure messaging, so bad-mac and bad-padding cannot touch it; an "endless" file
    // answers a 32-byte read exactly, so the My Number label stays readable.
    sweep(
        &Case {
            kind: "residence",
            args: &["detect"],
            stdin: "",
            count: 1,
        },
        &ALL_MODES,
        &["bad-mac", "bad-padding"],
    );
    sweep(
        &Case {
            kind: "mynumber",
            args: &["detect"],
            stdin: "",
            count: 1,
        },
        &ALL_MODES[..12],
        &["endless"],
    );
}

#[test]
fn hostile_seed_alone_picks_a_mode_and_bad_values_are_usage_errors() {
    let case = Case {
        kind: "residence",
        args: RESIDENCE_READ,
        stdin: "",
        count: 11,
    };
    for seed in 0..14 {
        check(&format!("sim:residence,hostile={seed}"), &case, true);
    }
    for bad in [
        "sim:residence,hostile=x",
        "sim:residence,hostile-mode=nope",
        "sim:mynumber,hostile-mode=bad-mac",
        "sim:residence,hostile-after=3",
    ] {
        let r = run(&["--reader", bad, "detect", "--json"], "");
        assert_eq!(r.code, Some(2), "{bad}: {}", r.stdout);
    }
}

/// Kills `jpid sim attach` when the test is done with it.
struct Attached(std::process::Child);

impl Drop for Attached {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `jpid readers` shows a card in the private pcscd's vpcd reader.
fn card_in_reader(harness: &pcscd::Pcscd, env: &[(&str, std::path::PathBuf)]) -> bool {
    let r = run_env(&["readers", "--json"], "", env);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    v["readers"].as_array().is_some_and(|rs| {
        rs.iter().any(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.contains(harness.reader_name()))
                && r["card_present"] == true
        })
    })
}

/// Inserts a hostile card behind the private pcscd and waits until pcscd shows it.
fn attach(harness: &pcscd::Pcscd, card: &str) -> Attached {
    let child = Command::new(env!("CARGO_BIN_EXE_jpid"))
        .args([
            "sim",
            "attach",
            "--card",
            card,
            "--vpcd",
            &harness.vpcd_addr(),
        ])
        .args(["--for", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn jpid sim attach");
    let attached = Attached(child);
    let env = harness.client_env();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if card_in_reader(harness, &env) {
            return attached;
        }
        assert!(
            Instant::now() < deadline,
            "the hostile card never appeared in pcscd:\n{}",
            harness.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Through vpcd and pcscd (short APDUs, the PC/SC transport): a GET RESPONSE storm deep in the
/// read, and the card leaving the field in the middle of it. Needs pcscd and vsmartcard-vpcd.
#[test]
fn hostile_card_through_pcscd() {
    let harness = pcscd::Pcscd::start();
    let env = harness.client_env();
    let args = [
        "--reader",
        "pcsc",
        "--trust",
        "test",
        "--json",
        "residence",
        "read",
        "--card-number",
        "AB12345678CD",
    ];
    for (card, expected) in [
        ("residence,hostile-mode=storm-61,hostile-after=8", 6),
        ("residence,hostile-mode=removed,hostile-after=8", 4),
    ] {
        let _card = attach(&harness, card);
        let r = run_env(&args, "", &env);
        assert!(!r.stderr.contains("panicked"), "{card}: {}", r.stderr);
        assert!(r.took <= TIME_BOUND, "{card}: took {:?}", r.took);
        let doc: Value =
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{card}: {e}: {}", r.stdout));
        assert!(!says_genuine(&doc), "{card}: {}", r.stdout);
        assert_eq!(
            r.code,
            Some(expected),
            "{card}: {}\n{}\n{}",
            r.stdout,
            r.stderr,
            harness.log()
        );
        // Take the card away and wait until pcscd has seen it go, so the next case never
        // talks to this one's stale reader state.
        drop(_card);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if !card_in_reader(&harness, &env) {
                break;
            }
            assert!(Instant::now() < deadline, "the card never left pcscd");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
