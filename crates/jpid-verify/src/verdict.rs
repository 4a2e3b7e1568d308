//! The one verdict every card check ends in, and what a person reads from it.
//!
//! A clerk looks at one word, so the word must not promise more than was proven. The verdict
//! therefore has three facets besides the checks behind it:
//!
//! - **signed data** ([`Verdict::signed`], [`Verdict::unsigned`]): which items the issuer's
//!   signature covers, and every item shown that it does not cover, with the reason;
//! - **valid today** ([`Validity`]): the card's own dates (expiry, period of stay) at the time
//!   of the check, each marked signed or not, or that the chip records none;
//! - **chip authenticated** ([`ChipAuth`]): whether the chip proved, during this read, that it
//!   holds the card's key; or why no such proof exists (not possible for this card, not
//!   applicable to an offline dump).
//!
//! The [`Outcome`] follows from them: [`Outcome::NotGenuine`] when a signature, a chain or the
//! chip's proof failed; [`Outcome::GenuineExpired`] when all of that held but a date the chip
//! records has passed; [`Outcome::Genuine`] otherwise. The proof ([`Verified`]) exists only when
//! the outcome is not `NotGenuine`.

use serde::Serialize;
use serde_json::{json, Value};

use crate::proof::Verified;
use crate::trust::TrustMode;
use crate::UnixTime;

/// What a person acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The signed data is the issuer's, the chain holds, the chip (where it can) proved itself,
    /// and no date the chip records has passed.
    Genuine,
    /// All of that, but the card (or the holder's period of stay) has expired.
    GenuineExpired,
    /// Not proven genuine: see the reasons.
    NotGenuine,
}

impl Outcome {
    /// Stable id: `genuine`, `genuine_expired`, `not_genuine`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Genuine => "genuine",
            Self::GenuineExpired => "genuine_expired",
            Self::NotGenuine => "not_genuine",
        }
    }

    /// The headline, Japanese first.
    pub fn headline(self) -> &'static str {
        match self {
            Self::Genuine => "真正 / GENUINE",
            Self::GenuineExpired => "真正・有効期限切れ / GENUINE BUT EXPIRED",
            Self::NotGenuine => "真正と確認できません / NOT GENUINE",
        }
    }
}

/// The headline of a genuine verdict whose validity is not proven by the chip: no date is
/// recorded there, or the dates that hold are unsigned and no chip answered for them.
pub const HEADLINE_CHECK_EXPIRY: &str =
    "真正・有効期限は券面で確認 / GENUINE: CHECK THE EXPIRY ON THE CARD";

/// Why a verification failed: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code, e.g. `image_altered`, `unknown_issuer`, `chip_not_authenticated`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl Reason {
    /// A reason.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// Details.
    pub detail: String,
}

impl Check {
    /// A check.
    pub fn new(name: &'static str, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            name,
            passed,
            detail: detail.into(),
        }
    }
}

/// An item shown to people that no signature covers, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsigned {
    /// The item (a field key, an image, a file).
    pub item: &'static str,
    /// Why the signature does not cover it.
    pub why: &'static str,
}

/// Whether the card is valid at the time of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityState {
    /// Every date the chip records is on or after the time of the check.
    Valid,
    /// A date the chip records has passed.
    Expired,
    /// The chip records no expiry jpid can read (the date is printed on the card only).
    NotRecorded,
}

// The facets' fields are declared in alphabetical order: their JSON then reads as the service
// writes every answer (sorted keys), whether it comes from these types or from a JSON tree.

/// One date the chip records and how it compares with the time of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateCheck {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Whether the date is on or after the day of the check (a card is valid through its
    /// expiry date).
    pub in_force: bool,
    /// Whether the issuer's signature covers the date.
    pub signed: bool,
    /// `card_expiry`, `stay_expiry`, ...
    pub what: &'static str,
}

/// The "valid today" facet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// The time the dates were compared with.
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: UnixTime,
    /// The dates compared.
    pub dates: Vec<DateCheck>,
    /// What a person should know (e.g. where the expiry is printed when the chip has none).
    pub note: Option<&'static str>,
    /// The state.
    pub state: ValidityState,
}

