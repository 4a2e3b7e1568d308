//! `Command::parse` on arbitrary bytes (a card, or the simulator, receiving a command APDU).
//!
//! Checks, beyond "no panic":
//! - a parsed command re-encodes, in the mode `Command::was_extended` reports, to exactly the
//!   input bytes (parse is the inverse of encode on everything it accepts);
//! - the header bytes, data field and Le are the ones in the input, Le is in 1..=65 536;
//! - a command that needs extended length came in extended form;
//! - encoding in the *other* mode either fails only because the command needs extended length,
//!   or produces bytes that parse back to the same command;
//! - the builder (`new`/`with_data`/`with_le`) makes an equal command;
//! - a rejected input gets the error that matches its length;
//! - `Display`/`Debug` never panic, and `sensitive`/`redacted` copies encode the same and
//!   never show their data.
#![no_main]

use jpid_apdu::{ApduError, Command, LengthMode, Sensitive, MAX_EXTENDED_LE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extended = Command::was_extended(data);
    let cmd = match Command::parse(data) {
        Ok(cmd) => cmd,
        Err(e) => {
            match e {
                ApduError::CommandTooShort(n) => {
                    assert_eq!(n, data.len());
                    assert!(n < 4, "CommandTooShort for a {n}-byte input");
                }
                ApduError::MalformedBody { body, .. } => {
                    assert!(data.len() >= 4);
                    assert_eq!(body, data.len() - 4);
                }
                other => panic!("Command::parse returned an encoder-side error: {other:?}"),
            }
            let _ = e.to_string();
            return;
        }
    };
    let _ = format!("{cmd} {cmd:?}");

    // Fields come from the input.
    assert!(data.len() >= 4);
    assert_eq!(
        [cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2()],
        [data[0], data[1], data[2], data[3]]
    );
    assert!(
        cmd.data().len() <= data.len() - 4,
        "data field larger than the body"
    );
    if let Some(le) = cmd.le() {
        assert!((1..=MAX_EXTENDED_LE).contains(&le), "Le {le} out of range");
    }
    assert!(!cmd.is_sensitive());
    if cmd.needs_extended() {
        assert!(
            extended,
            "a command that needs extended length parsed from a short APDU"
        );
    }

    // Exact round trip in the mode the card would answer in.
    let mode = if extended {
        LengthMode::Extended
    } else {
        LengthMode::Short
    };
    let again = match cmd.encode(mode) {
        Ok(bytes) => bytes,
        Err(e) => panic!("parsed command {cmd:?} does not re-encode in {mode:?}: {e}"),
    };
    assert_eq!(
        &again[..],
        data,
        "re-encoding in {mode:?} differs from the input"
    );

    // The other mode: either refused for a good reason, or a different encoding of the same
    // command.
    let other = if extended {
        LengthMode::Short
    } else {
        LengthMode::Extended
    };
    match cmd.encode(other) {
        Ok(bytes) => {
            // A case-1 command has no length field: both modes give the same four bytes.
            let expect_extended = other == LengthMode::Extended && bytes.len() > 4;
            assert_eq!(Command::was_extended(&bytes), expect_extended);
            match Command::parse(&bytes) {
                Ok(back) => assert_eq!(back, cmd, "{other:?} encoding does not parse back"),
                Err(e) => panic!("{other:?} encoding of {cmd:?} does not parse: {e}"),
            }
        }
        Err(ApduError::NeedsExtendedLength { .. }) => {
            assert_eq!(other, LengthMode::Short);
            assert!(cmd.needs_extended());
        }
        Err(e) => panic!("{other:?} encoding of {cmd:?} failed: {e}"),
    }

    // The builder agrees with the parser.
    let built = Command::new(cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2())
        .with_data(cmd.data().to_vec())
        .with_le(cmd.le().unwrap_or(0));
    assert_eq!(built, cmd);

    // A redacted copy is the same command, marked secret.
    let r = cmd.clone().redacted();
    assert!(r.is_sensitive());
    match r.encode(mode) {
        Ok(bytes) => assert_eq!(&bytes[..], data),
        Err(e) => panic!("redacted copy does not encode: {e}"),
    }
    if !cmd.data().is_empty() {
        assert!(format!("{r}").contains("REDACTED"));
    }

    // A sensitive copy encodes the same and never prints its data.
    if !cmd.data().is_empty() {
        let secret = Sensitive::from(cmd.data());
        let s = Command::new(cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2())
            .sensitive(&secret)
            .with_le(cmd.le().unwrap_or(0));
        assert!(s.is_sensitive());
        match s.encode(mode) {
            Ok(bytes) => assert_eq!(&bytes[..], data),
            Err(e) => panic!("sensitive copy does not encode: {e}"),
        }
        let shown = format!("{s} {s:?}");
        assert!(shown.contains("REDACTED"), "{shown}");
        let hex: String = cmd.data().iter().map(|b| format!("{b:02X}")).collect();
        // Only meaningful when the hex cannot occur by chance in the header part.
        if hex.len() >= 16 {
            assert!(!shown.contains(&hex), "sensitive data leaked: {shown}");
        }
    }
});
