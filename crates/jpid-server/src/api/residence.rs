//! `POST /v1/residence/verify`: a Residence Card or SPR certificate dump (docs/dump.md), its
//! answer, and what the counter page reuses of it (docs/spec/residence-card.md §3, §4).

#[allow(unused_imports)]
use super::*;
use jpid_verify::residence::{self, ResidenceVerdict};
use jpid_verify::verdict::{ChipAuth, Unsigned, Validity};

/// The residence answer, written straight to JSON by the API (no `Value` tree on the request
/// path) and turned into a `Value` by [`residence_json`] for the counter page and the fuzz
/// target. Its keys, and those of everything in it, are in sorted order: what a
/// `serde_json::Value` (a sorted map) prints, and what the service answered when it built this
/// answer as a `Value`. crates/jpid/tests/service.rs checks the text.
#[derive(Serialize)]
pub(crate) struct ResidenceAnswer<'a> {
    anchor: Option<&'a str>,
    /// Set once the audit record is committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audit_id: Option<&'a str>,
    card: CardSummary<'a>,
    certificate: Option<CertificateSummary<'a>>,
    checked_at: String,
    #[serde(serialize_with = "checks_sorted")]
    checks: &'a [residence::Check],
    chip_authenticated: &'a ChipAuth,
    /// Empty unless genuine.
    fields: &'a [residence::Field],
    genuine: bool,
    headline: &'static str,
    /// The verified card's images as PNG, base64, when asked for with `?images=png` and the
    /// card is genuine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) images_png_base64: Option<ImagesPng>,
    outcome: &'static str,
    reasons: &'a [residence::Reason],
    signed: &'a [&'static str],
    time_source: &'a str,
    trust: TrustSummary,
    unsigned: &'a [Unsigned],
    validity: &'a Validity,
    /// When the time asked was earlier and the card has expired since: its validity then
    /// (`validity` is today's).
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_at_time_asked: Option<&'a Validity>,
    /// Whether the chip proves the card valid (docs/json.md, "The verdict").
    validity_proven: bool,
}

/// The images the card's signature covers, as PNG (base64; `{"error": ...}` for one that does
/// not decode; null for one the generation does not have or the signature does not cover: the
/// generation-2 address image is rewritten when the holder moves and is never handed out as
/// verified). Keys sorted.
#[derive(Serialize)]
pub(crate) struct ImagesPng {
    face: Value,
    front: Value,
    name: Value,
}

impl ImagesPng {
    /// Decodes the signed images (TIFF, JPEG 2000) of a genuine card to PNG.
    pub(crate) fn of(card: &residence::ParsedResidence, v: &ResidenceVerdict) -> Self {
        let png = |item: &str, b: Option<&Vec<u8>>| match b
            .filter(|_| v.covers(item))
            .map(|b| jpid_image::to_png(b))
        {
            Some(Ok(i)) => json!(B64.encode(i.png)),
            Some(Err(e)) => json!({"error": e.to_string()}),
            None => Value::Null,
        };
        Self {
            face: png("face_image", card.face_image.as_ref()),
            front: png("front_image", card.front_image.as_ref()),
            name: png("name_image", card.name_image.as_ref()),
        }
    }
}

#[derive(Serialize)]
struct CardSummary<'a> {
    card_type: &'a str,
    generation: u8,
    kind: &'static str,
    photo: bool,
}

#[derive(Serialize)]
struct CertificateSummary<'a> {
    issuer: &'a str,
    serial: &'a str,
    subject: &'a str,
}

/// A residence check with its keys sorted (`residence::Check` declares `detail` last).
#[derive(Serialize)]
struct CheckSorted<'a> {
    detail: &'a str,
    name: &'a str,
    passed: bool,
}

impl<'a> From<&'a residence::Check> for CheckSorted<'a> {
    fn from(c: &'a residence::Check) -> Self {
        // Destructured whole, so that a field added to `Check` fails to compile here.
        let residence::Check {
            name,
            passed,
            detail,
        } = c;
        CheckSorted {
            detail,
            name,
            passed: *passed,
        }
    }
}

fn checks_sorted<S: serde::Serializer>(
    checks: &&[residence::Check],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(checks.iter().map(CheckSorted::from))
}

/// The residence answer for `card` and its verdict.
pub(crate) fn residence_answer<'a>(
    card: &'a residence::ParsedResidence,
    v: &'a ResidenceVerdict,
    at: UnixTime,
    time_source: &'a str,
    trust: &TrustStore,
) -> ResidenceAnswer<'a> {
    ResidenceAnswer {
        anchor: v.proof().map(|p| p.get().anchor.as_str()),
        audit_id: None,
        card: CardSummary {
            card_type: card.card_type.value(),
            generation: card.generation,
            kind: if card.is_residence_card {
                "residence"
            } else {
                "spr"
            },
            photo: card.face_image.is_some(),
        },
        certificate: v
            .certificate
            .as_ref()
            .map(|(subject, issuer, serial)| CertificateSummary {
                issuer,
                serial,
                subject,
            }),
        checked_at: at.to_rfc3339(),
        checks: &v.checks,
        chip_authenticated: &v.chip,
        fields: if v.genuine() { &card.fields } else { &[] },
        genuine: v.genuine(),
        headline: v.headline(),
        images_png_base64: None,
        outcome: v.outcome().id(),
        reasons: &v.reasons,
        signed: &v.signed,
        time_source,
        trust: trust_summary(trust),
        unsigned: &v.unsigned,
        validity: &v.validity,
        validity_at_time_asked: v.validity_at_time_asked.as_ref(),
        validity_proven: v.validity_proven(),
    }
}

