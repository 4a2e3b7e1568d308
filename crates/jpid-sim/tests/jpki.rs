//! jpid's JPKI-AP code against the simulated My Number card: certificates, PIN safety, signing.

use jpid_apdu::{Command, StatusWord};
use jpid_card::jpki::{self, Hash, JpkiError, KeyKind, Pin, PinState};
use jpid_card::Channel;
use jpid_sim::{SimSpec, SimTransport};
use jpid_verify::x509::{verify_rsa_pkcs1, HashAlg, ParsedCert};
use sha2::{Digest, Sha256};

fn card(spec: &str) -> Channel<SimTransport> {
    let mut ch = Channel::new(SimSpec::parse(spec).unwrap().transport().unwrap());
    jpki::select(&mut ch).unwrap();
    ch
}

fn pin(kind: KeyKind, s: &str) -> Pin {
    Pin::new(kind, s).unwrap()
}

#[test]
fn certificates_and_the_password_gate() {
    let mut ch = card("mynumber");
    assert_eq!(jpki::token_label(&mut ch).unwrap(), "JPKIAPICCTOKEN2");
    let pki = jpid_sim::kinds::test_pki().unwrap();
    let auth = jpki::certificate(&mut ch, KeyKind::Auth).unwrap();
    assert_eq!(auth, pki.jpki_holder().auth().cert_der());
    let auth_ca = jpki::ca_certificate(&mut ch, KeyKind::Auth).unwrap();
    let (auth, auth_ca) = (
        ParsedCert::parse(&auth).unwrap(),
        ParsedCert::parse(&auth_ca).unwrap(),
    );
    auth.verify_signed_by(&auth_ca).unwrap();
    // The signature certificate needs the signature password first (69 82 before).
    assert!(matches!(
        jpki::certificate(&mut ch, KeyKind::Sign),
        Err(JpkiError::PinRequired(KeyKind::Sign))
    ));
    jpki::verify_pin(&mut ch, &pin(KeyKind::Sign, "abc123"), false).unwrap();
    let sign = jpki::certificate(&mut ch, KeyKind::Sign).unwrap();
    assert_eq!(sign, pki.jpki_holder().sign().cert_der());
}

#[test]
fn pin_counters_are_read_first_and_the_last_try_is_kept() {
    let mut ch = card("mynumber");
    assert_eq!(
        jpki::pin_state(&mut ch, KeyKind::Auth).unwrap(),
        PinState::Remaining(3)
    );
    assert_eq!(
        jpki::pin_state(&mut ch, KeyKind::Sign).unwrap(),
        PinState::Remaining(5)
    );
    let before = ch.stats().apdus;
    let r = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "0000"), false);
    assert!(
        matches!(
            r,
            Err(JpkiError::WrongPin {
                kind: KeyKind::Auth,
                remaining: 2
            })
        ),
        "{r:?}"
    );
    assert_eq!(
        ch.stats().apdus - before,
        2,
        "one status query, one VERIFY: never two VERIFYs per entry"
    );
    let r = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "0000"), false);
    assert!(matches!(r, Err(JpkiError::WrongPin { remaining: 1, .. })));
    // One try left: refused without --force, even with the right PIN, and nothing is spent.
    let before = ch.stats().apdus;
    let r = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "1234"), false);
    assert!(matches!(r, Err(JpkiError::LastTry(KeyKind::Auth))), "{r:?}");
    assert_eq!(
        ch.stats().apdus - before,
        1,
        "only the status query was sent"
    );
    assert_eq!(
        jpki::pin_state(&mut ch, KeyKind::Auth).unwrap(),
        PinState::Remaining(1)
    );
    let msg = JpkiError::LastTry(KeyKind::Auth).to_string();
    assert!(msg.contains("1 try") && msg.contains("--force"), "{msg}");
    // With --force a wrong PIN blocks it; afterwards jpid reports blocked without trying.
    let r = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "9999"), true);
    assert!(matches!(r, Err(JpkiError::Blocked(KeyKind::Auth))), "{r:?}");
    let before = ch.stats().apdus;
    let r = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "1234"), true);
    assert!(matches!(r, Err(JpkiError::Blocked(_))));
    assert_eq!(ch.stats().apdus - before, 1, "a blocked PIN is never tried");
    assert!(JpkiError::Blocked(KeyKind::Auth)
        .to_string()
        .contains("municipal office"));
    // The signature password keeps its own counter.
    assert_eq!(
        jpki::pin_state(&mut ch, KeyKind::Sign).unwrap(),
        PinState::Remaining(5)
    );
}

