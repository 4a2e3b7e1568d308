//! OCSP (RFC 6960) as a [`RevocationSource`]: asks a responder about one certificate and
//! believes only an answer that
//! - is `successful` and of the basic type (`id-pkix-ocsp-basic`);
//! - is signed by the certificate's issuing CA itself, or by a responder certificate that the
//!   CA issued (its signature checks under the CA's key) with extended key usage
//!   `id-kp-OCSPSigning` and valid at the time checked for (§4.2.2.2); the responderID must
//!   name that signer (by name, or by the SHA-1 of its key);
//! - carries our nonce back, when it carries one at all (a different nonce is a replay; RFC
//!   8954 lets responders leave it out, e.g. pre-produced answers);
//! - has a SingleResponse for exactly our CertID (SHA-256 of the issuer's name and key, and
//!   the serial);
//! - is current: `thisUpdate` no later than the time checked for (5 minutes' clock skew
//!   allowed) and `nextUpdate` present and not passed.
//!
//! Anything else is [`RevocationStatus::Unknown`] with the reason, never good; so is a responder
//! that cannot be reached. Good and revoked answers are cached until their `nextUpdate`.
//!
//! The request travels over plain HTTP (RFC 6960 Appendix A.1; the answer is signed, so TLS adds
//! nothing to its truth) through an [`OcspTransport`]; [`HttpTransport`] is the default. It is
//! written here on `std::net` with `httparse` (already in the tree through hyper) for the
//! answer's head, because the HTTP clients that would do it bring a second generation of
//! crates the workspace's deny rules refuse (ureq 3: base64 0.23 beside our 0.22), for one POST.

use super::*;
use const_oid::db::rfc5280::ID_KP_OCSP_SIGNING;
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{Null, OctetString};
use sha1::Sha1;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    ResponderId, TbsRequest, Version,
};

/// `id-pkix-ocsp-basic` (RFC 6960 §4.2.1).
const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// `id-pkix-ocsp-nonce` (RFC 6960 §4.4.1).
const ID_PKIX_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// `id-ce-extKeyUsage`.
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// Clock skew allowed between the responder and us.
const SKEW: u64 = 300;
/// Largest OCSP answer read (answers are a few kilobytes).
pub const MAX_OCSP_RESPONSE: usize = 64 << 10;
/// Most answers cached.
const MAX_CACHED: usize = 10_000;

/// Carries one DER OCSP request to a responder and brings its DER answer back.
pub trait OcspTransport: Send + Sync {
    /// POSTs `request` to `url`; the answer's body, at most [`MAX_OCSP_RESPONSE`] bytes.
    fn post(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, String>;
}

/// OCSP over plain HTTP/1.1 (`http://host[:port]/path`), one connection per request.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    /// The whole exchange's limit: connecting, sending and reading the answer together (a
    /// responder that trickles its answer byte by byte is cut off here, not per read). The name
    /// lookup is the system resolver's and has its own timeouts; configure the responder by
    /// address to avoid it.
    pub timeout: Duration,
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

impl OcspTransport for HttpTransport {
    fn post(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("the OCSP URL must start with http:// (RFC 6960 A.1)")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err("the OCSP URL has no host (or has credentials)".into());
        }
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = with_port
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {authority}: {e}"))?
            .next()
            .ok_or_else(|| format!("{authority} has no address"))?;
        let deadline = std::time::Instant::now() + self.timeout;
        let left = || {
            deadline
                .checked_duration_since(std::time::Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("{authority} did not answer within {:?}", self.timeout))
        };
        let mut s = TcpStream::connect_timeout(&addr, left()?)
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        s.set_write_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/ocsp-request\r\nAccept: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            request.len()
        );
        s.write_all(head.as_bytes())
            .and_then(|_| s.write_all(request))
            .map_err(|e| format!("sending to {authority}: {e}"))?;
        // The answer, bounded: its head and at most MAX_OCSP_RESPONSE of body. Read until the
        // body its Content-Length announces is in (a responder may keep the connection open
        // despite `Connection: close`), or until the responder closes.
        let limit = MAX_OCSP_RESPONSE + 16 * 1024;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            s.set_read_timeout(Some(left()?))
                .map_err(|e| e.to_string())?;
            let n = s.read(&mut chunk).map_err(|e| match e.kind() {
                // The read timeout is what is left of the exchange's limit.
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    format!("{authority} did not answer within {:?}", self.timeout)
                }
                _ => format!("reading from {authority}: {e}"),
            })?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(chunk.get(..n).unwrap_or_default());
            if raw.len() > limit {
                return Err(format!("{authority}'s answer is too large"));
            }
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(at)) = resp.parse(&raw) {
                let len = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if len.is_some_and(|len| raw.len() >= at.saturating_add(len)) {
                    break;
                }
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let body_at = match resp.parse(&raw) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                return Err(format!("{authority} sent an incomplete HTTP answer"))
            }
            Err(e) => return Err(format!("{authority} sent a malformed HTTP answer: {e}")),
        };
        if resp.code != Some(200) {
            return Err(format!(
                "{authority} answered HTTP {}",
                resp.code.unwrap_or(0)
            ));
        }
        let header = |name: &str| {
            resp.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
        };
        if header("transfer-encoding").is_some() {
            return Err(format!(
                "{authority} answered with a transfer encoding (not supported)"
            ));
        }
        let body = raw.get(body_at..).unwrap_or_default();
        // Digits only (Rust's parse would take a leading `+`).
        let length = |v: &str| {
            let v = v.trim();
            match !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                true => v.parse::<usize>().map_err(|_| ()),
                false => Err(()),
            }
        };
        let body = match header("content-length").map(length) {
            Some(Ok(n)) if n <= MAX_OCSP_RESPONSE => body
                .get(..n)
                .ok_or_else(|| format!("{authority}'s answer ended before its {n} bytes"))?,
            Some(Ok(n)) => return Err(format!("{authority}'s answer of {n} bytes is too large")),
            Some(Err(_)) => return Err(format!("{authority} sent a bad Content-Length")),
            None if body.len() <= MAX_OCSP_RESPONSE => body,
            None => return Err(format!("{authority}'s answer is too large")),
        };
        Ok(body.to_vec())
    }
}

