//! Test support for the verification service: a minimal HTTP/1.1 client (so the tests need no
//! HTTP library of their own), the `jpid serve` process, API keys, and a private PostgreSQL.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub fn jpid() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jpid"));
    c.env("PCSCLITE_CSOCK_NAME", "/nonexistent/jpid-test/pcscd.comm")
        .env_remove("JPID_READER")
        .env_remove("JPID_DB")
        .env_remove("JPID_LOG")
        .env_remove("JPID_PIN");
    c
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jpid-svc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    let mut chunked = false;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("transfer-encoding") && v.trim() == "chunked" {
                chunked = true;
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        // Some servers keep the connection open despite `Connection: close`.
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// A request with an API key and a JSON body.
pub fn call(addr: &str, method: &str, path: &str, key: &str, body: &[u8]) -> Answer {
    let auth = format!("Bearer {key}");
    request(
        addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
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

/// `jpid serve keys create`: returns (id, key).
pub fn make_key(db: &str, scopes: &str) -> (String, String) {
    let out = jpid()
        .args([
            "--json", "serve", "--db", db, "keys", "create", "--name", "test", "--scopes", scopes,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["id"].as_str().unwrap().to_string(),
        v["key"].as_str().unwrap().to_string(),
    )
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private PostgreSQL cluster in a temporary directory, on its own port; stopped on drop.
/// Needs Debian's postgresql package (installed by scripts/test).
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    opts: String,
    pub url: String,
}

fn as_postgres(cmd: &std::path::Path) -> Command {
    // initdb and postgres refuse to run as root: run them as the postgres user then.
    if unsafe_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd);
        c
    } else {
        Command::new(cmd)
    }
}

/// Hands `dir` (and what is in it) to the postgres user when the tests run as root, since
/// initdb and postgres then run as that user.
fn give_to_postgres(dir: &std::path::Path) {
    if unsafe_is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

fn unsafe_is_root() -> bool {
    std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false)
}

impl Postgres {
    pub fn start(name: &str) -> Postgres {
        Self::start_with(name, false).0
    }

    /// A cluster that offers TLS, with a server certificate for 127.0.0.1 from a CA of its own,
    /// and also takes plain connections (so that a client falling back to plain text would get
    /// in, and the test can tell); it logs every connection. Returns the cluster (its URL says
    /// `sslmode=require`) and the CA certificate's PEM file.
    pub fn start_tls(name: &str) -> (Postgres, PathBuf) {
        let (pg, ca) = Self::start_with(name, true);
        (pg, ca.expect("the TLS cluster's CA"))
    }

    fn start_with(name: &str, tls: bool) -> (Postgres, Option<PathBuf>) {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is not installed (Debian: apt-get install postgresql; scripts/test does it)")
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .expect("no initdb under /usr/lib/postgresql");
        let dir =
            std::path::Path::new("/tmp").join(format!("jpid-pg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        give_to_postgres(&dir);
        let data = dir.join("data");
        let out = as_postgres(&bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            dir.display()
        );
        let mut url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let ca = tls.then(|| {
            let ca = server_certificate(&dir);
            give_to_postgres(&dir);
            opts.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key -c log_connections=on",
                dir.display()
            ));
            url.push_str("?sslmode=require");
            ca
        });
        let pg = Postgres {
            url,
            dir,
            bin,
            opts,
        };
        pg.start_again();
        (pg, ca)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Starts the (stopped) server again on the same port and data.
    pub fn start_again(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(self.dir.join("data"))
            .args(["-l"])
            .arg(self.dir.join("log"))
            .args(["-o", &self.opts, "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    /// Stops the server at once (every connection is cut), keeping its data.
    pub fn stop(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A test CA (`ca.pem`) and a server certificate for 127.0.0.1 it issued (`server.pem`,
/// `server.key`, mode 0600 as PostgreSQL wants), made with the openssl command in `dir`.
fn server_certificate(dir: &std::path::Path) -> PathBuf {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=jpid TEST database CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    dir.join("ca.pem")
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
