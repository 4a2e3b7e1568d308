//! CRL files and an OCSP responder asked together, as the service and the CLI configure them.

use std::sync::Arc;

use super::{CrlStore, OcspSource, RevocationPolicy, RevocationSource, RevocationStatus};
use crate::x509::ParsedCert;
use crate::UnixTime;

/// The revocation sources configured: CRLs, an OCSP responder, both or neither.
#[derive(Clone, Default)]
pub struct Sources {
    /// CRLs of the roots.
    pub crls: Option<Arc<CrlStore>>,
    /// An OCSP responder.
    pub ocsp: Option<Arc<OcspSource>>,
}

impl Sources {
    /// Whether any source is configured.
    pub fn configured(&self) -> bool {
        self.crls.is_some() || self.ocsp.is_some()
    }

    /// Whether checking may wait on the network (an OCSP responder).
    pub fn may_block(&self) -> bool {
        self.ocsp.is_some()
    }

    /// The policy to verify with: not checked without a source; with one, `Required` (anything
    /// but good is not valid) or, unless `required`, `BestEffort` (unknown stays valid with a
    /// warning).
    pub fn policy(&self, required: bool) -> RevocationPolicy<'_> {
        match (self.configured(), required) {
            (false, _) => RevocationPolicy::NotChecked,
            (true, true) => RevocationPolicy::Required(self),
            (true, false) => RevocationPolicy::BestEffort(self),
        }
    }
}

impl RevocationSource for Sources {
    fn check(&self, cert: &ParsedCert, issuer: &ParsedCert, at: UnixTime) -> RevocationStatus {
        // Both sources are asked when both are configured: a revocation either knows wins (a
        // CRL reloaded with the certificate listed must not be hidden by a cached OCSP "good");
        // otherwise a good answer from either; otherwise OCSP's reason.
        use RevocationStatus as St;
        let from_ocsp = self.ocsp.as_ref().map(|o| o.check(cert, issuer, at));
        let from_crls = self.crls.as_ref().map(|c| c.check(cert, issuer, at));
        let answers = [from_ocsp, from_crls];
        if let Some(revoked) = answers
            .iter()
            .flatten()
            .find(|st| matches!(st, St::Revoked { .. }))
        {
            return revoked.clone();
        }
        if let Some(good) = answers.iter().flatten().find(|st| st.checked()) {
            return good.clone();
        }
        answers
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(St::NotChecked)
    }
}
