//! A private PostgreSQL cluster in a temporary directory, on its own port, for the service
//! tests (Debian's postgresql package, installed by scripts/test).

use std::path::PathBuf;
use std::process::Command;

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
