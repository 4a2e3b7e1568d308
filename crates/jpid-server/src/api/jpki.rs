//! `POST /v1/jpki/challenges`, `/v1/jpki/login` and `/v1/jpki/signature/verify`: JPKI
//! challenge-response login and signature verification (docs/spec/services.md).

#[allow(unused_imports)]
use super::*;

pub(crate) async fn challenge(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    if !body.is_empty() && body.as_ref() != b"{}" {
        return Err(ApiError::bad("a challenge request has no body (or `{}`)"));
    }
    let store_down = |e: crate::store::StoreError| {
        log::error!("challenge store: {e}");
        ApiError::unavailable(
            "the challenge store cannot be reached; nothing was issued, try again",
        )
    };
    let mut nonce = [0u8; 32];
    getrandom::getrandom(&mut nonce).map_err(ApiError::internal)?;
    let id = crate::audit::new_id().map_err(ApiError::internal)?;
    match s
        .challenges
        .issue(&id, nonce, s.challenge_ttl, &who.key_id, s.challenge_rate)
        .await
        .map_err(store_down)?
    {
        crate::challenges::Issued::Kept => {}
        crate::challenges::Issued::RateLimited => {
            return Err(ApiError::rate_limited(format!(
                "more than {} challenges per second for this key; retry shortly",
                s.challenge_rate
            )))
        }
        crate::challenges::Issued::Full => {
            return Err(ApiError::rate_limited(
                "too many challenges outstanding; retry shortly",
            ))
        }
    }
    Ok(Json(json!({
        "challenge_id": id,
        "nonce": B64.encode(nonce),
        "expires_in": s.challenge_ttl.as_secs(),
        "sign_with": "the JPKI user-authentication key: RSASSA-PKCS1-v1_5 over DigestInfo(SHA-256(nonce bytes)), e.g. `jpid jpki sign --key auth --raw --in nonce.bin`",
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    challenge_id: String,
    signature: String,
    certificate: String,
}

/// A login body, decoded (the signature and certificate out of base64).
pub(crate) struct LoginInput {
    pub(crate) challenge_id: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) certificate: Vec<u8>,
}

/// Parses a `POST /v1/jpki/login` body.
pub(crate) fn login_input(body: &[u8]) -> Result<LoginInput, ApiError> {
    let req: LoginRequest = typed(body)?;
    Ok(LoginInput {
        signature: b64("signature", &req.signature, 1024)?,
        certificate: b64("certificate", &req.certificate, 16 * 1024)?,
        challenge_id: req.challenge_id,
    })
}

/// Checks a login answer to the challenge `nonce`: the reasons it fails (none when it passes)
/// and the certificate's verdict, when the certificate could be parsed.
pub(crate) fn login_verdict(
    nonce: &[u8; 32],
    input: &LoginInput,
    trust: &TrustStore,
    at: UnixTime,
    policy: RevocationPolicy<'_>,
) -> (Vec<(String, String)>, Option<SignatureVerdict>) {
    let digest: [u8; 32] = Sha256::digest(nonce).into();
    let mut reasons = Vec::new();
    match verify_raw(
        &digest,
        &input.signature,
        &input.certificate,
        trust,
        at,
        policy,
    ) {
        Ok(v) => {
            reasons.extend(
                v.reasons
                    .iter()
                    .map(|r| (r.code.to_string(), r.message.clone())),
            );
            if v.valid() && v.purpose != Some(Purpose::JpkiAuth) {
                reasons.push((
                    "not_auth_certificate".into(),
                    "login needs the user-authentication certificate, not the signature certificate".into(),
                ));
            }
            (reasons, Some(v))
        }
        Err(e) => {
            reasons.push(("certificate_malformed".into(), e.to_string()));
            (reasons, None)
        }
    }
}

fn cert_json(v: &SignatureVerdict) -> Value {
    json!({
        "subject": v.certificate.subject,
        "issuer": v.certificate.issuer,
        "serial": v.certificate.serial,
        "not_before": v.certificate.validity.0.to_rfc3339(),
        "not_after": v.certificate.validity.1.to_rfc3339(),
    })
}

fn revocation_json(v: Option<&SignatureVerdict>, configured: bool) -> Value {
    if !configured {
        return json!({
            "checked": false,
            "status": "not_checked",
            "why": "no revocation source is configured for this service (jpid serve --ocsp-url or --crl-dir); revocation was NOT checked",
        });
    }
    match v.map(|v| &v.certificate.revocation) {
        Some(st) => json!({
            "checked": st.checked(),
            "status": st.code(),
            "detail": st.to_string(),
        }),
        None => {
            json!({"checked": false, "status": "not_checked", "why": "no certificate was checked"})
        }
    }
}

pub(crate) async fn login(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    let req = login_input(&body)?;
    // Single use: the challenge is gone whatever happens next, on every instance.
    // A challenge answers only for the key that asked for it.
    let taken = s
        .challenges
        .take(&req.challenge_id, &who.key_id)
        .await
        .map_err(|e| {
            log::error!("challenge store: {e}");
            ApiError::unavailable(
                "the challenge store cannot be reached; nothing was checked, try again",
            )
        })?;
    let at = server_now();
    let mut reasons: Vec<(String, String)> = Vec::new();
    let mut verdict = None;
    match taken {
        crate::challenges::Taken::Unknown => reasons.push((
            "challenge_unknown".into(),
            if s.challenges.shared() {
                "no such challenge: never issued, already used, or issued to another key".into()
            } else {
                "no such challenge: never issued, already used, issued to another key, or the service restarted".into()
            },
        )),
        crate::challenges::Taken::Expired => reasons.push((
            "challenge_expired".into(),
            format!(
                "the challenge expired ({} s to answer)",
                s.challenge_ttl.as_secs()
            ),
        )),
        crate::challenges::Taken::Live(nonce) => {
            let rev = s.revocation();
            let (r, v) = if rev.may_block() {
                // An OCSP request may wait on the network: off the async workers.
                let st = s.clone();
                tokio::task::spawn_blocking(move || {
                    login_verdict(&nonce, &req, &st.trust, at, rev.policy())
                })
                .await
                .map_err(ApiError::internal)?
            } else {
                login_verdict(&nonce, &req, &s.trust, at, rev.policy())
            };
            reasons.extend(r);
            verdict = v;
        }
    }
    let ok = reasons.is_empty() && verdict.as_ref().is_some_and(SignatureVerdict::valid);
    let cert = verdict
        .as_ref()
        .map(|v| (v.certificate.serial.clone(), v.certificate.issuer.clone()));
    let id = record(
        &s,
        &who.key_id,
        &body,
        Outcome {
            detail: json!({
                "checked_at": at.to_rfc3339(),
                "time_source": "server_clock",
                "revocation": revocation_json(verdict.as_ref(), s.revocation().configured()).get("status").cloned(),
            }),
            method: "jpki-login",
            result: if ok { "authenticated" } else { "rejected" },
            reasons: reasons.iter().map(|(c, _)| c.clone()).collect(),
            cert,
        },
    )
    .await?;
    Ok(Json(json!({
        "audit_id": id,
        "authenticated": ok,
        "reasons": reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "certificate": verdict.as_ref().map(cert_json),
        "revocation": revocation_json(verdict.as_ref(), s.revocation().configured()),
        "checked_at": at.to_rfc3339(),
        "trust": trust_json(&s.trust),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureRequest {
    /// The signed content, base64.
    data: Option<String>,
    /// Or its SHA-256, hex.
    digest_sha256: Option<String>,
    /// A bare PKCS#1 v1.5 signature, base64 (needs `certificate`).
    signature: Option<String>,
    /// Or a detached CMS SignedData, base64 DER.
    cms: Option<String>,
    /// The signer certificate, base64 DER (raw signatures only).
    certificate: Option<String>,
}

/// What `POST /v1/jpki/signature` does with its body, without HTTP and audit: the content's
/// digest, then a raw or CMS signature check.
pub(crate) fn signature_check(
    body: &[u8],
    trust: &TrustStore,
    at: UnixTime,
    policy: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, ApiError> {
    let req: SignatureRequest = typed(body)?;
    let digest: [u8; 32] = match (&req.data, &req.digest_sha256) {
        (Some(d), None) => Sha256::digest(b64("data", d, crate::MAX_BODY)?).into(),
        (None, Some(h)) => hex::decode(h.trim())
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| ApiError::bad("digest_sha256 must be 64 hex digits"))?,
        _ => {
            return Err(ApiError::bad(
                "give exactly one of data (base64) or digest_sha256 (hex)",
            ))
        }
    };
    match (&req.signature, &req.cms, &req.certificate) {
        (Some(sig), None, Some(cert)) => verify_raw(
            &digest,
            &b64("signature", sig, 1024)?,
            &b64("certificate", cert, 16 * 1024)?,
            trust,
            at,
            policy,
        ),
        (None, Some(cms), None) => {
            verify_cms(&digest, &b64("cms", cms, 64 * 1024)?, trust, at, policy)
        }
        _ => {
            return Err(ApiError::bad(
                "give signature with certificate (raw PKCS#1 v1.5), or cms alone (detached CMS carrying the signer certificate)",
            ))
        }
    }
    .map_err(|e| ApiError::bad(format!("cannot verify: {e}")))
}

pub(crate) async fn signature(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    let at = server_now();
    let st = s.clone();
    let blocking = s.revocation().may_block();
    let (checked, digest) = verify_sized(&body, blocking, move |b| {
        signature_check(b, &st.trust, at, st.revocation().policy())
    })
    .await?;
    let v = checked?;
    let id = record_digest(
        &s,
        &who.key_id,
        digest,
        Outcome {
            detail: json!({
                "checked_at": at.to_rfc3339(),
                "time_source": "server_clock",
                "revocation": revocation_json(Some(&v), s.revocation().configured()).get("status").cloned(),
            }),
            method: "jpki-signature",
            result: if v.valid() { "valid" } else { "invalid" },
            reasons: v.reasons.iter().map(|r| r.code.to_string()).collect(),
            cert: Some((v.certificate.serial.clone(), v.certificate.issuer.clone())),
        },
    )
    .await?;
    Ok(Json(json!({
        "audit_id": id,
        "valid": v.valid(),
        "signature_ok": v.signature_ok,
        "key": v.purpose.map(|p| p.id()),
        "reasons": v.reasons,
        "certificate": cert_json(&v),
        "holder": if v.valid() { json!(v.holder) } else { json!([]) },
        "revocation": revocation_json(Some(&v), s.crls.is_some()),
        "checked_at": at.to_rfc3339(),
        "trust": trust_json(&s.trust),
    }))
    .into_response())
}

/// `POST /v1/jpki/pdf/verify`: every signature of the PDF in the body (Content-Type
/// `application/pdf`), the same answer as `jpid --json pdf verify`, audited (the PDF's SHA-256,
/// the result, the reasons and the last signer certificate; never the PDF).
pub(crate) async fn pdf_signature(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    let pdf_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.split(';').next().unwrap_or_default().trim();
            t.eq_ignore_ascii_case("application/pdf")
                || t.eq_ignore_ascii_case("application/octet-stream")
        });
    if !pdf_type {
        return Err(ApiError {
            status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            kind: "bad_request",
            message: "send the PDF itself as the body (Content-Type: application/pdf)".into(),
        });
    }
    if body.is_empty() {
        return Err(ApiError::bad("the request body is empty; send the PDF"));
    }
    let at = server_now();
    let st = s.clone();
    // Always off the async workers: a PDF's revisions are parsed once each.
    let (checked, digest) = verify_sized(&body, true, move |b| {
        jpid_verify::pdf::verify_pdf(b, &st.trust, at, st.revocation().policy())
    })
    .await?;
    // The parser's own words may quote the file: the answer names the kind of problem only.
    let v = checked.map_err(|e| {
        ApiError::bad(match e {
            jpid_verify::pdf::PdfError::Malformed(_) => {
                "the body is not a PDF jpid can read".to_string()
            }
            other => other.to_string(),
        })
    })?;
    let last = v.signatures.last().and_then(|s| s.check.as_ref());
    let mut reasons: Vec<String> = v.reasons.iter().map(|r| r.code.to_string()).collect();
    for sig in &v.signatures {
        reasons.extend(sig.reasons.iter().map(|r| r.code.to_string()));
    }
    reasons.sort();
    reasons.dedup();
    let id = record_digest(
        &s,
        &who.key_id,
        digest,
        Outcome {
            detail: json!({"checked_at": at.to_rfc3339(), "signatures": v.signatures.len(), "bytes": v.size}),
            method: "jpki-pdf-signature",
            result: if v.valid() { "valid" } else { "invalid" },
            reasons,
            cert: last.map(|c| (c.certificate.serial.clone(), c.certificate.issuer.clone())),
        },
    )
    .await?;
    let mut answer = v.to_json();
    if let Some(o) = answer.as_object_mut() {
        o.insert("audit_id".into(), json!(id));
        o.insert("checked_at".into(), json!(at.to_rfc3339()));
        o.insert("trust".into(), trust_json(&s.trust));
    }
    Ok(Json(answer).into_response())
}
