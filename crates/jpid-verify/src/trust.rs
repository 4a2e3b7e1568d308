//! Trust anchors: the production roots compiled into jpid, roots added from files, and test roots
//! that are used only when the caller asks for them by name.
//!
//! A library never decides on its own to trust test roots: [`TrustStore::with_test_anchors`] is
//! the one door, and every result computed with such a store says so
//! ([`TrustStore::mode`] is [`TrustMode::Test`]).

use std::fmt;

use der::{DecodePem, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::x509::{ParsedCert, X509Error};

/// What a root is trusted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// JPKI user-authentication certificates.
    JpkiAuth,
    /// JPKI digital-signature certificates.
    JpkiSign,
    /// Residence card / SPR certificate chips, generation 1 ("ZairyuCard CA", RSA).
    Residence,
    /// Residence card / SPR certificate chips, generation 2 ("ZairyuCard CA2", P-384).
    ResidenceGen2,
}

impl Purpose {
    /// Machine name.
    pub fn id(self) -> &'static str {
        match self {
            Self::JpkiAuth => "jpki-auth",
            Self::JpkiSign => "jpki-sign",
            Self::Residence => "residence",
            Self::ResidenceGen2 => "residence-gen2",
        }
    }
}

/// Where an anchor came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into jpid (production).
    BuiltIn,
    /// Loaded from a file the user named.
    File(String),
    /// A test root (the simulator's test PKI): never production.
    Test,
}

/// One trusted root certificate.
#[derive(Clone)]
pub struct Anchor {
    name: String,
    der: Vec<u8>,
    sha256: [u8; 32],
    purpose: Purpose,
    origin: Origin,
    /// The certificate, parsed once on first use (None: not a parsable X.509 certificate).
    parsed: std::sync::OnceLock<Option<crate::x509::ParsedCert>>,
}

impl Anchor {
    /// The anchor as a parsed certificate, parsed on first use and kept: every verification
    /// compares against the same few roots.
    pub fn parsed(&self) -> Option<&crate::x509::ParsedCert> {
        self.parsed
            .get_or_init(|| crate::x509::ParsedCert::parse(&self.der).ok())
            .as_ref()
    }

    /// A short human name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// SHA-256 of the DER.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    /// What it anchors.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

impl fmt::Debug for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anchor")
            .field("name", &self.name)
            .field("sha256", &hex::encode(self.sha256))
            .field("purpose", &self.purpose)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A published root known only by its fingerprint (the file itself is not shipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// Human name.
    pub name: &'static str,
    /// Purpose of the root.
    pub purpose: Purpose,
    /// Lower-case hex SHA-256 of the DER; a pin whose middle is unpublished holds
    /// `prefix…suffix` and matches on both ends.
    pub sha256: &'static str,
    /// The agency's files that hold it (docs/spec/residence-card.md §4).
    pub official: &'static str,
}

/// The agency's page with the first-generation roots (MOJ1, docs/spec/residence-card.md).
pub const ZAIRYU_ROOTS_PAGE: &str =
    "https://www.moj.go.jp/isa/applications/disclosure/120424_01.html";
/// The agency's page for the second-generation spec and its root (MOJ2).
pub const ZAIRYU2_ROOTS_PAGE: &str =
    "https://www.moj.go.jp/isa/publications/resources/120424_01_00003.html";

impl Pin {
    /// Whether `digest` matches this pin.
    pub fn matches(&self, digest: &[u8; 32]) -> bool {
        let hexed = hex::encode(digest);
        match self.sha256.split_once('…') {
            Some((prefix, suffix)) => hexed.starts_with(prefix) && hexed.ends_with(suffix),
            None => hexed == self.sha256,
        }
    }

