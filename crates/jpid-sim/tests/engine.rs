//! The simulated cards driven through jpid's own channel, as a reader program would.

use jpid_apdu::{Command, StatusWord};
use jpid_card::{detect, spec, CardKind, CardTransport, Channel, FileRef};
use jpid_model::ResidenceCardType;
use jpid_sim::{SimKind, SimSpec, SmartCard, SpecError};

fn channel(spec: &str) -> Channel<jpid_sim::SimTransport> {
    Channel::new(SimSpec::parse(spec).unwrap().transport().unwrap())
}

fn verify(ch: &mut Channel<jpid_sim::SimTransport>, p2: u8, pin: &[u8]) -> StatusWord {
    let mut c = Command::new(0x00, 0x20, 0x00, p2);
    if !pin.is_empty() {
        c = c.with_data(pin.to_vec());
    }
    ch.transmit(&c).unwrap().sw()
}

#[test]
fn detection_names_every_simulated_kind() {
    let expect = [
        (
            "residence",
            CardKind::Residence(ResidenceCardType::Residence1),
            Some("1"),
        ),
        (
            "residence-gen2",
            CardKind::Residence(ResidenceCardType::Residence2),
            Some("05"),
        ),
        (
            "spr",
            CardKind::Residence(ResidenceCardType::Spr1),
            Some("2"),
        ),
        (
            "spr-gen2",
            CardKind::Residence(ResidenceCardType::Spr2),
            Some("06"),
        ),
        ("mynumber", CardKind::MyNumberCard, None),
        (
            "jpki-smartphone",
            CardKind::JpkiSmartphone {
                platform: "android",
            },
            None,
        ),
        (
            "specified-residence",
            CardKind::SpecifiedResidence {
                card_type: "07".into(),
            },
            Some("07"),
        ),
        (
            "specified-spr",
            CardKind::SpecifiedResidence {
                card_type: "08".into(),
            },
            Some("08"),
        ),
    ];
    for (spec, kind, card_type) in expect.clone() {
        for ext in ["on", "off"] {
            let mut ch = channel(&format!("{spec},ext={ext}"));
            let d = detect(&mut ch).unwrap();
            assert_eq!(d.kind, kind, "{spec} ext={ext}");
            assert_eq!(d.card_type.as_deref(), card_type, "{spec}");
            assert_eq!(d.kind.id(), spec);
            // A My Number card is also asked for the specified cards' 在留AP (and a specified
            // card for its card type there).
            assert!(ch.stats().apdus <= 7, "{spec}: {} APDUs", ch.stats().apdus);
        }
    }
    assert_eq!(SimKind::ALL.len(), expect.len());
}

