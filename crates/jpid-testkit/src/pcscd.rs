//! A private pcscd with one vsmartcard vpcd reader, for tests that go through real PC/SC.
//!
//! Use it as `jpid_testkit::pcscd` from any test crate (it depends
//! on `jpid-card` with its `pcsc` feature).
//!
//! # How it stays private
//!
//! * **Socket.** pcscd 1.9.9 (Debian bookworm) ignores `PCSCLITE_CSOCK_NAME` and always creates
//!   `/run/pcscd/pcscd.comm` (and `/run/pcscd/pcscd.pid`), while the client library honours the
//!   variable. So pcscd runs in its own mount namespace (`unshare --mount`, or with `--user
//!   --map-root-user` when not root) where a temporary directory is bind-mounted on
//!   `/run/pcscd`; clients reach it as `<dir>/pcscd.comm`. A system pcscd is neither seen nor
//!   touched. Where `/run/pcscd` does not exist, a private tmpfs on `/run` holds it, so nothing
//!   is created outside the namespace.
//! * **Client side.** libpcsclite reads `PCSCLITE_CSOCK_NAME` once per process, at its first
//!   call, and keeps it (even if that call failed). The harness therefore fixes one socket path
//!   per test process and sets the variable before its first PC/SC call; every harness in the
//!   process uses that path, one at a time (a process-wide lock held for the harness's
//!   lifetime, so such tests of one binary run one after another). Make no PC/SC call in a test
//!   process before [`Pcscd::start`]. Do not set `PCSCLITE_CSOCK_NAME` yourself, unless one
//!   test process at a time runs (the harness then uses its directory).
//! * **Reader.** pcscd reads only our reader file (`-c <file>`): `FRIENDLYNAME "jpid test
//!   vpcd"`, `DEVICENAME /dev/null:<PORT>` (vpcd then *listens* on PORT for slot 0 and PORT+1 for
//!   slot 1, on all interfaces: any host that reaches this one could put a card in while a test
//!   runs), `CHANNELID <PORT>`. The port pair is free when picked (and picked again if vpcd
//!   loses it to a race), so tests run in parallel processes and never meet the default 35963.
//! * **USB readers.** In its namespace pcscd sees an empty USB driver directory, so it never
//!   grabs a real reader that the system pcscd may want; the vpcd driver is loaded from a copy.
//! * **Cleanup.** Dropping the harness kills pcscd and removes the directory; `setpriv
//!   --pdeathsig KILL` kills it too if the thread that started it dies without dropping it
//!   (test process killed), and the next harness removes such a dead process's directory.
//!   Create and drop the harness on the same thread.
//! * **Debugging.** pcscd runs with `--debug --apdu`; [`Pcscd::log`] returns its log.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The reader's friendly name; pcscd names slot 0 `"<name> 00 00"`.
pub const FRIENDLY_NAME: &str = "jpid test vpcd";

const SOCKET_VAR: &str = "PCSCLITE_CSOCK_NAME";
const SOCKET_FILE: &str = "pcscd.comm";
const DRIVER_CANDIDATES: &[&str] = &[
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
];
const PCSCD_CANDIDATES: &[&str] = &["/usr/sbin/pcscd", "/usr/local/sbin/pcscd", "/sbin/pcscd"];
const USB_DROP_DIRS: &[&str] = &[
    "/usr/lib/pcsc/drivers",
    "/usr/lib64/pcsc/drivers",
    "/usr/local/lib/pcsc/drivers",
];
const INSTALL_HINT: &str = "The PC/SC tests need pcscd, vsmartcard-vpcd and opensc: run \
    `./scripts/test` (the README's test script installs them), or `apt-get install -y pcscd \
    vsmartcard-vpcd opensc pcsc-tools libpcsclite-dev pkg-config`";

/// How long pcscd gets to show its reader.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

static SERIAL: Mutex<()> = Mutex::new(());
static SOCKET_DIR: OnceLock<PathBuf> = OnceLock::new();