    /// Whether only part of the fingerprint is published.
    pub fn is_partial(&self) -> bool {
        self.sha256.contains('…')
    }
}

/// Published Residence Card roots, docs/spec/residence-card.md §4 (ERG `manifest.json`; single
/// source, UNCONFIRMED independently). The CA2 and test-root fingerprints are published only in
/// part there; they match on prefix and suffix (64 bits) and say so.
pub const RESIDENCE_PINS: &[Pin] = &[
    Pin {
        name: "ZairyuCard CA (serial 2A, 2015-06-05 to 2025-09-05)",
        purpose: Purpose::Residence,
        sha256: "97f37c5967af5f3cd84e6ed694b09539abb7f8e7e76b6f7496a060008982983d",
        official: "001460774.zip / 930001756.crt",
    },
    Pin {
        name: "ZairyuCard CA (serial 4B, 2018-04-06 to 2028-07-06)",
        purpose: Purpose::Residence,
        sha256: "ff02323cea7b8c3dfc0dc2de79d46e78514af587368523086b188e9690aec861",
        official: "001460775.zip / 930001757.crt",
    },
    Pin {
        name: "ZairyuCard CA (serial 74, 2021-05-27 to 2031-08-27)",
        purpose: Purpose::Residence,
        sha256: "6f50161aa80f7ff7c630505faf472906f7b101d5083e327a6182c82cd7985e67",
        official: "001460776.zip / 001353372.crt",
    },
    Pin {
        name: "ZairyuCard CA (serial 93, 2024-05-08 to 2034-08-08)",
        purpose: Purpose::Residence,
        sha256: "bf854466ed9abf61f559c39bf8790546f8acdab99b51fd2330563669ce4a71b2",
        official: "001460777.zip / 001421582.crt",
    },
    Pin {
        name: "ZairyuCard CA2 (serial 01, 2026-04-20 to 2039-07-20)",
        purpose: Purpose::ResidenceGen2,
        sha256: "11e6ad8b…82bec13b",
        official: "001462221.zip",
    },
];

struct BuiltIn {
    name: &'static str,
    purpose: Purpose,
    pem: &'static str,
}

const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        name: "JPKI user authentication root 2015",
        purpose: Purpose::JpkiAuth,
        pem: include_str!("../anchors/jpki/auth_ca_2015.pem"),
    },
    BuiltIn {
        name: "JPKI user authentication root 2023",
        purpose: Purpose::JpkiAuth,
        pem: include_str!("../anchors/jpki/auth_ca_2023.pem"),
    },
    BuiltIn {
        name: "JPKI digital signature root 2015",
        purpose: Purpose::JpkiSign,
        pem: include_str!("../anchors/jpki/sign_ca_2015.pem"),
    },
    BuiltIn {
        name: "JPKI digital signature root 2023",
        purpose: Purpose::JpkiSign,
        pem: include_str!("../anchors/jpki/sign_ca_2023.pem"),
    },
];

/// Errors loading anchors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file could not be read.
    #[error("cannot read trust anchor {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not an X.509 certificate in DER or PEM.
    #[error("{path} is not an X.509 certificate (DER or PEM): {detail}")]
    NotACertificate {
        /// The path or name.
        path: String,
        /// What the parser said.
        detail: String,
    },
    /// A root that is neither a JPKI root nor a pinned ZairyuCard root: jpid would never use it.
    #[error("{path} ({subject:?}) is not a root jpid uses: only JPKI roots and the published ZairyuCard roots are accepted")]
    UnknownRoot {
        /// The path.
        path: String,
        /// Its subject.
        subject: String,
    },
    /// One of the simulator's public TEST roots given as a production anchor: its private key is
    /// in jpid's repository, so anyone could forge what it vouches for.
    #[error(
        "{path} ({subject:?}) is one of jpid's simulator TEST roots, whose private key is public \
         in jpid's repository: it can never vouch for a real card, so it is refused as a trust \
         anchor. To check simulated cards or dumps, ask for test trust by name: --trust test"
    )]
    TestRoot {
        /// The path.
        path: String,
        /// Its subject.
        subject: String,
    },
    /// A file larger than any certificate chain jpid reads.
    #[error("{path} is larger than {limit} bytes: not a trust anchor file")]
    TooLarge {
        /// The path.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// A file that claims to be a Residence Card root but matches none of the published pins.
    #[error("{path} has subject {subject:?} but its SHA-256 {sha256} matches no published ZairyuCard root")]
    PinMismatch {
        /// The path.
        path: String,
        /// Its subject.
        subject: String,
        /// Its fingerprint.
        sha256: String,
    },
}

