//! A deterministic TEST PKI for jpid's simulated cards.
//!
//! Every key and certificate is derived from a seed: each object has a label, and its RNG is
//! ChaCha20 seeded from SHA-256 over the seed and the label ([`derive_rng`]), so adding a key
//! never changes the others and the fixtures in `fixtures/` regenerate byte-identically
//! (STYLE.md habit 11). Dates are fixed; nothing reads the clock.
//!
//! What it produces (see the spec sections cited on each accessor):
//! - residence card, first generation: a `ZairyuCard CA TEST` RSA-2048 root and a card-signing
//!   end-entity certificate and key ([`TestPki::zairyu_ca`], [`TestPki::zairyu_signer`]);
//! - residence card, second generation: a `ZairyuCard CA2 TEST` P-384 / ecdsa-with-SHA256 root
//!   and a P-384 card-signing certificate and key ([`TestPki::zairyu2_ca`],
//!   [`TestPki::zairyu2_signer`]);
//! - JPKI: TEST user-authentication and digital-signature roots, and for each simulated holder an
//!   authentication and a signature certificate with their keys ([`TestPki::jpki_holder`],
//!   [`TestPki::issue_jpki_holder`]);
//! - J-LIS CVC issuer stand-ins: three RSA-2048 key pairs with TEST ids `9000033`, `9000023`,
//!   `9000020` ([`TestPki::cvc_key`]).
//!
//! Every subject says TEST and every holder is synthetic. **The private keys are published in
//! `fixtures/` on purpose; never trust any of these certificates outside tests.**
//!
//! Two ways in: [`TestPki::generate`] derives everything from a seed (about 3 s with the
//! workspace's optimised dependency profile on a busy 2-core machine; nine RSA-2048 key
//! generations dominate), and [`load_default`] parses the committed fixtures embedded in
//! [`fixtures`] (tens of milliseconds; what the simulator and the CLI use).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

mod cert;
mod crl;
mod cvc;
mod derive;
mod error;
pub mod fixtures;
mod holder;

use der::{Decode, Encode};
// One pkcs8 crate (0.10) serves both rsa and p384.
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::Certificate;

use cert::{Attr, CertSpec, SignerKey};

pub use cert::{Day, ECDSA_WITH_SHA256, SHA256_WITH_RSA};
pub use crl::{issue_crl, CrlEntry, CrlSpec};
pub use cvc::{CvcCaKey, CvcIssuer};
pub use derive::derive_rng;
pub use error::PkiError;
pub use fixtures::FixtureFile;
pub use holder::{
    BirthDate, Gender, JpkiHolder, OID_JPKI_ADDRESS, OID_JPKI_ADDRESS_SUBSTITUTE,
    OID_JPKI_DATE_OF_BIRTH, OID_JPKI_GENDER, OID_JPKI_NAME, OID_JPKI_NAME_SUBSTITUTE,
};
pub use x509_cert::ext::pkix::CrlReason;

/// The seed the committed fixtures were generated from.
pub const DEFAULT_SEED: &[u8] = b"jpid test pki v1";

/// RSA modulus size for every RSA key (docs/spec/residence-card.md §4,
/// docs/spec/mynumber-card.md §2).
pub const RSA_BITS: usize = 2048;

const ROOT_VALIDITY: (Day, Day) = (Day(2024, 1, 1), Day(2040, 1, 1));
const ZAIRYU_EE_VALIDITY: (Day, Day) = (Day(2024, 1, 1), Day(2034, 1, 1));
const JPKI_EE_VALIDITY: (Day, Day) = (Day(2024, 1, 1), Day(2029, 1, 1));
/// The committed JPKI CRLs: issued 2025-01-01, next update 2029-01-01 (when the holder
/// certificates expire), so they are current at every date the tests use.
pub const JPKI_CRL_THIS_UPDATE: Day = Day(2025, 1, 1);
/// See [`JPKI_CRL_THIS_UPDATE`].
pub const JPKI_CRL_NEXT_UPDATE: Day = Day(2029, 1, 1);
/// When the committed CRLs say the revoked holder's certificates were revoked.
pub const JPKI_REVOKED_ON: Day = Day(2024, 12, 1);

