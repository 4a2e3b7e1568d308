//! `Response::parse` on arbitrary bytes (what a card or a relay sends back).
//!
//! Checks, beyond "no panic":
//! - `to_bytes` gives back exactly the input; the data field is the input minus its last two
//!   bytes and the status word is those two bytes;
//! - `StatusWord::from_u16(sw.to_u16()) == sw`, and `from_bytes`, `From<u16>`, `to_bytes` agree;
//! - `is_success` is exactly `90 00`, `is_success_or_warning` exactly `90 00` and `62 82`;
//! - the numbered status words (`61xx`, `63Cx`, `6Cxx`) keep their number;
//! - inputs shorter than two bytes get `ResponseTooShort(len)`;
//! - `Display`/`Debug` never panic and `Debug` of a response never prints its data.
#![no_main]

use jpid_apdu::{ApduError, Response, StatusWord};
use libfuzzer_sys::fuzz_target;

fn check_status_word(sw: StatusWord, sw1: u8, sw2: u8) {
    let value = u16::from_be_bytes([sw1, sw2]);
    assert_eq!(
        sw.to_u16(),
        value,
        "{sw:?} does not encode back to {value:04X}"
    );
    assert_eq!(
        StatusWord::from_u16(sw.to_u16()),
        sw,
        "{sw:?} does not round-trip"
    );
    assert_eq!(StatusWord::from_bytes(sw1, sw2), sw);
    assert_eq!(StatusWord::from(value), sw);
    assert_eq!(u16::from(sw), value);
    assert_eq!(sw.to_bytes(), [sw1, sw2]);
    assert_eq!(sw.is_success(), value == 0x9000);
    // 90 00 and 62 82 (end of file before Le): data whole and usable; 62 81 is not.
    assert_eq!(
        sw.is_success_or_warning(),
        value == 0x9000 || value == 0x6282
    );
    match (sw1, sw2) {
        (0x61, n) => assert_eq!(sw, StatusWord::BytesAvailable(n)),
        (0x63, n) if n & 0xF0 == 0xC0 => {
            assert_eq!(
                sw,
                StatusWord::WrongPin {
                    remaining: n & 0x0F
                }
            )
        }
        (0x6C, n) => assert_eq!(sw, StatusWord::WrongLe { exact: n }),
        _ => {}
    }
    if let StatusWord::Other(v) = sw {
        assert_eq!(v, value);
    }
    let shown = sw.to_string();
    assert!(shown.starts_with(&format!("{value:04X}")), "{shown}");
    assert!(!sw.describe().is_empty());
}

fuzz_target!(|data: &[u8]| {
    let r = match Response::parse(data) {
        Ok(r) => r,
        Err(ApduError::ResponseTooShort(n)) => {
            assert_eq!(n, data.len());
            assert!(n < 2, "ResponseTooShort for {n} bytes");
            return;
        }
        Err(e) => panic!("Response::parse: unexpected error {e:?}"),
    };
    assert!(data.len() >= 2);
    let (body, sw_bytes) = data.split_at(data.len() - 2);
    assert_eq!(r.data(), body);
    assert_eq!(r.to_bytes(), data, "to_bytes does not round-trip");
    let sw = r.sw();
    check_status_word(sw, sw_bytes[0], sw_bytes[1]);

    // Rebuilding from the parts gives the same response.
    assert_eq!(Response::new(body.to_vec(), sw), r);
    if body.is_empty() {
        assert_eq!(Response::status(sw), r);
    }
    if sw == StatusWord::Success {
        assert_eq!(Response::ok(body.to_vec()), r);
    }

    // Debug names the length, never the bytes.
    let shown = format!("{r:?}");
    assert!(
        shown.contains(&format!("{} data bytes", body.len())),
        "{shown}"
    );

    // Also treat the first two bytes as a status word, so every u16 is reachable from short
    // inputs regardless of where the data field ends.
    let (a, b) = (data[0], data[1]);
    check_status_word(StatusWord::from_bytes(a, b), a, b);

    assert_eq!(r.clone().into_data(), body);
});
