//! The PIN-less counter check of a My Number card (docs/spec/services.md §3: face-to-face use
//! without a PIN needs the card confirmed genuine and its user-authentication certificate
//! confirmed valid; JPKI FAQ Q3-6): with 照合番号B typed from the card face, the text AP's
//! basic four and the card-face AP's photo, each proven through its CVC and each with the chip's
//! answer to a fresh challenge, and the JPKI user-authentication certificate (readable without a
//! PIN) checked for chain, validity and, where configured, revocation.
//!
//! One [`Verdict`] sums them up: not genuine when any part fails (a revoked certificate
//! included); genuine but expired when the certificate or the card's (unsigned) expiry has
//! passed; genuine otherwise.

use crate::card_face::{verify_card_face, CardFaceError, CardFaceFiles, CardFaceVerdict};
use crate::jpki::{verify_certificate, CertVerdict};
use crate::revocation::RevocationPolicy;
use crate::text::{verify_text, TextError, TextFiles, TextVerdict};
use crate::trust::{Purpose, TrustMode, TrustStore};
use crate::verdict::{Check, ChipAuth, DateCheck, Reason, Unsigned, Validity, Verdict};
use crate::UnixTime;
use jpid_model::{CardDate, ChipAnswer};

/// What a passed counter check proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProof {
    /// The user-authentication certificate's serial.
    pub certificate_serial: String,
    /// The root it chains to.
    pub anchor: String,
    /// Whether test roots were trusted.
    pub trust_mode: TrustMode,
}

/// The counter check's parts and its one verdict (it derefs to it).
#[derive(Clone)]
pub struct CheckVerdict {
    /// The text AP's verdict (basic four).
    pub text: TextVerdict,
    /// The card-face AP's verdict (photo, expiry).
    pub face: CardFaceVerdict,
    /// The user-authentication certificate's verdict.
    pub certificate: CertVerdict,
    /// The sum of them.
    pub verdict: Verdict<CheckProof>,
}

impl std::ops::Deref for CheckVerdict {
    type Target = Verdict<CheckProof>;
    fn deref(&self) -> &Self::Target {
        &self.verdict
    }
}