const MOJ_TEST: [Attr<'static>; 3] = [
    Attr::C("JP"),
    Attr::O("jpid TEST"),
    Attr::Ou("The Ministry of Justice (TEST)"),
];
const JPKI_TEST_O: &str = "JPKI TEST (jpid)";
const JPKI_TEST_OU: &str = "jpid TEST Certification Authority (not J-LIS)";
const JPKI_CA_DIRNAME_O: &str = "公的個人認証サービス TEST (jpid)";

fn with_cn<'a>(base: &[Attr<'a>], cn: &'a str) -> Vec<Attr<'a>> {
    let mut v = base.to_vec();
    v.push(Attr::Cn(cn));
    v
}

/// An RSA certificate with its private key.
#[derive(Clone)]
pub struct RsaCredential {
    cert_der: Vec<u8>,
    key: RsaPrivateKey,
}

/// A P-384 certificate with its private key.
#[derive(Clone)]
pub struct EcCredential {
    cert_der: Vec<u8>,
    key: p384::SecretKey,
}

impl RsaCredential {
    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, parsed.
    pub fn certificate(&self) -> Result<Certificate, PkiError> {
        Certificate::from_der(&self.cert_der).map_err(PkiError::der("certificate"))
    }

    /// The private key.
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// The public key.
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    fn load(name: &'static str, cert_der: &[u8], key_pk8: &[u8]) -> Result<Self, PkiError> {
        let key = RsaPrivateKey::from_pkcs8_der(key_pk8).map_err(PkiError::pkcs8(name))?;
        let key_spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(PkiError::spki(name))?;
        check_cert_matches(name, cert_der, key_spki.as_bytes())?;
        Ok(Self {
            cert_der: cert_der.to_vec(),
            key,
        })
    }
}

impl EcCredential {
    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, parsed.
    pub fn certificate(&self) -> Result<Certificate, PkiError> {
        Certificate::from_der(&self.cert_der).map_err(PkiError::der("certificate"))
    }

    /// The private key.
    pub fn private_key(&self) -> &p384::SecretKey {
        &self.key
    }

    /// The public key.
    pub fn public_key(&self) -> p384::PublicKey {
        self.key.public_key()
    }

    fn load(name: &'static str, cert_der: &[u8], key_pk8: &[u8]) -> Result<Self, PkiError> {
        let key = p384::SecretKey::from_pkcs8_der(key_pk8).map_err(PkiError::pkcs8(name))?;
        let key_spki = key
            .public_key()
            .to_public_key_der()
            .map_err(PkiError::spki(name))?;
        check_cert_matches(name, cert_der, key_spki.as_bytes())?;
        Ok(Self {
            cert_der: cert_der.to_vec(),
            key,
        })
    }
}

impl core::fmt::Debug for RsaCredential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaCredential")
            .field("cert_der_len", &self.cert_der.len())
            .field("key", &"REDACTED")
            .finish()
    }
}

impl core::fmt::Debug for EcCredential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcCredential")
            .field("cert_der_len", &self.cert_der.len())
            .field("key", &"REDACTED")
            .finish()
    }
}

/// Checks that a fixture certificate parses and holds the public half of its fixture key.
fn check_cert_matches(
    name: &'static str,
    cert_der: &[u8],
    key_spki: &[u8],
) -> Result<(), PkiError> {
    let cert = Certificate::from_der(cert_der).map_err(PkiError::der(name))?;
    let cert_spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(PkiError::der(name))?;
    if cert_spki != key_spki {
        return Err(PkiError::Fixture {
            name,
            reason: "certificate does not match its private key",
        });
    }
    Ok(())
}

/// The JPKI user-authentication and signature credentials of one simulated holder.
#[derive(Clone, Debug)]
pub struct JpkiHolderCredentials {
    holder: JpkiHolder,
    auth: RsaCredential,
    sign: RsaCredential,
}

impl JpkiHolderCredentials {
    /// The holder the certificates were issued for.
    pub fn holder(&self) -> &JpkiHolder {
        &self.holder
    }

    /// 利用者証明用電子証明書 (JPKI-AP EF 000A) and the key behind EF 0017: subject
    /// `C=JP, CN=<cert_id>`, keyUsage digitalSignature, no personal data
    /// (docs/spec/mynumber-card.md §2).
    pub fn auth(&self) -> &RsaCredential {
        &self.auth
    }

