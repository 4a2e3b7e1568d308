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

    /// Production roots, the roots kept by `jpid trust add`, the files `JPID_TRUST_ANCHORS`
    /// names, the --trust-anchor files, and the simulator's test roots when asked for with
    /// --trust test, a TEST root kept with `jpid trust add --test`, or a simulated card
    /// (`for_sim`).
    pub fn trust(&self, for_sim: bool) -> Result<TrustStore, CliError> {
        let kept = crate::cmd::trust::stored()?;
        // The simulator's TEST roots (private keys in this repository) are never anchors from a
        // file: they verify only under test trust, asked for by name (--trust test, a simulated
        // card), or kept by name (`jpid trust add --test`, which adds just those roots).
        let test = for_sim || self.global.trust == Some(TrustChoice::Test);
        let mut store = TrustStore::production();
        if !test {
            store = store.refusing(
                jpid_sim::trust::roots()
                    .into_iter()
                    .map(|(_, _, der)| <[u8; 32]>::from(sha2::Sha256::digest(der))),
            );
        }
        let files = kept
            .iter()
            .filter(|k| !k.test)
            .map(|k| k.path.clone())
            .chain(crate::cmd::trust::env_files())
            .chain(self.global.trust_anchors.iter().cloned());
        for path in files {
            store.add_file(&path)?;
        }
        if test {
            store = jpid_sim::trust::test_store(store);
        } else if kept.iter().any(|k| k.test) {
            let roots = jpid_sim::trust::roots();
            let mut chosen = Vec::new();
            for k in kept.iter().filter(|k| k.test) {
                // Bounded like every anchor file (1 MiB).
                let der = jpid_verify::trust::read_anchor_file(&k.path).map_err(|e| {
                    CliError::new(
                        crate::error::Kind::Io,
                        format!("cannot read {}: {e}", k.path.display()),
                    )
                })?;
                let digest = sha2::Sha256::digest(&der);
                // Only what is still one of the simulator's TEST roots; anything else in a
                // `.test.der` file is ignored rather than trusted.
                chosen.extend(
                    roots
                        .iter()
                        .filter(|(_, _, r)| sha2::Sha256::digest(r) == digest)
                        .copied(),
                );
            }
            store = store.with_test_anchors(chosen);
        }
        Ok(store)
    }
}
