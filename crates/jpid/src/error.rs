//! The CLI's errors: a kind (stable id and exit status), a message that names the problem, and
//! a hint that says what to do.

use jpid_card::{CardError, TransportError};

/// Stable error kinds; their ids are part of the JSON schema (docs/json.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Usage,
    PcscUnavailable,
    NoReader,
    NoCard,
    CardRemoved,
    UnsupportedCard,
    Card,
    Trust,
    WrongCardNumber,
    NotGenuine,
    GenuineExpired,
    BadDump,
    BadCrl,
    WrongPin,
    PinBlocked,
    PinLastTry,
    PinRequired,
    Io,
    Internal,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Self::Usage => "usage",
            Self::PcscUnavailable => "pcsc_unavailable",
            Self::NoReader => "no_reader",
            Self::NoCard => "no_card",
            Self::CardRemoved => "card_removed",
            Self::UnsupportedCard => "unsupported_card",
            Self::Card => "card_error",
            Self::Trust => "trust_anchor",
            Self::WrongCardNumber => "wrong_card_number",
            Self::NotGenuine => "not_genuine",
            Self::GenuineExpired => "genuine_expired",
            Self::BadDump => "bad_dump",
            Self::BadCrl => "bad_crl",
            Self::WrongPin => "wrong_pin",
            Self::PinBlocked => "pin_blocked",
            Self::PinLastTry => "pin_last_try",
            Self::PinRequired => "pin_required",
            Self::Io => "io",
            Self::Internal => "internal",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Self::Usage | Self::Trust | Self::BadDump | Self::BadCrl => 2,
            Self::WrongCardNumber => 6,
            Self::NotGenuine => 7,
            Self::GenuineExpired => 9,
            Self::WrongPin | Self::PinBlocked | Self::PinLastTry | Self::PinRequired => 8,
            Self::PcscUnavailable | Self::NoReader => 3,
            Self::NoCard | Self::CardRemoved => 4,
            Self::UnsupportedCard => 5,
            Self::Card => 6,
            Self::Io | Self::Internal => 1,
        }
    }
}

/// An error as the user sees it.
#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// The command already printed its full result (e.g. a NOT GENUINE verdict): only the exit
    /// status remains to be set.
    pub reported: bool,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
            reported: false,
        }
    }

    /// Marks the error as already shown in the command's output.
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<TransportError> for CliError {
    fn from(e: TransportError) -> Self {
        let message = e.to_string();
        match e {
            TransportError::ServiceUnavailable(_) => CliError::new(Kind::PcscUnavailable, message).hint(
                "start the PC/SC service (Debian: apt-get install pcscd; systemctl start pcscd), \
                 or try jpid with a simulated card: --reader sim:residence",
            ),
            TransportError::NoReader(_) => CliError::new(Kind::NoReader, message)
                .hint("connect a reader that supports ISO 14443 Type B (or a contact reader for the My Number card), then run `jpid readers`"),
            TransportError::NoCard(_) => CliError::new(Kind::NoCard, message)
                .hint("place the card on the reader and keep it still until jpid has finished"),
            TransportError::CardRemoved | TransportError::CardReset => CliError::new(Kind::CardRemoved, message)
                .hint("keep the card on the reader until jpid has finished, then run the command again"),
            TransportError::Unresponsive => CliError::new(Kind::NoCard, message),
            _ => CliError::new(Kind::Card, message),
        }
    }
}

impl From<CardError> for CliError {
    fn from(e: CardError) -> Self {
        match e {
            CardError::Transport(t) => t.into(),
            other => CliError::new(Kind::Card, other.to_string()),
        }
    }
}

impl From<jpid_sim::SpecError> for CliError {
    fn from(e: jpid_sim::SpecError) -> Self {
        CliError::new(Kind::Usage, format!("invalid simulated reader: {e}"))
            .hint("run `jpid sim list` to see the kinds and their options")
    }
}

impl From<jpid_verify::TrustError> for CliError {
    fn from(e: jpid_verify::TrustError) -> Self {
        CliError::new(Kind::Trust, e.to_string())
    }
}

impl From<jpid_card::residence::ResidenceError> for CliError {
    fn from(e: jpid_card::residence::ResidenceError) -> Self {
        use jpid_card::residence::ResidenceError as R;
        let message = e.to_string();
        match e {
            R::Card(c) => c.into(),
            R::WrongCardNumber => CliError::new(Kind::WrongCardNumber, message)
                .hint("type it again with --card-number; letters and digits are easy to confuse (0/O, 1/I, 8/B)"),
            R::UnsupportedCardType(_) => CliError::new(Kind::UnsupportedCard, message)
                .hint("run `jpid detect` to see what card this is"),
            R::SpecifiedCard { .. } => CliError::new(Kind::UnsupportedCard, message).hint(
                "read it as a My Number Card: `jpid mynumber check` (counter check without a \
                 PIN), `jpid jpki certs`; docs/residence.md says what is missing",
            ),
            _ => CliError::new(Kind::Card, message),
        }
    }
}

impl From<jpid_card::jpki::JpkiError> for CliError {
    fn from(e: jpid_card::jpki::JpkiError) -> Self {
        use jpid_card::jpki::JpkiError as J;
        let message = e.to_string();
        match e {
            J::Card(c) => c.into(),
            J::NoJpki => CliError::new(Kind::UnsupportedCard, message)
                .hint("run `jpid detect` to see what card this is"),
            J::Blocked(_) => CliError::new(Kind::PinBlocked, message),
            J::LastTry(_) => CliError::new(Kind::PinLastTry, message)
                .hint("make sure of the PIN first; add --force to use the last try"),
            J::WrongPin { .. } => CliError::new(Kind::WrongPin, message),
            J::PinRequired(_) => CliError::new(Kind::PinRequired, message),
            J::NoKey(_) => CliError::new(Kind::UnsupportedCard, message),
            _ => CliError::new(Kind::Card, message),
        }
    }
}

impl From<jpid_card::mynumber::KeyError> for CliError {
    /// A keyed read's failure as the CLI reports it (exit 8 for PIN problems).
    fn from(e: jpid_card::mynumber::KeyError) -> Self {
        use jpid_card::mynumber::KeyError;
        let message = e.to_string();
        match e {
            KeyError::Card(c) => c.into(),
            KeyError::NoApplication(_) => CliError::new(Kind::UnsupportedCard, message),
            KeyError::Blocked(_) => CliError::new(Kind::PinBlocked, message),
            KeyError::LastTry(_) => CliError::new(Kind::PinLastTry, message)
                .hint("make sure of it first; add --force to use the last try"),
            KeyError::Wrong { .. } => CliError::new(Kind::WrongPin, message),
            _ => CliError::new(Kind::Card, message),
        }
    }
}
