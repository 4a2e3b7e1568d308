//! API keys: `jpid_<id>_<secret>`. Only SHA-256 of the secret is stored; comparison is in
//! constant time. Each key carries scopes; every endpoint but /healthz needs one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{KeyRow, Store, StoreError};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// POST /v1/residence/verify.
    Residence,
    /// POST /v1/mynumber/text/verify (the basic four items).
    Mynumber,
    /// Receive the My Number itself in answers (it is never stored).
    MynumberNumber,
    /// JPKI challenges, logins and signature checks.
    Jpki,
    /// POST /v1/age/verify.
    Age,
    /// The counter page: read a card with the server's reader.
    Counter,
    /// Read the audit history.
    Audit,
}

impl Scope {
    /// Every scope, in the order `--help` lists them.
    pub const ALL: [Scope; 7] = [
        Scope::Residence,
        Scope::Mynumber,
        Scope::MynumberNumber,
        Scope::Jpki,
        Scope::Age,
        Scope::Counter,
        Scope::Audit,
    ];

    /// The scope's name.
    pub fn id(self) -> &'static str {
        match self {
            Scope::Residence => "residence",
            Scope::Mynumber => "mynumber",
            Scope::MynumberNumber => "mynumber:number",
            Scope::Jpki => "jpki",
            Scope::Age => "age",
            Scope::Counter => "counter",
            Scope::Audit => "audit",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.id() == s)
    }
}

/// Parses a comma- or space-separated scope list; `all` means every scope.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        if part == "all" {
            return Ok(Scope::ALL.to_vec());
        }
        let s = Scope::parse(part).ok_or_else(|| {
            format!(
                "unknown scope {part:?}; scopes: {}, or all",
                Scope::ALL.map(Scope::id).join(", ")
            )
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err("no scope given".into());
    }
    Ok(out)
}

/// A key that passed authentication.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's id (what audit records name).
    pub key_id: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// Whether the key has `s`.
    pub fn has(&self, s: Scope) -> bool {
        self.scopes.contains(&s)
    }
}

/// A newly made key: the full token is shown once and never again.
pub struct NewKey {
    /// The row stored.
    pub row: KeyRow,
    /// `jpid_<id>_<secret>`.
    pub token: zeroize::Zeroizing<String>,
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Makes a key from OS randomness.
pub fn new_key(name: &str, scopes: &[Scope], now: i64) -> Result<NewKey, getrandom::Error> {
    let mut id = [0u8; 6];
    let mut secret = zeroize::Zeroizing::new([0u8; 24]);
    getrandom::getrandom(&mut id)?;
    getrandom::getrandom(secret.as_mut())?;
    let id = hex::encode(id);
    let secret_hex = zeroize::Zeroizing::new(hex::encode(secret.as_ref()));
    Ok(NewKey {
        row: KeyRow {
            id: id.clone(),
            name: name.to_string(),
            secret_sha256: sha256_hex(secret_hex.as_bytes()),
            scopes: scopes.iter().map(|s| s.id()).collect::<Vec<_>>().join(" "),
            created_at: now,
            revoked_at: None,
        },
        token: zeroize::Zeroizing::new(format!("jpid_{id}_{}", secret_hex.as_str())),
    })
}

/// The pairing code's alphabet: Crockford's base32 (no I, L, O or U), easy to read out and to
/// type; typed codes are read case-blind, with O as 0 and I or L as 1.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a pairing code: 10 × 5 bits = 50 bits. A code lives minutes and works once;
/// guessing one through the sign-in form at even 10 000 tries a second for 10 minutes has a
/// chance of about 1 in 190 million.
pub const PAIRING_CODE_CHARS: usize = 10;
/// The longest a pairing code may live.
pub const PAIRING_MAX_MINUTES: u32 = 60;

/// A new pairing code: shown once (as `XXXXX-XXXXX`), stored as its hash.
pub struct NewPairing {
    /// The code as the clerk types it.
    pub code: zeroize::Zeroizing<String>,
    /// SHA-256 of the normalised code (what the store keeps).
    pub code_sha256: String,
}

/// Makes a pairing code from OS randomness.
pub fn new_pairing_code() -> Result<NewPairing, getrandom::Error> {
    let mut raw = zeroize::Zeroizing::new([0u8; PAIRING_CODE_CHARS]);
    getrandom::getrandom(raw.as_mut())?;
    // 256 is a multiple of 32: each byte's low five bits are uniform.
    let plain: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        raw.iter()
            .filter_map(|b| {
                CODE_ALPHABET
                    .get(usize::from(b & 31))
                    .copied()
                    .map(char::from)
            })
            .collect(),
    );
    let (a, b) = plain.split_at(PAIRING_CODE_CHARS / 2);
    Ok(NewPairing {
        code: zeroize::Zeroizing::new(format!("{a}-{b}")),
        code_sha256: sha256_hex(plain.as_bytes()),
    })
}

