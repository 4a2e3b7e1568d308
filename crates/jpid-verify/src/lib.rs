//! jpid-verify
