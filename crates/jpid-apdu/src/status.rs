use std::fmt;

/// An ISO/IEC 7816-4 status word (SW1 SW2).
///
/// Every `u16` maps to exactly one variant and back: [`StatusWord::from_u16`] never yields
/// [`StatusWord::Other`] for a value that has a named variant, so `from_u16(sw.to_u16()) == sw`
/// for every value it returns. Status words whose low bits carry a number (`61xx`, `63Cx`,
/// `6Cxx`) keep that number in the variant.
///
/// Meanings follow ISO/IEC 7816-4 §5.1.3 and the card fact sheets
/// (`docs/spec/mynumber-card.md` §6, `docs/spec/residence-card.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusWord {
    /// `90 00`: normal processing.
    Success,
    /// `61 xx`: `xx` more response bytes are available with GET RESPONSE (`00` means 256 or more).
    BytesAvailable(u8),
    /// `62 81`: part of the returned data may be corrupted.
    WarningDataCorrupted,
    /// `62 82`: end of file reached before Le bytes were read.
    WarningEndOfFile,
    /// `62 83`: selected file deactivated.
    WarningFileDeactivated,
    /// `63 00`: verification or authentication failed, no counter given (residence card
    /// MUTUAL AUTHENTICATE and VERIFY mismatch).
    VerificationFailed,
    /// `63 Cx`: wrong PIN or counter query; `remaining` tries are left (0–15).
    WrongPin {
        /// Tries left, 0–15.
        remaining: u8,
    },
    /// `64 00`: execution error, state of non-volatile memory unchanged.
    ExecutionError,
    /// `65 81`: memory failure.
    MemoryFailure,
    /// `67 00`: wrong length (Lc or Le).
    WrongLength,
    /// `68 81`: logical channel not supported.
    LogicalChannelNotSupported,
    /// `68 82`: secure messaging not supported.
    SecureMessagingNotSupported,
    /// `69 81`: command incompatible with file structure.
    IncompatibleFileStructure,
    /// `69 82`: security status not satisfied (PIN or authentication missing).
    SecurityStatusNotSatisfied,
    /// `69 83`: authentication method blocked.
    AuthenticationMethodBlocked,
    /// `69 84`: reference data not usable (a blocked PIN on the My Number card).
    ReferenceDataBlocked,
    /// `69 85`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `69 86`: command not allowed (no current EF).
    CommandNotAllowed,
    /// `69 87`: expected secure-messaging data objects missing.
    SmDataObjectsMissing,
    /// `69 88`: secure-messaging data objects incorrect.
    SmDataObjectsIncorrect,
    /// `6A 80`: incorrect parameters in the data field.
    IncorrectData,
    /// `6A 81`: function not supported.
    FunctionNotSupported,
    /// `6A 82`: file or application not found.
    FileNotFound,
    /// `6A 83`: record not found.
    RecordNotFound,
    /// `6A 84`: not enough memory space in the file.
    NotEnoughMemory,
    /// `6A 86`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A 88`: referenced data or reference data not found.
    ReferencedDataNotFound,
    /// `6B 00`: wrong parameters P1-P2 (offset outside the EF).
    WrongP1P2,
    /// `6C xx`: wrong Le; `exact` is the length the card wants (`00` means 256).
    WrongLe {
        /// The exact Le the card asks for.
        exact: u8,
    },
    /// `6D 00`: instruction code not supported.
    InsNotSupported,
    /// `6E 00`: class not supported.
    ClaNotSupported,
    /// `6F 00`: no precise diagnosis.
    NoPreciseDiagnosis,
    /// Any other value, kept as it came.
    Other(u16),
}