#[test]
fn forced_last_try_with_the_right_pin_resets_the_counter() {
    let mut ch = card("mynumber");
    for _ in 0..2 {
        let _ = jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "0000"), false);
    }
    jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "1234"), true).unwrap();
    ch.reset().unwrap();
    jpki::select(&mut ch).unwrap();
    assert_eq!(
        jpki::pin_state(&mut ch, KeyKind::Auth).unwrap(),
        PinState::Remaining(3)
    );
}

#[test]
fn signing_with_both_keys() {
    for spec in ["mynumber", "jpki-smartphone"] {
        let mut ch = card(spec);
        let digest = Sha256::digest(b"jpid test message");
        let di = Hash::Sha256.digest_info(&digest).unwrap();
        assert!(matches!(
            jpki::sign(&mut ch, KeyKind::Auth, &di),
            Err(JpkiError::PinRequired(KeyKind::Auth))
        ));
        jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "1234"), false).unwrap();
        let sig = jpki::sign(&mut ch, KeyKind::Auth, &di).unwrap();
        let cert = ParsedCert::parse(&jpki::certificate(&mut ch, KeyKind::Auth).unwrap()).unwrap();
        verify_rsa_pkcs1(&cert.spki_der().unwrap(), HashAlg::Sha256, &digest, &sig).unwrap();
        // The auth PIN does not open the signature key.
        assert!(matches!(
            jpki::sign(&mut ch, KeyKind::Sign, &di),
            Err(JpkiError::PinRequired(KeyKind::Sign))
        ));
        jpki::verify_pin(&mut ch, &pin(KeyKind::Sign, "ABC123"), false).unwrap();
        let sig = jpki::sign(&mut ch, KeyKind::Sign, &di).unwrap();
        let cert = ParsedCert::parse(&jpki::certificate(&mut ch, KeyKind::Sign).unwrap()).unwrap();
        verify_rsa_pkcs1(&cert.spki_der().unwrap(), HashAlg::Sha256, &digest, &sig).unwrap();
        // A reset closes the session: signing needs the PIN again.
        ch.reset().unwrap();
        jpki::select(&mut ch).unwrap();
        assert!(matches!(
            jpki::sign(&mut ch, KeyKind::Auth, &di),
            Err(JpkiError::PinRequired(_))
        ));
    }
}

#[test]
fn pin_forms_are_checked_before_any_apdu() {
    assert!(Pin::new(KeyKind::Auth, "123").is_err());
    assert!(Pin::new(KeyKind::Auth, "12345").is_err());
    assert!(Pin::new(KeyKind::Auth, "12a4").is_err());
    assert!(Pin::new(KeyKind::Auth, "1234\n").is_ok());
    assert!(Pin::new(KeyKind::Sign, "abc12").is_err());
    assert!(Pin::new(KeyKind::Sign, "abc-123").is_err());
    assert!(Pin::new(KeyKind::Sign, "abcdefghijklmnopq").is_err());
    let p = Pin::new(KeyKind::Sign, "abc123").unwrap();
    assert_eq!(format!("{p:?}"), "Pin(sign, REDACTED)");
    assert!(Hash::Sha256.digest_info(&[0; 31]).is_none());
    assert_eq!(Hash::Sha1.digest_info(&[0; 20]).unwrap().len(), 35);
}