/// The per-process socket directory; sets `PCSCLITE_CSOCK_NAME` on first use.
fn socket_dir() -> &'static Path {
    SOCKET_DIR.get_or_init(|| {
        if let Some(set) = std::env::var_os(SOCKET_VAR) {
            let set = PathBuf::from(set);
            assert!(
                set.file_name() == Some(SOCKET_FILE.as_ref()),
                "{SOCKET_VAR}={} must name a file called {SOCKET_FILE} (pcscd creates that name)",
                set.display()
            );
            let dir = set.parent().map(Path::to_path_buf).unwrap_or_default();
            assert!(dir.is_absolute(), "{SOCKET_VAR} must be an absolute path");
            return dir;
        }
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!("jpid-pcscd-{}", std::process::id()));
        // Before any PC/SC call in this process: libpcsclite reads it once.
        std::env::set_var(SOCKET_VAR, dir.join(SOCKET_FILE));
        dir
    })
}

/// Cleans the directories of test processes that died without dropping their harness (their
/// pcscd died with them, see `--pdeathsig`).
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("jpid-pcscd-")) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            clean_dir(&entry.path());
        }
    }
}

fn find_program(name: &str, extra: &[&str]) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    from_path
        .into_iter()
        .chain(extra.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// A free TCP port P with P+1 free too (vpcd listens on both, on all interfaces).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let Ok(first) = TcpListener::bind(("0.0.0.0", 0)) else {
            continue;
        };
        let Ok(port) = first.local_addr().map(|a| a.port()) else {
            continue;
        };
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        if TcpListener::bind(("0.0.0.0", next)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of TCP ports for vpcd");
}

/// A running private pcscd with the vpcd reader; killed on drop.
pub struct Pcscd {
    child: Child,
    dir: PathBuf,
    port: u16,
    reader: String,
    _serial: MutexGuard<'static, ()>,
}

impl Pcscd {
    /// Starts pcscd and waits until its vpcd reader is listed.
    ///
    /// # Panics
    ///
    /// When pcscd, the vpcd driver or `unshare` is missing (with what to install), or pcscd does
    /// not come up (with its log).
    pub fn start() -> Self {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let pcscd = find_program("pcscd", PCSCD_CANDIDATES)
            .unwrap_or_else(|| panic!("pcscd is not installed. {INSTALL_HINT}"));
        let driver = DRIVER_CANDIDATES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!("the vpcd driver libifdvpcd.so is not installed. {INSTALL_HINT}")
            });
        let unshare = find_program("unshare", &["/usr/bin/unshare", "/bin/unshare"])
            .unwrap_or_else(|| panic!("`unshare` (util-linux) is needed to run a private pcscd"));
        let setpriv = find_program("setpriv", &["/usr/bin/setpriv", "/bin/setpriv"]);
        let dir = socket_dir().to_path_buf();

        let reader = format!("{FRIENDLY_NAME} 00 00");
        let mut failures = Vec::new();
        for _attempt in 0..3 {
            let port = free_port_pair();
            prepare_dir(&dir, &driver, port);
            let mut child = spawn_pcscd(&pcscd, &unshare, setpriv.as_deref(), &dir);
            match wait_ready(&mut child, &dir, &reader) {
                Ok(()) => {
                    return Self {
                        child,
                        dir,
                        port,
                        reader,
                        _serial: serial,
                    }
                }
                Err(failure) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let port_lost = matches!(failure, Failure::PortTaken);
                    failures.push(format!(
                        "port {port}: {failure:?}\n--- pcscd log ---\n{}",
                        read_log(&dir)
                    ));
                    // Only a port taken between picking and binding is worth another try.
                    if !port_lost {
                        break;
                    }
                }
            }
        }
        clean_dir(&dir);
        panic!(
            "pcscd did not come up with the vpcd reader:\n{}",
            failures.join("\n")
        );
    }

    /// Where a card connects: `127.0.0.1:<PORT>` (slot 0).
    pub fn vpcd_addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// vpcd's port for slot 0 (slot 1 is the next one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PC/SC name of slot 0's reader.
    pub fn reader_name(&self) -> &str {
        &self.reader
    }

    /// The client socket path (`PCSCLITE_CSOCK_NAME`).
    pub fn socket_path(&self) -> PathBuf {
        self.dir.join(SOCKET_FILE)
    }

    /// Environment for a PC/SC client started as a subprocess (`opensc-tool`, the jpid CLI).
    pub fn client_env(&self) -> [(&'static str, PathBuf); 1] {
        [(SOCKET_VAR, self.socket_path())]
    }

    /// pcscd's log so far (debug level, with APDUs).
    pub fn log(&self) -> String {
        read_log(&self.dir)
    }

    /// The pcscd process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        clean_dir(&self.dir);
    }
}

