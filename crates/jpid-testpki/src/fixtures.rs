//! The committed fixture files (`crates/jpid-testpki/fixtures/`), embedded with
//! `include_bytes!`, and the writer that regenerates them.
//!
//! Certificates are stored as `.der` and `.pem`, private keys as PKCS#8 DER (`-key.pk8`). The
//! directory's `README.md` (also generated) lists each file with its size and SHA-256.
//!
//! Regenerate with
//! `cargo run -p jpid-testpki --example regenerate -- crates/jpid-testpki/fixtures`; the test
//! `fixtures_regenerate_byte_identical` fails when the committed files differ from what
//! [`TestPki::generate`]`(`[`DEFAULT_SEED`]`)` produces.

use std::fmt::Write as _;
use std::path::Path;

use der::pem::LineEnding;
use sha2::{Digest, Sha256};

use crate::{p384_pkcs8, rsa_pkcs8, CvcIssuer, PkiError, TestPki, DEFAULT_SEED};

macro_rules! fixture_consts {
    ($( $(#[$meta:meta])* $ident:ident = $file:literal; )*) => {
        $(
            $(#[$meta])*
            #[doc = concat!("\n\nContents of `fixtures/", $file, "`.")]
            pub const $ident: &[u8] =
                include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/", $file));
        )*

        /// Every embedded fixture file as (file name, contents); `README.md` is not embedded.
        pub const ALL: &[(&str, &[u8])] = &[$(($file, $ident)),*];
    };
}

fixture_consts! {
    /// First-generation residence card root certificate, DER.
    ZAIRYU_CA_DER = "zairyu-ca.der";
    /// First-generation residence card root certificate, PEM.
    ZAIRYU_CA_PEM = "zairyu-ca.pem";
    /// First-generation residence card root private key, PKCS#8 DER.
    ZAIRYU_CA_KEY_PK8 = "zairyu-ca-key.pk8";
    /// First-generation card-signing certificate, DER.
    ZAIRYU_SIGNER_DER = "zairyu-signer.der";
    /// First-generation card-signing certificate, PEM.
    ZAIRYU_SIGNER_PEM = "zairyu-signer.pem";
    /// First-generation card-signing private key, PKCS#8 DER.
    ZAIRYU_SIGNER_KEY_PK8 = "zairyu-signer-key.pk8";
    /// Second-generation residence card root certificate (P-384), DER.
    ZAIRYU2_CA_DER = "zairyu2-ca.der";
    /// Second-generation residence card root certificate (P-384), PEM.
    ZAIRYU2_CA_PEM = "zairyu2-ca.pem";
    /// Second-generation residence card root private key, PKCS#8 DER.
    ZAIRYU2_CA_KEY_PK8 = "zairyu2-ca-key.pk8";
    /// Second-generation card-signing certificate (P-384), DER.
    ZAIRYU2_SIGNER_DER = "zairyu2-signer.der";
    /// Second-generation card-signing certificate (P-384), PEM.
    ZAIRYU2_SIGNER_PEM = "zairyu2-signer.pem";
    /// Second-generation card-signing private key, PKCS#8 DER.
    ZAIRYU2_SIGNER_KEY_PK8 = "zairyu2-signer-key.pk8";
    /// TEST "JPKI for user authentication" root, DER.
    JPKI_AUTH_CA_DER = "jpki-auth-ca.der";
    /// TEST "JPKI for user authentication" root, PEM.
    JPKI_AUTH_CA_PEM = "jpki-auth-ca.pem";
    /// TEST "JPKI for user authentication" root private key, PKCS#8 DER.
    JPKI_AUTH_CA_KEY_PK8 = "jpki-auth-ca-key.pk8";
    /// TEST "JPKI for digital signature" root, DER.
    JPKI_SIGN_CA_DER = "jpki-sign-ca.der";
    /// TEST "JPKI for digital signature" root, PEM.
    JPKI_SIGN_CA_PEM = "jpki-sign-ca.pem";
    /// TEST "JPKI for digital signature" root private key, PKCS#8 DER.
    JPKI_SIGN_CA_KEY_PK8 = "jpki-sign-ca-key.pk8";
    /// Default holder's user-authentication certificate, DER.
    JPKI_HOLDER_AUTH_DER = "jpki-holder-auth.der";
    /// Default holder's user-authentication certificate, PEM.
    JPKI_HOLDER_AUTH_PEM = "jpki-holder-auth.pem";
    /// Default holder's user-authentication private key, PKCS#8 DER.
    JPKI_HOLDER_AUTH_KEY_PK8 = "jpki-holder-auth-key.pk8";
    /// Default holder's signature certificate, DER.
    JPKI_HOLDER_SIGN_DER = "jpki-holder-sign.der";
    /// Default holder's signature certificate, PEM.
    JPKI_HOLDER_SIGN_PEM = "jpki-holder-sign.pem";
    /// Default holder's signature private key, PKCS#8 DER.
    JPKI_HOLDER_SIGN_KEY_PK8 = "jpki-holder-sign-key.pk8";
    /// Revoked holder's user-authentication certificate, DER.
    JPKI_REVOKED_AUTH_DER = "jpki-revoked-auth.der";
    /// Revoked holder's user-authentication certificate, PEM.
    JPKI_REVOKED_AUTH_PEM = "jpki-revoked-auth.pem";
    /// Revoked holder's user-authentication private key, PKCS#8 DER.
    JPKI_REVOKED_AUTH_KEY_PK8 = "jpki-revoked-auth-key.pk8";
    /// Revoked holder's signature certificate, DER.
    JPKI_REVOKED_SIGN_DER = "jpki-revoked-sign.der";
    /// Revoked holder's signature certificate, PEM.
    JPKI_REVOKED_SIGN_PEM = "jpki-revoked-sign.pem";
    /// Revoked holder's signature private key, PKCS#8 DER.
    JPKI_REVOKED_SIGN_KEY_PK8 = "jpki-revoked-sign-key.pk8";
    /// CRL of the TEST user-authentication root, DER.
    JPKI_AUTH_CRL_DER = "jpki-auth-crl.der";
    /// CRL of the TEST user-authentication root, PEM.
    JPKI_AUTH_CRL_PEM = "jpki-auth-crl.pem";
    /// CRL of the TEST digital-signature root, DER.
    JPKI_SIGN_CRL_DER = "jpki-sign-crl.der";
    /// CRL of the TEST digital-signature root, PEM.
    JPKI_SIGN_CRL_PEM = "jpki-sign-crl.pem";
    /// TEST CVC issuer key standing for the text AP (id 9000033), PKCS#8 DER.
    CVC_9000033_KEY_PK8 = "cvc-9000033-key.pk8";
    /// TEST CVC issuer key standing for the card-face AP (id 9000023), PKCS#8 DER.
    CVC_9000023_KEY_PK8 = "cvc-9000023-key.pk8";
    /// TEST CVC issuer key standing for the MF chain (id 9000020), PKCS#8 DER.
    CVC_9000020_KEY_PK8 = "cvc-9000020-key.pk8";
    /// The simulated My Number card's text-AP key (certified by its CVC), PKCS#8 DER.
    MYNUMBER_TEXT_AP_KEY_PK8 = "mynumber-text-ap-key.pk8";
    /// The simulated My Number card's card-face-AP key, PKCS#8 DER.
    MYNUMBER_SURFACE_AP_KEY_PK8 = "mynumber-surface-ap-key.pk8";
    /// The simulated My Number card's own card-face-AP challenge key (`DF24`), PKCS#8 DER.
    MYNUMBER_SURFACE_CARD_KEY_PK8 = "mynumber-surface-card-key.pk8";
}

/// Name of the generated README in the fixture directory.
pub const README_NAME: &str = "README.md";

/// The command that regenerates the committed fixtures.
pub const REGENERATE_COMMAND: &str =
    "cargo run -p jpid-testpki --example regenerate -- crates/jpid-testpki/fixtures";

/// One file of the fixture set, in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct FixtureFile {
    /// File name inside the fixture directory.
    pub name: &'static str,
    /// Contents.
    pub bytes: Vec<u8>,
    /// One line saying what the file is (used in the README).
    pub description: String,
}

impl core::fmt::Debug for FixtureFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FixtureFile")
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

fn pem_cert(name: &'static str, der: &[u8]) -> Result<Vec<u8>, PkiError> {
    pem(name, "CERTIFICATE", der)
}

fn pem(name: &'static str, label: &'static str, der: &[u8]) -> Result<Vec<u8>, PkiError> {
    der::pem::encode_string(label, LineEnding::LF, der)
        .map(String::into_bytes)
        .map_err(|e| PkiError::Der {
            what: name.to_owned(),
            source: e.into(),
        })
}

struct Files(Vec<FixtureFile>);

impl Files {
    fn add(&mut self, name: &'static str, bytes: Vec<u8>, description: String) {
        self.0.push(FixtureFile {
            name,
            bytes,
            description,
        });
    }

    fn cert(
        &mut self,
        der_name: &'static str,
        pem_name: &'static str,
        der: &[u8],
        what: &str,
    ) -> Result<(), PkiError> {
        self.add(der_name, der.to_vec(), format!("{what}, DER"));
        self.add(pem_name, pem_cert(pem_name, der)?, format!("{what}, PEM"));
        Ok(())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn readme(seed: &[u8], files: &[FixtureFile]) -> String {
    let seed_shown = seed.escape_ascii().to_string();
    let default_note = if seed == DEFAULT_SEED {
        "the crate's `DEFAULT_SEED`"
    } else {
        "**not** the crate's `DEFAULT_SEED`: these files are not the committed fixtures"
    };
    let mut s = String::new();
    let _ = writeln!(s, "# jpid TEST PKI fixtures");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "**Test material only. Every private key here is public. Never trust these certificates \
         outside jpid's tests.** Every subject says TEST; the JPKI holder is synthetic."
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Generated by the `jpid-testpki` crate (do not edit by hand)."
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "- Seed: `{seed_shown}` ({default_note}).");
    let _ = writeln!(
        s,
        "- Regenerate from the workspace root: `{REGENERATE_COMMAND}`"
    );
    let _ = writeln!(
        s,
        "- The test `fixtures_regenerate_byte_identical` fails if these files differ from a fresh \
         generation: regenerating in CI must change nothing."
    );
    let _ = writeln!(
        s,
        "- Each key uses its own ChaCha20 RNG seeded with \
         SHA-256(\"jpid-testpki/v1\" 00 || u64be(len(seed)) || seed || label), so adding a key never \
         changes the others. Certificate validity dates are fixed; nothing reads the clock."
    );
    let _ = writeln!(
        s,
        "- Certificates: `.der` and `.pem`. Private keys: PKCS#8 DER (`-key.pk8`; inspect with \
         `openssl pkey -inform DER -in FILE -noout -text`)."
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "| File | Bytes | SHA-256 | What |");
    let _ = writeln!(s, "|---|---:|---|---|");
    for f in files {
        let _ = writeln!(
            s,
            "| `{}` | {} | `{}` | {} |",
            f.name,
            f.bytes.len(),
            sha256_hex(&f.bytes),
            f.description
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "## Notes");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "- Residence card (residence-card.md §4): the first-generation root and signer are \
         RSA-2048 / sha256WithRSAEncryption; the signer key signs the check code `DA` \
         (RSASSA-PKCS1-v1_5, SHA-256). The second-generation root and signer are P-384 with \
         ecdsa-with-SHA256, whose AlgorithmIdentifier has **no** parameters (RFC 5758 §3.2)."
    );
    let _ = writeln!(
        s,
        "- JPKI (mynumber-card.md §2): the signature certificate carries the holder's attributes as \
         SubjectAltName otherNames `1.2.392.200149.8.5.5.1`–`.6`, each `[0] EXPLICIT UTF8String`. \
         The date of birth is the era digit (JIS X 0301: 1 明治 … 4 平成, 5 令和) followed by the \
         Gregorian YYYYMMDD, e.g. `419900101`: this form is UNCONFIRMED (one source)."
    );
    let _ = writeln!(
        s,
        "- Validity (all at 00:00:00Z): roots 2024-01-01 to 2040-01-01, residence card signers to \
         2034-01-01, JPKI holder certificates to 2029-01-01. Check chains with \
         `openssl verify -attime <a 2025 unix time> -CAfile ROOT.pem EE.pem`."
    );
    let _ = writeln!(
        s,
        "- The second-generation signer certificate has no subjectKeyIdentifier so that it fits \
         the card's `DD` object (zero-padded to 602 bytes)."
    );
    let _ = writeln!(
        s,
        "- CRLs (RFC 5280 §5, v2, sha256WithRSAEncryption, cRLNumber 1 and authorityKeyIdentifier, \
         nothing critical): one per JPKI root, thisUpdate 2025-01-01, nextUpdate 2029-01-01. Each \
         revokes the certificate of that purpose of the synthetic holder `JPIDTEST-REVOKED-0000000001` \
         (revocationDate 2024-12-01; reasonCode keyCompromise for auth, affiliationChanged for sign); \
         the default holder is not revoked. Check with `openssl verify -crl_check -attime <a 2025 \
         unix time> -CAfile ROOT.pem -CRLfile CRL.pem EE.pem`."
    );
    let _ = writeln!(
        s,
        "- J-LIS CVC issuer keys: TEST ids `9000033` (text AP), `9000023` (card-face AP) and \
         `9000020` (MF chain), deliberately distinct from the production ids 5000033/5000023/5000020 \
         and the J-LIS test-card ids 6000033/6000023/6000020. Only the key pairs exist so far."
    );
    s
}

impl TestPki {
    /// Every fixture file this PKI produces, in a fixed order, `README.md` last.
    pub fn fixture_files(&self) -> Result<Vec<FixtureFile>, PkiError> {
        let mut f = Files(Vec::with_capacity(40));
        let h = self.jpki_holder();
        let holder = h.holder();

        f.cert(
            "zairyu-ca.der",
            "zairyu-ca.pem",
            self.zairyu_ca().cert_der(),
            "Residence card (1st gen) root `CN=ZairyuCard CA TEST`, RSA-2048, self-signed",
        )?;
        f.add(
            "zairyu-ca-key.pk8",
            rsa_pkcs8("zairyu-ca", self.zairyu_ca().private_key())?,
            "Residence card (1st gen) root private key".into(),
        );
        f.cert(
            "zairyu-signer.der",
            "zairyu-signer.pem",
            self.zairyu_signer().cert_der(),
            "Residence card (1st gen) card-signing certificate (`DB`), RSA-2048",
        )?;
        f.add(
            "zairyu-signer-key.pk8",
            rsa_pkcs8("zairyu-signer", self.zairyu_signer().private_key())?,
            "Residence card (1st gen) card-signing key (signs the check code `DA`)".into(),
        );

        f.cert(
            "zairyu2-ca.der",
            "zairyu2-ca.pem",
            self.zairyu2_ca().cert_der(),
            "Residence card (2nd gen) root `CN=ZairyuCard CA2 TEST`, P-384, ecdsa-with-SHA256",
        )?;
        f.add(
            "zairyu2-ca-key.pk8",
            p384_pkcs8("zairyu2-ca", self.zairyu2_ca().private_key())?,
            "Residence card (2nd gen) root private key, P-384".into(),
        );
        f.cert(
            "zairyu2-signer.der",
            "zairyu2-signer.pem",
            self.zairyu2_signer().cert_der(),
            "Residence card (2nd gen) card-signing certificate (`DD`), P-384",
        )?;
        f.add(
            "zairyu2-signer-key.pk8",
            p384_pkcs8("zairyu2-signer", self.zairyu2_signer().private_key())?,
            "Residence card (2nd gen) card-signing key, P-384 (signs `DC`)".into(),
        );

        f.cert(
            "jpki-auth-ca.der",
            "jpki-auth-ca.pem",
            self.jpki_auth_ca().cert_der(),
            "TEST root `OU=JPKI for user authentication`, RSA-2048 (JPKI-AP EF 000B)",
        )?;
        f.add(
            "jpki-auth-ca-key.pk8",
            rsa_pkcs8("jpki-auth-ca", self.jpki_auth_ca().private_key())?,
            "TEST JPKI user-authentication root private key".into(),
        );
        f.cert(
            "jpki-sign-ca.der",
            "jpki-sign-ca.pem",
            self.jpki_sign_ca().cert_der(),
            "TEST root `OU=JPKI for digital signature`, RSA-2048 (JPKI-AP EF 0002)",
        )?;
        f.add(
            "jpki-sign-ca-key.pk8",
            rsa_pkcs8("jpki-sign-ca", self.jpki_sign_ca().private_key())?,
            "TEST JPKI digital-signature root private key".into(),
        );

        let who = format!("`CN={}` ({})", holder.cert_id, holder.name);
        f.cert(
            "jpki-holder-auth.der",
            "jpki-holder-auth.pem",
            h.auth().cert_der(),
            &format!("JPKI user-authentication certificate of synthetic holder {who} (EF 000A)"),
        )?;
        f.add(
            "jpki-holder-auth-key.pk8",
            rsa_pkcs8("jpki-holder-auth", h.auth().private_key())?,
            format!("Private key of {who}'s authentication certificate (EF 0017)"),
        );
        f.cert("jpki-holder-sign.der", "jpki-holder-sign.pem", h.sign().cert_der(),
            &format!("JPKI signature certificate of synthetic holder {who}, attributes in SAN otherNames (EF 0001)"))?;
        f.add(
            "jpki-holder-sign-key.pk8",
            rsa_pkcs8("jpki-holder-sign", h.sign().private_key())?,
            format!("Private key of {who}'s signature certificate (EF 001A)"),
        );

        let r = self.jpki_revoked_holder();
        let who = format!("`CN={}` ({})", r.holder().cert_id, r.holder().name);
        f.cert(
            "jpki-revoked-auth.der",
            "jpki-revoked-auth.pem",
            r.auth().cert_der(),
            &format!("JPKI user-authentication certificate of synthetic holder {who}, REVOKED by `jpki-auth-crl`"),
        )?;
        f.add(
            "jpki-revoked-auth-key.pk8",
            rsa_pkcs8("jpki-revoked-auth", r.auth().private_key())?,
            format!("Private key of {who}'s authentication certificate"),
        );
        f.cert(
            "jpki-revoked-sign.der",
            "jpki-revoked-sign.pem",
            r.sign().cert_der(),
            &format!(
                "JPKI signature certificate of synthetic holder {who}, REVOKED by `jpki-sign-crl`"
            ),
        )?;
        f.add(
            "jpki-revoked-sign-key.pk8",
            rsa_pkcs8("jpki-revoked-sign", r.sign().private_key())?,
            format!("Private key of {who}'s signature certificate"),
        );
        for (der_name, pem_name, der, what) in [
            (
                "jpki-auth-crl.der",
                "jpki-auth-crl.pem",
                self.jpki_auth_crl(),
                "CRL of the TEST user-authentication root (revokes the revoked holder's authentication certificate)",
            ),
            (
                "jpki-sign-crl.der",
                "jpki-sign-crl.pem",
                self.jpki_sign_crl(),
                "CRL of the TEST digital-signature root (revokes the revoked holder's signature certificate)",
            ),
        ] {
            f.add(der_name, der.to_vec(), format!("{what}, DER"));
            f.add(pem_name, pem(pem_name, "X509 CRL", der)?, format!("{what}, PEM"));
        }

        for (issuer, name, what) in [
            (
                CvcIssuer::TextAp,
                "cvc-9000033-key.pk8",
                "text AP (券面事項入力補助AP)",
            ),
            (
                CvcIssuer::CardFaceAp,
                "cvc-9000023-key.pk8",
                "card-face AP (券面事項確認AP)",
            ),
            (CvcIssuer::MfChain, "cvc-9000020-key.pk8", "MF chain"),
        ] {
            let key = self.cvc_key(issuer);
            f.add(
                name,
                rsa_pkcs8(name, key.private_key())?,
                format!(
                    "TEST CVC issuer key `{}` standing for the {what}, RSA-2048",
                    key.key_id()
                ),
            );
        }

        f.add(
            "mynumber-text-ap-key.pk8",
            rsa_pkcs8("mynumber-text-ap", self.mynumber_text_ap_key())?,
            "The simulated My Number card's own text-AP key (its CVC is issued under `9000033`; signs EF 0003)".into(),
        );
        f.add(
            "mynumber-surface-ap-key.pk8",
            rsa_pkcs8("mynumber-surface-ap", self.mynumber_surface_ap_key())?,
            "The simulated My Number card's own card-face-AP key (its CVC is issued under `9000023`; signs EF 0001, EF 0002 `DF28`, EF 0005)".into(),
        );
        f.add(
            "mynumber-surface-card-key.pk8",
            rsa_pkcs8("mynumber-surface-card", self.mynumber_surface_card_key())?,
            "The simulated My Number card's own card-face-AP challenge key, whose public half the card-face records carry (`DF12`, `DF24`, `DF42`)".into(),
        );

        let text = readme(self.seed(), &f.0);
        f.add(README_NAME, text.into_bytes(), "This file".into());
        Ok(f.0)
    }

    /// Writes [`fixture_files`](Self::fixture_files) into `dir`, creating it if needed.
    /// Existing files with the same names are overwritten; other files are left alone.
    pub fn write_fixtures(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for file in self.fixture_files()? {
            let path = dir.join(file.name);
            std::fs::write(&path, &file.bytes).map_err(|source| PkiError::Io { path, source })?;
        }
        Ok(())
    }
}
