//! `POST /v1/age/verify`: whether the holder of a text-AP or card-face dump is N or older, and
//! nothing else (docs/spec/services.md, age checks).

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeRequest {
    over: u8,
    at: Option<String>,
    text_dump: Option<Value>,
    face_dump: Option<Value>,
}

/// What `POST /v1/age` found: the question, the day, how, and the answer.
pub(crate) struct AgeAnswer {
    pub(crate) over: u8,
    pub(crate) on: CardDate,
    pub(crate) method: &'static str,
    pub(crate) genuine: bool,
    /// Whether the holder is `over` or older on `on`, only when the dump is genuine (someone
    /// not yet born on `on` is not).
    pub(crate) is_over: Option<bool>,
    /// The verdict's outcome and headline (an expired card is never plainly genuine), whether
    /// the validity is proven, and whether a chip answered ([`jpid_verify::verdict::ChipAuth::id`]).
    pub(crate) outcome: jpid_verify::verdict::Outcome,
    pub(crate) headline: &'static str,
    pub(crate) validity_proven: bool,
    pub(crate) chip: &'static str,
    pub(crate) reasons: Vec<(String, String)>,
}

/// What `POST /v1/age` does with its body, without HTTP and audit; `now` is the server clock.
pub(crate) fn age_check(
    body: &[u8],
    trust: &TrustStore,
    now: UnixTime,
) -> Result<AgeAnswer, ApiError> {
    let req: AgeRequest = typed(body)?;
    // Ages count by the date in Japan (JST), like the CLI's `jpid age`.
    let today = now.date_at_offset(jpid_model::date::JST_OFFSET);
    let on = match req.at.as_deref() {
        None => today,
        Some(t) => CardDate::parse(t)
            .filter(|d| t.len() == 10 && d.year() >= 1900)
            .ok_or_else(|| ApiError::bad("at is not a date YYYY-MM-DD that exists"))?,
    };
    // A date in the future would make anyone "over N" (and, varied, narrow down a birth date).
    if on > today {
        return Err(ApiError::bad(
            "at is in the future: an age counts on today (in Japan) or an earlier date",
        ));
    }
    // (method, genuine, birth date when genuine, the verdict's standing, reasons)
    type Standing = (
        jpid_verify::verdict::Outcome,
        &'static str,
        bool,
        &'static str,
    );
    fn standing<P>(v: &jpid_verify::verdict::Verdict<P>) -> Standing {
        (v.outcome(), v.headline(), v.validity_proven(), v.chip.id())
    }
    type Found = (
        &'static str,
        bool,
        Option<CardDate>,
        Standing,
        Vec<(String, String)>,
    );
    let (method, genuine, birth, (outcome, headline, validity_proven, chip), reasons): Found =
        match (req.text_dump, req.face_dump) {
        (Some(d), None) => {
            let dump =
                TextDump::from_value(&d).map_err(|e| ApiError::bad(format!("text_dump: {e}")))?;
            let v = verify_text(&dump.files, trust, now, None)
                .map_err(|e| ApiError::bad(format!("text_dump's card data is malformed: {e}")))?;
            let birth = v
                .basic
                .as_ref()
                .filter(|_| v.genuine())
                .and_then(|b| CardDate::parse(&b.birth_date));
            let r = v.reasons.iter().map(|r| (r.code.to_string(), r.message.clone())).collect();
            ("text", v.genuine(), birth, standing(&v.verdict), r)
        }
        (None, Some(d)) => {
            let dump =
                FaceDump::from_value(&d).map_err(|e| ApiError::bad(format!("face_dump: {e}")))?;
            if dump.files.birth.is_none() {
                return Err(ApiError::bad(
                    "face_dump has no birth record (EF 0001; `jpid mynumber birth-date --out DIR` writes one)",
                ));
            }
            // Only the birth record counts: nothing else of the card face is looked at.
            let files = jpid_verify::card_face::CardFaceFiles {
                birth: dump.files.birth,
                face: None,
                info: None,
                cvc: dump.files.cvc,
                my_number_image: None,
            };
            let v = verify_card_face(&files, trust, now, None)
                .map_err(|e| ApiError::bad(format!("face_dump's card data is malformed: {e}")))?;
            let birth = v
                .birth
                .as_ref()
                .filter(|_| v.genuine())
                .map(|b| b.birth_date);
            let r = v.reasons.iter().map(|r| (r.code.to_string(), r.message.clone())).collect();
            ("surface-dob", v.genuine(), birth, standing(&v.verdict), r)
        }
        _ => {
            return Err(ApiError::bad(
                "give exactly one of text_dump (jpid.mynumber-text-dump) or face_dump (jpid.mynumber-face-dump with the birth record)",
            ))
        }
    };
    let is_over = birth.map(|b| age_on(b, on).is_some_and(|a| a >= u32::from(req.over)));
    Ok(AgeAnswer {
        over: req.over,
        on,
        method,
        genuine,
        is_over,
        outcome,
        headline,
        validity_proven,
        chip,
        reasons,
    })
}

pub(crate) async fn age(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Age)?;
    let checked_at = server_now();
    let st = s.clone();
    let (checked, age_digest) =
        verify_sized(&body, false, move |b| age_check(b, &st.trust, checked_at)).await?;
    let AgeAnswer {
        over,
        on,
        method,
        genuine,
        is_over,
        outcome,
        headline,
        validity_proven,
        chip,
        reasons,
    } = checked?;
    let id = record_digest(
        &s,
        &who.key_id,
        age_digest,
        Outcome {
            detail: json!({
                "over": over,
                "on": on.iso(),
                "method": method,
                "checked_at": checked_at.to_rfc3339(),
                "time_source": "server_clock",
                "chip_authenticated": chip,
            }),
            method: "age",
            result: match is_over {
                Some(true) => "over",
                Some(false) => "not_over",
                None if genuine => "no_answer",
                None => "not_genuine",
            },
            reasons: reasons.iter().map(|(c, _)| c.clone()).collect(),
            cert: None,
        },
    )
    .await?;
    // Only the answer: no name, no address, no birth date, no My Number.
    Ok(Json(json!({
        "audit_id": id,
        "over": over,
        "is_over": is_over,
        "method": method,
        "genuine": genuine,
        "outcome": outcome.id(),
        "headline": headline,
        "validity_proven": validity_proven,
        "chip_authenticated": chip,
        "reasons": reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "on": on.iso(),
    }))
    .into_response())
}