/// The certificates (DER) in an anchor file's bytes: one DER certificate, or PEM with one or
/// more. `path` names the file in errors.
pub fn certificates_in(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, TrustError> {
    let not_cert = |detail: String| TrustError::NotACertificate {
        path: path.to_string(),
        detail,
    };
    let ders: Vec<Vec<u8>> = if bytes.starts_with(b"-----BEGIN")
        || bytes.trim_ascii_start().starts_with(b"-----BEGIN")
    {
        let text = std::str::from_utf8(bytes).map_err(|e| not_cert(e.to_string()))?;
        let certs =
            Certificate::load_pem_chain(text.as_bytes()).map_err(|e| not_cert(e.to_string()))?;
        certs
            .iter()
            .map(|c| c.to_der().map_err(|e| not_cert(e.to_string())))
            .collect::<Result<_, _>>()?
    } else {
        let cert =
            crate::der_input::decode::<Certificate>(bytes).map_err(|e| not_cert(e.to_string()))?;
        vec![cert.to_der().map_err(|e| not_cert(e.to_string()))?]
    };
    if ders.is_empty() {
        return Err(not_cert("no certificate found".into()));
    }
    Ok(ders)
}

/// Reads an anchor file of at most [`MAX_ANCHOR_FILE`] bytes.
pub fn read_anchor_file(path: &std::path::Path) -> Result<Vec<u8>, TrustError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ANCHOR_FILE + 1).read_to_end(&mut bytes))
        .map_err(|source| TrustError::Read {
            path: shown.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_ANCHOR_FILE {
        return Err(TrustError::TooLarge {
            path: shown,
            limit: MAX_ANCHOR_FILE,
        });
    }
    Ok(bytes)
}

/// The largest trust-anchor file read: a PEM chain of a few roots is a few KiB.
pub const MAX_ANCHOR_FILE: u64 = 1024 * 1024;

/// Whether a store may contain test anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustMode {
    /// Production anchors and user files only.
    Production,
    /// Test anchors were added: nothing verified with this store proves a real card genuine.
    Test,
}

impl TrustMode {
    /// `production` or `test`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Test => "test",
        }
    }
}

/// The set of roots a verification may end in, and the certificates verifications through it
/// have parsed (shared by the store's clones).
#[derive(Debug, Clone)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    /// SHA-256 of certificates refused as anchors from files (the simulator's TEST roots).
    refused: Vec<[u8; 32]>,
    cvc_keys: Vec<crate::cvc::CvcIssuerKey>,
    mode: TrustMode,
    certs: CertCache,
}

/// Certificates parsed through a store, by their bytes: a verification service sees the
/// residence-card signer certificate on every card, and a JPKI login looks at its certificate
/// four times. `quick_cache` bounds it and keeps what is used often when a flood of distinct
/// certificates passes through. Only certificates that parsed and are at most
/// [`CertCache::MAX_BYTES`] long are kept.
#[derive(Clone)]
struct CertCache(std::sync::Arc<quick_cache::sync::Cache<Vec<u8>, std::sync::Arc<ParsedCert>>>);

impl CertCache {
    /// Longer inputs are parsed but never kept (real certificates are 1–2 KiB).
    const MAX_BYTES: usize = 8 * 1024;
    /// Certificates kept at most.
    const CAPACITY: usize = 512;

    fn new() -> Self {
        Self(std::sync::Arc::new(quick_cache::sync::Cache::new(
            Self::CAPACITY,
        )))
    }
}

impl fmt::Debug for CertCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertCache({} certificates)", self.0.len())
    }
}

