//! `POST /v1/mynumber/text/verify`, `/v1/mynumber/face/verify` and `/v1/mynumber/check/verify`:
//! the My Number card's text AP and card-face AP dumps (docs/spec/mynumber-card.md §3, §4), and
//! the PIN-less counter check (docs/spec/services.md §3).

#[allow(unused_imports)]
use super::*;

/// The coded and dated values of a My Number answer in words, Japanese and English
/// (`words.birth_date`, `words.sex`, `words.expiry`, each with `signed`; docs/codes.md): dates as YYYY-MM-DD and
/// in the era form, the sex code (1, 2, 9) as 男 / 女 / 適用不能.
fn add_words(answer: &mut Value) {
    let pick = |a: &Value, k: &str| {
        a.get(k)
            .or_else(|| a.get("basic_four").and_then(|b| b.get(k)))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // A value in words is no more proven than the value: each carries `signed`, false for
    // what the verdict lists as unsigned (the card face's expiry).
    let unsigned: Vec<String> = answer
        .get("unsigned")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|u| u.get("item").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut words = serde_json::Map::new();
    let mut put = |k: &str, w: jpid_model::words::Words| {
        let signed = !unsigned.iter().any(|u| u == k);
        words.insert(
            k.to_string(),
            json!({"en": w.en, "ja": w.ja, "raw_code": w.raw_code, "signed": signed}),
        );
    };
    for k in ["birth_date", "expiry"] {
        if let Some(v) = pick(answer, k) {
            put(k, jpid_model::words::card_date(&v));
        }
    }
    if let Some(v) = pick(answer, "sex") {
        put("sex", jpid_model::words::mynumber_sex(&v));
    }
    if !words.is_empty() {
        set(answer, "words", Value::Object(words));
    }
}

/// The text-AP answer; the My Number only when `show`.
pub(crate) fn text_json(v: &TextVerdict, show: bool, trust: &TrustStore) -> Value {
    let my_number = match (&v.my_number, show) {
        (Some(n), true) => json!(n),
        (Some(_), false) => json!("************"),
        (None, _) => Value::Null,
    };
    let mut answer = v.verdict.to_json();
    set(
        &mut answer,
        "basic_four",
        if v.genuine() {
            json!(v.basic)
        } else {
            Value::Null
        },
    );
    set(
        &mut answer,
        "my_number",
        if v.genuine() { my_number } else { Value::Null },
    );
    set(
        &mut answer,
        "my_number_shown",
        json!(show && v.genuine() && v.my_number.is_some()),
    );
    set(
        &mut answer,
        "issuer",
        json!(v.proof().map(|p| p.get().issuer.clone())),
    );
    set(&mut answer, "trust", trust_json(trust));
    add_words(&mut answer);
    answer
}

pub(crate) fn text_outcome(method: &'static str, v: &TextVerdict) -> Outcome {
    verdict_outcome(method, &v.verdict)
}

pub(crate) fn face_outcome(v: &CardFaceVerdict) -> Outcome {
    verdict_outcome("mynumber-face", &v.verdict)
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
    let v = verify_text(&dump.files, trust, server_now(), None)
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
    let (checked, digest) =
        verify_sized(&body, false, move |b| text_check(b, want, &st.trust)).await?;
    let (v, mut answer) = checked?;
    let mut o = text_outcome("mynumber-text", &v);
    crate::api::set(
        &mut o.detail,
        "my_number_returned",
        json!(want && v.genuine() && v.my_number.is_some()),
    );
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
    let mut answer = v.verdict.to_json();
    let fields = json!({
        "birth_date": face.map(|f| f.birth_date.compact())
            .or_else(|| v.birth.as_ref().filter(|_| g).map(|b| b.birth_date.compact())),
        "sex": face.map(|f| f.sex.as_str().to_string()),
        "expiry": face.map(|f| f.expiry.compact()),
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
    });
    if let (Value::Object(a), Value::Object(f)) = (&mut answer, fields) {
        a.extend(f);
    }
    add_words(&mut answer);
    answer
}

/// What `POST /v1/mynumber/face` does with its body, without HTTP and audit.
pub(crate) fn face_check(
    body: &[u8],
    show: bool,
    trust: &TrustStore,
) -> Result<(CardFaceVerdict, Value), ApiError> {
    let dump = dump_body(body, "My Number card-face", FaceDump::from_slice)?;
    let v = verify_card_face(&dump.files, trust, server_now(), None)
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
    // The record says whether the My Number image left the service (issue 16).
    let mut o = face_outcome(&v);
    crate::api::set(
        &mut o.detail,
        "my_number_image_returned",
        json!(want && v.genuine() && v.my_number_image.is_some()),
    );
    let id = record(&s, &who.key_id, &body, o).await?;
    crate::api::set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}

/// The PIN-less counter check's answer (docs/service.md): the verdict, the basic four and the
/// photo when genuine (the expiry marked unsigned), and the user-authentication certificate.
pub(crate) fn check_json(v: &CheckVerdict, trust: &TrustStore) -> Value {
    let g = v.genuine();
    let mut answer = v.verdict.to_json();
    let photo = v
        .face
        .face
        .as_ref()
        .filter(|_| g)
        .map(|f| match jpid_image::to_png(&f.photo) {
            Ok(i) => json!(B64.encode(i.png)),
            Err(e) => json!({"error": e.to_string()}),
        });
    let c = &v.certificate;
    let fields = json!({
        "basic_four": if g { json!(v.text.basic) } else { Value::Null },
        "expiry": v.face.face.as_ref().filter(|_| g).map(|f| f.expiry.compact()),
        "photo_png_base64": photo,
        "auth_certificate": {
            "subject": c.subject, "issuer": c.issuer, "serial": c.serial,
            "not_before": c.validity.0.to_rfc3339(), "not_after": c.validity.1.to_rfc3339(),
            "revocation": {"checked": c.revocation.checked(), "status": c.revocation.code(), "detail": c.revocation.to_string()},
        },
        "trust": trust_json(trust),
    });
    if let (Value::Object(a), Value::Object(f)) = (&mut answer, fields) {
        a.extend(f);
    }
    add_words(&mut answer);
    answer
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    text_dump: Value,
    face_dump: Value,
    /// The JPKI user-authentication certificate, base64 DER.
    auth_certificate: String,
}

/// What `POST /v1/mynumber/check/verify` does with its body, without HTTP and audit.
pub(crate) fn check_check(
    body: &[u8],
    trust: &TrustStore,
    revocation: &crate::Revocation,
) -> Result<(CheckVerdict, Value), ApiError> {
    let req: CheckRequest = typed(body)?;
    let text = TextDump::from_value(&req.text_dump)
        .map_err(|e| ApiError::bad(format!("text_dump: {e}")))?;
    let face = FaceDump::from_value(&req.face_dump)
        .map_err(|e| ApiError::bad(format!("face_dump: {e}")))?;
    let cert = b64("auth_certificate", &req.auth_certificate, 16 * 1024)?;
    let v = verify_check(
        &text.files,
        &face.files,
        &cert,
        None,
        trust,
        server_now(),
        revocation.policy(),
    )
    .map_err(|e| ApiError::bad(format!("the dumps' card data is malformed: {e}")))?;
    let answer = check_json(&v, trust);
    Ok((v, answer))
}

pub(crate) async fn mynumber_check(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Mynumber)?;
    let st = s.clone();
    let input = body.clone();
    // Off the async threads: the answer decodes the photo.
    let (v, mut answer) =
        tokio::task::spawn_blocking(move || check_check(&input, &st.trust, &st.revocation()))
            .await
            .map_err(ApiError::internal)??;
    let mut o = verdict_outcome("mynumber-check", &v.verdict);
    o.cert = Some((v.certificate.serial.clone(), v.certificate.issuer.clone()));
    let id = record(&s, &who.key_id, &body, o).await?;
    set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}