fn rfc3339<S: serde::Serializer>(t: &UnixTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

impl Validity {
    /// From the dates the chip records: expired when any of them has passed on the day of
    /// `at` (in Japan: a card is valid through its expiry date), valid otherwise; with no date,
    /// [`ValidityState::NotRecorded`] and `note`.
    pub fn from_dates(at: UnixTime, dates: Vec<DateCheck>, note: Option<&'static str>) -> Self {
        let state = if dates.is_empty() {
            ValidityState::NotRecorded
        } else if dates.iter().all(|d| d.in_force) {
            ValidityState::Valid
        } else {
            ValidityState::Expired
        };
        Self {
            checked_at: at,
            dates,
            note,
            state,
        }
    }

    /// A date of the card compared with the day of `at` in Japan.
    pub fn date(
        what: &'static str,
        date: jpid_model::CardDate,
        signed: bool,
        at: UnixTime,
    ) -> DateCheck {
        let today = at.date_at_offset(jpid_model::date::JST_OFFSET);
        DateCheck {
            what,
            date: date.iso(),
            signed,
            in_force: date >= today,
        }
    }
}

/// The "chip authenticated" facet. Its JSON is `{"card_key_sha256"?, "detail", "state"}`,
/// `state` being [`ChipAuth::id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChipAuth {
    /// The chip signed a fresh challenge with the card key its signed data certifies.
    Authenticated {
        /// SHA-256 of the card key's modulus, hex.
        card_key_sha256: String,
    },
    /// The chip was challenged and did not prove it holds the card key (a copy of the data on
    /// another chip, or an answer that does not verify).
    Failed {
        /// Why.
        detail: String,
        /// True when a card key certified by the signed data was at hand and the chip's answer
        /// failed against it (what a clone looks like); false when the data read certified no
        /// key to hold the answer against (its own failure is among the reasons).
        key_certified: bool,
    },
    /// This card offers no chip authentication jpid can use.
    NotPossible {
        /// Why.
        detail: &'static str,
    },
    /// No chip answered: an offline dump, whose data may have been copied.
    NotApplicable {
        /// Why.
        detail: &'static str,
    },
}

impl Serialize for ChipAuth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let key = self.card_key_sha256();
        let mut st = s.serialize_struct("ChipAuth", 2 + usize::from(key.is_some()))?;
        if let Some(k) = key {
            st.serialize_field("card_key_sha256", k)?;
        }
        st.serialize_field("detail", &self.describe())?;
        st.serialize_field("state", self.id())?;
        st.end()
    }
}

impl ChipAuth {
    /// The SHA-256 of the card key the chip proved it holds, when it did.
    pub fn card_key_sha256(&self) -> Option<&str> {
        match self {
            Self::Authenticated { card_key_sha256 } => Some(card_key_sha256),
            _ => None,
        }
    }

    /// Stable id: `yes`, `no`, `not_possible`, `not_applicable`.
    pub fn id(&self) -> &'static str {
        match self {
            Self::Authenticated { .. } => "yes",
            Self::Failed { .. } => "no",
            Self::NotPossible { .. } => "not_possible",
            Self::NotApplicable { .. } => "not_applicable",
        }
    }

    /// Whether the chip proved itself, when it was challenged at all (`None`: no chip answered,
    /// or the card offers nothing jpid can challenge).
    pub fn challenged(&self) -> Option<bool> {
        match self {
            Self::Authenticated { .. } => Some(true),
            Self::Failed { .. } => Some(false),
            Self::NotPossible { .. } | Self::NotApplicable { .. } => None,
        }
    }

    /// For an offline dump.
    pub fn offline() -> Self {
        Self::NotApplicable {
            detail: "checked from a dump, offline: no chip answered, so nothing shows the data came from the card itself rather than a copy",
        }
    }

    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Self::Authenticated { .. } => {
                "the chip proved it holds the card key its signed data certifies (a fresh challenge, signed by the chip)".into()
            }
            Self::Failed { detail, .. } => format!("the chip did NOT prove it holds the card key: {detail}"),
            Self::NotPossible { detail } | Self::NotApplicable { detail } => (*detail).into(),
        }
    }
}

/// The one verdict of a card check. `P` is what the proof says (per card family).
#[derive(Debug, Clone)]
pub struct Verdict<P> {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// Why not genuine (empty when genuine).
    pub reasons: Vec<Reason>,
    /// What the issuer's signature was proven to cover (item keys); empty unless genuine, so
    /// that nothing is ever listed as signed beside a failed check.
    pub signed: Vec<&'static str>,
    /// What is shown but not covered, with why.
    pub unsigned: Vec<Unsigned>,
    /// Valid today (or at the time given)?
    pub validity: Validity,
    /// Did the chip authenticate?
    pub chip: ChipAuth,
    /// Whether test anchors were trusted.
    pub trust_mode: TrustMode,
    /// When the check was made at an earlier time than now and a date has passed since
    /// ([`Verdict::judged_now`]): the validity at the time asked. `validity` is then today's.
    pub validity_at_time_asked: Option<Validity>,
    proof: Option<Verified<P>>,
}

