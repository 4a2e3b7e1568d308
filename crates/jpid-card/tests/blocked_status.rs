//! A key that answers VERIFY with 69 83 ("authentication method blocked") is blocked, like
//! 63 C0 and 69 84: one public source reports real cards answering it
//! (docs/spec/mynumber-card.md §7, status words). Tested against a card that answers only that.

use jpid_card::jpki::{self, JpkiError, KeyKind, Pin, PinState};
use jpid_card::{CardTransport, Channel, TransportError};

/// A card whose every VERIFY answers `sw`, and every other command 90 00.
struct Blocked {
    sw: [u8; 2],
    verifies: usize,
}

impl CardTransport for Blocked {
    fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, TransportError> {
        if c.get(1) == Some(&0x20) {
            self.verifies += 1;
            return Ok(self.sw.to_vec());
        }
        Ok(vec![0x90, 0x00])
    }
    fn supports_extended_length(&self) -> bool {
        true
    }
    fn atr(&self) -> &[u8] {
        &[0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
    }
    fn reader_name(&self) -> &str {
        "blocked-status card"
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

#[test]
fn verify_answering_6983_means_blocked_and_no_try_is_spent() {
    for sw in [[0x69, 0x83], [0x69, 0x84], [0x63, 0xC0]] {
        let mut ch = Channel::new(Blocked { sw, verifies: 0 });
        assert_eq!(
            jpki::pin_state(&mut ch, KeyKind::Auth).unwrap(),
            PinState::Blocked,
            "{sw:02X?}"
        );
        // The PIN itself is never sent to a blocked key: only the empty VERIFY went out.
        let pin = Pin::new(KeyKind::Auth, "1234").unwrap();
        let r = jpki::verify_pin(&mut ch, &pin, true);
        assert!(
            matches!(r, Err(JpkiError::Blocked(KeyKind::Auth))),
            "{sw:02X?}: {r:?}"
        );
    }
}
