//! The residence-card applet on top of the generic card OS: GET CHALLENGE, MUTUAL AUTHENTICATE
//! and VERIFY keyed by the card number, secure messaging on DF1, plain reads of DF2/DF3 after
//! authentication (docs/spec/residence-card.md §1, §2, §5).
//!
//! Status words: `63 00` for a MAC or card number that does not match (§5); `69 82` for reads
//! before authentication; `68 82` for an SM read of a file that is not under SM; `69 88` for
//! malformed SM objects; `69 85` for MUTUAL AUTHENTICATE without a fresh challenge (jpid's
//! choice: no source says what the card answers).

use jpid_apdu::{tlv, Command, Response, StatusWord, Tag};
use jpid_card::residence::crypto::{self, Key16, Suite};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::fs::{Access, Extension, Os, Selected};
use crate::hostile::SmFault;
use crate::profile::{RULE_RESIDENCE_AUTH, RULE_RESIDENCE_AUTH_SM};

/// Session and key state of the residence applet.
pub struct ResidenceApplet {
    suite: Suite,
    card_number: String,
    base: Key16,
    challenge: Option<[u8; 8]>,
    session: Option<Key16>,
    verified: bool,
    counter: u64,
    sm_fault: Option<SmFault>,
}

impl ResidenceApplet {
    /// The applet of a card with `card_number`, using the generation's `suite`.
    pub fn new(suite: Suite, card_number: &str) -> Self {
        Self {
            suite,
            card_number: card_number.to_string(),
            base: crypto::base_key(card_number),
            challenge: None,
            session: None,
            verified: false,
            counter: 0,
            sm_fault: None,
        }
    }

    /// A hostile applet whose secure-messaging answers carry `fault` (docs/simulator.md,
    /// `hostile-mode=bad-padding`).
    pub fn with_sm_fault(mut self, fault: SmFault) -> Self {
        self.sm_fault = Some(fault);
        self
    }

    /// The padded plaintext of an SM answer, with the hostile fault if one is set.
    fn pad_answer(&self, data: &[u8]) -> Vec<u8> {
        let block = self.suite.block();
        match self.sm_fault {
            Some(SmFault::JunkAfterMarker) => {
                // 80 then a non-zero byte, to a whole block.
                let mut v = data.to_vec();
                v.push(0x80);
                v.push(0x5A);
                while !v.len().is_multiple_of(block) {
                    v.push(0);
                }
                v
            }
            Some(SmFault::OverlongPadding) => {
                let mut v = crypto::pad(self.suite, data);
                v.extend(std::iter::repeat_n(0, block));
                v
            }
            _ => crypto::pad(self.suite, data),
        }
    }

    /// Card-side randomness: a simulator needs no secrecy, only distinct values per use, so it
    /// hashes a counter with the card number (reproducible runs, no RNG dependency).
    fn random(&mut self, out: &mut [u8]) {
        self.counter += 1;
        let d = Sha256::new()
            .chain_update(self.counter.to_be_bytes())
            .chain_update(self.card_number.as_bytes())
            .finalize();
        for (o, b) in out.iter_mut().zip(d.iter().cycle()) {
            *o = *b;
        }
    }

    fn get_challenge(&mut self, cmd: &Command) -> Response {
        if cmd.le() != Some(8) {
            return Response::status(StatusWord::WrongLength);
        }
        let mut c = [0u8; 8];
        self.random(&mut c);
        self.challenge = Some(c);
        self.session = None;
        self.verified = false;
        Response::ok(c.to_vec())
    }

    fn mutual_authenticate(&mut self, cmd: &Command) -> Response {
        let Some(rnd_icc) = self.challenge.take() else {
            return Response::status(StatusWord::ConditionsNotSatisfied);
        };
        let data = cmd.data();
        if data.len() != 40 {
            return Response::status(StatusWord::WrongLength);
        }
        let (e_ifd, m_ifd) = data.split_at(32);
        if !crypto::mac_eq(&crypto::mac(self.suite, &self.base, e_ifd), m_ifd) {
            return Response::status(StatusWord::VerificationFailed);
        }
        let Ok(plain) = crypto::decrypt(self.suite, &self.base, e_ifd) else {
            return Response::status(StatusWord::VerificationFailed);
        };
        let echoed: bool = plain.get(8..16).unwrap_or_default().ct_eq(&rnd_icc).into();
        if !echoed {
            return Response::status(StatusWord::VerificationFailed);
        }
        let (Some(rnd_ifd), Some(k_ifd)) = (plain.get(..8), plain.get(16..32)) else {
            return Response::status(StatusWord::VerificationFailed);
        };
        let mut k_icc = Zeroizing::new([0u8; 16]);
        self.random(&mut k_icc[..]);
        let mut answer = Zeroizing::new(Vec::with_capacity(32));
        answer.extend_from_slice(&rnd_icc);
        answer.extend_from_slice(rnd_ifd);
        answer.extend_from_slice(&k_icc[..]);
        let Ok(e_icc) = crypto::encrypt(self.suite, &self.base, &answer) else {
            return Response::status(StatusWord::ExecutionError);
        };
        let m_icc = crypto::mac(self.suite, &self.base, &e_icc);
        let mut k_ifd_arr = [0u8; 16];
        k_ifd_arr.copy_from_slice(k_ifd);
        self.session = Some(crypto::session_key(&k_ifd_arr, &k_icc));
        let mut out = e_icc;
        out.extend_from_slice(&m_icc);
        Response::ok(out)
    }

