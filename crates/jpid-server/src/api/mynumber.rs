//! `POST /v1/mynumber/text/verify` and `/v1/mynumber/face/verify`: the My Number card's text
//! AP and card-face AP dumps (docs/spec/mynumber-card.md §3, §4).

#[allow(unused_imports)]
use super::*;

/// The text-AP answer; the My Number only when `show`.
pub(crate) fn text_json(v: &TextVerdict, show: bool, trust: &TrustStore) -> Value {
    let my_number = match (&v.my_number, show) {
        (Some(n), true) => json!(n),
        (Some(_), false) => json!("************"),
        (None, _) => Value::Null,
    };
    json!({
        "genuine": v.genuine(),
        "reasons": v.reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "checks": v.checks,
        "basic_four": if v.genuine() { json!(v.basic) } else { Value::Null },
        "my_number": if v.genuine() { my_number } else { Value::Null },
        "my_number_shown": show && v.genuine() && v.my_number.is_some(),
        "issuer": v.proof().map(|p| p.get().issuer.clone()),
        "trust": trust_json(trust),
    })
}

pub(crate) fn text_outcome(method: &'static str, v: &TextVerdict) -> Outcome {
    verdict_outcome(method, v.genuine(), v.reasons.iter().map(|(c, _)| *c))
}

pub(crate) fn face_outcome(v: &CardFaceVerdict) -> Outcome {
    verdict_outcome(
        "mynumber-face",
        v.genuine(),
        v.reasons.iter().map(|(c, _)| *c),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShowQuery {
    show_my_number: Option<bool>,
}

/// `mynumber` for the card data; `?show_my_number=true` also needs `mynumber:number`.
fn my_number_wanted(who: &Caller, q: &ShowQuery) -> Result<bool, ApiError> {
    need(who, Scope::Mynumber)?;
    let want = q.show_my_number.unwrap_or(false);
    if want {
        need(who, Scope::MynumberNumber)?;
    }
    Ok(want)
}

/// What `POST /v1/mynumber/text` does with its body, without HTTP and audit.
pub(crate) fn text_check(
    body: &[u8],
    show: bool,
    trust: &TrustStore,
) -> Result<(TextVerdict, Value), ApiError> {
    let dump = dump_body(body, "My Number text-AP", TextDump::from_slice)?;
    let v = verify_text(&dump.files, trust)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    let answer = text_json(&v, show, trust);
    Ok((v, answer))
}

pub(crate) async fn mynumber_text(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let want = my_number_wanted(&who, &q)?;
    let st = s.clone();
    let (checked, digest) = verify_sized(&body, move |b| text_check(b, want, &st.trust)).await?;
    let (v, mut answer) = checked?;
    let mut o = text_outcome("mynumber-text", &v);
    o.detail = json!({"my_number_returned": want && v.genuine() && v.my_number.is_some()});
    let id = record_digest(&s, &who.key_id, digest, o).await?;
    crate::api::set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}

/// The card-face answer; the My Number image only when `show`.
pub(crate) fn face_json(v: &CardFaceVerdict, show: bool, trust: &TrustStore) -> Value {
    let g = v.genuine();
    let face = v.face.as_ref().filter(|_| g);
    let png = |b: &[u8]| match jpid_image::to_png(b) {
        Ok(i) => json!(B64.encode(i.png)),
        Err(e) => json!({"error": e.to_string()}),
    };
    json!({
        "genuine": g,
        "reasons": v.reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "checks": v.checks,
        "birth_date": face.map(|f| f.birth_date.compact())
            .or_else(|| v.birth.as_ref().filter(|_| g).map(|b| b.birth_date.compact())),
        "sex": face.map(|f| f.sex.as_str().to_string()),
        "expiry": face.map(|f| f.expiry.compact()),
        "not_covered_by_signature": v.unsigned,
        "images_png_base64": face.map(|f| json!({
            "face": png(&f.photo),
            "name": png(&f.name_image),
            "address": png(&f.address_image),
            "security_code": png(&f.security_code_image),
        })),
        "my_number_image_png_base64": match (v.my_number_image.as_ref().filter(|_| g), show) {
            (Some(m), true) => png(&m.image),
            _ => Value::Null,
        },
        "trust": trust_json(trust),
    })
}

/// What `POST /v1/mynumber/face` does with its body, without HTTP and audit.
pub(crate) fn face_check(
    body: &[u8],
    show: bool,
    trust: &TrustStore,
) -> Result<(CardFaceVerdict, Value), ApiError> {
    let dump = dump_body(body, "My Number card-face", FaceDump::from_slice)?;
    let v = verify_card_face(&dump.files, trust)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    let answer = face_json(&v, show, trust);
    Ok((v, answer))
}

pub(crate) async fn mynumber_face(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let want = my_number_wanted(&who, &q)?;
    let st = s.clone();
    let input = body.clone();
    // Always off the async threads, whatever the body's size: the answer decodes the card's
    // JPEG 2000 and TIFF images, whose cost follows the dimensions they declare, not their
    // size in bytes (see `jpid_image::Limits`), so [`INLINE_VERIFY_MAX`] bounds nothing here.
    let (v, mut answer) = tokio::task::spawn_blocking(move || face_check(&input, want, &st.trust))
        .await
        .map_err(ApiError::internal)??;
    let id = record(&s, &who.key_id, &body, face_outcome(&v)).await?;
    crate::api::set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}