impl<P> Verdict<P> {
    /// Builds the verdict: the proof is kept only when nothing failed, including the chip.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        checks: Vec<Check>,
        mut reasons: Vec<Reason>,
        signed: Vec<&'static str>,
        unsigned: Vec<Unsigned>,
        validity: Validity,
        chip: ChipAuth,
        trust_mode: TrustMode,
        proof: Option<P>,
    ) -> Self {
        if let ChipAuth::Failed {
            detail,
            key_certified,
        } = &chip
        {
            reasons.push(Reason::new(
                "chip_not_authenticated",
                if *key_certified {
                    format!("the chip did not prove it holds the card key: {detail} (a copy of a genuine card's data on another chip reads like this)")
                } else {
                    format!("the chip could not be checked: {detail}")
                },
            ));
        }
        let proof = proof.filter(|_| reasons.is_empty()).map(Verified::new);
        let signed = if proof.is_some() { signed } else { Vec::new() };
        Self {
            checks,
            reasons,
            signed,
            unsigned,
            validity,
            chip,
            trust_mode,
            validity_at_time_asked: None,
            proof,
        }
    }

    /// A verdict made at a time before `now` (an archived read; a dump's unsigned `read_at`;
    /// `--at`), compared with today too: a card whose signed or unsigned dates have passed by
    /// `now` is never plainly genuine. Its validity becomes today's (so the outcome is
    /// genuine but expired) and what held at the time asked is kept beside it. Nothing else
    /// changes: the signature, the chain and the certificate's validity are still judged at
    /// the time asked.
    pub fn judged_now(mut self, now: UnixTime) -> Self {
        if now <= self.validity.checked_at || self.validity.state == ValidityState::Expired {
            return self;
        }
        let today = now.date_at_offset(jpid_model::date::JST_OFFSET);
        let dates: Vec<DateCheck> = self
            .validity
            .dates
            .iter()
            .map(|d| DateCheck {
                // A date that does not read as one has not been shown to be in force.
                in_force: jpid_model::CardDate::parse(&d.date).is_some_and(|x| x >= today),
                ..d.clone()
            })
            .collect();
        let today_validity = Validity::from_dates(now, dates, self.validity.note);
        if today_validity.state == ValidityState::Expired {
            self.validity_at_time_asked =
                Some(std::mem::replace(&mut self.validity, today_validity));
        }
        self
    }

    /// What to act on.
    pub fn outcome(&self) -> Outcome {
        match (&self.proof, self.validity.state) {
            (None, _) => Outcome::NotGenuine,
            (Some(_), ValidityState::Expired) => Outcome::GenuineExpired,
            (Some(_), _) => Outcome::Genuine,
        }
    }

    /// The headline a person reads: [`Outcome::headline`], except that a genuine verdict whose
    /// validity the chip does not prove says so ([`HEADLINE_CHECK_EXPIRY`]): the chip records
    /// no expiry (the text AP, the birth record, a generation-1 residence card), or a date in
    /// force is unsigned (the card face's DF29, live or from a dump).
    pub fn headline(&self) -> &'static str {
        match self.outcome() {
            Outcome::Genuine if !self.validity_proven() => HEADLINE_CHECK_EXPIRY,
            o => o.headline(),
        }
    }

    /// Whether the chip proves the card valid today: a date recorded, and every date signed.
    /// A chip that proved itself does not make an unsigned date proven: its answer to the
    /// challenge covers none of the bytes read, and the card-face AP reads in the clear (no
    /// secure messaging), so a relay between a genuine chip and the reader can change DF29 in
    /// transit while the chip still answers.
    pub fn validity_proven(&self) -> bool {
        match self.validity.state {
            ValidityState::NotRecorded => false,
            ValidityState::Expired => true,
            ValidityState::Valid => self.validity.dates.iter().all(|d| d.signed),
        }
    }

    /// True when the data is proven the issuer's (expired or not): `outcome()` is not
    /// `NotGenuine`.
    pub fn genuine(&self) -> bool {
        self.proof.is_some()
    }

    /// The proof, when genuine.
    pub fn proof(&self) -> Option<&Verified<P>> {
        self.proof.as_ref()
    }

    /// Whether `item` is among what the signature covers (and the verdict is genuine).
    pub fn covers(&self, item: &str) -> bool {
        self.genuine() && self.signed.contains(&item)
    }

    /// The JSON form every output uses (docs/json.md, "The verdict"): `outcome`, `headline`,
    /// `genuine`, `signed`, `unsigned`, `validity`, `chip_authenticated`, `checks`, `reasons`.
    pub fn to_json(&self) -> Value {
        let mut v = self.facets_json();
        if let Value::Object(m) = &mut v {
            m.insert("checks".into(), json!(self.checks));
            m.insert("reasons".into(), json!(self.reasons));
        }
        v
    }

    /// [`Verdict::to_json`] without the checks and reasons (for answers that name those
    /// themselves).
    pub fn facets_json(&self) -> Value {
        let outcome = self.outcome();
        json!({
            "outcome": outcome.id(),
            "headline": self.headline(),
            "genuine": self.genuine(),
            "signed": self.signed,
            "unsigned": self.unsigned,
            "validity": self.validity,
            "validity_at_time_asked": self.validity_at_time_asked,
            "validity_proven": self.validity_proven(),
            "chip_authenticated": self.chip,
        })
    }

    /// The facets as text lines, for the CLI.
    pub fn facets_text(&self) -> String {
        let mut t = String::new();
        t.push_str(&format!(
            "  signed data: {}\n",
            if self.signed.is_empty() {
                "none".to_string()
            } else {
                self.signed.join(", ")
            }
        ));
        for u in &self.unsigned {
            t.push_str(&format!("  NOT SIGNED: {} ({})\n", u.item, u.why));
        }
        let v = &self.validity;
        // "valid" only when a signature proves it: a date no signature covers, or data not
        // proven genuine, is what the card says, not a proof.
        let state = match v.state {
            ValidityState::Valid if !self.genuine() => {
                "valid by the dates read, NOT proven (the data is not proven genuine)"
            }
            ValidityState::Valid if !self.validity_proven() => {
                "valid by dates no signature covers, NOT proven: check the expiry on the card"
            }
            ValidityState::Valid => "valid",
            ValidityState::Expired => "EXPIRED",
            ValidityState::NotRecorded => "not recorded on the chip",
        };
        t.push_str(&format!(
            "  valid on {}: {state}\n",
            v.checked_at.to_rfc3339()
        ));
        for d in &v.dates {
            t.push_str(&format!(
                "    {} {}{}{}\n",
                d.what,
                d.date,
                if d.in_force { "" } else { " (passed)" },
                if d.signed { "" } else { " (NOT SIGNED)" }
            ));
        }
        if let Some(n) = v.note {
            t.push_str(&format!("    {n}\n"));
        }
        if let Some(then) = &self.validity_at_time_asked {
            t.push_str(&format!(
                "  valid on {} (the time asked): {}; expired since, as of today\n",
                then.checked_at.to_rfc3339(),
                match then.state {
                    ValidityState::Valid => "valid",
                    ValidityState::Expired => "EXPIRED",
                    ValidityState::NotRecorded => "not recorded on the chip",
                }
            ));
        }
        t.push_str(&format!(
            "  chip authenticated: {} ({})\n",
            self.chip.id(),
            self.chip.describe()
        ));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genuine(dates: Vec<DateCheck>, chip: ChipAuth) -> Verdict<()> {
        let at = UnixTime::parse("2027-01-01").unwrap();
        Verdict::new(
            Vec::new(),
            Vec::new(),
            vec!["x"],
            Vec::new(),
            Validity::from_dates(at, dates, None),
            chip,
            TrustMode::Test,
            Some(()),
        )
    }

    fn date(signed: bool, in_force: bool) -> DateCheck {
        DateCheck {
            date: "2030-01-01".into(),
            in_force,
            signed,
            what: "card_expiry",
        }
    }

    #[test]
    fn the_headline_says_genuine_plainly_only_when_a_signed_date_proves_the_card_valid() {
        let yes = || ChipAuth::Authenticated {
            card_key_sha256: "00".into(),
        };
        let plain = Outcome::Genuine.headline();
        // A signed date in force: plain, whatever the chip.
        assert_eq!(
            genuine(vec![date(true, true)], ChipAuth::offline()).headline(),
            plain
        );
        // No date on the chip: check the card.
        let v = genuine(Vec::new(), yes());
        assert_eq!(
            (v.outcome(), v.headline()),
            (Outcome::Genuine, HEADLINE_CHECK_EXPIRY)
        );
        assert!(!v.validity_proven());
        // An unsigned date from a dump: could be edited, so check the card.
        let v = genuine(
            vec![date(true, true), date(false, true)],
            ChipAuth::offline(),
        );
        assert_eq!(v.headline(), HEADLINE_CHECK_EXPIRY);
        assert_eq!(v.to_json()["validity_proven"], false);
        // The same date read from a chip that proved itself: still check the card (the chip's
        // answer covers none of the bytes read).
        let v = genuine(vec![date(false, true)], yes());
        assert_eq!(v.headline(), HEADLINE_CHECK_EXPIRY);
        // Expired stays expired.
        let v = genuine(vec![date(false, false)], ChipAuth::offline());
        assert_eq!(v.headline(), Outcome::GenuineExpired.headline());
    }
}