/// A cached answer: the status and when it holds (thisUpdate, nextUpdate).
type Cached = (RevocationStatus, UnixTime, UnixTime);
/// What the cache is keyed by: SHA-256 of the issuer's key, and the serial.
type CacheKey = (Vec<u8>, Vec<u8>);

/// An OCSP responder as a revocation source.
pub struct OcspSource {
    url: String,
    transport: Box<dyn OcspTransport>,
    /// (SHA-256 of the issuer's key, serial) → (status, thisUpdate, nextUpdate).
    cache: Mutex<HashMap<CacheKey, Cached>>,
    /// Failures, kept for [`FAILURE_TTL`] so that a responder that is down or slow is not
    /// asked again by every request meanwhile.
    failures: Mutex<HashMap<CacheKey, (std::time::Instant, String)>>,
    /// Requests to the responder in flight ([`MAX_IN_FLIGHT`] at most: a slow responder
    /// cannot hold every thread of a service).
    in_flight: std::sync::atomic::AtomicUsize,
}

/// How long a failed request's answer (unknown) is reused.
const FAILURE_TTL: Duration = Duration::from_secs(10);
/// Most requests to the responder at once; more answer unknown at once.
const MAX_IN_FLIGHT: usize = 8;

impl std::fmt::Debug for OcspSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcspSource")
            .field("url", &self.url)
            .finish()
    }
}

