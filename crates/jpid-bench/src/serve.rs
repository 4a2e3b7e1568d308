//! `jpid-bench serve`: load on the verification service, beside the machine's raw RSA-2048
//! verify rate (`openssl speed -seconds 3 rsa2048`) measured in the same run.
//!
//! The service runs in this process on a loopback port with a fresh SQLite audit store (or
//! --db), with every answer's audit record committed before it is sent, exactly as `jpid serve`.
//! Load comes from keep-alive HTTP/1.1 connections on threads of this process. On Linux with at
//! least two CPUs the service's threads (one tokio worker and the blocking pool, where SQLite
//! commits) are pinned to one CPU and the load generator's threads to the others, so the
//! service's requests/s is its rate on one core. Elsewhere nothing is pinned, the load generator
//! shares the cores with the service, and the figures are a floor. Either way the service's own
//! CPU time (the sum over its threads) is measured per phase and given per request.
//!
//! Two endpoints: residence-card dump verification (the simulated card's dump, over and over)
//! and JPKI login (each login needs a fresh challenge; they are fetched and signed with the test
//! holder's key before the timed phase, so only the login request is timed). Each is run first
//! closed-loop (every connection sends its next request as soon as the answer arrives: the
//! maximum rate), then open-loop at half that rate, where latency is counted from the moment
//! each request was due (no coordinated omission).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use jpid_card::residence::CardNumber;
use jpid_card::Channel;
use jpid_model::dump::ResidenceDump;
use jpid_model::UnixTime;
use jpid_server::auth::{new_key, Scope};
use jpid_server::{Config, Store};
use jpid_sim::kinds::DEFAULT_CARD_NUMBER;
use jpid_sim::SimSpec;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

type CliError = anyhow::Error;

fn internal(e: impl std::fmt::Display) -> CliError {
    anyhow::anyhow!("{e}")
}

fn now() -> UnixTime {
    UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// The JSON document with the envelope every jpid JSON output carries, or the text.
fn emit(json: bool, body: Value, human: impl FnOnce() -> String) {
    if json {
        let mut map = Map::new();
        map.insert("schema_version".into(), json!(1));
        map.insert("command".into(), json!("bench serve"));
        if let Value::Object(fields) = body {
            map.extend(fields);
        }
        println!("{}", Value::Object(map));
    } else {
        print!("{}", human());
    }
}

/// One keep-alive connection.
struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
            host: addr.to_string(),
        })
    }

    fn post(&mut self, path: &str, auth: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        // One write, as most clients send a small request: head and body arrive together.
        let mut req = Vec::with_capacity(head.len() + body.len());
        req.extend_from_slice(head.as_bytes());
        req.extend_from_slice(body);
        self.w.write_all(&req)?;
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().map_err(std::io::Error::other)?;
                }
            }
        }
        let mut body = vec![0u8; len];
        self.r.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// What one phase measured.
struct Phase {
    requests: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
    /// CPU time the service's threads used during the phase, where it can be measured.
    service_cpu: Option<Duration>,
    /// One answer the phase accepted (the HTTP floor sends the same bytes back).
    answer: Vec<u8>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    }
    /// The service's CPU time per request, µs.
    fn cpu_us_per_request(&self) -> Option<f64> {
        let cpu = self.service_cpu?;
        (self.requests > 0).then(|| cpu.as_secs_f64() * 1e6 / self.requests as f64)
    }
    fn json(&self) -> Value {
        json!({"requests": self.requests, "seconds": self.seconds, "rps": self.rate(), "p50_ms": self.pct(0.5), "p99_ms": self.pct(0.99), "service_cpu_us_per_request": self.cpu_us_per_request()})
    }
}

/// Where the benchmark's threads run, and the service threads' CPU time.
mod placement {
    use std::sync::Mutex;
    use std::time::Duration;