/// The hash of a typed pairing code, if it has the form of one (dashes and spaces ignored,
/// case-blind, O read as 0 and I or L as 1).
pub fn pairing_code_sha256(typed: &str) -> Option<String> {
    let mut plain = zeroize::Zeroizing::new(String::with_capacity(PAIRING_CODE_CHARS));
    for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CODE_ALPHABET.contains(&(c as u8)) || plain.len() >= PAIRING_CODE_CHARS
        {
            return None;
        }
        plain.push(c);
    }
    (plain.len() == PAIRING_CODE_CHARS).then(|| sha256_hex(plain.as_bytes()))
}

/// Why a request was not authenticated. The messages never echo the key.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key.
    #[error("an API key is needed: send `Authorization: Bearer jpid_…`")]
    Missing,
    /// Not a jpid key, unknown, wrong secret or revoked: one answer for all, so that the
    /// answer tells an attacker nothing.
    #[error("the API key is not valid (unknown, wrong or revoked)")]
    Invalid,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks tokens against the store, with a short cache so that a busy service does not read
/// the key table for every request. A revoked key stops working within [`CACHE_TTL`].
pub struct KeyCheck {
    store: Store,
    cache: Mutex<HashMap<String, (Option<KeyRow>, Instant)>>,
}

/// How long a key lookup is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

impl KeyCheck {
    /// Over `store`.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The key row for `id`, from the cache when it is fresh.
    async fn row(&self, id: &str) -> Result<Option<KeyRow>, AuthError> {
        let cached = {
            let c = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.get(id)
                .filter(|(_, t)| t.elapsed() < CACHE_TTL)
                .map(|(row, _)| row.clone())
        };
        if let Some(row) = cached {
            return Ok(row);
        }
        let row = self.store.find_key(id).await?;
        let mut c = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if c.len() > 10_000 {
            c.retain(|_, (_, t)| t.elapsed() < CACHE_TTL);
            if c.len() > 10_000 {
                c.clear();
            }
        }
        c.insert(id.to_string(), (row.clone(), Instant::now()));
        Ok(row)
    }

    /// Authenticates `token` (`jpid_<id>_<secret>`).
    pub async fn check(&self, token: &str) -> Result<Caller, AuthError> {
        let mut parts = token.trim().splitn(3, '_');
        let (Some("jpid"), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Invalid);
        };
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() > 128 {
            return Err(AuthError::Invalid);
        }
        let Some(row) = self.row(id).await? else {
            return Err(AuthError::Invalid);
        };
        let given = sha256_hex(secret.as_bytes());
        let same: bool = given.as_bytes().ct_eq(row.secret_sha256.as_bytes()).into();
        if !same || row.revoked_at.is_some() {
            return Err(AuthError::Invalid);
        }
        Ok(caller_of(row))
    }

    /// The key behind a session, as it is now: revoked keys and changed scopes take effect
    /// within [`CACHE_TTL`] for sessions too.
    pub async fn check_id(&self, id: &str) -> Result<Caller, AuthError> {
        match self.row(id).await? {
            Some(row) if row.revoked_at.is_none() => Ok(caller_of(row)),
            _ => Err(AuthError::Invalid),
        }
    }
}

impl KeyCheck {
    /// Signs in with a pairing code: the key it was made for, once, before it expires, and
    /// only while that key is valid.
    pub async fn redeem(&self, typed: &str, now: i64) -> Result<Caller, AuthError> {
        let hash = pairing_code_sha256(typed).ok_or(AuthError::Invalid)?;
        let id = self
            .store
            .redeem_pairing(hash, now)
            .await?
            .ok_or(AuthError::Invalid)?;
        self.check_id(&id).await
    }
}

