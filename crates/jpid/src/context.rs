//! What every command body gets: output mode, the reader, the trust store.

use jpid_verify::TrustStore;

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
        let mut store = TrustStore::production();
        for path in &self.global.trust_anchors {
            store.add_file(path)?;
        }
        if for_sim || self.global.trust == Some(TrustChoice::Test) {
            store = jpid_sim::trust::test_store(store);
        }
        Ok(store)
    }
}