#[test]
fn text_ap_keys_open_what_they_should_and_the_data_proves_genuine() {
    use jpid_card::mynumber::{read_text, KeyError, MyNumber, TextKey};
    use jpid_verify::cvc::CvcIssuerKey;
    use jpid_verify::text::{verify_text, TextFiles};
    let pki = jpid_sim::kinds::test_pki().unwrap();
    let keys: Vec<CvcIssuerKey> = pki
        .cvc_keys()
        .iter()
        .map(|k| CvcIssuerKey {
            id: k.key_id().into(),
            key_id: CvcIssuerKey::test_key_id(k.key_id()),
            modulus: k.modulus(),
            exponent: k.public_exponent(),
            test: true,
        })
        .collect();
    let trust = jpid_verify::TrustStore::production().with_test_cvc_keys(keys);
    let verify = |r: TextFiles, t: &jpid_verify::TrustStore| {
        verify_text(&r, t, jpid_verify::UnixTime(1_800_000_000), None).unwrap()
    };
    // The PIN opens both; A only the My Number; B only the basic four.
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    let v = verify(
        read_text(
            &mut ch,
            &TextKey::pin("1234").unwrap(),
            false,
            MyNumber::Read,
        )
        .unwrap(),
        &trust,
    );
    assert!(v.genuine(), "{:?}", v.reasons);
    assert_eq!(v.my_number.as_deref(), Some("999900000001"));
    assert_eq!(v.basic.as_ref().unwrap().name, "試験　花子");
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    let v = verify(
        read_text(
            &mut ch,
            &TextKey::a("999900000001").unwrap(),
            false,
            MyNumber::Read,
        )
        .unwrap(),
        &trust,
    );
    assert!(v.genuine() && v.basic.is_none() && v.my_number.is_some());
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    let v = verify(
        read_text(
            &mut ch,
            &TextKey::b("02010120351234").unwrap(),
            false,
            MyNumber::Read,
        )
        .unwrap(),
        &trust,
    );
    assert!(v.genuine() && v.my_number.is_none() && v.basic.is_some());
    // Production trust has no TEST CVC key: never genuine.
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    let v = verify(
        read_text(
            &mut ch,
            &TextKey::pin("1234").unwrap(),
            false,
            MyNumber::Read,
        )
        .unwrap(),
        &jpid_verify::TrustStore::production(),
    );
    assert!(!v.genuine());
    // A wrong PIN costs one try; the last is kept without force.
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    for remaining in [2, 1] {
        let r = read_text(
            &mut ch,
            &TextKey::pin("0000").unwrap(),
            false,
            MyNumber::Read,
        );
        assert!(
            matches!(r, Err(KeyError::Wrong { remaining: n, .. }) if n == remaining),
            "{r:?}"
        );
    }
    let r = read_text(
        &mut ch,
        &TextKey::pin("1234").unwrap(),
        false,
        MyNumber::Read,
    );
    assert!(matches!(r, Err(KeyError::LastTry(_))), "{r:?}");
    assert!(
        read_text(
            &mut ch,
            &TextKey::pin("1234").unwrap(),
            true,
            MyNumber::Read
        )
        .is_ok(),
        "with force the right PIN opens it"
    );
    assert!(TextKey::b("0201012035123").is_err());
    assert!(TextKey::a("99990000000x").is_err());
}

#[test]
fn pin_change_needs_the_old_pin_and_takes_effect() {
    let mut ch = card("mynumber");
    let r = jpki::change_pin(
        &mut ch,
        &pin(KeyKind::Auth, "0000"),
        &pin(KeyKind::Auth, "4321"),
        false,
    );
    assert!(
        matches!(r, Err(JpkiError::WrongPin { remaining: 2, .. })),
        "{r:?}"
    );
    jpki::change_pin(
        &mut ch,
        &pin(KeyKind::Auth, "1234"),
        &pin(KeyKind::Auth, "4321"),
        false,
    )
    .unwrap();
    ch.reset().unwrap();
    jpki::select(&mut ch).unwrap();
    assert!(matches!(
        jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "1234"), false),
        Err(JpkiError::WrongPin { .. })
    ));
    jpki::verify_pin(&mut ch, &pin(KeyKind::Auth, "4321"), false).unwrap();
    // The signature password is upper-cased and changes the same way.
    jpki::change_pin(
        &mut ch,
        &pin(KeyKind::Sign, "abc123"),
        &pin(KeyKind::Sign, "newpass9"),
        false,
    )
    .unwrap();
    ch.reset().unwrap();
    jpki::select(&mut ch).unwrap();
    jpki::verify_pin(&mut ch, &pin(KeyKind::Sign, "NEWPASS9"), false).unwrap();
}

