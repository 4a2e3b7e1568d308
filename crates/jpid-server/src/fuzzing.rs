//! The service's request-body handling, reachable without HTTP, for the fuzz targets in `fuzz/`
//! (`server_bodies`). Not part of the service's API (hidden from the docs); the service itself
//! never calls this.
//!
//! Each endpoint's handler is "authenticate, parse and verify the body, audit, answer". The
//! middle step is a plain function for every endpoint (`api::residence_check`, `text_check`,
//! `face_check`, `login_input` + `login_verdict`, `signature_check`, `age_check`, and
//! `web::ReadRequest::parse`), and the handlers call exactly those. [`request_bodies`] runs one
//! body through all of them and checks what they promise.

use jpid_verify::{CrlStore, RevocationPolicy, TrustStore, UnixTime};
use serde_json::Value;

use crate::api;
use crate::error::ApiError;
use crate::web::ReadRequest;

/// A refusal of a body must be a 400: no body may cause an internal error.
fn refusal(endpoint: &str, e: &ApiError) {
    assert!(
        e.kind == "bad_request" && e.status == axum::http::StatusCode::BAD_REQUEST,
        "{endpoint}: a body was refused with {} {:?}: {}",
        e.status,
        e.kind,
        e.message
    );
}

/// Runs `body` through the body handling of every endpoint that takes one, as if it had been
/// posted to each: `/v1/residence` (with `at=read`), `/v1/mynumber/text`, `/v1/mynumber/face`
/// (both without `show_my_number`), `/v1/jpki/login` (as the answer to a challenge whose nonce
/// is all zero), `/v1/jpki/signature`, `/v1/age` (with `now` as the server clock) and the
/// counter page's `/read`. Revocation is checked against `crls` (`Required`) when given.
///
/// # Panics
/// When a promise is broken, which is what the fuzz target looks for:
/// - a refused body gets anything but a 400;
/// - an answer calls a card genuine while listing reasons against it, or shows personal data
///   (fields, basic four, My Number, images) for a card that is not genuine;
/// - an answer shows the My Number or its image although it was not asked for;
/// - a login passes without a valid verdict, or an age is given for a dump that is not genuine;
/// - the counter page's parser quotes the PIN it was given in an error.
pub fn request_bodies(body: &[u8], trust: &TrustStore, now: UnixTime, crls: Option<&CrlStore>) {
    let policy = || match crls {
        Some(c) => RevocationPolicy::Required(c),
        None => RevocationPolicy::NotChecked,
    };

    match api::residence_check(body, Some("read"), trust) {
        Ok(checked) => {
            let v = &checked.verdict;
            let answer =
                api::residence_json(&checked.card, v, checked.at, checked.time_source, trust);
            assert_eq!(checked.time_source, "dump_read_at");
            assert_eq!(answer.get("genuine"), Some(&Value::Bool(v.genuine())));
            if v.genuine() {
                assert!(
                    v.reasons.is_empty(),
                    "genuine with reasons: {:?}",
                    v.reasons
                );
            } else {
                assert_eq!(answer.get("fields"), Some(&Value::Array(Vec::new())));
                assert_eq!(answer.get("anchor"), Some(&Value::Null));
            }
        }
        Err(e) => refusal("residence", &e),
    }

    match api::text_check(body, false, trust) {
        Ok((v, answer)) => {
            assert_eq!(v.genuine(), v.reasons.is_empty() && v.proof().is_some());
            let shown = answer.get("my_number");
            if let (Some(n), Some(Value::String(s))) = (&v.my_number, shown) {
                assert_ne!(s, n, "My Number shown without show_my_number");
            }
            if !v.genuine() {
                assert_eq!(answer.get("basic_four"), Some(&Value::Null));
                assert_eq!(shown, Some(&Value::Null));
            }
        }
        Err(e) => refusal("mynumber/text", &e),
    }

    match api::face_check(body, false, trust) {
        Ok((v, answer)) => {
            if v.genuine() {
                assert!(
                    v.reasons.is_empty(),
                    "genuine with reasons: {:?}",
                    v.reasons
                );
            } else {
                assert_eq!(answer.get("images_png_base64"), Some(&Value::Null));
                assert_eq!(answer.get("birth_date"), Some(&Value::Null));
            }
            assert_eq!(answer.get("my_number_image_png_base64"), Some(&Value::Null));
        }
        Err(e) => refusal("mynumber/face", &e),
    }

    match api::login_input(body) {
        Ok(input) => {
            let (reasons, verdict) = api::login_verdict(&[0u8; 32], &input, trust, now, policy());
            if reasons.is_empty() {
                assert!(verdict.as_ref().is_some_and(|v| v.valid()));
            }
        }
        Err(e) => refusal("jpki/login", &e),
    }

    match api::signature_check(body, trust, now, policy()) {
        Ok(v) => {
            if v.valid() {
                assert!(v.signature_ok && v.reasons.is_empty());
            }
        }
        Err(e) => refusal("jpki/signature", &e),
    }

    match api::age_check(body, trust, now) {
        Ok(a) => {
            if a.is_over.is_some() {
                assert!(a.genuine, "an age from a dump that is not genuine");
            }
            assert!(
                a.on <= now.date_at_offset(jpid_model::date::JST_OFFSET),
                "an age on a future day"
            );
        }
        Err(e) => refusal("age", &e),
    }

    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let pin = parsed
        .as_ref()
        .and_then(|v| v.get("pin"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match ReadRequest::parse(body) {
        Ok(r) => {
            assert_eq!(r.secret.as_ref().map(|s| s.as_str()), pin.as_deref());
            assert!(r.kind.len() <= 64 && r.card_number.as_ref().is_none_or(|c| c.len() <= 64));
            let _ = r.force;
        }
        Err(e) => {
            refusal("read", &e);
            // The message must not depend on the PIN: the same body with another PIN of the
            // same length class gets the same message.
            if let (Some(p), Some(Value::Object(mut m))) = (pin, parsed) {
                let other = "x".repeat(if p.len() <= 64 { 1 } else { 65 });
                m.insert("pin".into(), Value::String(other));
                let again = serde_json::to_vec(&m).unwrap_or_default();
                match ReadRequest::parse(&again) {
                    Ok(_) => panic!("the counter read's parser depends on the PIN's value"),
                    Err(e2) => assert_eq!(
                        e.message, e2.message,
                        "the counter read's error depends on the PIN"
                    ),
                }
            }
        }
    }
}