    /// The CPUs this process may run on (its affinity mask), in order; empty when unknown.
    pub fn allowed_cpus() -> Vec<usize> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: cpu_set_t is plain data; all zeroes is a valid (empty) set.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: sched_getaffinity writes at most `size_of::<cpu_set_t>()` bytes into `set`.
            let r = unsafe {
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set)
            };
            if r != 0 {
                return Vec::new();
            }
            let max = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
            // SAFETY: CPU_ISSET reads the set we own; every index is below CPU_SETSIZE.
            (0..max)
                .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
                .collect()
        }
        #[cfg(not(target_os = "linux"))]
        Vec::new()
    }

    /// Pins the calling thread to `cpus` (nothing when empty or not on Linux).
    pub fn pin_current_thread(cpus: &[usize]) {
        #[cfg(target_os = "linux")]
        if !cpus.is_empty() {
            // SAFETY: as in `allowed_cpus`.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            for &c in cpus {
                // SAFETY: `c` came from `allowed_cpus`, so it is below CPU_SETSIZE.
                unsafe { libc::CPU_SET(c, &mut set) };
            }
            // SAFETY: pid 0 is the calling thread; the kernel only reads `set`.
            let r =
                unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
            if r != 0 {
                log::warn!(
                    "could not pin a benchmark thread to CPUs {cpus:?}: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = cpus;
    }

    /// The CPU time of a set of threads (the service runtime's): each registers itself when it
    /// starts and adds its final CPU time when it stops; live threads are read from
    /// `/proc/self/task/TID/stat`. Linux only; elsewhere [`ThreadCpu::total`] is None.
    #[derive(Default)]
    pub struct ThreadCpu {
        /// Live thread ids, and the CPU time of the threads that have stopped.
        inner: Mutex<(Vec<i32>, Duration)>,
    }

    impl ThreadCpu {
        fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<i32>, Duration)> {
            self.inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }

        /// Called on each service thread as it starts.
        pub fn started(&self) {
            #[cfg(target_os = "linux")]
            {
                // SAFETY: gettid takes nothing and cannot fail.
                let tid = unsafe { libc::gettid() };
                self.lock().0.push(tid);
            }
        }

        /// Called on each service thread as it stops.
        pub fn stopped(&self) {
            #[cfg(target_os = "linux")]
            {
                // SAFETY: as in `started`.
                let tid = unsafe { libc::gettid() };
                // SAFETY: rusage is plain data; getrusage fills the struct we own.
                let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
                // SAFETY: RUSAGE_THREAD: the calling thread's own usage.
                let used = if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } == 0 {
                    timeval(ru.ru_utime) + timeval(ru.ru_stime)
                } else {
                    Duration::ZERO
                };
                let mut g = self.lock();
                g.0.retain(|&t| t != tid);
                g.1 += used;
            }
        }

        /// The CPU time of every service thread so far, stopped ones included.
        pub fn total(&self) -> Option<Duration> {
            #[cfg(target_os = "linux")]
            {
                // SAFETY: sysconf takes an integer.
                let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
                if ticks == 0 {
                    return None;
                }
                // Under the lock, so that a thread cannot stop (and be counted twice or not
                // at all) while the live ones are read.
                let g = self.lock();
                let mut sum = g.1;
                for tid in &g.0 {
                    let stat =
                        std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
                    // The fields after the command name (which may hold spaces) in parentheses:
                    // state is field 3, utime 14 and stime 15 (proc(5)), in clock ticks.
                    let rest = stat.rsplit_once(')')?.1;
                    let f: Vec<&str> = rest.split_whitespace().collect();
                    let utime: u64 = f.get(11)?.parse().ok()?;
                    let stime: u64 = f.get(12)?.parse().ok()?;
                    sum += Duration::from_secs_f64((utime + stime) as f64 / ticks as f64);
                }
                Some(sum)
            }
            #[cfg(not(target_os = "linux"))]
            None
        }
    }

    #[cfg(target_os = "linux")]
    fn timeval(t: libc::timeval) -> Duration {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    }
}

type Next = Arc<dyn Fn() -> Option<Vec<u8>> + Send + Sync>;

/// Where the load runs and how the service's CPU time is read.
struct Load<'a> {
    addr: &'a str,
    key: &'a str,
    conns: usize,
    duration: Duration,
    /// The CPUs the load generator's threads are pinned to (empty: not pinned).
    cpus: &'a [usize],
    service: &'a placement::ThreadCpu,
}

/// `conns` connections; closed loop when `rate` is None, else open loop at `rate` per second.
fn run_phase(
    load: &Load<'_>,
    path: &'static str,
    next: Next,
    rate: Option<f64>,
    expect: &'static str,
) -> Result<Phase, CliError> {
    run_phase_expecting(load, path, next, rate, 200, expect)
}