/// The chip proves it holds the card key EF 0007 certifies (INTERNAL AUTHENTICATE, no PIN); a
/// clone (the same files on a chip with another key) does not, and a replayed answer to another
/// challenge does not either (docs/spec/mynumber-card.md §3 "Proving the card is live").
#[test]
fn the_text_ap_chip_answers_a_challenge_and_a_clone_does_not() {
    use jpid_card::mynumber::{chip_answer, read_text, MyNumber, TextKey};
    use jpid_verify::text::verify_text;
    use jpid_verify::verdict::{ChipAuth, Outcome};
    let trust = jpid_sim::trust::test_store(jpid_verify::TrustStore::production());
    let at = jpid_verify::UnixTime(1_800_000_000);
    let read = |spec: &str, challenge: &[u8]| {
        let mut ch = Channel::new(SimSpec::parse(spec).unwrap().transport().unwrap());
        let key = TextKey::b("02010120351234").unwrap();
        let files = read_text(&mut ch, &key, false, MyNumber::Leave).unwrap();
        assert!(files.card_key.is_some(), "照合番号B opens EF 0007");
        (files, chip_answer(&mut ch, challenge).unwrap())
    };
    let (files, answer) = read("mynumber", b"a fresh challenge, 32 bytes long");
    let v = verify_text(&files, &trust, at, Some(&answer)).unwrap();
    assert!(
        matches!(v.chip, ChipAuth::Authenticated { .. }),
        "{:?}",
        v.chip
    );
    assert_eq!(v.outcome(), Outcome::Genuine, "{:?}", v.reasons);
    // The same files, no chip: not applicable, still genuine data.
    let offline = verify_text(&files, &trust, at, None).unwrap();
    assert_eq!(offline.chip.id(), "not_applicable");
    assert!(offline.genuine());
    // A replay: the genuine chip's answer to another challenge.
    let mut replay = answer.clone();
    replay.challenge = b"the challenge of this read......".to_vec();
    let v = verify_text(&files, &trust, at, Some(&replay)).unwrap();
    assert_eq!(v.outcome(), Outcome::NotGenuine);
    assert!(v.reasons.iter().any(|r| r.code == "chip_not_authenticated"));
    // A clone: every file the genuine card's, the chip another.
    let (files, answer) = read("mynumber,tamper=clone", b"a fresh challenge, 32 bytes long");
    let v = verify_text(&files, &trust, at, Some(&answer)).unwrap();
    assert!(
        matches!(
            v.chip,
            ChipAuth::Failed {
                key_certified: true,
                ..
            }
        ),
        "{:?}",
        v.chip
    );
    assert_eq!(v.outcome(), Outcome::NotGenuine);
    let chip_reason = |v: &jpid_verify::text::TextVerdict| {
        v.reasons
            .iter()
            .find(|r| r.code == "chip_not_authenticated")
            .map(|r| r.message.clone())
            .unwrap_or_default()
    };
    assert!(chip_reason(&v).contains("copy"), "a clone is named as one");
    assert!(v.proof().is_none());
    // EF 0007 with its key swapped for the clone's (so the answer would verify) is not signed
    // by the AP key: still no.
    let mut forged = files.clone();
    if let Some(k) = forged.card_key.as_mut() {
        let last = k.len() - 1;
        k[last] ^= 0x01;
    }
    let v = verify_text(&forged, &trust, at, Some(&answer)).unwrap();
    assert!(!v.genuine());
    // A genuine chip under a corrupted CVC (no trusted issuer signed it): the chip's key is
    // certified by nobody the verifier trusts, so the facet says no, never yes.
    let (files, answer) = read("mynumber,tamper=cvc", b"a fresh challenge, 32 bytes long");
    let v = verify_text(&files, &trust, at, Some(&answer)).unwrap();
    assert_eq!(v.outcome(), Outcome::NotGenuine);
    // Nothing is listed as signed beside a failed check.
    assert!(v.signed.is_empty(), "{:?}", v.signed);
    assert_eq!(v.to_json()["signed"].as_array().map(Vec::len), Some(0));
    assert!(
        matches!(
            v.chip,
            ChipAuth::Failed {
                key_certified: false,
                ..
            }
        ),
        "{:?}",
        v.chip
    );
    // The chip's answer was never held against a certified key: not called a clone.
    let why = chip_reason(&v);
    assert!(
        why.contains("could not be checked") && !why.contains("copy"),
        "{why}"
    );
}

