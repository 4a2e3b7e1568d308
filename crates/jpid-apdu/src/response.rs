use std::fmt;

use crate::{ApduError, StatusWord};

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    data: Vec<u8>,
    sw: StatusWord,
}

impl Response {
    /// A response with data and a status word.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// A response with only a status word.
    pub fn status(sw: StatusWord) -> Self {
        Self::new(Vec::new(), sw)
    }

    /// `data ‖ 90 00`.
    pub fn ok(data: Vec<u8>) -> Self {
        Self::new(data, StatusWord::Success)
    }

    /// Splits raw bytes from a card into data and status word.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => {
                Ok(Self::new(data.to_vec(), StatusWord::from_bytes(*sw1, *sw2)))
            }
            _ => Err(ApduError::ResponseTooShort(bytes.len())),
        }
    }

    /// Encodes as `data ‖ SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.data.len() + 2);
        v.extend_from_slice(&self.data);
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }

    /// The data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the data field.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} data bytes, {})", self.data.len(), self.sw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_status_word() {
        let r = Response::parse(&[1, 2, 0x63, 0xC2])
            .unwrap_or_else(|_| Response::status(StatusWord::Other(0)));
        assert_eq!(r.data(), &[1, 2]);
        assert_eq!(r.sw(), StatusWord::WrongPin { remaining: 2 });
        assert_eq!(
            Response::parse(&[0x90]),
            Err(ApduError::ResponseTooShort(1))
        );
    }

    proptest! {
        #[test]
        fn round_trips(bytes in prop::collection::vec(any::<u8>(), 2..300)) {
            let r = Response::parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(r.to_bytes(), bytes);
        }
    }
}
