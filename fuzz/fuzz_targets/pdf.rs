//! PDFs as a relying party receives them: the bytes go to `jpid_verify::pdf::verify_pdf` under
//! the TEST trust store, revocation not checked, at the fixed time of `support::AT`.
//!
//! Seeds (`seeds/pdf/`): a one-page document signed by the simulated card (`jpid pdf sign`), the
//! same co-signed by pyHanko with the TEST holder's key, and one with an unsigned revision after
//! the signature (`scripts/pdf_check.py change-page`): the fuzzer starts where signatures are
//! believed and where later revisions are compared.
//!
//! lopdf, the parser under the verifier, may panic on hostile input; `verify_pdf` catches that
//! and reports a malformed file. libFuzzer's panic hook would abort on the caught panic, so the
//! hook is replaced by a silent one: a panic that escapes `verify_pdf` still fails the run
//! (libfuzzer-sys aborts on it).
//!
//! Checks, beyond "no panic" and bounded allocation: a file found valid has at least one
//! signature, every signature valid with a certificate check, and its last signature covering
//! the whole file with nothing changed after it.
#![no_main]

use jpid_apdu_fuzz::support::{trust, AT};
use jpid_verify::pdf::verify_pdf;
use jpid_verify::RevocationPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let Ok(v) = verify_pdf(data, trust(), AT, RevocationPolicy::NotChecked) else {
            return;
        };
        if v.valid() {
            assert!(!v.signatures.is_empty(), "valid without a signature");
            assert!(!v.modified_after_signing);
            for s in &v.signatures {
                assert!(s.valid() && s.check.as_ref().is_some_and(|c| c.valid()), "valid with an invalid signature: {s:?}");
            }
            let last = v.signatures.last().expect("a signature");
            assert!(last.covers_whole_file && last.later_changes.is_empty(), "valid but the last signature does not cover the file");
        }
    }
);
