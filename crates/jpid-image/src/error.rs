//! The one error type of this crate.

use crate::Format;

/// Why an image from a card (or a network) was refused.
///
/// Every variant names the container format and what was wrong, so that a message such as
/// "TIFF: truncated: strip 0 needs bytes 8..9000 but the input has 7000" can be shown as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The input is empty, or nothing but zero padding.
    #[error("{format}: the input is empty (or only zero padding)")]
    Empty {
        /// The format that was expected.
        format: Format,
    },
    /// The input does not start with the signature of the format that was asked for.
    #[error("not {expected}: the input starts with {found}")]
    WrongMagic {
        /// The format that was asked for.
        expected: Format,
        /// The first bytes of the input, in hex (at most 8).
        found: String,
    },
    /// [`to_png`](crate::to_png) recognised none of the formats.
    #[error("not an image format jpid knows (TIFF, JP2, JPEG 2000 codestream, PNG): the input starts with {found}")]
    UnknownFormat {
        /// The first bytes of the input, in hex (at most 8).
        found: String,
    },
    /// A structure points past the end of the input.
    #[error("{format}: truncated: {what} needs bytes {start}..{end} but the input has {len}")]
    Truncated {
        /// The container format.
        format: Format,
        /// The structure that was being read.
        what: &'static str,
        /// First byte needed.
        start: u64,
        /// One past the last byte needed.
        end: u64,
        /// Length of the input.
        len: usize,
    },
    /// A field has a value the format does not allow.
    #[error("{format}: malformed {what}: {detail}")]
    Malformed {
        /// The container format.
        format: Format,
        /// The field or structure.
        what: &'static str,
        /// What was found.
        detail: String,
    },
    /// A valid feature of the format that card images never use and this crate does not decode.
    #[error("{format}: unsupported {what}: {detail}")]
    Unsupported {
        /// The container format.
        format: Format,
        /// The feature.
        what: &'static str,
        /// What was found.
        detail: String,
    },
    /// The declared dimensions exceed the [`Limits`](crate::Limits); nothing was allocated.
    #[error("{format}: {width}×{height} exceeds the limit of {limit}")]
    TooLarge {
        /// The container format.
        format: Format,
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The limit that was exceeded, e.g. "4096 pixels wide".
        limit: String,
    },
    /// The compressed data could not be decoded.
    #[error("{format}: corrupt image data: {detail}")]
    Corrupt {
        /// The container format.
        format: Format,
        /// The decoder's message.
        detail: String,
    },
    /// Bytes after the end of the image are neither absent nor zero padding.
    #[error("{format}: {count} bytes after the end of the image at offset {offset} are not zero padding")]
    TrailingData {
        /// The container format.
        format: Format,
        /// Where the image ended.
        offset: usize,
        /// How many bytes follow it.
        count: usize,
    },
    /// A third-party decoder panicked on this input. The panic was contained and the input
    /// refused; this is a bug in that decoder and should be reported with the input.
    #[error("{format}: the {decoder} decoder failed internally on this input (input refused)")]
    DecoderPanicked {
        /// The container format.
        format: Format,
        /// The crate that panicked.
        decoder: &'static str,
    },
    /// Writing the PNG failed (should not happen for images within the limits).
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

impl ImageError {
    pub(crate) fn truncated(
        format: Format,
        what: &'static str,
        start: u64,
        end: u64,
        len: usize,
    ) -> Self {
        Self::Truncated {
            format,
            what,
            start,
            end,
            len,
        }
    }

    pub(crate) fn malformed(format: Format, what: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            what,
            detail: detail.into(),
        }
    }

    pub(crate) fn unsupported(
        format: Format,
        what: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::Unsupported {
            format,
            what,
            detail: detail.into(),
        }
    }
}
