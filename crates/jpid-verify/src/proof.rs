//! Proof types: values that only this crate's verifiers can construct.

/// Evidence that `T` was verified. Its constructor is private to jpid-verify, so any code that
/// holds a `Verified<T>` knows a verifier built it; output that says "genuine" requires one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T> {
    inner: T,
}

impl<T> Verified<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner }
    }

    /// What was verified.
    pub fn get(&self) -> &T {
        &self.inner
    }
}