/// [`residence_answer`] as a JSON value (the counter page adds to it).
pub(crate) fn residence_json(
    card: &residence::ParsedResidence,
    v: &ResidenceVerdict,
    at: UnixTime,
    time_source: &str,
    trust: &TrustStore,
) -> Value {
    // Cannot fail: every key is a string and nothing in the answer refuses to serialize.
    serde_json::to_value(residence_answer(card, v, at, time_source, trust)).unwrap_or_default()
}

pub(crate) fn residence_outcome(v: &ResidenceVerdict) -> Outcome {
    Outcome {
        detail: crate::api::verdict_detail(&v.verdict),
        method: "residence",
        result: v.outcome().id(),
        reasons: v.reasons.iter().map(|r| r.code.to_string()).collect(),
        cert: v
            .certificate
            .as_ref()
            .map(|(_, issuer, serial)| (serial.clone(), issuer.clone())),
    }
}

/// A residence dump checked: the parsed card, its verdict, and the time it was checked at.
pub(crate) struct ResidenceChecked {
    pub(crate) card: residence::ParsedResidence,
    pub(crate) verdict: ResidenceVerdict,
    pub(crate) at: UnixTime,
    pub(crate) time_source: &'static str,
}

impl ResidenceChecked {
    /// The answer ([`residence_answer`]).
    pub(crate) fn answer(&self, trust: &TrustStore) -> ResidenceAnswer<'_> {
        residence_answer(&self.card, &self.verdict, self.at, self.time_source, trust)
    }
}

fn residence_dump(body: &[u8]) -> Result<ResidenceDump, ApiError> {
    dump_body(body, "residence-card", ResidenceDump::from_slice)
}

/// What `POST /v1/residence` does with its body, without HTTP and audit: parse the dump, pick
/// the time (`at` as in the query; no `at` means the server clock), parse and verify the card.
/// Pure apart from the clock; every failure is a 400.
pub(crate) fn residence_check(
    body: &[u8],
    at: Option<&str>,
    trust: &TrustStore,
) -> Result<ResidenceChecked, ApiError> {
    let (card, at, time_source) = residence_parse(body, at)?;
    let verdict = verify_dump(&card, trust, at);
    Ok(ResidenceChecked {
        card,
        verdict,
        at,
        time_source,
    })
}

/// A dump's card judged at `at` and, when `at` is earlier, against the server's clock too: a
/// card expired since is never plainly genuine.
fn verify_dump(
    card: &residence::ParsedResidence,
    trust: &TrustStore,
    at: UnixTime,
) -> ResidenceVerdict {
    residence::verify(card, trust, at, residence::ReadFrom::Dump).judged_now(server_now())
}

/// The first half of [`residence_check`]: the dump, the time, the parsed card.
fn residence_parse(
    body: &[u8],
    at: Option<&str>,
) -> Result<(residence::ParsedResidence, UnixTime, &'static str), ApiError> {
    let dump = residence_dump(body)?;
    let (at, time_source) = pick_time(at, Some(dump.read_at))?;
    let card = residence::parse(&dump.files)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    Ok((card, at, time_source))
}

/// `at` as everywhere, and `images=png` to have the verified images in the answer (the face
/// photo for a selfie match, the front image).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResidenceQuery {
    at: Option<String>,
    images: Option<String>,
}

pub(crate) async fn residence(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<ResidenceQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Residence)?;
    let want_images = match q.images.as_deref() {
        None => false,
        Some("png") => true,
        Some(_) => return Err(ApiError::bad("images takes one value: png")),
    };
    let (parsed, digest) =
        verify_sized(&body, false, move |b| residence_parse(b, q.at.as_deref())).await?;
    let (card, at, time_source) = parsed?;
    // Generation 1 is one RSA verification through OpenSSL (tens of µs): inline for small
    // bodies. Generation 2 is ECDSA P-384 in pure Rust under keys the client chooses, about a
    // millisecond per check, so it always goes to the blocking pool.
    let (card, verdict) = if card.generation == 1 && body.len() <= INLINE_VERIFY_MAX {
        let v = verify_dump(&card, &s.trust, at);
        (card, v)
    } else {
        let st = s.clone();
        tokio::task::spawn_blocking(move || {
            let v = verify_dump(&card, &st.trust, at);
            (card, v)
        })
        .await
        .map_err(ApiError::internal)?
    };
    let checked = ResidenceChecked {
        card,
        verdict,
        at,
        time_source,
    };
    let mut o = residence_outcome(&checked.verdict);
    crate::api::set(&mut o.detail, "checked_at", json!(checked.at.to_rfc3339()));
    crate::api::set(&mut o.detail, "time_source", json!(checked.time_source));
    // A card judged at an earlier time and expired since was judged against today too.
    if checked.verdict.validity_at_time_asked.is_some() {
        crate::api::set(
            &mut o.detail,
            "validity_checked_at",
            json!(checked.verdict.validity.checked_at.to_rfc3339()),
        );
    }
    // Only a genuine card's images, decoded off the request thread (JPEG 2000 takes a while).
    let images = if want_images && checked.verdict.genuine() {
        let (card, verdict) = (checked.card.clone(), checked.verdict.clone());
        Some(
            tokio::task::spawn_blocking(move || ImagesPng::of(&card, &verdict))
                .await
                .map_err(ApiError::internal)?,
        )
    } else {
        None
    };
    let id = record_digest(&s, &who.key_id, digest, o).await?;
    let mut answer = checked.answer(&s.trust);
    answer.audit_id = Some(&id);
    answer.images_png_base64 = images;
    Ok(Json(answer).into_response())
}