fn caller_of(row: KeyRow) -> Caller {
    Caller {
        key_id: row.id,
        scopes: row.scopes.split(' ').filter_map(Scope::parse).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_codes_are_read_as_typed() {
        let p = new_pairing_code().unwrap();
        assert_eq!(p.code.len(), PAIRING_CODE_CHARS + 1);
        assert_eq!(pairing_code_sha256(&p.code).unwrap(), p.code_sha256);
        let typed = p.code.to_lowercase().replace('-', " ");
        assert_eq!(pairing_code_sha256(&typed).unwrap(), p.code_sha256);
        // O for 0 and I or L for 1, as Crockford's alphabet reads them.
        assert_eq!(
            pairing_code_sha256("0000011111"),
            pairing_code_sha256("OOOOO-ilIL1")
        );
        for bad in ["", "ABCDE", "ABCDE-FGHJKM", "ABCDE-FGHJU", "ＡBCDE-FGHJK"] {
            assert_eq!(pairing_code_sha256(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_pairing_code_signs_in_once_before_it_expires() {
        let dir = std::env::temp_dir().join(format!("jpid-pair-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/a.sqlite3", dir.display());
        let store = Store::open(Some(&url)).await.unwrap();
        let k = new_key("clerk", &[Scope::Counter], 1).unwrap();
        store.insert_key(k.row.clone()).await.unwrap();
        let check = KeyCheck::new(store.clone());
        let p = new_pairing_code().unwrap();
        store
            .insert_pairing(p.code_sha256.clone(), k.row.id.clone(), 100, 700)
            .await
            .unwrap();
        assert!(matches!(
            check.redeem("AAAAA-AAAAA", 200).await,
            Err(AuthError::Invalid)
        ));
        let c = check.redeem(&p.code, 200).await.unwrap();
        assert_eq!(c.key_id, k.row.id);
        assert!(
            matches!(check.redeem(&p.code, 201).await, Err(AuthError::Invalid)),
            "a code works once"
        );
        let late = new_pairing_code().unwrap();
        store
            .insert_pairing(late.code_sha256.clone(), k.row.id.clone(), 100, 700)
            .await
            .unwrap();
        assert!(
            matches!(check.redeem(&late.code, 700).await, Err(AuthError::Invalid)),
            "an expired code"
        );
        let revoked = new_pairing_code().unwrap();
        store
            .insert_pairing(revoked.code_sha256.clone(), k.row.id.clone(), 100, 700)
            .await
            .unwrap();
        store.revoke_key(&k.row.id, 150).await.unwrap();
        let fresh = KeyCheck::new(store);
        assert!(
            matches!(
                fresh.redeem(&revoked.code, 200).await,
                Err(AuthError::Invalid)
            ),
            "the key was revoked"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn scopes_parse_strictly() {
        assert_eq!(
            parse_scopes("residence,jpki").unwrap(),
            [Scope::Residence, Scope::Jpki]
        );
        assert_eq!(parse_scopes("all").unwrap().len(), Scope::ALL.len());
        assert!(parse_scopes("residence,admin")
            .unwrap_err()
            .contains("admin"));
        assert!(parse_scopes("").is_err());
    }

    #[tokio::test]
    async fn keys_authenticate_only_with_their_secret_and_until_revoked() {
        let dir = std::env::temp_dir().join(format!("jpid-auth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/a.sqlite3", dir.display());
        let store = Store::open(Some(&url)).await.unwrap();
        let k = new_key("t", &[Scope::Residence], 1).unwrap();
        assert!(!k.row.secret_sha256.contains(&k.token[18..]));
        store.insert_key(k.row.clone()).await.unwrap();
        let check = KeyCheck::new(store.clone());
        let caller = check.check(&k.token).await.unwrap();
        assert!(caller.has(Scope::Residence) && !caller.has(Scope::Jpki));
        let mut wrong = k.token.to_string();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(matches!(check.check(&wrong).await, Err(AuthError::Invalid)));
        assert!(matches!(
            check.check("Bearer x").await,
            Err(AuthError::Invalid)
        ));
        assert!(store.revoke_key(&k.row.id, 2).await.unwrap());
        // A fresh checker (no cache) refuses the revoked key at once.
        let check = KeyCheck::new(store);
        assert!(matches!(
            check.check(&k.token).await,
            Err(AuthError::Invalid)
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
