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
    /// Whole years on `on`, only when the dump is genuine.
    pub(crate) years: Option<u32>,
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
    // (method, genuine, birth date when genuine, reasons)
    type Found = (&'static str, bool, Option<CardDate>, Vec<(String, String)>);
    let (method, genuine, birth, reasons): Found = match (req.text_dump, req.face_dump) {
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
            ("text", v.genuine(), birth, r)
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
            ("surface-dob", v.genuine(), birth, r)
        }
        _ => {
            return Err(ApiError::bad(
                "give exactly one of text_dump (jpid.mynumber-text-dump) or face_dump (jpid.mynumber-face-dump with the birth record)",
            ))
        }
    };
    let years = birth.and_then(|b| age_on(b, on));
    Ok(AgeAnswer {
        over: req.over,
        on,
        method,
        genuine,
        years,
        reasons,
    })
}

pub(crate) async fn age(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Age)?;
    let st = s.clone();
    let (checked, age_digest) =
        verify_sized(&body, false, move |b| age_check(b, &st.trust, server_now())).await?;
    let AgeAnswer {
        over,
        on,
        method,
        genuine,
        years,
        reasons,
    } = checked?;
    let is_over = years.map(|a| a >= u32::from(over));
    let id = record_digest(
        &s,
        &who.key_id,
        age_digest,
        Outcome {
            detail: json!({"over": over, "on": on.iso(), "method": method}),
            method: "age",
            result: match is_over {
                Some(true) => "over",
                Some(false) => "not_over",
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
        "reasons": reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "on": on.iso(),
    }))
    .into_response())
}
