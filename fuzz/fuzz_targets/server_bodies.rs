//! The verification service's request bodies, without HTTP: `jpid_server::fuzzing::
//! request_bodies` runs one body through the body handling of every endpoint that takes one
//! (`/v1/residence`, `/v1/mynumber/text`, `/v1/mynumber/face`, `/v1/jpki/login`,
//! `/v1/jpki/signature`, `/v1/age` and the counter page's `/read`), the same functions the
//! handlers call, under the TEST trust store at a fixed time.
//!
//! Input: a mode byte (bit 0 set: revocation required against the TEST CRLs), then the body.
//!
//! The checks are `request_bodies`'s own (see its documentation): every refusal is a 400, no
//! answer shows personal data for a card that is not genuine or the My Number unasked, no
//! login or age passes without a genuine verdict, and the counter read's errors never depend on
//! the PIN.
#![no_main]

use jpid_apdu_fuzz::support::{crls, trust, AT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let crls = (mode & 1 == 1).then(crls);
    jpid_server::fuzzing::request_bodies(body, trust(), AT, crls);
});
