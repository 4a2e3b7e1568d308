//! An OCSP responder for tests: OpenSSL's own (`openssl ocsp`, from the Debian package the tests
//! install), run over a CA's files in a directory. Standard library only, so that
//! jpid-verify's tests can include this file (`#[path]`) without depending on this crate.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes the CA's certificate and PKCS#8 key (DER) as `ca.pem` and `ca.key` in `dir`.
pub fn ca_files(dir: &Path, cert_der: &[u8], key_pkcs8_der: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.der"), cert_der).unwrap();
    std::fs::write(dir.join("ca.key.der"), key_pkcs8_der).unwrap();
    openssl(
        dir,
        &["x509", "-inform", "DER", "-in", "ca.der", "-out", "ca.pem"],
    );
    openssl(
        dir,
        &[
            "pkey",
            "-inform",
            "DER",
            "-in",
            "ca.key.der",
            "-out",
            "ca.key",
        ],
    );
}

/// A responder certificate and key (file names in `dir`): issued by the CA in `dir` with the
/// OpenSSL extension lines `ext`, or self-signed when `ext` is None.
pub fn responder_cert(dir: &Path, name: &str, ext: Option<&str>) -> (String, String) {
    let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
    let subject = format!("/CN=jpid TEST {name}");
    match ext {
        Some(ext) => {
            let (cnf, csr) = (format!("{name}.cnf"), format!("{name}.csr"));
            std::fs::write(dir.join(&cnf), format!("[ext]\n{ext}\n")).unwrap();
            openssl(
                dir,
                &[
                    "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-subj",
                    &subject, "-out", &csr,
                ],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    "4660",
                    "-days",
                    "30",
                    "-extfile",
                    &cnf,
                    "-extensions",
                    "ext",
                    "-out",
                    &cert,
                ],
            );
        }
        None => openssl(
            dir,
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-subj",
                &subject, "-days", "30", "-out", &cert,
            ],
        ),
    }
    (cert, key)
}

/// An index.txt line (OpenSSL's CA database) for the serial (upper-case hex): valid, or
/// revoked on 2026-11-01 for keyCompromise.
pub fn index_line(serial_hex: &str, revoked: bool) -> String {
    let (status, when) = if revoked {
        ("R", "261101000000Z,keyCompromise")
    } else {
        ("V", "")
    };
    format!("{status}\t391231000000Z\t{when}\t{serial_hex}\tunknown\t/CN=holder\n")
}

/// `openssl ocsp` answering from `index` in `dir`, signed by `signer` (certificate and key
/// files), on a free port, until dropped. `extra`: more options (`-ndays 1`, `-nmin 1`).
pub struct Responder {
    child: Child,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl Responder {
    pub fn start(dir: &Path, index: &str, signer: (&str, &str), extra: &[&str]) -> Responder {
        std::fs::write(dir.join("index.txt"), index).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("openssl")
            .args([
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "ca.pem",
                "-rsigner",
                signer.0,
            ])
            .args([
                "-rkey",
                signer.1,
                "-port",
                &port.to_string(),
                "-timeout",
                "2",
            ])
            .args(extra)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl is installed");
        // Ready when it says so: a probe connection would hold this one-request-at-a-time
        // responder until its timeout.
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("openssl ocsp stopped").unwrap();
            if line.contains("waiting for OCSP client connections") {
                break;
            }
        }
        // Keep reading what it logs, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Responder {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