/// Why a counter check could not be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The text AP's files are malformed.
    #[error("text AP: {0}")]
    Text(#[from] TextError),
    /// The card-face AP's files are malformed.
    #[error("card-face AP: {0}")]
    Face(#[from] CardFaceError),
    /// The certificate cannot be parsed.
    #[error("user-authentication certificate: {0}")]
    Certificate(String),
}

/// The chip facets of the two APs as one: authenticated only when both chips' answers held.
fn both(a: &ChipAuth, b: &ChipAuth) -> ChipAuth {
    match (a, b) {
        (f @ ChipAuth::Failed { .. }, _) | (_, f @ ChipAuth::Failed { .. }) => f.clone(),
        (ChipAuth::Authenticated { card_key_sha256 }, ChipAuth::Authenticated { .. }) => {
            ChipAuth::Authenticated {
                card_key_sha256: card_key_sha256.clone(),
            }
        }
        // Yes only when both chips answered: otherwise the weaker of the two.
        (ChipAuth::Authenticated { .. }, other) | (other, _) => other.clone(),
    }
}

/// Whether the two APs describe one card: both sign the holder's birth date and sex, which
/// must be equal (each part alone can be a genuine record of another card). The card keys are
/// compared and reported, not required: whether one card certifies one key in both APs is not
/// confirmed (docs/spec/mynumber-card.md, "Proving the card is live", UNCONFIRMED).
fn same_card(text: &TextVerdict, face: &CardFaceVerdict) -> Option<Check> {
    let (basic, card_face) = (text.basic.as_ref()?, face.face.as_ref()?);
    let birth = CardDate::parse(&basic.birth_date) == Some(card_face.birth_date);
    let sex = basic.sex == card_face.sex.as_str();
    let keys = match (
        text.verdict.chip.card_key_sha256(),
        face.verdict.chip.card_key_sha256(),
    ) {
        (Some(a), Some(b)) if a == b => "; both chips answered with one card key",
        (Some(_), Some(_)) => {
            "; the two APs answered with different card keys (one key per card is not \
             confirmed, so this is not held against the card)"
        }
        _ => "",
    };
    let detail = match (birth, sex) {
        (true, true) => format!("the text AP's birth date and sex equal the card face's{keys}"),
        (false, true) => format!("the birth dates of the text AP and the card face differ{keys}"),
        (true, false) => format!("the sexes of the text AP and the card face differ{keys}"),
        (false, false) => {
            format!("the birth dates and sexes of the text AP and the card face differ{keys}")
        }
    };
    Some(Check::new("same_card", birth && sex, detail))
}

/// Makes the counter check from what was read. `answers` are the chips' answers to fresh
/// challenges (text AP, card-face AP) in a live read, `None` for a dump.
#[allow(clippy::too_many_arguments)]
pub fn verify_check(
    text: &TextFiles,
    face: &CardFaceFiles,
    auth_certificate: &[u8],
    answers: Option<(&ChipAnswer, &ChipAnswer)>,
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<CheckVerdict, CheckError> {
    let text_v = verify_text(text, trust, at, answers.map(|a| a.0))?;
    let face_v = verify_card_face(face, trust, at, answers.map(|a| a.1))?;
    let cert = verify_certificate(auth_certificate, Purpose::JpkiAuth, trust, at, revocation)
        .map_err(|e| CheckError::Certificate(e.to_string()))?;

    let mut checks: Vec<Check> = Vec::new();
    let mut reasons: Vec<Reason> = Vec::new();
    for (part, v) in [
        ("text AP", &text_v.verdict.checks),
        ("card-face AP", &face_v.verdict.checks),
    ] {
        checks.extend(
            v.iter()
                .map(|c| Check::new(c.name, c.passed, format!("{part}: {}", c.detail))),
        );
    }
    reasons.extend(text_v.verdict.reasons.iter().cloned());
    reasons.extend(
        face_v
            .verdict
            .reasons
            .iter()
            .filter(|r| r.code != "chip_not_authenticated" || text_v.genuine())
            .cloned(),
    );
    if text_v.basic.is_none() {
        reasons.push(Reason::new(
            "nothing_covered",
            "the basic four (name, address, birth date, sex) were not read",
        ));
    }
    if face_v.face.is_none() {
        reasons.push(Reason::new(
            "nothing_covered",
            "the card face (photo) was not read",
        ));
    }
    if let Some(binding) = same_card(&text_v, &face_v) {
        if !binding.passed {
            reasons.push(Reason::new(
                "cards_differ",
                "the text AP and the card-face AP hold different birth dates or sexes: \
                 their data does not come from one card",
            ));
        }
        checks.push(binding);
    }
    // An expired certificate makes the card expired, not forged: the validity facet says so.
    let (nb, na) = cert.validity;
    let expired = at > na;
    checks.push(Check::new(
        "auth_certificate",
        cert.valid(),
        if cert.valid() {
            format!(
                "the user-authentication certificate chains to {} and is valid {} to {}; revocation: {}",
                cert.proof().map(|p| p.get().anchor.as_str()).unwrap_or("?"),
                nb.to_rfc3339(),
                na.to_rfc3339(),
                cert.revocation
            )
        } else {
            cert.reasons
                .iter()
                .map(|r| r.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        },
    ));
    reasons.extend(
        cert.reasons
            .iter()
            .filter(|r| r.code != "certificate_expired")
            .cloned(),
    );
    // The card face's expiry DF29 is not signed, and the user-authentication certificate's
    // end, though signed, proves nothing about this card's validity: nothing binds the
    // certificate to the card (docs/service.md, the check endpoint). Both dates count; the
    // unsigned one leaves validity unproven (the headline says to check the expiry on the card).
    let mut dates: Vec<DateCheck> = face_v.verdict.validity.dates.clone();
    dates.push(DateCheck {
        date: na.date_at_offset(jpid_model::date::JST_OFFSET).iso(),
        in_force: !expired,
        signed: true,
        what: "auth_certificate_expiry",
    });
    let validity = Validity::from_dates(at, dates, face_v.verdict.validity.note);

    let mut signed: Vec<&'static str> = Vec::new();
    if text_v.covers("basic_four") {
        signed.extend(["name", "address", "birth_date", "sex"]);
    }
    for item in &face_v.verdict.signed {
        if face_v.genuine() && !signed.contains(item) {
            signed.push(item);
        }
    }
    signed.push("auth_certificate");
    let unsigned: Vec<Unsigned> = face_v.verdict.unsigned.clone();
    let chip = both(&text_v.verdict.chip, &face_v.verdict.chip);
    // The parts' chip failures are already among the reasons: the sum adds its own.
    reasons.retain(|r| r.code != "chip_not_authenticated");
    // The certificate chained (its other reasons, revocation included, are in `reasons`).
    let chained = !cert.reasons.iter().any(|r| r.code == "unknown_issuer");
    // Kept only if no reason stands (Verdict::new): every part genuine, the chip's answers
    // included, the certificate chained and not revoked.
    let proof = chained.then(|| CheckProof {
        certificate_serial: cert.serial.clone(),
        anchor: cert.proof().map_or_else(
            || "(expired certificate)".into(),
            |p| p.get().anchor.clone(),
        ),
        trust_mode: trust.mode(),
    });
    let verdict = Verdict::new(
        checks,
        reasons,
        signed,
        unsigned,
        validity,
        chip,
        trust.mode(),
        proof,
    );
    Ok(CheckVerdict {
        text: text_v,
        face: face_v,
        certificate: cert,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_chips_must_answer_for_yes() {
        let yes = ChipAuth::Authenticated {
            card_key_sha256: "00".into(),
        };
        let no = ChipAuth::Failed {
            detail: "x".into(),
            key_certified: true,
        };
        assert_eq!(both(&yes, &yes).id(), "yes");
        assert_eq!(both(&yes, &ChipAuth::offline()).id(), "not_applicable");
        assert_eq!(both(&ChipAuth::offline(), &yes).id(), "not_applicable");
        assert_eq!(both(&yes, &no).id(), "no");
        assert_eq!(both(&no, &yes).id(), "no");
    }
}
