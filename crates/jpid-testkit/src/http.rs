//! A minimal HTTP/1.1 client, so that the tests need no HTTP library of their own: one request
//! per connection, chunked or sized bodies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

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
    let answer = Answer {
        status,
        headers,
        body,
    };
    RECORDING.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            list.push(Recorded {
                method: method.to_ascii_lowercase(),
                path: path.split('?').next().unwrap_or(path).to_string(),
                status: answer.status,
                content_type: answer.header("content-type").unwrap_or("").to_string(),
                body: answer.body.clone(),
            });
        }
    });
    Ok(answer)
}

/// One answer as the OpenAPI check sees it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

thread_local! {
    static RECORDING: std::cell::RefCell<Option<Vec<Recorded>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, keeping every answer [`request`] got on this thread meanwhile.
pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<Recorded>) {
    RECORDING.with(|r| *r.borrow_mut() = Some(Vec::new()));
    let out = f();
    let list = RECORDING
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    (out, list)
}

/// Checks the OpenAPI document `doc` with the standard validators (openapi-spec-validator for
/// the document, openapi-schema-validator for each answer: its status must be documented for
/// its operation, and its JSON body must match that status's schema). Panics with what failed.
pub fn check_against_openapi(doc: &[u8], answers: &[Recorded], scratch: &std::path::Path) {
    let list: Vec<Value> = answers
        .iter()
        .map(|a| {
            serde_json::json!({
                "method": a.method,
                "path": a.path,
                "status": a.status,
                "content_type": a.content_type,
                "body": serde_json::from_slice::<Value>(&a.body).ok(),
            })
        })
        .collect();
    std::fs::create_dir_all(scratch).expect("scratch dir");
    let doc_path = scratch.join("openapi.json");
    let answers_path = scratch.join("answers.json");
    std::fs::write(&doc_path, doc).expect("write the document");
    std::fs::write(&answers_path, Value::Array(list).to_string()).expect("write the answers");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/openapi_check.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&doc_path)
        .arg(&answers_path)
        .output()
        .expect("python3 runs (scripts/test installs it with the validators)");
    assert!(
        out.status.success(),
        "the OpenAPI check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