/// The simulated card, except that the empty VERIFY of one key answers `6F 00` (no precise
/// diagnosis), as a card in a bad state might.
struct OddKey {
    card: SimTransport,
    p2: u8,
}

impl jpid_card::CardTransport for OddKey {
    fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, jpid_card::TransportError> {
        if c.len() == 4 && c[1] == 0x20 && c[3] == self.p2 {
            return Ok(vec![0x6F, 0x00]);
        }
        self.card.transmit(c)
    }
    fn supports_extended_length(&self) -> bool {
        self.card.supports_extended_length()
    }
    fn atr(&self) -> &[u8] {
        self.card.atr()
    }
    fn reader_name(&self) -> &str {
        self.card.reader_name()
    }
    fn reset(&mut self) -> Result<(), jpid_card::TransportError> {
        self.card.reset()
    }
}

#[test]
fn one_key_answering_oddly_does_not_sink_the_status_of_the_others() {
    use jpid_card::mynumber::{status, KeyStatus};
    let card = SimSpec::parse("mynumber").unwrap().transport().unwrap();
    // 0x9B: the JPKI signature password (EF 001B).
    let mut ch = Channel::new(OddKey { card, p2: 0x9B });
    let keys = status(&mut ch).unwrap();
    let odd: Vec<_> = keys
        .iter()
        .filter(|(_, s)| matches!(s, KeyStatus::Unexpected(_)))
        .map(|(k, s)| (k.key, *s))
        .collect();
    assert_eq!(
        odd,
        [(
            "sign_password",
            KeyStatus::Unexpected(jpid_apdu::StatusWord::from_u16(0x6F00))
        )]
    );
    // Every other key is reported as usual.
    assert!(keys
        .iter()
        .filter(|(k, _)| k.key != "sign_password")
        .all(|(_, s)| matches!(s, KeyStatus::State(PinState::Remaining(_)))));
}

/// One raw APDU (hex) and its status word.
fn sw(ch: &mut Channel<SimTransport>, apdu: &str) -> StatusWord {
    let bytes = hex::decode(apdu.replace(' ', "")).unwrap();
    ch.transmit(&Command::parse(&bytes).unwrap()).unwrap().sw()
}

/// What OpenSC's JPKI driver meets in each new process (issue 14): it selects the AP and asks
/// an empty VERIFY for the tries left, and takes 90 00 as an error. A PIN verified by the
/// process before must not answer 90 00 there: selecting the application ends it.
#[test]
fn selecting_the_application_again_ends_what_was_verified() {
    let mut ch = card("mynumber");
    let select_jpki = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
    let select_auth_pin = "00 A4 02 0C 02 00 18";
    assert_eq!(sw(&mut ch, select_jpki), StatusWord::Success);
    assert_eq!(sw(&mut ch, select_auth_pin), StatusWord::Success);
    assert_eq!(
        sw(&mut ch, "00 20 00 80"),
        StatusWord::WrongPin { remaining: 3 }
    );
    assert_eq!(
        sw(&mut ch, "00 20 00 80 04 31 32 33 34"),
        StatusWord::Success
    );
    // Within the selection the PIN stays verified (the empty VERIFY says so).
    assert_eq!(sw(&mut ch, "00 20 00 80"), StatusWord::Success);
    // A new process selects the AP again: tries left, not "verified".
    assert_eq!(sw(&mut ch, select_jpki), StatusWord::Success);
    assert_eq!(sw(&mut ch, select_auth_pin), StatusWord::Success);
    assert_eq!(
        sw(&mut ch, "00 20 00 80"),
        StatusWord::WrongPin { remaining: 3 }
    );
    // The signature key needs its VERIFY again too.
    assert_eq!(sw(&mut ch, "00 A4 02 0C 02 00 17"), StatusWord::Success);
    let sign = format!(
        "80 2A 00 80 33 3031300D060960864801650304020105000420{}",
        "00".repeat(32)
    );
    assert_eq!(sw(&mut ch, &sign), StatusWord::SecurityStatusNotSatisfied);
}