#[test]
fn mynumber_label_is_read_from_token_info() {
    let mut ch = channel("mynumber");
    let d = detect(&mut ch).unwrap();
    assert_eq!(d.token_label.as_deref(), Some(spec::TOKEN_MYNUMBER_CARD));
    assert_eq!(
        d.atr,
        vec![0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
    );
}

#[test]
fn residence_files_refuse_reads_before_authentication() {
    let mut ch = channel("residence");
    assert_eq!(
        ch.select_aid(&spec::RESIDENCE_DF1).unwrap(),
        StatusWord::Success
    );
    let r = ch.read_binary(FileRef::Sfi(0x05), 0, 256).unwrap();
    assert_eq!(r.sw(), StatusWord::SecurityStatusNotSatisfied);
    assert_eq!(
        ch.select_aid(&[0xD3, 0x92, 0xF0, 0x00, 0x4F, 0x09])
            .unwrap(),
        StatusWord::FileNotFound
    );
}

#[test]
fn pin_counter_counts_down_blocks_and_resets_on_success() {
    let mut ch = channel("mynumber");
    assert!(ch.select_aid(&spec::JPKI_AID).unwrap().is_success());
    // Query without spending (P2 = 80|0x18 names the auth PIN by short id).
    assert_eq!(
        verify(&mut ch, 0x98, b""),
        StatusWord::WrongPin { remaining: 3 }
    );
    assert_eq!(
        verify(&mut ch, 0x98, b"0000"),
        StatusWord::WrongPin { remaining: 2 }
    );
    assert_eq!(
        verify(&mut ch, 0x98, b""),
        StatusWord::WrongPin { remaining: 2 }
    );
    assert_eq!(verify(&mut ch, 0x98, b"1234"), StatusWord::Success);
    assert_eq!(
        verify(&mut ch, 0x98, b""),
        StatusWord::Success,
        "verified in this session"
    );
    assert_eq!(
        verify(&mut ch, 0x98, b"9999"),
        StatusWord::WrongPin { remaining: 2 }
    );
    assert_eq!(
        verify(&mut ch, 0x98, b"9999"),
        StatusWord::WrongPin { remaining: 1 }
    );
    assert_eq!(
        verify(&mut ch, 0x98, b"9999"),
        StatusWord::WrongPin { remaining: 0 }
    );
    assert_eq!(
        verify(&mut ch, 0x98, b"1234"),
        StatusWord::ReferenceDataBlocked
    );
    assert_eq!(
        verify(&mut ch, 0x98, b""),
        StatusWord::WrongPin { remaining: 0 }
    );
    // The signature password has its own counter of 5.
    assert_eq!(
        verify(&mut ch, 0x9B, b""),
        StatusWord::WrongPin { remaining: 5 }
    );
}

#[test]
fn verify_via_selected_key_and_reset_clears_the_session() {
    let mut ch = channel("mynumber");
    ch.select_aid(&spec::JPKI_AID).unwrap();
    assert_eq!(ch.select_ef(0x0018).unwrap(), StatusWord::Success);
    assert_eq!(verify(&mut ch, 0x80, b"1234"), StatusWord::Success);
    ch.reset().unwrap();
    // After reset the MF is current again: VERIFY 80 names no key.
    assert_eq!(
        verify(&mut ch, 0x80, b""),
        StatusWord::ReferencedDataNotFound
    );
    ch.select_aid(&spec::JPKI_AID).unwrap();
    assert_eq!(
        verify(&mut ch, 0x98, b""),
        StatusWord::WrongPin { remaining: 3 },
        "reset drops the verified state"
    );
}

#[test]
fn change_pin_needs_verification_first() {
    let mut ch = channel("mynumber");
    ch.select_aid(&spec::JPKI_AID).unwrap();
    let change = Command::new(0x00, 0x24, 0x01, 0x98).with_data(b"4321".to_vec());
    assert_eq!(
        ch.transmit(&change).unwrap().sw(),
        StatusWord::SecurityStatusNotSatisfied
    );
    assert_eq!(verify(&mut ch, 0x98, b"1234"), StatusWord::Success);
    assert_eq!(ch.transmit(&change).unwrap().sw(), StatusWord::Success);
    ch.reset().unwrap();
    ch.select_aid(&spec::JPKI_AID).unwrap();
    assert_eq!(
        verify(&mut ch, 0x98, b"1234"),
        StatusWord::WrongPin { remaining: 2 }
    );
    assert_eq!(verify(&mut ch, 0x98, b"4321"), StatusWord::Success);
}

#[test]
fn generic_os_status_words() {
    let mut card = SimSpec::new(SimKind::MyNumber).build().unwrap();
    let sw = |r: Vec<u8>| StatusWord::from_bytes(r[r.len() - 2], r[r.len() - 1]);
    assert_eq!(
        sw(card.process(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])),
        StatusWord::FileNotFound,
        "My Number has no FID 3F00 (docs/spec/mynumber-card.md §1: 6A82)"
    );
    assert_eq!(
        sw(card.process(&[0x00, 0xA4, 0x00, 0x00])),
        StatusWord::IncorrectP1P2,
        "SELECT MF after reset: 6A86"
    );
    assert_eq!(
        sw(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00])),
        StatusWord::CommandNotAllowed,
        "no current EF"
    );
    assert_eq!(
        sw(card.process(&[0x00, 0xFE, 0x00, 0x00])),
        StatusWord::InsNotSupported
    );
    assert_eq!(
        sw(card.process(&[0xA0, 0xB0, 0x00, 0x00])),
        StatusWord::ClaNotSupported
    );
    assert_eq!(
        sw(card.process(&[0x00, 0xA4, 0x04])),
        StatusWord::WrongLength
    );
    card.power_off();
    assert_eq!(
        sw(card.process(&[0x00, 0xA4, 0x04, 0x0C, 0x01, 0xD3])),
        StatusWord::NoPreciseDiagnosis
    );
    card.reset();
    let mut residence = SimSpec::new(SimKind::Residence).build().unwrap();
    assert_eq!(
        sw(residence.process(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])),
        StatusWord::Success
    );
    // Offset past the end of the 3-byte card-type EF.
    assert_eq!(
        sw(residence.process(&[0x00, 0xB0, 0x8A, 0x05, 0x00])),
        StatusWord::WrongP1P2
    );
}