fn digest(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

fn subject_of(der: &[u8]) -> Result<String, der::Error> {
    Ok(crate::der_input::decode::<Certificate>(der)?
        .tbs_certificate
        .subject
        .to_string())
}

impl TrustStore {
    /// The production roots compiled into jpid.
    pub fn production() -> Self {
        let anchors = BUILT_IN
            .iter()
            .filter_map(|b| {
                let cert = Certificate::from_pem(b.pem).ok()?;
                let der = cert.to_der().ok()?;
                Some(Anchor {
                    name: format!("{} [built in]", b.name),
                    sha256: digest(&der),
                    der,
                    purpose: b.purpose,
                    origin: Origin::BuiltIn,
                    parsed: Default::default(),
                })
            })
            .collect();
        // J-LIS CVC issuer keys, transcribed from a public source (anchors/jlis-cvc/SOURCES.md).
        let cvc_keys = [
            include_str!("../anchors/jlis-cvc/5000020.txt"),
            include_str!("../anchors/jlis-cvc/5000023.txt"),
            include_str!("../anchors/jlis-cvc/5000033.txt"),
        ]
        .iter()
        .filter_map(|t| crate::cvc::CvcIssuerKey::from_text(t))
        .collect();
        Self {
            anchors,
            refused: Vec::new(),
            cvc_keys,
            mode: TrustMode::Production,
            certs: CertCache::new(),
        }
    }

    /// Refuses these certificates (by the SHA-256 of their DER) when a file offers them as
    /// anchors: the CLI and the service pass the simulator's TEST roots, which verify only
    /// under [`TrustMode::Test`], asked for by name.
    pub fn refusing(mut self, sha256: impl IntoIterator<Item = [u8; 32]>) -> Self {
        self.refused.extend(sha256);
        self
    }

    /// An empty store (for tests that build exactly what they need).
    pub fn empty() -> Self {
        Self {
            anchors: Vec::new(),
            refused: Vec::new(),
            cvc_keys: Vec::new(),
            mode: TrustMode::Production,
            certs: CertCache::new(),
        }
    }

    /// `bytes` parsed as a certificate ([`ParsedCert::parse`]), shared: the same bytes parse
    /// once per store, and later calls get the same certificate with what it remembered.
    pub fn parsed(&self, bytes: &[u8]) -> Result<std::sync::Arc<ParsedCert>, X509Error> {
        if bytes.len() > CertCache::MAX_BYTES {
            return ParsedCert::parse(bytes).map(std::sync::Arc::new);
        }
        if let Some(c) = self.certs.0.get(bytes) {
            return Ok(c);
        }
        let c = std::sync::Arc::new(ParsedCert::parse(bytes)?);
        self.certs.0.insert(bytes.to_vec(), c.clone());
        Ok(c)
    }

    /// Adds test roots. The store is marked [`TrustMode::Test`] from then on.
    pub fn with_test_anchors<'a>(
        mut self,
        roots: impl IntoIterator<Item = (&'a str, Purpose, &'a [u8])>,
    ) -> Self {
        for (name, purpose, der) in roots {
            self.anchors.push(Anchor {
                name: format!("{name} (TEST)"),
                der: der.to_vec(),
                sha256: digest(der),
                purpose,
                origin: Origin::Test,
                parsed: Default::default(),
            });
        }
        self.mode = TrustMode::Test;
        self
    }

    /// Adds every certificate in `bytes` (DER, or PEM with one or more certificates), read from
    /// `path`. A certificate whose subject names a ZairyuCard CA must match a published pin.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8]) -> Result<usize, TrustError> {
        let not_cert = |detail: String| TrustError::NotACertificate {
            path: path.to_string(),
            detail,
        };
        let ders = certificates_in(path, bytes)?;
        let count = ders.len();
        for der in ders {
            let subject = subject_of(&der).map_err(|e| not_cert(e.to_string()))?;
            let sha = digest(&der);
            if self.refused.contains(&sha) {
                return Err(TrustError::TestRoot {
                    path: path.to_string(),
                    subject,
                });
            }
            let pin = RESIDENCE_PINS.iter().find(|p| p.matches(&sha));
            // A residence purpose comes only from a fingerprint pin, never from the subject text,
            // so a look-alike name cannot anchor residence cards.
            let purpose = if let Some(p) = pin {
                p.purpose
            } else if subject.to_ascii_lowercase().contains("zairyu") {
                return Err(TrustError::PinMismatch {
                    path: path.to_string(),
                    subject,
                    sha256: hex::encode(sha),
                });
            } else if subject.contains("JPKI for user authentication") {
                Purpose::JpkiAuth
            } else if subject.contains("JPKI for digital signature") {
                Purpose::JpkiSign
            } else {
                return Err(TrustError::UnknownRoot {
                    path: path.to_string(),
                    subject,
                });
            };
            let name = match pin {
                Some(p) if p.is_partial() => format!(
                    "{} (fingerprint matched on its published ends only)",
                    p.name
                ),
                Some(p) => p.name.to_string(),
                None => subject.clone(),
            };
            // Every result names its anchor, so the name says where it came from: a root a
            // user added (even with J-LIS's name on it) never reads like a built-in one.
            let name = format!("{name} [added from {path}, SHA-256 {}]", hex::encode(sha));
            if self.anchors.iter().any(|a| a.sha256 == sha) {
                continue;
            }
            self.anchors.push(Anchor {
                name,
                der,
                sha256: sha,
                purpose,
                origin: Origin::File(path.to_string()),
                parsed: Default::default(),
            });
        }
        Ok(count)
    }

    /// Reads and adds the anchors in a file of at most [`MAX_ANCHOR_FILE`] bytes (a file that
    /// never ends, such as `/dev/zero`, is refused after that many).
    pub fn add_file(&mut self, path: &std::path::Path) -> Result<usize, TrustError> {
        let bytes = read_anchor_file(path)?;
        self.add_bytes(&path.display().to_string(), &bytes)
    }

    /// Adds TEST J-LIS CVC issuer keys (the simulator's); the store becomes [`TrustMode::Test`].
    pub fn with_test_cvc_keys(
        mut self,
        keys: impl IntoIterator<Item = crate::cvc::CvcIssuerKey>,
    ) -> Self {
        self.cvc_keys.extend(keys.into_iter().map(|mut k| {
            k.test = true;
            k
        }));
        self.mode = TrustMode::Test;
        self
    }

    /// The J-LIS CVC issuer keys.
    pub fn cvc_keys(&self) -> &[crate::cvc::CvcIssuerKey] {
        &self.cvc_keys
    }

    /// Every anchor.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// The anchors usable for `purpose` (exact purpose only).
    pub fn for_purpose(&self, purpose: Purpose) -> impl Iterator<Item = &Anchor> {
        self.anchors.iter().filter(move |a| a.purpose == purpose)
    }

    /// Whether test roots are in the store.
    pub fn mode(&self) -> TrustMode {
        self.mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_jpki_roots_load_with_published_fingerprints() {
        let store = TrustStore::production();
        assert_eq!(store.mode(), TrustMode::Production);
        assert_eq!(store.anchors().len(), 4);
        let fps: Vec<String> = store
            .anchors()
            .iter()
            .map(|a| hex::encode(a.sha256()))
            .collect();
        // docs/spec/mynumber-card.md §2 gives the fingerprints' ends; anchors/SOURCES.md the whole.
        assert!(fps
            .iter()
            .any(|f| f.starts_with("4dcfc4ca") && f.ends_with("1d58ca7d")));
        assert!(fps
            .iter()
            .any(|f| f.starts_with("64114f29") && f.ends_with("18c322b5")));
        assert!(fps
            .iter()
            .any(|f| f.starts_with("19645405") && f.ends_with("06fc9355")));
        assert!(fps
            .iter()
            .any(|f| f.starts_with("d227f6cd") && f.ends_with("dbfa365f")));
        assert_eq!(store.for_purpose(Purpose::JpkiAuth).count(), 2);
        assert_eq!(store.for_purpose(Purpose::Residence).count(), 0);
        // The three production J-LIS CVC issuer keys load: RSA-2048, e = 65537, 16-byte ids.
        let ids: Vec<_> = store.cvc_keys().iter().map(|k| k.id.clone()).collect();
        assert_eq!(ids, ["5000020", "5000023", "5000033"]);
        assert!(store.cvc_keys().iter().all(|k| k.modulus.len() == 256
            && k.exponent == [1, 0, 1]
            && k.key_id.len() == 16
            && !k.test));
    }

    #[test]
    fn production_store_holds_no_test_root() {
        let store = TrustStore::production();
        assert!(store
            .anchors()
            .iter()
            .all(|a| a.origin() == &Origin::BuiltIn));
        assert_eq!(store.mode(), TrustMode::Production);
        let mut store = TrustStore::production();
        store
            .add_bytes(
                "a.pem",
                include_str!("../anchors/jpki/sign_ca_2023.pem").as_bytes(),
            )
            .unwrap();
        assert_eq!(
            store.mode(),
            TrustMode::Production,
            "adding files never switches to test mode"
        );
    }

    #[test]
    fn test_anchors_only_by_explicit_choice() {
        let der = TrustStore::production().anchors()[0].der().to_vec();
        let store =
            TrustStore::production().with_test_anchors([("x", Purpose::Residence, der.as_slice())]);
        assert_eq!(store.mode(), TrustMode::Test);
        assert!(store
            .anchors()
            .iter()
            .any(|a| a.origin() == &Origin::Test && a.name().ends_with("(TEST)")));
    }

    #[test]
    fn files_in_pem_and_der_and_garbage() {
        let pem = include_str!("../anchors/jpki/auth_ca_2023.pem");
        let mut store = TrustStore::empty();
        assert_eq!(store.add_bytes("a.pem", pem.as_bytes()).unwrap(), 1);
        assert_eq!(store.anchors()[0].purpose(), Purpose::JpkiAuth);
        let der = store.anchors()[0].der().to_vec();
        let mut store2 = TrustStore::empty();
        assert_eq!(store2.add_bytes("a.der", &der).unwrap(), 1);
        assert!(matches!(
            store2.add_bytes("junk", b"hello"),
            Err(TrustError::NotACertificate { .. })
        ));
        assert!(matches!(
            store2.add_bytes(
                "junk.pem",
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            ),
            Err(TrustError::NotACertificate { .. })
        ));
    }

    #[test]
    fn a_zairyu_root_not_matching_a_pin_is_refused() {
        // The simulator's test root is named like a ZairyuCard CA but is no published root: it
        // must never enter a store through --trust-anchor, only through with_test_anchors.
        let pki = jpid_testpki::load_default().unwrap();
        let mut store = TrustStore::production();
        let err = store
            .add_bytes("zairyu-test.der", pki.zairyu_ca().cert_der())
            .unwrap_err();
        assert!(matches!(err, TrustError::PinMismatch { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("matches no published ZairyuCard root"));
        assert_eq!(store.mode(), TrustMode::Production);
        assert_eq!(store.anchors().len(), 4);
        // A JPKI root from a file anchors JPKI only; an unrelated root is refused as unused.
        let mut store = TrustStore::empty();
        let added = store.add_bytes("jpki-test.der", pki.jpki_auth_ca().cert_der());
        assert_eq!(added.unwrap(), 1);
        assert_eq!(store.for_purpose(Purpose::JpkiAuth).count(), 1);
        assert_eq!(store.for_purpose(Purpose::Residence).count(), 0);
        let holder = pki.jpki_holder().auth().cert_der();
        assert!(matches!(
            store.add_bytes("ee.der", holder),
            Err(TrustError::UnknownRoot { .. })
        ));
    }

    #[test]
    fn pins_match_whole_and_partial() {
        let full = RESIDENCE_PINS[0];
        let mut d = [0u8; 32];
        hex::decode_to_slice(full.sha256, &mut d).unwrap();
        assert!(full.matches(&d));
        d[5] ^= 1;
        assert!(!full.matches(&d));
        let partial = RESIDENCE_PINS[4];
        assert!(partial.is_partial());
        let mut d = [0u8; 32];
        d[..4].copy_from_slice(&[0x11, 0xe6, 0xad, 0x8b]);
        d[28..].copy_from_slice(&[0x82, 0xbe, 0xc1, 0x3b]);
        assert!(partial.matches(&d));
    }
}
