//! The simulated residence cards read the way third-party readers read real ones: short APDUs
//! only, READ BINARY in 256-byte chunks, and each file at the fixed size the spec gives it
//! (docs/spec/residence-card.md §3), taking every answer as the card's word (issue 14). A card
//! whose files were shorter than their spec size answered `6B 00` at offset 256 here.
//!
//! Only the access protocol (GET CHALLENGE, MUTUAL AUTHENTICATE, VERIFY) is jpid's own code:
//! it is the same bytes for every reader. Everything read after it is this file's.

use jpid_apdu::{Command, StatusWord};
use jpid_card::residence::crypto::Suite;
use jpid_card::residence::session::open;
use jpid_card::residence::CardNumber;
use jpid_card::{spec, Channel};
use jpid_sim::{SimSpec, SimTransport};

/// One READ BINARY of `le` bytes at `offset` of the current EF, or of the EF `sfi` at offset 0.
fn read_binary(
    ch: &mut Channel<SimTransport>,
    sfi: Option<u8>,
    offset: usize,
    le: usize,
) -> (Vec<u8>, StatusWord) {
    let (p1, p2) = match sfi {
        Some(s) => (0x80 | s, 0),
        None => (u8::try_from(offset >> 8).unwrap(), (offset & 0xFF) as u8),
    };
    let cmd = Command::new(0x00, 0xB0, p1, p2).with_le(u32::try_from(le).unwrap());
    let r = ch.transmit(&cmd).unwrap();
    (r.data().to_vec(), r.sw())
}

/// The whole EF `sfi` of `size` bytes, in 256-byte chunks, each answered in full with 90 00.
fn read_fixed(ch: &mut Channel<SimTransport>, what: &str, sfi: u8, size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < size {
        let le = (size - out.len()).min(256);
        let first = out.is_empty().then_some(sfi);
        let (data, sw) = read_binary(ch, first, out.len(), le);
        assert_eq!(
            sw,
            StatusWord::Success,
            "{what}: READ BINARY at {} answered {sw}",
            out.len()
        );
        assert_eq!(data.len(), le, "{what}: asked {le} bytes at {}", out.len());
        out.extend(data);
    }
    out
}

/// The whole EF `sfi` in 256-byte chunks until the card answers 6B00 or 6282 (for the files
/// whose size no source gives).
fn read_to_end(ch: &mut Channel<SimTransport>, what: &str, sfi: u8) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let first = out.is_empty().then_some(sfi);
        let (data, sw) = read_binary(ch, first, out.len(), 256);
        match sw {
            StatusWord::Success if !data.is_empty() => out.extend(data),
            StatusWord::WarningEndOfFile => {
                out.extend(data);
                return out;
            }
            StatusWord::WrongP1P2 if !out.is_empty() => return out,
            sw => panic!("{what}: READ BINARY at {} answered {sw}", out.len()),
        }
        assert!(out.len() < 0x8000, "{what}: no end");
    }
}

fn select(ch: &mut Channel<SimTransport>, aid: &[u8]) {
    assert_eq!(ch.select_aid(aid).unwrap(), StatusWord::Success);
}

#[test]
fn a_spec_reader_reads_every_residence_kind_at_the_spec_sizes_with_short_apdus() {
    for (kind, generation, residence) in [
        ("residence", 1, true),
        ("spr", 1, false),
        ("residence-gen2", 2, true),
        ("spr-gen2", 2, false),
    ] {
        let sim = SimSpec::parse(&format!("{kind},ext=off")).unwrap();
        let mut ch = Channel::new(sim.transport().unwrap());
        // MF/EF02 card type, before any authentication: `C1 01 31` / `C1 01 32` on generation
        // 1, `C1 02 30 35`.. on generation 2.
        let card_type = read_fixed(
            &mut ch,
            "MF/EF02",
            0x0A,
            if generation == 1 { 3 } else { 4 },
        );
        assert_eq!(card_type.first(), Some(&0xC1), "{kind}");
        // MF/EF01 common data `C0 04 ...`: 6 bytes.
        let common = read_fixed(&mut ch, "MF/EF01", 0x0B, 6);
        assert_eq!(common.first(), Some(&0xC0), "{kind}");
        let suite = if generation == 1 {
            Suite::Tdes
        } else {
            Suite::Aes
        };
        let number = CardNumber::try_from("AB12345678CD").unwrap();
        let mut n = 0u8;
        let mut rng = |buf: &mut [u8]| {
            for b in buf {
                n = n.wrapping_mul(29).wrapping_add(11);
                *b = n;
            }
            Ok(())
        };
        open(&mut ch, suite, &number, &mut rng).unwrap_or_else(|e| panic!("{kind}: {e}"));
        select(&mut ch, &spec::RESIDENCE_DF2);
        if generation == 1 {
            // DF2 at the fixed sizes: address 342, the two permission files 122 each, the
            // renewal file 3 (residence card only; an SPR certificate has the address only).
            let address = read_fixed(&mut ch, "DF2/EF01", 0x01, 342);
            assert_eq!(address.first(), Some(&0xD2), "{kind}");
            if residence {
                assert_eq!(
                    read_fixed(&mut ch, "DF2/EF02", 0x02, 122).first(),
                    Some(&0xD5)
                );
                assert_eq!(
                    read_fixed(&mut ch, "DF2/EF03", 0x03, 122).first(),
                    Some(&0xD6)
                );
                assert_eq!(read_fixed(&mut ch, "DF2/EF04", 0x04, 3), b"\xD7\x01\x30");
            }
            // DF3/EF01: DA (256) and DB (1 200, zero-padded): 1 464 bytes.
            select(&mut ch, &spec::RESIDENCE_DF3);
            let sig = read_fixed(&mut ch, "DF3/EF01", 0x02, 1464);
            assert_eq!(sig.get(..4), Some(&[0xDA, 0x82, 0x01, 0x00][..]), "{kind}");
        } else {
            // No source gives the generation-2 DF2 sizes: read to the end in 256-byte chunks.
            if residence {
                let perm = read_to_end(&mut ch, "DF2/EF01", 0x01);
                assert_eq!(perm.first(), Some(&0xD5), "{kind}");
                let update = read_to_end(&mut ch, "DF2/EF02", 0x02);
                assert_eq!(update.first(), Some(&0xD8), "{kind}");
            }
            let other = read_to_end(&mut ch, "DF2/EF03", 0x03);
            assert_eq!(other.first(), Some(&0xD9), "{kind}");
            // DF3/EF01: DC (96) and DD (602, zero-padded): 98 + 606 = 704 bytes.
            select(&mut ch, &spec::RESIDENCE_DF3);
            let sig = read_fixed(&mut ch, "DF3/EF01", 0x02, 704);
            assert_eq!(sig.get(..2), Some(&[0xDC, 0x60][..]), "{kind}");
        }
    }
}