/// [`run_phase`] expecting HTTP `status`, and `expect` in the body unless it is empty.
fn run_phase_expecting(
    load: &Load<'_>,
    path: &'static str,
    next: Next,
    rate: Option<f64>,
    status: u16,
    expect: &'static str,
) -> Result<Phase, CliError> {
    let (addr, key, conns, duration) = (load.addr, load.key, load.conns, load.duration);
    let cpu_before = load.service.total();
    let start = Instant::now();
    let results = Arc::new(Mutex::new((
        0usize,
        Vec::<f64>::new(),
        None::<String>,
        Vec::<u8>::new(),
    )));
    let threads: Vec<_> = (0..conns)
        .map(|i| {
            let (addr, key, next, results, cpus) = (
                addr.to_string(),
                key.to_string(),
                next.clone(),
                results.clone(),
                load.cpus.to_vec(),
            );
            std::thread::spawn(move || {
                placement::pin_current_thread(&cpus);
                let mut local = Vec::new();
                let mut err = None;
                let mut kept = None;
                let mut conn = match Conn::open(&addr) {
                    Ok(c) => c,
                    Err(e) => {
                        results.lock().unwrap_or_else(|p| p.into_inner()).2 = Some(e.to_string());
                        return;
                    }
                };
                // Open loop: this connection's share of the rate, staggered.
                let interval = rate.map(|r| Duration::from_secs_f64(conns as f64 / r));
                let mut due = start
                    + interval.map_or(Duration::ZERO, |iv| iv.mul_f64(i as f64 / conns as f64));
                while start.elapsed() < duration {
                    if interval.is_some() {
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                    } else {
                        due = Instant::now();
                    }
                    let Some(body) = next() else { break };
                    match conn.post(path, &key, &body) {
                        Ok((s, answer))
                            if s == status
                                && (expect.is_empty()
                                    || answer
                                        .windows(expect.len())
                                        .any(|w| w == expect.as_bytes())) =>
                        {
                            local.push(due.elapsed().as_secs_f64() * 1000.0);
                            if kept.is_none() {
                                kept = Some(answer);
                            }
                        }
                        Ok((s, answer)) => {
                            err = Some(format!("HTTP {s}: {}", String::from_utf8_lossy(&answer)));
                            break;
                        }
                        Err(e) => {
                            err = Some(e.to_string());
                            break;
                        }
                    }
                    if let Some(iv) = interval {
                        due += iv;
                    }
                }
                let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
                r.0 += local.len();
                r.1.extend(local);
                if err.is_some() {
                    r.2 = err;
                }
                if let Some(a) = kept {
                    r.3 = a;
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let seconds = start.elapsed().as_secs_f64();
    let service_cpu = cpu_before
        .zip(load.service.total())
        .map(|(a, b)| b.saturating_sub(a));
    let (n, lat, err, answer) =
        std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    if let Some(e) = err {
        return Err(internal(format!(
            "a request failed during the benchmark: {e}"
        )));
    }
    Ok(Phase {
        requests: n,
        seconds,
        latencies_ms: lat,
        service_cpu,
        answer,
    })
}

/// CPU numbers for people: `0`, `1,2,3`.
fn list(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `openssl speed -seconds N rsa2048` → verify/s (one core).
fn openssl_verify_rate(seconds: u64) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().rev();
    let data = lines.find(|l| l.starts_with("rsa 2048 bits"))?;
    let header = text.lines().find(|l| l.contains("verify/s"))?;
    let col = header.split_whitespace().position(|c| c == "verify/s")?;
    // The data line has "rsa 2048 bits" (3 words) in front of the header's columns.
    data.split_whitespace().nth(col + 3)?.parse().ok()
}

/// jpid's RSA-2048 PKCS#1 v1.5 verification (`ParsedCert::verify_rsa_pkcs1`, on the build's
/// backend, the prepared key remembered by the certificate as in the service) on one thread, for
/// `seconds`.
fn jpid_verify_rate(seconds: f64) -> Result<f64, CliError> {
    use rsa::Pkcs1v15Sign;
    let pki = jpid_testpki::load_default().map_err(internal)?;
    let holder = pki.jpki_holder().auth();
    let cert = jpid_verify::x509::ParsedCert::parse(holder.cert_der()).map_err(internal)?;
    let digest = Sha256::digest(b"bench");
    let sig = holder
        .private_key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(internal)?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..100 {
            cert.verify_rsa_pkcs1(jpid_verify::x509::HashAlg::Sha256, &digest, &sig)
                .map_err(internal)?;
        }
        n += 100;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// What the verifications alone cost on one thread, without HTTP, JSON answers or the audit
/// store: µs per residence-dump check (parse the dump, parse the card, verify) and per JPKI
/// login check (`verify_raw` of an authentication signature, revocation not checked), for
/// `seconds` each. The gap to the service's CPU per request is the service's own work.
fn verify_only_us(
    dump: &[u8],
    trust: &jpid_verify::TrustStore,
    seconds: f64,
) -> Result<(f64, f64), CliError> {
    use rsa::Pkcs1v15Sign;
    let now = now();
    let time = |f: &mut dyn FnMut() -> Result<(), CliError>| -> Result<f64, CliError> {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < seconds {
            for _ in 0..50 {
                f()?;
            }
            n += 50;
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / n as f64)
    };
    let residence = time(&mut || {
        let d = ResidenceDump::from_slice(dump).map_err(internal)?;
        let card = jpid_verify::residence::parse(&d.files).map_err(internal)?;
        if jpid_verify::residence::verify(&card, trust, now, jpid_verify::residence::ReadFrom::Dump)
            .genuine()
        {
            Ok(())
        } else {
            Err(internal("the benchmark's residence dump did not verify"))
        }
    })?;
    let pki = jpid_testpki::load_default().map_err(internal)?;
    let auth = pki.jpki_holder().auth();
    let digest: [u8; 32] = Sha256::digest(b"a login challenge").into();
    let sig = auth
        .private_key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(internal)?;
    let login = time(&mut || {
        let v = jpid_verify::signature::verify_raw(
            &digest,
            &sig,
            auth.cert_der(),
            trust,
            now,
            jpid_verify::RevocationPolicy::NotChecked,
        )
        .map_err(internal)?;
        if v.valid() {
            Ok(())
        } else {
            Err(internal("the benchmark's login signature did not verify"))
        }
    })?;
    Ok((residence, login))
}

/// `n` JPKI logins, signed ahead: each a fresh challenge from the service, signed with the test
/// holder's authentication key, as the login body. Signed by OpenSSL on one thread per CPU, at
/// most 8 (nothing is timed meanwhile); the order is of no importance.
fn sign_logins(addr: &str, key: &str, n: usize) -> Result<Vec<Vec<u8>>, CliError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let pki = jpid_testpki::load_default().map_err(internal)?;
    let holder = pki.jpki_holder();
    let cert = B64.encode(holder.auth().cert_der());
    let der = holder
        .auth()
        .private_key()
        .to_pkcs1_der()
        .map_err(internal)?;
    let pkey = openssl::rsa::Rsa::private_key_from_der(der.as_bytes())
        .and_then(openssl::pkey::PKey::from_rsa)
        .map_err(internal)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
    let one = |count: usize| -> Result<Vec<Vec<u8>>, CliError> {
        let mut conn = Conn::open(addr).map_err(internal)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let (status, body) = conn
                .post("/v1/jpki/challenges", key, b"")
                .map_err(internal)?;
            if status != 200 {
                return Err(internal(format!(
                    "challenge: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                )));
            }
            let v: Value = serde_json::from_slice(&body).map_err(internal)?;
            let nonce = B64
                .decode(v["nonce"].as_str().unwrap_or(""))
                .map_err(internal)?;
            // RSASSA-PKCS1-v1_5 with SHA-256 over the nonce, as the card's SIGN does.
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)
                    .map_err(internal)?;
            let sig = signer.sign_oneshot_to_vec(&nonce).map_err(internal)?;
            out.push(
                json!({"challenge_id": v["challenge_id"], "signature": B64.encode(sig), "certificate": cert})
                    .to_string()
                    .into_bytes(),
            );
        }
        Ok(out)
    };
    let mut all = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..threads)
            .map(|i| {
                let count = n / threads + usize::from(i < n % threads);
                s.spawn(move || one(count))
            })
            .collect();
        for p in parts {
            all.extend(
                p.join()
                    .map_err(|_| internal("a signing thread panicked"))??,
            );
        }
        Ok::<_, CliError>(())
    })?;
    Ok(all)
}

pub fn serve(
    json_out: bool,
    seconds: u64,
    connections: usize,
    logins: usize,
    db: Option<&str>,
    pin: bool,
) -> Result<(), CliError> {
    let connections = connections.max(1);
    let duration = Duration::from_secs(seconds.max(1));
    let tmp = std::env::temp_dir().join(format!("jpid-bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let db = db
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}/bench.sqlite3", tmp.display()));

    // The dump the residence phase posts: the simulated card, read in process.
    let spec = SimSpec::parse("residence")?;
    let mut ch = Channel::new(spec.transport()?);
    let number = CardNumber::try_from(DEFAULT_CARD_NUMBER).map_err(internal)?;
    let mut rng = |b: &mut [u8]| getrandom::getrandom(b).map_err(|e| e.to_string());
    let read = jpid_card::residence::read_card(&mut ch, &number, &mut rng, &mut |_| {})?;
    let dump = ResidenceDump {
        read_at: now(),
        reader: "sim:residence".into(),
        card_type: read.card_type.value().into(),
        generation: read.card_type.generation(),
        files: read.files,
    }
    .to_json()
    .to_string()
    .into_bytes();

    // The service, in this process, on its own runtime. With two CPUs or more: the service on
    // the first, with one worker thread, and the load generator on the others.
    let trust = jpid_sim::trust::test_store(jpid_verify::TrustStore::production());
    if !json_out {
        eprintln!("verification alone (no HTTP, no audit), 2 s each ...");
    }
    let (verify_residence_us, verify_login_us) = verify_only_us(&dump, &trust, 2.0)?;
    let allowed = placement::allowed_cpus();
    let (service_cpus, load_cpus): (Vec<usize>, Vec<usize>) = match allowed.split_first() {
        Some((first, rest)) if pin && !rest.is_empty() => (vec![*first], rest.to_vec()),
        _ => (Vec::new(), Vec::new()),
    };
    let pinned = !service_cpus.is_empty();
    let cores = if allowed.is_empty() {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        allowed.len()
    };
    let workers = if pinned { 1 } else { cores };
    let service_cpu = Arc::new(placement::ThreadCpu::default());
    let (on_start, on_stop, pin_to) = (
        service_cpu.clone(),
        service_cpu.clone(),
        service_cpus.clone(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .on_thread_start(move || {
            placement::pin_current_thread(&pin_to);
            on_start.started();
        })
        .on_thread_stop(move || on_stop.stopped())
        .enable_all()
        .build()
        .map_err(internal)?;
    let store = rt.block_on(Store::open(Some(&db))).map_err(internal)?;
    let k = new_key("bench", &[Scope::Residence, Scope::Jpki], 0).map_err(internal)?;
    rt.block_on(store.insert_key(k.row.clone()))
        .map_err(internal)?;
    let revoke = store.clone();
    let key = k.token.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    let config = Config {
        listen: "127.0.0.1:0".parse().map_err(internal)?,
        trust,
        reader: None,
        challenge_rate: 1_000_000,
        challenge_ttl: jpid_server::CHALLENGE_TTL,
        crl_dir: None,
        ocsp_url: None,
    };
    rt.spawn(async move {
        let _ = jpid_server::serve(store, config, move |addr| {
            let _ = tx.send(addr);
        })
        .await;
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| internal("the service did not start"))?
        .to_string();
    let progress = |m: &str| {
        if !json_out {
            eprintln!("{m}");
        }
    };

    progress("openssl speed -seconds 3 rsa2048 ...");
    let openssl = openssl_verify_rate(3);
    progress("jpid's RSA-2048 verify, 3 s ...");
    let own = jpid_verify_rate(3.0)?;

    let load = Load {
        addr: &addr,
        key: &key,
        conns: connections,
        duration,
        cpus: &load_cpus,
        service: &service_cpu,
    };
    let body_for_floor = dump.clone();
    let body = Arc::new(dump);
    let same: Next = Arc::new(move || Some(body.as_ref().clone()));
    progress("residence verification, closed loop ...");
    let res_max = run_phase(
        &load,
        "/v1/residence/verify",
        same.clone(),
        None,
        "\"genuine\":true",
    )?;
    progress("residence verification, open loop at half that rate ...");
    let res_half = run_phase(
        &load,
        "/v1/residence/verify",
        same,
        Some(res_max.rate() / 2.0),
        "\"genuine\":true",
    )?;

    progress(&format!(
        "signing {logins} JPKI login challenges (not timed) ..."
    ));
    let signed = sign_logins(&addr, &key, logins)?;
    let login_for_floor = signed.first().cloned().unwrap_or_default();
    let pool = Arc::new(Mutex::new(signed));
    let p = pool.clone();
    let next: Next = Arc::new(move || p.lock().unwrap_or_else(|e| e.into_inner()).pop());
    progress("JPKI login, closed loop ...");
    let login_max = run_phase(
        &load,
        "/v1/jpki/login",
        next,
        None,
        "\"authenticated\":true",
    )?;
    let half_rate = login_max.rate() / 2.0;
    // Challenges outstanding at once stay under the service's bound (the first pool's may not
    // all have been used).
    let need = ((half_rate * duration.as_secs_f64()) as usize + connections)
        .min(logins * 4)
        .min(jpid_server::MAX_CHALLENGES.saturating_sub(logins + connections));
    progress(&format!("signing {need} more challenges (not timed) ..."));
    *pool.lock().unwrap_or_else(|e| e.into_inner()) = sign_logins(&addr, &key, need)?;
    let p = pool.clone();
    let next: Next = Arc::new(move || p.lock().unwrap_or_else(|e| e.into_inner()).pop());
    progress("JPKI login, open loop at half that rate ...");
    let login_half = run_phase(
        &load,
        "/v1/jpki/login",
        next,
        Some(half_rate),
        "\"authenticated\":true",
    )?;
    // HTTP alone: the same bodies posted to /healthz, which the router answers 405 without
    // a key check, parsing, verification or audit record. What the service spends on these is
    // the floor any answer to such a request costs on this machine.
    let floor_secs = duration.min(Duration::from_secs(3));
    let floor_load = Load {
        duration: floor_secs,
        ..load
    };
    progress("HTTP alone (the same bodies answered 405 by the router), closed loop ...");
    let http_alone = |body: Vec<u8>| {
        let body = Arc::new(body);
        let next: Next = Arc::new(move || Some(body.as_ref().clone()));
        run_phase_expecting(&floor_load, "/healthz", next, None, 405, "")
    };
    let floor_residence = http_alone(body_for_floor.clone())?;
    let floor_login = http_alone(login_for_floor.clone())?;
    // HTTP alone as the issue-16 target means it: the same bodies, read whole, and the service's
    // own answers sent back, by a router on the same accept loop and runtime (no key check,
    // parsing, verification or audit record).
    progress("HTTP alone (the same bodies read whole, the service's own answers sent back), closed loop ...");
    let (ftx, frx) = std::sync::mpsc::channel();
    let answers = vec![
        ("/residence", res_max.answer.clone()),
        ("/login", login_max.answer.clone()),
    ];
    rt.spawn(async move {
        let _ = jpid_server::serve_http_floor(answers, move |addr| {
            let _ = ftx.send(addr);
        })
        .await;
    });
    let floor_addr = frx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| internal("the HTTP floor did not start"))?
        .to_string();
    let echo_load = Load {
        addr: &floor_addr,
        ..floor_load
    };
    let http_echo = |path: &'static str, body: &[u8], rate: Option<f64>| {
        let body = Arc::new(body.to_vec());
        let next: Next = Arc::new(move || Some(body.as_ref().clone()));
        run_phase(&echo_load, path, next, rate, "")
    };
    let echo_residence = http_echo("/residence", &body_for_floor, None)?;
    let echo_login = http_echo("/login", &login_for_floor, None)?;
    // The same floor at the service's half-load rates, open loop as the service's half-load
    // phases: at the same rate and pacing, what a wake-up costs weighs on both alike (a router
    // answering 80 000 requests a second serves many per wake-up; at a few thousand a second
    // each request pays for its own), so this comparison isolates the service's own work.
    progress("HTTP alone again, open loop at the service's half-load rates ...");
    let echo_residence_half = http_echo("/residence", &body_for_floor, Some(res_half.rate()))?;
    let echo_login_half = http_echo("/login", &login_for_floor, Some(login_half.rate()))?;
    // The issue-16 ratio: service CPU per request / (HTTP alone + verification alone).
    let ratio = |p: &Phase, floor: &Phase, verify_us: f64| {
        p.cpu_us_per_request()
            .zip(floor.cpu_us_per_request())
            .map(|(c, f)| c / (f + verify_us))
    };
    let ratio_residence = ratio(&res_max, &echo_residence, verify_residence_us);
    let ratio_login = ratio(&login_max, &echo_login, verify_login_us);
    let half_residence = ratio(&res_half, &echo_residence_half, verify_residence_us);
    let half_login = ratio(&login_half, &echo_login_half, verify_login_us);
    // The bench key must not outlive the run (it matters when --db names a real store).
    let _ = rt.block_on(revoke.revoke_key(&k.row.id, jpid_server::store::now()));
    rt.shutdown_background();
    let _ = std::fs::remove_dir_all(&tmp);

    // Pinned, the service had exactly one core; otherwise its share of the machine's.
    let per_core = |p: &Phase| p.rate() / workers as f64;
    let body = json!({
        "cores": cores,
        "pinned": pinned,
        "service_cpus": service_cpus,
        "load_cpus": load_cpus,
        "service_worker_threads": workers,
        "connections": connections,
        "db": if db.starts_with("sqlite://") { "sqlite" } else { "postgres" },
        "openssl_rsa2048_verify_per_s": openssl,
        "jpid_rsa2048_verify_per_s": own,
        "rsa_backend": jpid_verify::rsa_public::PublicKey::backend(),
        "verify_only_us": {"residence": verify_residence_us, "jpki_login": verify_login_us},
        "residence": {"max": res_max.json(), "half_load": res_half.json(), "per_core_rps": per_core(&res_max)},
        "jpki_login": {"max": login_max.json(), "half_load": login_half.json(), "per_core_rps": per_core(&login_max)},
        "http_alone": {
            "same_answer": {"residence": echo_residence.json(), "jpki_login": echo_login.json(),
                "answer_bytes": {"residence": res_max.answer.len(), "jpki_login": login_max.answer.len()}},
            "refused_405": {"residence_body": floor_residence.json(), "login_body": floor_login.json()},
            "same_answer_at_half_load_rate": {"residence": echo_residence_half.json(), "jpki_login": echo_login_half.json()},
        },
        "ratio_to_http_alone_plus_verify": {"residence": ratio_residence, "jpki_login": ratio_login, "target": 1.5},
        "ratio_at_half_load": {"residence": half_residence, "jpki_login": half_login},
    });
    emit(json_out, body, || {
        let store = if db.starts_with("sqlite://") {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        let mut s = if pinned {
            format!(
                "jpid serve pinned to CPU {} (1 worker thread; the blocking pool, where the audit store commits, on the same CPU); load generator on CPU {}; {connections} connections, audit store {store}\n\
                 req/s per core = the service's req/s on its one core\n",
                list(&service_cpus),
                list(&load_cpus),
            )
        } else {
            format!(
                "jpid serve on {cores} cores ({workers} worker threads), not pinned ({}): the load generator shares the cores, the figures are a floor; {connections} connections, audit store {store}\n",
                if pin { "fewer than 2 CPUs, or not Linux" } else { "--no-pin" }
            )
        };
        s.push_str(&match openssl {
            Some(r) => format!(
                "openssl speed rsa2048: {r:.0} verify/s on one core (half: {:.0})\n\n",
                r / 2.0
            ),
            None => "openssl speed rsa2048: openssl not found\n\n".into(),
        });
        s.push_str(&format!(
            "jpid's RSA-2048 verify ({} backend): {own:.0} /s on one core\n\
             verification alone, one thread (no HTTP, no audit): residence {verify_residence_us:.0} µs, JPKI login {verify_login_us:.0} µs\n\n",
            jpid_verify::rsa_public::PublicKey::backend()
        ));
        s.push_str("| endpoint | load | req/s | req/s per core | service CPU µs/req | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|\n");
        for (name, m, h) in [
            ("residence verify", &res_max, &res_half),
            ("JPKI login", &login_max, &login_half),
        ] {
            for (load, p) in [("max (closed loop)", m), ("half (open loop)", h)] {
                s.push_str(&format!(
                    "| {name} | {load} | {:.0} | {:.0} | {} | {:.2} | {:.2} |\n",
                    p.rate(),
                    per_core(p),
                    p.cpu_us_per_request()
                        .map_or("n/a".into(), |c| format!("{c:.0}")),
                    p.pct(0.5),
                    p.pct(0.99)
                ));
            }
        }
        let busy = |p: &Phase| {
            p.cpu_us_per_request()
                .map(|c| c * p.rate() / 1e6 / workers as f64 * 100.0)
        };
        if let (Some(a), Some(b)) = (busy(&res_max), busy(&login_max)) {
            s.push_str(&format!(
                "\nservice cores busy at max load: residence {a:.0} %, JPKI login {b:.0} % (under 100 %: the load generator, not the service, set the pace)\n"
            ));
        }
        for (phase, p) in [("max-load", &login_max), ("half-load", &login_half)] {
            if p.seconds + 0.5 < duration.as_secs_f64() {
                s.push_str(&format!(
                    "the JPKI login {phase} phase ran out of signed logins after {:.1} s (of {} s): pass a larger --logins for a longer phase\n",
                    p.seconds,
                    duration.as_secs()
                ));
            }
        }
        if let (Some(a), Some(b), Some(ra), Some(rb)) = (
            echo_residence.cpu_us_per_request(),
            echo_login.cpu_us_per_request(),
            ratio_residence,
            ratio_login,
        ) {
            s.push_str(&format!(
                "HTTP alone (the same bodies read whole and the service's own answers sent back, {} and {} bytes; no key check, parsing, verification or audit): {a:.0} µs of service CPU per request (residence), {b:.0} µs (JPKI login)\n\
                 service CPU per request / (HTTP alone + verification alone), the issue-16 target being at most 1.5: residence {ra:.2} ({:.0} / ({a:.0} + {verify_residence_us:.0})), JPKI login {rb:.2} ({:.0} / ({b:.0} + {verify_login_us:.0}))\n",
                res_max.answer.len(),
                login_max.answer.len(),
                res_max.cpu_us_per_request().unwrap_or(0.0),
                login_max.cpu_us_per_request().unwrap_or(0.0),
            ));
        }
        if let (Some(a), Some(b), Some(ra), Some(rb)) = (
            echo_residence_half.cpu_us_per_request(),
            echo_login_half.cpu_us_per_request(),
            half_residence,
            half_login,
        ) {
            s.push_str(&format!(
                "at half load, against HTTP alone at the same rates and pacing ({:.0} and {:.0} req/s, open loop: {a:.0} µs and {b:.0} µs): residence {ra:.2} ({:.0} / ({a:.0} + {verify_residence_us:.0})), JPKI login {rb:.2} ({:.0} / ({b:.0} + {verify_login_us:.0}))\n",
                echo_residence_half.rate(),
                echo_login_half.rate(),
                res_half.cpu_us_per_request().unwrap_or(0.0),
                login_half.cpu_us_per_request().unwrap_or(0.0),
            ));
        }
        if let (Some(a), Some(b)) = (
            floor_residence.cpu_us_per_request(),
            floor_login.cpu_us_per_request(),
        ) {
            s.push_str(&format!(
                "the same bodies refused 405 by the router before reading them: {a:.0} µs of service CPU per request with the residence body ({:.0} req/s), {b:.0} µs with a login body ({:.0} req/s)\n",
                floor_residence.rate(),
                floor_login.rate()
            ));
            if let Some(r) = openssl {
                s.push_str(&format!(
                    "CPU per request at half the raw verify rate: {:.0} µs; HTTP alone plus one RSA verification ({:.0} µs with jpid's backend) already takes {:.0} µs (residence body) and {:.0} µs (login body)\n",
                    2e6 / r,
                    1e6 / own,
                    a + 1e6 / own,
                    b + 1e6 / own
                ));
            }
        }
        s.push_str(
            "JPKI logins all use the one test holder: its certificate's parse, key and chain signature are remembered by the service's trust store, as for a returning user; a first login costs one more RSA verification\n",
        );
        if let Some(r) = openssl {
            s.push_str(&format!(
                "half the raw verify rate per core: {:.0} req/s; at max load residence verify reaches {:.0} %, JPKI login {:.0} %\n",
                r / 2.0,
                100.0 * per_core(&res_max) / (r / 2.0),
                100.0 * per_core(&login_max) / (r / 2.0),
            ));
        }
        s
    });
    Ok(())
}