/// The files the harness and pcscd put in the directory.
const OWN_FILES: &[&str] = &[
    SOCKET_FILE,
    "pcscd.pid",
    "pcscd.log",
    "reader.conf",
    "libifdvpcd.so",
];

/// Removes the harness's files, then the directory if nothing else is left in it (it may be a
/// directory named through `PCSCLITE_CSOCK_NAME`, so nothing else is deleted).
fn clean_dir(dir: &Path) {
    for f in OWN_FILES {
        let _ = fs::remove_file(dir.join(f));
    }
    let _ = fs::remove_dir(dir.join("no-usb-drivers"));
    let _ = fs::remove_dir(dir);
}

#[derive(Debug)]
enum Failure {
    /// vpcd could not listen on its port.
    PortTaken,
    Exited(std::process::ExitStatus),
    NotListed(String),
}

fn read_log(dir: &Path) -> String {
    fs::read_to_string(dir.join("pcscd.log")).unwrap_or_default()
}

/// Waits until pcscd lists `reader`.
fn wait_ready(child: &mut Child, dir: &Path, reader: &str) -> Result<(), Failure> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last = String::from("not polled yet");
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Failure::Exited(status));
        }
        if read_log(dir).contains("Could not initialize connection to virtual ICC") {
            return Err(Failure::PortTaken);
        }
        match jpid_card::pcsc::list_readers() {
            Ok(readers) if readers.iter().any(|r| r.name == reader) => return Ok(()),
            Ok(readers) => {
                last = format!(
                    "readers: {:?}",
                    readers.iter().map(|r| &r.name).collect::<Vec<_>>()
                );
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Failure::NotListed(format!(
        "{reader:?} not listed within {READY_TIMEOUT:?} ({last})"
    )))
}

fn prepare_dir(dir: &Path, driver: &Path, port: u16) {
    clean_dir(dir);
    fs::create_dir_all(dir.join("no-usb-drivers"))
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    fs::copy(driver, dir.join("libifdvpcd.so"))
        .unwrap_or_else(|e| panic!("cannot copy {}: {e}", driver.display()));
    let conf = format!(
        "FRIENDLYNAME \"{FRIENDLY_NAME}\"\nDEVICENAME /dev/null:{port}\nLIBPATH {}\nCHANNELID {port}\n",
        dir.join("libifdvpcd.so").display()
    );
    fs::write(dir.join("reader.conf"), conf)
        .unwrap_or_else(|e| panic!("cannot write reader.conf: {e}"));
}

/// The shell run inside the new mount namespace: `$1` is the harness directory.
const NAMESPACE_SCRIPT: &str = r#"set -e
if [ ! -d /run/pcscd ]; then
  # Created by nothing here: a private /run holds it, the system's is left alone.
  mount -t tmpfs jpid-test-run /run
  mkdir /run/pcscd
fi
mount --bind "$1" /run/pcscd
for d in $2; do
  if [ -d "$d" ]; then mount --bind "$1/no-usb-drivers" "$d"; fi
done
exec "$3" --foreground --debug --apdu -c "$1/reader.conf"
"#;

fn spawn_pcscd(pcscd: &Path, unshare: &Path, setpriv: Option<&Path>, dir: &Path) -> Child {
    let log = fs::File::create(dir.join("pcscd.log"))
        .unwrap_or_else(|e| panic!("cannot create the pcscd log: {e}"));
    let log_err = log
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot share the pcscd log: {e}"));
    let mut cmd = match setpriv {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "KILL"]).arg(unshare);
            c
        }
        None => Command::new(unshare),
    };
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        NAMESPACE_SCRIPT,
        "sh",
    ])
    .arg(dir)
    .arg(USB_DROP_DIRS.join(" "))
    .arg(pcscd)
    .stdin(Stdio::null())
    .stdout(log)
    .stderr(log_err);
    cmd.spawn()
        .unwrap_or_else(|e| panic!("cannot start pcscd through {}: {e}", unshare.display()))
}