    /// Decrypts `86 L 01 ‖ cryptogram` under the session key.
    fn open_sm(&self, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, StatusWord> {
        let key = self
            .session
            .as_ref()
            .ok_or(StatusWord::SecurityStatusNotSatisfied)?;
        let obj = tlv::expect_single(data, Tag::new(0x86))
            .map_err(|_| StatusWord::SmDataObjectsIncorrect)?;
        let (ind, ct) = obj
            .value()
            .split_first()
            .ok_or(StatusWord::SmDataObjectsIncorrect)?;
        if *ind != 0x01 {
            return Err(StatusWord::SmDataObjectsIncorrect);
        }
        let plain =
            crypto::decrypt(self.suite, key, ct).map_err(|_| StatusWord::SmDataObjectsIncorrect)?;
        let body =
            crypto::unpad(self.suite, &plain).map_err(|_| StatusWord::SmDataObjectsIncorrect)?;
        Ok(Zeroizing::new(body.to_vec()))
    }

    fn verify(&mut self, cmd: &Command) -> Response {
        if cmd.p1() != 0x00 || cmd.p2() != 0x86 {
            return Response::status(StatusWord::IncorrectP1P2);
        }
        let number = match self.open_sm(cmd.data()) {
            Ok(n) => n,
            Err(sw) => return Response::status(sw),
        };
        let same: bool = number.as_slice().ct_eq(self.card_number.as_bytes()).into();
        if same {
            self.verified = true;
            Response::status(StatusWord::Success)
        } else {
            self.verified = false;
            Response::status(StatusWord::VerificationFailed)
        }
    }

    fn sm_read(&mut self, os: &mut Os, cmd: &Command, extended: bool) -> Response {
        let Some(key) = self.session.as_ref().filter(|_| self.verified) else {
            return Response::status(StatusWord::SecurityStatusNotSatisfied);
        };
        // Command data: 96 02 LL LL, the expected plaintext length (0000 = all).
        let want = match tlv::expect_single(cmd.data(), Tag::new(0x96)).map(|t| t.value()) {
            Ok([hi, lo]) => usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => return Response::status(StatusWord::SmDataObjectsIncorrect),
        };
        let (index, offset) = if cmd.p1() & 0x80 != 0 {
            let sfi = cmd.p1() & 0x1F;
            match os.df().efs.iter().position(|e| e.sfi == Some(sfi)) {
                Some(i) => (i, usize::from(cmd.p2())),
                None => return Response::status(StatusWord::FileNotFound),
            }
        } else {
            match os.selected {
                Selected::Ef(i) => (
                    i,
                    usize::from(u16::from_be_bytes([cmd.p1() & 0x7F, cmd.p2()])),
                ),
                _ => return Response::status(StatusWord::CommandNotAllowed),
            }
        };
        os.selected = Selected::Ef(index);
        let Some(ef) = os.df().efs.get(index) else {
            return Response::status(StatusWord::FileNotFound);
        };
        if ef.read != Access::Custom(RULE_RESIDENCE_AUTH_SM) {
            return Response::status(StatusWord::SecureMessagingNotSupported);
        }
        let Some(rest) = ef.data.get(offset..).filter(|r| !r.is_empty()) else {
            return Response::status(StatusWord::WrongP1P2);
        };
        let n = if want == 0 {
            rest.len()
        } else {
            want.min(rest.len())
        };
        let padded = self.pad_answer(rest.get(..n).unwrap_or_default());
        let Ok(ct) = crypto::encrypt(self.suite, key, &padded) else {
            return Response::status(StatusWord::ExecutionError);
        };
        let indicator = if self.sm_fault == Some(SmFault::WrongIndicator) {
            0x02
        } else {
            0x01
        };
        let mut body = vec![indicator];
        body.extend_from_slice(&ct);
        let answer = tlv::encode(Tag::new(0x86), &body);
        let limit = if extended {
            jpid_apdu::MAX_EXTENDED_LE
        } else {
            cmd.le().unwrap_or(256)
        };
        if answer.len() > limit as usize {
            return Response::status(StatusWord::WrongLength);
        }
        Response::ok(answer)
    }
}

impl Extension for ResidenceApplet {
    fn handle(&mut self, os: &mut Os, cmd: &Command) -> Option<Response> {
        Some(match (cmd.cla(), cmd.ins()) {
            (0x00, 0x84) => self.get_challenge(cmd),
            (0x00, 0x82) => self.mutual_authenticate(cmd),
            (0x08, 0x20) => self.verify(cmd),
            (0x08, 0xB0) => {
                let extended = cmd.le().is_some_and(|le| le > 256) || cmd.data().len() > 255;
                self.sm_read(os, cmd, extended)
            }
            _ => return None,
        })
    }

    fn allows(&self, _os: &Os, rule: u8) -> bool {
        // Plain reads: DF2/DF3 after VERIFY; DF1 never without SM.
        rule == RULE_RESIDENCE_AUTH && self.verified
    }

    fn reset(&mut self) {
        self.challenge = None;
        self.session = None;
        self.verified = false;
    }
}
