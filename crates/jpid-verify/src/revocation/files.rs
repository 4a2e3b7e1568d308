//! CRL files loaded from paths and directories, bounded by size, answering revocation
//! questions as a [`super::RevocationSource`].

#[allow(unused_imports)]
use super::*;

/// Largest CRL file [`CrlStore`] reads unless told otherwise (256 MiB: a national CA's full
/// CRL can hold millions of entries).
pub const DEFAULT_MAX_CRL_BYTES: u64 = 256 << 20;

/// CRLs loaded from files: a [`RevocationSource`].
///
/// Immutable once built; to reload, build a new store and swap it in (for example behind an
/// `RwLock<Arc<CrlStore>>`).
#[derive(Debug, Clone)]
pub struct CrlStore {
    crls: Vec<LoadedCrl>,
    max_bytes: u64,
}

impl Default for CrlStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CrlStore {
    /// An empty store (every answer is unknown: no CRL) with the default size limit.
    pub fn new() -> Self {
        Self {
            crls: Vec::new(),
            max_bytes: DEFAULT_MAX_CRL_BYTES,
        }
    }

    /// Sets the largest CRL file accepted from now on.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Loads every `*.crl`, `*.der` and `*.pem` file (case-insensitive) in `dir`, not
    /// recursing, in file-name order. Other files are ignored; any CRL that fails to load fails
    /// the whole store (an operator should learn that a CRL is bad, not lose it silently).
    pub fn from_dir(dir: &Path) -> Result<Self, CrlError> {
        let mut store = Self::new();
        store.add_dir(dir)?;
        Ok(store)
    }

    /// Loads the given files (DER or PEM).
    pub fn from_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self, CrlError> {
        let mut store = Self::new();
        for p in paths {
            store.add_file(p.as_ref())?;
        }
        Ok(store)
    }

    /// Adds the CRL files of `dir` (see [`from_dir`](Self::from_dir)).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), CrlError> {
        let io = |e: std::io::Error| CrlError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["crl", "der", "pem"].contains(&e.to_ascii_lowercase().as_str()));
            if wanted && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for f in files {
            self.add_file(&f)?;
        }
        Ok(())
    }

    /// Adds one CRL file (DER or PEM), read up to the size limit.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CrlError> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| CrlError::Io {
            path: name.clone(),
            message: e.to_string(),
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                f.take(self.max_bytes.saturating_add(1))
                    .read_to_end(&mut bytes)
            })
            .map_err(io)?;
        self.add_bytes(&name, &bytes)
    }

    /// Adds one CRL given as bytes; `name` names it in errors and results.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), CrlError> {
        if u64::try_from(bytes.len()).map_or(true, |n| n > self.max_bytes) {
            return Err(CrlError::TooLarge {
                file: name.to_string(),
                limit: self.max_bytes,
            });
        }
        self.crls.push(LoadedCrl::parse(name, bytes)?);
        Ok(())
    }

    /// The CRLs loaded.
    pub fn crls(&self) -> &[LoadedCrl] {
        &self.crls
    }

    /// How many CRLs are loaded.
    pub fn len(&self) -> usize {
        self.crls.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }
}

impl RevocationSource for CrlStore {
    fn check(&self, cert: &ParsedCert, issuer: &ParsedCert, at: UnixTime) -> RevocationStatus {
        let unknown = |why| RevocationStatus::Unknown { why };
        if !cert.issued_by_name(issuer) {
            return unknown(UnknownReason::IssuerMismatch);
        }
        let Ok(issuer_der) = cert.cert.tbs_certificate.issuer.to_der() else {
            return unknown(UnknownReason::IssuerMismatch);
        };
        let named: Vec<&LoadedCrl> = self
            .crls
            .iter()
            .filter(|c| c.issuer_der == issuer_der)
            .collect();
        let Some(first) = named.first() else {
            return unknown(UnknownReason::NoCrl {
                issuer: cert.issuer(),
            });
        };
        if !may_sign_crls(issuer) {
            return unknown(UnknownReason::IssuerCannotSignCrls);
        }
        let signed: Vec<&LoadedCrl> = named
            .iter()
            .copied()
            .filter(|c| c.signed_by(issuer))
            .collect();
        if signed.is_empty() {
            return unknown(UnknownReason::BadSignature {
                crl: first.file.clone(),
            });
        }
        let current = signed
            .iter()
            .copied()
            .filter(|c| c.this_update <= at)
            .max_by_key(|c| c.this_update);
        let Some(crl) = current else {
            let earliest = signed.iter().copied().min_by_key(|c| c.this_update);
            return match earliest {
                Some(c) => unknown(UnknownReason::NotYetIssued {
                    crl: c.file.clone(),
                    this_update: c.this_update,
                    at,
                }),
                None => unknown(UnknownReason::NoCrl {
                    issuer: cert.issuer(),
                }),
            };
        };
        if at > crl.next_update {
            return unknown(UnknownReason::Expired {
                crl: crl.file.clone(),
                next_update: crl.next_update,
                at,
            });
        }
        match crl
            .revoked
            .get(cert.cert.tbs_certificate.serial_number.as_bytes())
        {
            Some(e) => RevocationStatus::Revoked {
                via: RevocationVia::Crl,
                revoked_at: e.revoked_at,
                reason: e.reason.clone(),
            },
            None => RevocationStatus::Good {
                via: RevocationVia::Crl,
                crl_number: crl.number.clone(),
                this_update: crl.this_update,
                next_update: crl.next_update,
                crl_issuer: crl.issuer.clone(),
            },
        }
    }
}