    /// 署名用電子証明書 (JPKI-AP EF 0001) and the key behind EF 001A: keyUsage
    /// digitalSignature + nonRepudiation, holder attributes in SubjectAltName otherNames
    /// (docs/spec/mynumber-card.md §2).
    pub fn sign(&self) -> &RsaCredential {
        &self.sign
    }
}

/// The whole TEST PKI: roots, end-entity certificates and keys for every simulated card.
#[derive(Clone)]
pub struct TestPki {
    seed: Vec<u8>,
    zairyu_ca: RsaCredential,
    zairyu_signer: RsaCredential,
    zairyu2_ca: EcCredential,
    zairyu2_signer: EcCredential,
    jpki_auth_ca: RsaCredential,
    jpki_sign_ca: RsaCredential,
    jpki_holder: JpkiHolderCredentials,
    jpki_revoked_holder: JpkiHolderCredentials,
    jpki_auth_crl: Vec<u8>,
    jpki_sign_crl: Vec<u8>,
    cvc: [CvcCaKey; 3],
    card_ap_keys: [RsaPrivateKey; 3],
}

impl core::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TestPki")
            .field("seed", &self.seed.escape_ascii().to_string())
            .field("jpki_holder", &self.jpki_holder.holder.cert_id)
            .finish_non_exhaustive()
    }
}

fn rsa_key(seed: &[u8], label: &str) -> Result<RsaPrivateKey, PkiError> {
    let mut rng = derive_rng(seed, label)?;
    RsaPrivateKey::new(&mut rng, RSA_BITS).map_err(PkiError::rsa(label))
}

fn p384_key(seed: &[u8], label: &str) -> Result<p384::SecretKey, PkiError> {
    let mut rng = derive_rng(seed, label)?;
    Ok(p384::SecretKey::random(&mut rng))
}

fn rsa_spki(key: &RsaPrivateKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let doc = key
        .to_public_key()
        .to_public_key_der()
        .map_err(PkiError::spki("RSA public key"))?;
    SubjectPublicKeyInfoOwned::from_der(doc.as_bytes()).map_err(PkiError::der("RSA public key"))
}

fn p384_spki(key: &p384::SecretKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let doc = key
        .public_key()
        .to_public_key_der()
        .map_err(PkiError::spki("P-384 public key"))?;
    SubjectPublicKeyInfoOwned::from_der(doc.as_bytes()).map_err(PkiError::der("P-384 public key"))
}

/// Issuer name and SPKI, read back from the issuer's certificate (so issuing works the same
/// after [`load_default`] as after [`TestPki::generate`]).
fn issuer_of(cert_der: &[u8]) -> Result<(Name, SubjectPublicKeyInfoOwned), PkiError> {
    let cert = Certificate::from_der(cert_der).map_err(PkiError::der("issuer certificate"))?;
    let tbs = cert.tbs_certificate;
    Ok((tbs.subject, tbs.subject_public_key_info))
}