impl OcspSource {
    /// A source asking the responder at `url` over HTTP.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_transport(url, Box::new(HttpTransport::default()))
    }

    /// A source asking through `transport`.
    pub fn with_transport(url: impl Into<String>, transport: Box<dyn OcspTransport>) -> Self {
        Self {
            url: url.into(),
            transport,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The responder's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn unknown(&self, why: impl std::fmt::Display) -> RevocationStatus {
        RevocationStatus::Unknown {
            why: UnknownReason::Other(format!("OCSP ({}): {why}", self.url)),
        }
    }

    /// Asks the responder (no cache).
    fn ask(
        &self,
        cert: &ParsedCert,
        issuer: &ParsedCert,
        at: UnixTime,
    ) -> Result<(RevocationStatus, UnixTime, UnixTime), String> {
        let cert_id = cert_id(cert, issuer)?;
        let mut nonce = [0u8; 32];
        getrandom::getrandom(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
        let nonce_ext = Extension {
            extn_id: ID_PKIX_OCSP_NONCE,
            critical: false,
            extn_value: OctetString::new(
                OctetString::new(nonce.to_vec())
                    .and_then(|o| o.to_der())
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?,
        };
        let request = OcspRequest {
            tbs_request: TbsRequest {
                version: Version::V1,
                requestor_name: None,
                request_list: vec![Request {
                    req_cert: cert_id.clone(),
                    single_request_extensions: None,
                }],
                request_extensions: Some(vec![nonce_ext]),
            },
            optional_signature: None,
        }
        .to_der()
        .map_err(|e| e.to_string())?;
        let answer = self
            .transport
            .post(&self.url, &request)
            .map_err(|e| format!("the responder cannot be reached: {e}"))?;
        if answer.len() > MAX_OCSP_RESPONSE {
            return Err("the answer is too large".into());
        }
        read_answer(&answer, &cert_id, &nonce, issuer, at, &self.url)
    }
}

impl RevocationSource for OcspSource {
    fn check(&self, cert: &ParsedCert, issuer: &ParsedCert, at: UnixTime) -> RevocationStatus {
        if !cert.issued_by_name(issuer) {
            return RevocationStatus::Unknown {
                why: UnknownReason::IssuerMismatch,
            };
        }
        let key = (
            Sha256::digest(issuer.spki_der().unwrap_or_default()).to_vec(),
            cert.cert.tbs_certificate.serial_number.as_bytes().to_vec(),
        );
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .filter(|(_, this, next)| this.0 <= at.0 + SKEW && at <= *next)
            .map(|(st, _, _)| st.clone());
        if let Some(st) = cached {
            return st;
        }
        let failed = lock_map(&self.failures)
            .get(&key)
            .filter(|(when, _)| when.elapsed() < FAILURE_TTL)
            .map(|(_, why)| why.clone());
        if let Some(why) = failed {
            return self.unknown(format!(
                "{why} (within the last {FAILURE_TTL:?}; not asked again yet)"
            ));
        }
        use std::sync::atomic::Ordering;
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return self.unknown(format!(
                "{MAX_IN_FLIGHT} requests to the responder are already waiting"
            ));
        }
        let asked = self.ask(cert, issuer, at);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        if let Err(why) = &asked {
            let mut f = lock_map(&self.failures);
            if f.len() >= MAX_CACHED {
                f.clear();
            }
            f.insert(key.clone(), (std::time::Instant::now(), why.clone()));
        }
        match asked {
            Ok((st, this, next)) => {
                let mut c = self
                    .cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if c.len() >= MAX_CACHED {
                    c.clear();
                }
                c.insert(key, (st.clone(), this, next));
                st
            }
            Err(why) => self.unknown(why),
        }
    }
}

/// The CertID of `cert` (RFC 6960 §4.1.1), with SHA-256.
fn cert_id(cert: &ParsedCert, issuer: &ParsedCert) -> Result<CertId, String> {
    let key = issuer
        .cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .ok_or("the issuer's key is not a whole number of bytes")?;
    Ok(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: ID_SHA_256,
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(Sha256::digest(issuer.subject_der()).to_vec())
            .map_err(|e| e.to_string())?,
        issuer_key_hash: OctetString::new(Sha256::digest(key).to_vec())
            .map_err(|e| e.to_string())?,
        serial_number: cert.cert.tbs_certificate.serial_number.clone(),
    })
}

/// Whether `id` is `ours` (the same hashes and serial; the algorithm's parameters may be an
/// explicit NULL or absent).
fn same_cert_id(id: &CertId, ours: &CertId) -> bool {
    id.hash_algorithm.oid == ours.hash_algorithm.oid
        && id.issuer_name_hash == ours.issuer_name_hash
        && id.issuer_key_hash == ours.issuer_key_hash
        && id.serial_number == ours.serial_number
}

fn time(t: &x509_ocsp::OcspGeneralizedTime) -> UnixTime {
    UnixTime(t.0.to_unix_duration().as_secs())
}