#[test]
fn short_only_reader_refuses_extended_apdus() {
    let mut t = SimSpec::parse("mynumber,ext=off")
        .unwrap()
        .transport()
        .unwrap();
    assert!(!t.supports_extended_length());
    assert!(t
        .transmit(&[0x00, 0xB0, 0x86, 0x00, 0x00, 0x00, 0x00])
        .is_err());
    assert!(t.transmit(&[0x00, 0xB0, 0x86, 0x00, 0x00]).is_ok());
}

#[test]
fn spec_parsing() {
    let s = SimSpec::parse("residence,card-number=ab98765432cd").unwrap();
    assert_eq!(s.card_number, "AB98765432CD");
    assert_eq!(
        SimSpec::parse("residence").unwrap().card_number,
        "AB12345678CD"
    );
    assert!(matches!(
        SimSpec::parse("residence,card-number=AB1234567CD"),
        Err(SpecError::BadValue {
            key: "card-number",
            ..
        })
    ));
    assert!(matches!(
        SimSpec::parse("passport"),
        Err(SpecError::UnknownKind(_))
    ));
    assert!(matches!(
        SimSpec::parse("mynumber,card-number=AB12345678CD"),
        Err(SpecError::UnknownOption { .. })
    ));
    assert!(matches!(
        SimSpec::parse("residence,ext"),
        Err(SpecError::MissingValue(_))
    ));
    assert!(matches!(
        SimSpec::parse("mynumber,tamper=face"),
        Err(SpecError::BadValue { key: "tamper", .. })
    ));
    assert!(matches!(
        SimSpec::parse("jpki-smartphone,tamper=basic"),
        Err(SpecError::NotYetSupported { key: "tamper" })
    ));
    assert!(matches!(
        SimSpec::parse("residence,tamper=nose"),
        Err(SpecError::BadValue { key: "tamper", .. })
    ));
    assert!(SimSpec::parse("spr-gen2,tamper=face,photo=no").is_ok());
    let e = SimSpec::parse("passport").unwrap_err().to_string();
    assert!(
        e.contains("residence-gen2") && e.contains("mynumber"),
        "{e}"
    );
}

#[test]
fn removed_card_is_a_typed_error() {
    let mut t = SimSpec::new(SimKind::Residence).transport().unwrap();
    t.remove_card();
    let mut ch = Channel::new(t);
    assert!(matches!(
        detect(&mut ch),
        Err(jpid_card::CardError::Transport(
            jpid_card::TransportError::CardRemoved
        ))
    ));
}

#[test]
fn read_record_status_words() {
    let mut ch = channel("mynumber");
    assert!(ch.select_aid(&spec::COMMON_AID).unwrap().is_success());
    let rr = |p1: u8, p2: u8| Command::new(0x00, 0xB2, p1, p2).with_le(256);
    let r = ch.transmit(&rr(1, 0x0C)).unwrap();
    assert_eq!(r.sw(), StatusWord::Success);
    assert_eq!(r.data().get(..2), Some(&[0x01, 0x1C][..]));
    assert_eq!(
        ch.transmit(&rr(2, 0x0C)).unwrap().sw(),
        StatusWord::RecordNotFound
    );
    assert_eq!(
        ch.transmit(&rr(0, 0x0C)).unwrap().sw(),
        StatusWord::RecordNotFound
    );
    assert_eq!(
        ch.transmit(&rr(1, 0x04)).unwrap().sw(),
        StatusWord::Success,
        "current EF after the SFI read"
    );
    assert_eq!(
        ch.transmit(&rr(1, 0x0D)).unwrap().sw(),
        StatusWord::IncorrectP1P2
    );
    assert_eq!(
        ch.transmit(&rr(1, 0x3C)).unwrap().sw(),
        StatusWord::FileNotFound
    );
    // A transparent EF is not a record file.
    assert!(ch.select_aid(&spec::JPKI_AID).unwrap().is_success());
    assert_eq!(
        ch.transmit(&rr(1, 0x34)).unwrap().sw(),
        StatusWord::IncompatibleFileStructure
    );
}