impl StatusWord {
    /// Decodes SW1 SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self::from_u16(u16::from_be_bytes([sw1, sw2]))
    }

    /// Decodes a status word given as one big-endian number.
    pub fn from_u16(sw: u16) -> Self {
        let [sw1, sw2] = sw.to_be_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => Self::Success,
            (0x61, n) => Self::BytesAvailable(n),
            (0x62, 0x81) => Self::WarningDataCorrupted,
            (0x62, 0x82) => Self::WarningEndOfFile,
            (0x62, 0x83) => Self::WarningFileDeactivated,
            (0x63, 0x00) => Self::VerificationFailed,
            (0x63, n) if n & 0xF0 == 0xC0 => Self::WrongPin {
                remaining: n & 0x0F,
            },
            (0x64, 0x00) => Self::ExecutionError,
            (0x65, 0x81) => Self::MemoryFailure,
            (0x67, 0x00) => Self::WrongLength,
            (0x68, 0x81) => Self::LogicalChannelNotSupported,
            (0x68, 0x82) => Self::SecureMessagingNotSupported,
            (0x69, 0x81) => Self::IncompatibleFileStructure,
            (0x69, 0x82) => Self::SecurityStatusNotSatisfied,
            (0x69, 0x83) => Self::AuthenticationMethodBlocked,
            (0x69, 0x84) => Self::ReferenceDataBlocked,
            (0x69, 0x85) => Self::ConditionsNotSatisfied,
            (0x69, 0x86) => Self::CommandNotAllowed,
            (0x69, 0x87) => Self::SmDataObjectsMissing,
            (0x69, 0x88) => Self::SmDataObjectsIncorrect,
            (0x6A, 0x80) => Self::IncorrectData,
            (0x6A, 0x81) => Self::FunctionNotSupported,
            (0x6A, 0x82) => Self::FileNotFound,
            (0x6A, 0x83) => Self::RecordNotFound,
            (0x6A, 0x84) => Self::NotEnoughMemory,
            (0x6A, 0x86) => Self::IncorrectP1P2,
            (0x6A, 0x88) => Self::ReferencedDataNotFound,
            (0x6B, 0x00) => Self::WrongP1P2,
            (0x6C, n) => Self::WrongLe { exact: n },
            (0x6D, 0x00) => Self::InsNotSupported,
            (0x6E, 0x00) => Self::ClaNotSupported,
            (0x6F, 0x00) => Self::NoPreciseDiagnosis,
            _ => Self::Other(sw),
        }
    }

    /// Encodes back to SW1 SW2 as one big-endian number.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::Success => 0x9000,
            Self::BytesAvailable(n) => 0x6100 | u16::from(n),
            Self::WarningDataCorrupted => 0x6281,
            Self::WarningEndOfFile => 0x6282,
            Self::WarningFileDeactivated => 0x6283,
            Self::VerificationFailed => 0x6300,
            Self::WrongPin { remaining } => 0x63C0 | u16::from(remaining & 0x0F),
            Self::ExecutionError => 0x6400,
            Self::MemoryFailure => 0x6581,
            Self::WrongLength => 0x6700,
            Self::LogicalChannelNotSupported => 0x6881,
            Self::SecureMessagingNotSupported => 0x6882,
            Self::IncompatibleFileStructure => 0x6981,
            Self::SecurityStatusNotSatisfied => 0x6982,
            Self::AuthenticationMethodBlocked => 0x6983,
            Self::ReferenceDataBlocked => 0x6984,
            Self::ConditionsNotSatisfied => 0x6985,
            Self::CommandNotAllowed => 0x6986,
            Self::SmDataObjectsMissing => 0x6987,
            Self::SmDataObjectsIncorrect => 0x6988,
            Self::IncorrectData => 0x6A80,
            Self::FunctionNotSupported => 0x6A81,
            Self::FileNotFound => 0x6A82,
            Self::RecordNotFound => 0x6A83,
            Self::NotEnoughMemory => 0x6A84,
            Self::IncorrectP1P2 => 0x6A86,
            Self::ReferencedDataNotFound => 0x6A88,
            Self::WrongP1P2 => 0x6B00,
            Self::WrongLe { exact } => 0x6C00 | u16::from(exact),
            Self::InsNotSupported => 0x6D00,
            Self::ClaNotSupported => 0x6E00,
            Self::NoPreciseDiagnosis => 0x6F00,
            Self::Other(sw) => sw,
        }
    }

    /// SW1 and SW2 as bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.to_u16().to_be_bytes()
    }

    /// True for `90 00`.
    pub fn is_success(self) -> bool {
        self == Self::Success
    }

    /// Whether a VERIFY answer says the key is blocked: `63 C0` (no try left), `69 84`
    /// (referenced data blocked) and `69 83` (authentication method blocked). `69 83` has one
    /// public source (docs/spec/next-wave.md §7, UNCONFIRMED); it is mapped too, because taking a
    /// blocked key for one with tries left could only spend more tries.
    pub fn is_key_blocked(self) -> bool {
        matches!(
            self,
            Self::WrongPin { remaining: 0 }
                | Self::ReferenceDataBlocked
                | Self::AuthenticationMethodBlocked
        )
    }

    /// True for `90 00` and `62 82` (end of file reached before Le bytes): the answers whose data
    /// is whole and usable. `62 81` (data may be corrupted) is not.
    pub fn is_success_or_warning(self) -> bool {
        matches!(self, Self::Success | Self::WarningEndOfFile)
    }

    /// A short English description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::BytesAvailable(_) => "more response bytes available",
            Self::WarningDataCorrupted => "returned data may be corrupted",
            Self::WarningEndOfFile => "end of file reached",
            Self::WarningFileDeactivated => "file deactivated",
            Self::VerificationFailed => "verification failed",
            Self::WrongPin { .. } => "wrong PIN",
            Self::ExecutionError => "execution error",
            Self::MemoryFailure => "memory failure",
            Self::WrongLength => "wrong length",
            Self::LogicalChannelNotSupported => "logical channel not supported",
            Self::SecureMessagingNotSupported => "secure messaging not supported",
            Self::IncompatibleFileStructure => "command incompatible with file structure",
            Self::SecurityStatusNotSatisfied => "security status not satisfied",
            Self::AuthenticationMethodBlocked => "authentication method blocked",
            Self::ReferenceDataBlocked => "reference data blocked",
            Self::ConditionsNotSatisfied => "conditions of use not satisfied",
            Self::CommandNotAllowed => "command not allowed",
            Self::SmDataObjectsMissing => "secure-messaging data objects missing",
            Self::SmDataObjectsIncorrect => "secure-messaging data objects incorrect",
            Self::IncorrectData => "incorrect data",
            Self::FunctionNotSupported => "function not supported",
            Self::FileNotFound => "file or application not found",
            Self::RecordNotFound => "record not found",
            Self::NotEnoughMemory => "not enough memory",
            Self::IncorrectP1P2 => "incorrect P1-P2",
            Self::ReferencedDataNotFound => "referenced data not found",
            Self::WrongP1P2 => "wrong P1-P2 (offset outside the file)",
            Self::WrongLe { .. } => "wrong Le",
            Self::InsNotSupported => "instruction not supported",
            Self::ClaNotSupported => "class not supported",
            Self::NoPreciseDiagnosis => "no precise diagnosis",
            Self::Other(_) => "unrecognised status word",
        }
    }
}