/// Reads and checks one OCSP answer (see the module's list).
fn read_answer(
    answer: &[u8],
    ours: &CertId,
    nonce: &[u8; 32],
    issuer: &ParsedCert,
    at: UnixTime,
    url: &str,
) -> Result<(RevocationStatus, UnixTime, UnixTime), String> {
    let resp = crate::der_input::decode::<OcspResponse>(answer)
        .map_err(|e| format!("the answer is not an OCSP response: {e}"))?;
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(format!("the responder answered {:?}", resp.response_status));
    }
    let bytes = resp
        .response_bytes
        .ok_or("a successful answer without a response")?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(format!(
            "the answer is of type {}, not basic",
            bytes.response_type
        ));
    }
    let raw = bytes.response.as_bytes();
    let basic = crate::der_input::decode::<BasicOcspResponse>(raw)
        .map_err(|e| format!("the basic response is malformed: {e}"))?;
    // The signed bytes exactly as sent: the first element of the basic response.
    let (outer, _) = tlv::parse_one(raw).map_err(|e| e.to_string())?;
    let (tbs, _) = tlv::parse_one(outer.value()).map_err(|e| e.to_string())?;
    let sig = basic
        .signature
        .as_bytes()
        .ok_or("the signature is not a whole number of bytes")?;
    let alg = basic.signature_algorithm.oid;
    let signed_by = |c: &ParsedCert| {
        c.spki_der()
            .is_ok_and(|spki| crate::x509::verify_signature(&spki, alg, tbs.raw(), sig).is_ok())
    };
    // The signer: the CA itself, or a responder certificate it issued for OCSP signing.
    let signer_name = if signed_by(issuer) {
        responder_id_names(&basic.tbs_response_data.responder_id, issuer)
            .then(|| issuer.subject())
            .ok_or("the responderID does not name the CA that signed the answer")?
    } else {
        let mut found = None;
        for c in basic.certs.as_deref().unwrap_or_default() {
            let der = c.to_der().map_err(|e| e.to_string())?;
            let Ok(rc) = ParsedCert::parse(&der) else {
                continue;
            };
            if !signed_by(&rc) {
                continue;
            }
            if !rc.issued_by_name(issuer) || rc.verify_signed_by(issuer).is_err() {
                return Err("the answer is signed by a responder the CA did not certify".into());
            }
            if !ocsp_signing(&rc) {
                return Err("the responder's certificate lacks id-kp-OCSPSigning".into());
            }
            if !rc.valid_at(at) {
                return Err("the responder's certificate is not valid at the time checked".into());
            }
            if !responder_id_names(&basic.tbs_response_data.responder_id, &rc) {
                return Err("the responderID does not name the responder that signed".into());
            }
            found = Some(rc.subject());
            break;
        }
        found.ok_or("the answer is not signed by the CA or by a responder it authorised")?
    };
    // Any nonce extension present must be one, well formed, and ours; none at all is accepted
    // (RFC 8954: pre-produced answers carry none).
    let nonces: Vec<&Extension> = basic
        .tbs_response_data
        .response_extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
        .collect();
    match nonces.as_slice() {
        [] => {}
        [one] => {
            // The extension's value is an OCTET STRING holding our bytes.
            let theirs = crate::der_input::decode::<OctetString>(one.extn_value.as_bytes())
                .map_err(|_| "the answer's nonce is malformed")?;
            if theirs.as_bytes() != nonce {
                return Err("the answer carries another request's nonce (a replay)".into());
            }
        }
        _ => return Err("the answer carries more than one nonce".into()),
    }
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|r| same_cert_id(&r.cert_id, ours))
        .ok_or("the answer says nothing about this certificate")?;
    let this = time(&single.this_update);
    let next = single
        .next_update
        .as_ref()
        .map(time)
        .ok_or("the answer has no nextUpdate, so it cannot be known to be current")?;
    if this.0 > at.0 + SKEW {
        return Err(format!(
            "the answer's thisUpdate {} is after {}",
            this.to_rfc3339(),
            at.to_rfc3339()
        ));
    }
    if next < at {
        return Err(format!(
            "the answer is stale: its nextUpdate {} is before {}",
            next.to_rfc3339(),
            at.to_rfc3339()
        ));
    }
    let via = RevocationVia::Ocsp {
        responder: url.to_string(),
        signer: signer_name,
    };
    let status = match &single.cert_status {
        CertStatus::Good(_) => RevocationStatus::Good {
            via,
            crl_number: None,
            this_update: this,
            next_update: next,
            crl_issuer: issuer.subject(),
        },
        CertStatus::Revoked(info) => RevocationStatus::Revoked {
            via,
            revoked_at: time(&info.revocation_time),
            reason: info
                .revocation_reason
                .map(|r| crl::reason_name(r).to_string()),
        },
        CertStatus::Unknown(_) => return Err("the responder does not know the certificate".into()),
    };
    Ok((status, this, next))
}

/// Whether `id` names `c`: by its subject, or by the SHA-1 of its public key (RFC 6960 §4.2.1).
fn responder_id_names(id: &ResponderId, c: &ParsedCert) -> bool {
    match id {
        ResponderId::ByName(name) => name.to_der().is_ok_and(|d| d == c.subject_der()),
        ResponderId::ByKey(hash) => c
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .as_bytes()
            .is_some_and(|k| Sha1::digest(k).as_slice() == hash.as_bytes()),
    }
}

/// Whether `c`'s extended key usage includes id-kp-OCSPSigning.
fn ocsp_signing(c: &ParsedCert) -> bool {
    c.cert
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|e| e.extn_id == EXT_KEY_USAGE)
        .and_then(|e| crate::der_input::decode::<ExtendedKeyUsage>(e.extn_value.as_bytes()).ok())
        .is_some_and(|eku| eku.0.contains(&ID_KP_OCSP_SIGNING))
}

fn lock_map<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