/// A self-signed CA: basicConstraints CA:TRUE pathlen 0 (critical), keyUsage keyCertSign +
/// cRLSign (critical), subjectKeyIdentifier, and any extra extensions.
fn self_signed(
    seed: &[u8],
    label: &str,
    subject: &[Attr<'_>],
    signer: SignerKey<'_>,
    spki: SubjectPublicKeyInfoOwned,
    extra: Vec<x509_cert::ext::Extension>,
) -> Result<Vec<u8>, PkiError> {
    let subject = cert::name(subject)?;
    let mut extensions = vec![
        cert::ext_ca()?,
        cert::ext_key_usage(cert::ca_key_usage())?,
        cert::ext_ski(&spki)?,
    ];
    extensions.extend(extra);
    cert::issue(CertSpec {
        what: label,
        serial: derive::derive_serial(seed, label)?,
        issuer: &subject.clone(),
        signer,
        validity: cert::validity(ROOT_VALIDITY.0, ROOT_VALIDITY.1)?,
        subject,
        spki,
        extensions,
    })
}

/// An end-entity certificate: keyUsage (critical), authorityKeyIdentifier, and the extra
/// extensions (normally subjectKeyIdentifier).
#[allow(clippy::too_many_arguments)]
fn end_entity(
    seed: &[u8],
    label: &str,
    issuer_cert: &[u8],
    signer: SignerKey<'_>,
    subject: &[Attr<'_>],
    spki: SubjectPublicKeyInfoOwned,
    validity: (Day, Day),
    key_usage: x509_cert::ext::pkix::KeyUsage,
    extra: Vec<x509_cert::ext::Extension>,
) -> Result<Vec<u8>, PkiError> {
    let (issuer, issuer_spki) = issuer_of(issuer_cert)?;
    let mut extensions = vec![
        cert::ext_key_usage(key_usage)?,
        cert::ext_aki(&issuer_spki)?,
    ];
    extensions.extend(extra);
    cert::issue(CertSpec {
        what: label,
        serial: derive::derive_serial(seed, label)?,
        issuer: &issuer,
        signer,
        validity: cert::validity(validity.0, validity.1)?,
        subject: cert::name(subject)?,
        spki,
        extensions,
    })
}

fn rsa_root(
    seed: &[u8],
    label: &str,
    subject: &[Attr<'_>],
    extra: Vec<x509_cert::ext::Extension>,
) -> Result<RsaCredential, PkiError> {
    let key = rsa_key(seed, label)?;
    let cert_der = self_signed(
        seed,
        label,
        subject,
        SignerKey::Rsa(&key),
        rsa_spki(&key)?,
        extra,
    )?;
    Ok(RsaCredential { cert_der, key })
}

/// SubjectAltName DirName `C=JP, O=公的個人認証サービス TEST (jpid)`, mirroring the real JPKI
/// roots' DirName `C=JP, O=公的個人認証サービス` (docs/spec/mynumber-card.md §2).
fn jpki_ca_san() -> Result<x509_cert::ext::Extension, PkiError> {
    let dir = cert::name(&[Attr::C("JP"), Attr::O(JPKI_CA_DIRNAME_O)])?;
    cert::ext_san(&SubjectAltName(vec![GeneralName::DirectoryName(dir)]))
}

/// Issues a holder's JPKI authentication and signature certificates
/// (docs/spec/mynumber-card.md §2).
fn issue_holder(
    seed: &[u8],
    auth_ca: &RsaCredential,
    sign_ca: &RsaCredential,
    holder: &JpkiHolder,
) -> Result<JpkiHolderCredentials, PkiError> {
    holder.validate()?;
    let subject = [Attr::C("JP"), Attr::Cn(&holder.cert_id)];

    let auth_label = format!("jpki/holder/{}/auth", holder.cert_id);
    let auth_key = rsa_key(seed, &auth_label)?;
    let auth_spki = rsa_spki(&auth_key)?;
    let auth_cert = end_entity(
        seed,
        &auth_label,
        &auth_ca.cert_der,
        SignerKey::Rsa(&auth_ca.key),
        &subject,
        auth_spki.clone(),
        JPKI_EE_VALIDITY,
        cert::ee_key_usage(),
        vec![cert::ext_ski(&auth_spki)?],
    )?;

    let sign_label = format!("jpki/holder/{}/sign", holder.cert_id);
    let sign_key = rsa_key(seed, &sign_label)?;
    let sign_spki = rsa_spki(&sign_key)?;
    let mut san = Vec::with_capacity(6);
    for (type_id, value) in holder.san_attributes() {
        san.push(GeneralName::OtherName(OtherName {
            type_id,
            value: cert::utf8_any(&value)?,
        }));
    }
    let sign_cert = end_entity(
        seed,
        &sign_label,
        &sign_ca.cert_der,
        SignerKey::Rsa(&sign_ca.key),
        &subject,
        sign_spki.clone(),
        JPKI_EE_VALIDITY,
        cert::non_repudiation_key_usage(),
        vec![
            cert::ext_ski(&sign_spki)?,
            cert::ext_san(&SubjectAltName(san))?,
        ],
    )?;

    Ok(JpkiHolderCredentials {
        holder: holder.clone(),
        auth: RsaCredential {
            cert_der: auth_cert,
            key: auth_key,
        },
        sign: RsaCredential {
            cert_der: sign_cert,
            key: sign_key,
        },
    })
}

impl TestPki {
    /// Derives the whole TEST PKI from `seed`.
    ///
    /// Nine RSA-2048 key generations dominate the cost (about 3 s in all with the workspace's
    /// optimised dependency profile). For the committed fixtures use [`load_default`] instead.
    ///
    /// RSA key generation is deterministic for a seeded RNG with the `rsa` version pinned in
    /// `Cargo.lock`; a change to `rsa`'s prime search would change the keys, which the fixture
    /// regeneration test would report.
    pub fn generate(seed: &[u8]) -> Result<Self, PkiError> {
        // Residence card, first generation (docs/spec/residence-card.md §4): RSA-2048 root
        // "ZairyuCard CA", sha256WithRSAEncryption, CA:TRUE pathlen 0, keyCertSign + cRLSign.
        let zairyu_ca = rsa_root(
            seed,
            "zairyu/ca",
            &with_cn(&MOJ_TEST, "ZairyuCard CA TEST"),
            vec![],
        )?;
        let zairyu_signer = {
            let label = "zairyu/signer";
            let key = rsa_key(seed, label)?;
            let spki = rsa_spki(&key)?;
            let cert_der = end_entity(
                seed,
                label,
                &zairyu_ca.cert_der,
                SignerKey::Rsa(&zairyu_ca.key),
                &with_cn(&MOJ_TEST, "ZairyuCard Signer TEST"),
                spki.clone(),
                ZAIRYU_EE_VALIDITY,
                cert::ee_key_usage(),
                vec![cert::ext_ski(&spki)?],
            )?;
            RsaCredential { cert_der, key }
        };

        // Residence card, second generation (docs/spec/residence-card.md §4): P-384 root
        // "ZairyuCard CA2", ecdsa-with-SHA256 (no parameters).
        let zairyu2_ca = {
            let label = "zairyu2/ca";
            let key = p384_key(seed, label)?;
            let cert_der = self_signed(
                seed,
                label,
                &with_cn(&MOJ_TEST, "ZairyuCard CA2 TEST"),
                SignerKey::P384Sha256(&key),
                p384_spki(&key)?,
                vec![],
            )?;
            EcCredential { cert_der, key }
        };
        let zairyu2_signer = {
            let label = "zairyu2/signer";
            let key = p384_key(seed, label)?;
            let cert_der = end_entity(
                seed,
                label,
                &zairyu2_ca.cert_der,
                SignerKey::P384Sha256(&zairyu2_ca.key),
                &with_cn(&MOJ_TEST, "ZairyuCard2 Signer TEST"),
                p384_spki(&key)?,
                ZAIRYU_EE_VALIDITY,
                cert::ee_key_usage(),
                // No subjectKeyIdentifier: the card stores this certificate in DF3/EF01 `DD`,
                // zero-padded to 602 bytes (docs/spec/residence-card.md §3), and the extra 31 bytes
                // would overflow it. Real second-generation card certificates are 598-599 bytes.
                vec![],
            )?;
            EcCredential { cert_der, key }
        };

        // JPKI roots (docs/spec/mynumber-card.md §2 "Issuer DNs"): RSA-2048, self-signed.
        let jpki_auth_ca = rsa_root(
            seed,
            "jpki/auth-ca",
            &[
                Attr::C("JP"),
                Attr::O(JPKI_TEST_O),
                Attr::Ou("JPKI for user authentication"),
                Attr::Ou(JPKI_TEST_OU),
            ],
            vec![jpki_ca_san()?],
        )?;
        let jpki_sign_ca = rsa_root(
            seed,
            "jpki/sign-ca",
            &[
                Attr::C("JP"),
                Attr::O(JPKI_TEST_O),
                Attr::Ou("JPKI for digital signature"),
                Attr::Ou(JPKI_TEST_OU),
            ],
            vec![jpki_ca_san()?],
        )?;

        let cvc_key = |issuer: CvcIssuer| -> Result<CvcCaKey, PkiError> {
            let key = rsa_key(seed, &format!("cvc/{}", issuer.test_key_id()))?;
            Ok(CvcCaKey { issuer, key })
        };
        let cvc = [
            cvc_key(CvcIssuer::TextAp)?,
            cvc_key(CvcIssuer::CardFaceAp)?,
            cvc_key(CvcIssuer::MfChain)?,
        ];

        let jpki_holder = issue_holder(seed, &jpki_auth_ca, &jpki_sign_ca, &JpkiHolder::default())?;
        let jpki_revoked_holder = issue_holder(
            seed,
            &jpki_auth_ca,
            &jpki_sign_ca,
            &JpkiHolder::revoked_synthetic(),
        )?;
        let (jpki_auth_crl, jpki_sign_crl) =
            default_crls(&jpki_auth_ca, &jpki_sign_ca, &jpki_revoked_holder)?;
        let card_ap_keys = [
            rsa_key(seed, "mynumber/text-ap")?,
            rsa_key(seed, "mynumber/surface-ap")?,
            rsa_key(seed, "mynumber/surface-card")?,
        ];

        Ok(Self {
            seed: seed.to_vec(),
            zairyu_ca,
            zairyu_signer,
            zairyu2_ca,
            zairyu2_signer,
            jpki_auth_ca,
            jpki_sign_ca,
            jpki_holder,
            jpki_revoked_holder,
            jpki_auth_crl,
            jpki_sign_crl,
            cvc,
            card_ap_keys,
        })
    }

    /// The simulated My Number card's own key of its text AP (券面事項入力補助AP): certified by a
    /// CVC under the TEST issuer key `9000033`, it signs the AP's integrity record (EF 0003).
    pub fn mynumber_text_ap_key(&self) -> &RsaPrivateKey {
        &self.card_ap_keys[0]
    }

    /// The simulated card's own key of its card-face AP (券面事項確認AP), certified under
    /// `9000023`; it signs the card-face records.
    pub fn mynumber_surface_ap_key(&self) -> &RsaPrivateKey {
        &self.card_ap_keys[1]
    }

    /// The simulated card's own challenge key of its card-face AP (EF 001A,
    /// docs/spec/mynumber-card.md §4): its public half is what the card-face records carry (`DF12`,
    /// `DF24`, `DF42`). It is not certified by anyone; it signs no record.
    pub fn mynumber_surface_card_key(&self) -> &RsaPrivateKey {
        &self.card_ap_keys[2]
    }

    /// Issues JPKI authentication and signature certificates (and derives their keys) for
    /// `holder`, under this PKI's TEST roots.
    ///
    /// The keys are derived from the seed and `holder.cert_id`, so the same holder always gets
    /// the same keys and certificates, whether this `TestPki` came from
    /// [`generate`](Self::generate) or [`load_default`]. A smartphone JPKI token is simply
    /// another holder.
    pub fn issue_jpki_holder(
        &self,
        holder: &JpkiHolder,
    ) -> Result<JpkiHolderCredentials, PkiError> {
        issue_holder(&self.seed, &self.jpki_auth_ca, &self.jpki_sign_ca, holder)
    }

    /// The seed this PKI was derived from.
    pub fn seed(&self) -> &[u8] {
        &self.seed
    }

    /// First-generation residence card root, `CN=ZairyuCard CA TEST` (docs/spec/residence-card.md
    /// §4 step 4). RSA-2048, self-signed, valid 2024-01-01 → 2040-01-01.
    pub fn zairyu_ca(&self) -> &RsaCredential {
        &self.zairyu_ca
    }

    /// First-generation card-signing certificate (the DF3/EF01 `DB` object) and the key that
    /// signs each card's check code (`DA`, RSASSA-PKCS1-v1_5 with SHA-256;
    /// docs/spec/residence-card.md §4). Valid 2024-01-01 → 2034-01-01.
    pub fn zairyu_signer(&self) -> &RsaCredential {
        &self.zairyu_signer
    }

    /// Second-generation residence card root, `CN=ZairyuCard CA2 TEST`: P-384,
    /// ecdsa-with-SHA256 (docs/spec/residence-card.md §4, second generation).
    pub fn zairyu2_ca(&self) -> &EcCredential {
        &self.zairyu2_ca
    }

    /// Second-generation card-signing certificate (DF3/EF01 `DD`, zero-padded to 602 bytes on
    /// the card) and its P-384 key, which signs the `DC` value with SHA-256.
    pub fn zairyu2_signer(&self) -> &EcCredential {
        &self.zairyu2_signer
    }

    /// TEST root standing for "JPKI for user authentication" (JPKI-AP EF 000B).
    pub fn jpki_auth_ca(&self) -> &RsaCredential {
        &self.jpki_auth_ca
    }

    /// TEST root standing for "JPKI for digital signature" (JPKI-AP EF 0002).
    pub fn jpki_sign_ca(&self) -> &RsaCredential {
        &self.jpki_sign_ca
    }

    /// The default synthetic holder's credentials ([`JpkiHolder::default_synthetic`]).
    pub fn jpki_holder(&self) -> &JpkiHolderCredentials {
        &self.jpki_holder
    }

    /// The synthetic holder whose certificates the committed CRLs revoke
    /// ([`JpkiHolder::revoked_synthetic`]).
    pub fn jpki_revoked_holder(&self) -> &JpkiHolderCredentials {
        &self.jpki_revoked_holder
    }

    /// CRL of the TEST user-authentication root, DER: number 1, current from
    /// [`JPKI_CRL_THIS_UPDATE`] to [`JPKI_CRL_NEXT_UPDATE`], revoking the revoked holder's
    /// authentication certificate (keyCompromise, on [`JPKI_REVOKED_ON`]).
    pub fn jpki_auth_crl(&self) -> &[u8] {
        &self.jpki_auth_crl
    }

    /// CRL of the TEST digital-signature root, DER: number 1, same dates, revoking the revoked
    /// holder's signature certificate (affiliationChanged: the holder moved).
    pub fn jpki_sign_crl(&self) -> &[u8] {
        &self.jpki_sign_crl
    }

    /// The TEST CVC issuer key standing for `issuer`.
    pub fn cvc_key(&self, issuer: CvcIssuer) -> &CvcCaKey {
        match issuer {
            CvcIssuer::TextAp => &self.cvc[0],
            CvcIssuer::CardFaceAp => &self.cvc[1],
            CvcIssuer::MfChain => &self.cvc[2],
        }
    }

    /// All three TEST CVC issuer keys, in [`CvcIssuer::ALL`] order.
    pub fn cvc_keys(&self) -> &[CvcCaKey] {
        &self.cvc
    }
}

/// The committed CRLs of the two JPKI roots (auth, sign), each revoking the revoked holder's
/// certificate of that purpose.
fn default_crls(
    auth_ca: &RsaCredential,
    sign_ca: &RsaCredential,
    revoked: &JpkiHolderCredentials,
) -> Result<(Vec<u8>, Vec<u8>), PkiError> {
    let crl = |ca: &RsaCredential, cert: &RsaCredential, reason| -> Result<Vec<u8>, PkiError> {
        let serial = cert
            .certificate()?
            .tbs_certificate
            .serial_number
            .as_bytes()
            .to_vec();
        issue_crl(
            &ca.cert_der,
            &ca.key,
            &CrlSpec {
                number: 1,
                this_update: JPKI_CRL_THIS_UPDATE,
                next_update: JPKI_CRL_NEXT_UPDATE,
                revoked: vec![CrlEntry {
                    serial,
                    revoked_on: JPKI_REVOKED_ON,
                    reason: Some(reason),
                }],
            },
        )
    };
    Ok((
        crl(auth_ca, &revoked.auth, CrlReason::KeyCompromise)?,
        crl(sign_ca, &revoked.sign, CrlReason::AffiliationChanged)?,
    ))
}

/// Parses the committed fixtures (embedded with `include_bytes!`, see [`fixtures`]) into a
/// [`TestPki`] equal to `TestPki::generate(DEFAULT_SEED)`, without generating any key.
///
/// Each certificate is checked to parse and to match its private key.
pub fn load_default() -> Result<TestPki, PkiError> {
    use fixtures as f;
    let cvc = |issuer: CvcIssuer, name: &'static str, der: &[u8]| -> Result<CvcCaKey, PkiError> {
        Ok(CvcCaKey {
            issuer,
            key: RsaPrivateKey::from_pkcs8_der(der).map_err(PkiError::pkcs8(name))?,
        })
    };
    Ok(TestPki {
        seed: DEFAULT_SEED.to_vec(),
        zairyu_ca: RsaCredential::load("zairyu-ca", f::ZAIRYU_CA_DER, f::ZAIRYU_CA_KEY_PK8)?,
        zairyu_signer: RsaCredential::load(
            "zairyu-signer",
            f::ZAIRYU_SIGNER_DER,
            f::ZAIRYU_SIGNER_KEY_PK8,
        )?,
        zairyu2_ca: EcCredential::load("zairyu2-ca", f::ZAIRYU2_CA_DER, f::ZAIRYU2_CA_KEY_PK8)?,
        zairyu2_signer: EcCredential::load(
            "zairyu2-signer",
            f::ZAIRYU2_SIGNER_DER,
            f::ZAIRYU2_SIGNER_KEY_PK8,
        )?,
        jpki_auth_ca: RsaCredential::load(
            "jpki-auth-ca",
            f::JPKI_AUTH_CA_DER,
            f::JPKI_AUTH_CA_KEY_PK8,
        )?,
        jpki_sign_ca: RsaCredential::load(
            "jpki-sign-ca",
            f::JPKI_SIGN_CA_DER,
            f::JPKI_SIGN_CA_KEY_PK8,
        )?,
        jpki_holder: JpkiHolderCredentials {
            holder: JpkiHolder::default(),
            auth: RsaCredential::load(
                "jpki-holder-auth",
                f::JPKI_HOLDER_AUTH_DER,
                f::JPKI_HOLDER_AUTH_KEY_PK8,
            )?,
            sign: RsaCredential::load(
                "jpki-holder-sign",
                f::JPKI_HOLDER_SIGN_DER,
                f::JPKI_HOLDER_SIGN_KEY_PK8,
            )?,
        },
        jpki_revoked_holder: JpkiHolderCredentials {
            holder: JpkiHolder::revoked_synthetic(),
            auth: RsaCredential::load(
                "jpki-revoked-auth",
                f::JPKI_REVOKED_AUTH_DER,
                f::JPKI_REVOKED_AUTH_KEY_PK8,
            )?,
            sign: RsaCredential::load(
                "jpki-revoked-sign",
                f::JPKI_REVOKED_SIGN_DER,
                f::JPKI_REVOKED_SIGN_KEY_PK8,
            )?,
        },
        jpki_auth_crl: f::JPKI_AUTH_CRL_DER.to_vec(),
        jpki_sign_crl: f::JPKI_SIGN_CRL_DER.to_vec(),
        cvc: [
            cvc(CvcIssuer::TextAp, "cvc-9000033", f::CVC_9000033_KEY_PK8)?,
            cvc(CvcIssuer::CardFaceAp, "cvc-9000023", f::CVC_9000023_KEY_PK8)?,
            cvc(CvcIssuer::MfChain, "cvc-9000020", f::CVC_9000020_KEY_PK8)?,
        ],
        card_ap_keys: [
            RsaPrivateKey::from_pkcs8_der(f::MYNUMBER_TEXT_AP_KEY_PK8)
                .map_err(PkiError::pkcs8("mynumber-text-ap"))?,
            RsaPrivateKey::from_pkcs8_der(f::MYNUMBER_SURFACE_AP_KEY_PK8)
                .map_err(PkiError::pkcs8("mynumber-surface-ap"))?,
            RsaPrivateKey::from_pkcs8_der(f::MYNUMBER_SURFACE_CARD_KEY_PK8)
                .map_err(PkiError::pkcs8("mynumber-surface-card"))?,
        ],
    })
}

/// Private-key PKCS#8 DER helpers used by the fixture writer.
pub(crate) fn rsa_pkcs8(name: &str, key: &RsaPrivateKey) -> Result<Vec<u8>, PkiError> {
    Ok(key
        .to_pkcs8_der()
        .map_err(PkiError::pkcs8(name))?
        .as_bytes()
        .to_vec())
}

pub(crate) fn p384_pkcs8(name: &str, key: &p384::SecretKey) -> Result<Vec<u8>, PkiError> {
    Ok(key
        .to_pkcs8_der()
        .map_err(PkiError::pkcs8(name))?
        .as_bytes()
        .to_vec())
}