impl From<u16> for StatusWord {
    fn from(sw: u16) -> Self {
        Self::from_u16(sw)
    }
}

impl From<StatusWord> for u16 {
    fn from(sw: StatusWord) -> Self {
        sw.to_u16()
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.to_bytes();
        write!(f, "{a:02X}{b:02X} ({})", self.describe())?;
        match *self {
            Self::WrongPin { remaining } => write!(f, ", {remaining} tries left"),
            Self::BytesAvailable(n) => write!(f, ", {n} bytes"),
            Self::WrongLe { exact } => write!(f, ", card wants Le={exact}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_u16_round_trips() {
        for sw in 0..=u16::MAX {
            let decoded = StatusWord::from_u16(sw);
            assert_eq!(decoded.to_u16(), sw, "{sw:04X}");
            assert_eq!(StatusWord::from_u16(decoded.to_u16()), decoded);
        }
    }

    #[test]
    fn numbered_words_keep_their_numbers() {
        assert_eq!(
            StatusWord::from_u16(0x63C2),
            StatusWord::WrongPin { remaining: 2 }
        );
        assert_eq!(
            StatusWord::from_u16(0x63C0),
            StatusWord::WrongPin { remaining: 0 }
        );
        assert_eq!(StatusWord::from_u16(0x6300), StatusWord::VerificationFailed);
        assert_eq!(
            StatusWord::from_u16(0x6110),
            StatusWord::BytesAvailable(0x10)
        );
        assert_eq!(
            StatusWord::from_u16(0x6C05),
            StatusWord::WrongLe { exact: 5 }
        );
        assert_eq!(
            StatusWord::from_u16(0x6984),
            StatusWord::ReferenceDataBlocked
        );
        assert_eq!(StatusWord::from_u16(0x63D1), StatusWord::Other(0x63D1));
    }

    #[test]
    fn warnings_count_as_data_bearing() {
        assert!(StatusWord::WarningEndOfFile.is_success_or_warning());
        assert!(!StatusWord::WarningDataCorrupted.is_success_or_warning());
        assert!(!StatusWord::Other(0x9001).is_success_or_warning());
        assert!(!StatusWord::FileNotFound.is_success_or_warning());
        assert!(StatusWord::Success.is_success());
    }

    #[test]
    fn display_names_the_number() {
        let s = StatusWord::WrongPin { remaining: 1 }.to_string();
        assert!(s.starts_with("63C1"), "{s}");
        assert!(s.contains("1 tries left"), "{s}");
    }

    proptest! {
        #[test]
        fn from_bytes_agrees_with_from_u16(a in any::<u8>(), b in any::<u8>()) {
            prop_assert_eq!(StatusWord::from_bytes(a, b), StatusWord::from_u16(u16::from_be_bytes([a, b])));
            prop_assert_eq!(StatusWord::from_bytes(a, b).to_bytes(), [a, b]);
        }
    }
}
