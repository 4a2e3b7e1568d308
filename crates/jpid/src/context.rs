//! What every command body gets: output mode, the reader, the trust store.

use jpid_verify::TrustStore;
use sha2::Digest;

use crate::cli::{Global, TrustChoice};
use crate::error::CliError;
use crate::output::Output;
use crate::reader::ReaderSpec;

pub struct Ctx<'a> {
    pub global: &'a Global,
    pub out: Output,
}

impl<'a> Ctx<'a> {
    pub fn new(global: &'a Global) -> Self {
        Self {
            global,
            out: Output { json: global.json },
        }
    }

    /// The reader named by --reader (parsed only by commands that use one).
    pub fn reader(&self) -> Result<ReaderSpec, CliError> {
        ReaderSpec::parse(&self.global.reader)
    }

    /// Production roots, the --trust-anchor files, and the simulator's test roots when asked for
    /// with --trust test or when the card is simulated (`for_sim`).
    pub fn trust(&self, for_sim: bool) -> Result<TrustStore, CliError> {
        // The simulator's TEST roots (private keys in this repository) are never anchors from a
        // file: they verify only under test trust, asked for by name.
        let test = for_sim || self.global.trust == Some(TrustChoice::Test);
        let mut store = TrustStore::production();
        if !test {
            store = store.refusing(
                jpid_sim::trust::roots()
                    .into_iter()
                    .map(|(_, _, der)| <[u8; 32]>::from(sha2::Sha256::digest(der))),
            );
        }
        for path in &self.global.trust_anchors {
            store.add_file(path)?;
        }
        if test {
            store = jpid_sim::trust::test_store(store);
        }
        Ok(store)
    }
}