/// SELECT MF on the My Number card (docs/spec/mynumber-card.md §1, MC): `00 A4 00 00` answers
/// 6A86 after reset and 90 00 with an application selected, which stays selected; FID 3F00 is
/// not found.
#[test]
fn select_mf_answers_as_the_card_does() {
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    assert_eq!(sw(&mut ch, "00 A4 00 00"), StatusWord::IncorrectP1P2);
    assert_eq!(
        sw(&mut ch, "00 A4 00 00 02 3F 00"),
        StatusWord::FileNotFound
    );
    assert_eq!(
        sw(&mut ch, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
        StatusWord::Success
    );
    assert_eq!(sw(&mut ch, "00 A4 00 00"), StatusWord::Success);
    // Still in the JPKI-AP: its auth certificate EF is found.
    assert_eq!(sw(&mut ch, "00 A4 02 0C 02 00 0A"), StatusWord::Success);
}

/// The card-level commands and the text AP's other files and keys as MC recorded them on a
/// test card (docs/spec/mynumber-card.md §3, §6; issue 14).
#[test]
fn card_level_commands_and_the_text_aps_other_files() {
    let mut ch = Channel::new(SimSpec::parse("mynumber").unwrap().transport().unwrap());
    let mut send = |apdu: &str| {
        let bytes = hex::decode(apdu.replace(' ', "")).unwrap();
        let r = ch.transmit(&Command::parse(&bytes).unwrap()).unwrap();
        (r.data().to_vec(), r.sw())
    };
    // GET DATA at the MF: the contact ATR without TS, the municipality code, the expiry.
    assert_eq!(
        send("00 CA 5F 51 00"),
        (
            hex::decode("E000FF8131FE4514").unwrap(),
            StatusWord::Success
        )
    );
    assert_eq!(
        send("00 CA 00 F0 00"),
        (b"13101".to_vec(), StatusWord::Success)
    );
    assert_eq!(
        send("00 CA 00 F2 00"),
        (b"20350101".to_vec(), StatusWord::Success)
    );
    assert_eq!(send("00 CA 00 42 00").1, StatusWord::ReferencedDataNotFound);
    // GET CHALLENGE: as many bytes as asked, fresh each time; the extended form is refused.
    let (a, sw) = send("00 84 00 00 08");
    assert_eq!((a.len(), sw), (8, StatusWord::Success));
    let (b, _) = send("00 84 00 00 08");
    assert_ne!(a, b);
    assert_eq!(send("00 84 00 00 00").0.len(), 256);
    assert_eq!(
        send("00 84 00 00 00 02 00").1,
        StatusWord::ConditionsNotSatisfied
    );
    // ISO INTERNAL AUTHENTICATE: no key answers it (the common AP's 0019 is not modelled).
    assert_eq!(
        send("00 88 00 91 04 01 02 03 04 00").1,
        StatusWord::ConditionsNotSatisfied
    );
    // The text AP: key 0012 issued blocked, EF 0013 the chip's key (never readable), EF 0006
    // the SM public key behind a key, EF 0008 sixteen FF bytes.
    assert_eq!(
        send("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08").1,
        StatusWord::Success
    );
    assert_eq!(send("00 CA 00 F0 00").1, StatusWord::ReferencedDataNotFound);
    assert_eq!(send("00 20 00 92").1, StatusWord::WrongPin { remaining: 0 });
    assert_eq!(send("00 A4 02 0C 02 00 13").1, StatusWord::Success);
    assert_eq!(
        send("00 B0 00 00 00").1,
        StatusWord::SecurityStatusNotSatisfied
    );
    assert_eq!(
        send("00 B0 88 00 00"),
        (vec![0xFF; 16], StatusWord::Success)
    );
    assert_eq!(
        send("00 B0 86 00 00").1,
        StatusWord::SecurityStatusNotSatisfied
    );
    assert_eq!(send("00 20 00 91 04 31 32 33 34").1, StatusWord::Success);
    let (sm_key, sw) = send("00 B0 86 00 00");
    assert_eq!((sm_key.first(), sw), (Some(&0xA1), StatusWord::Success));
}
