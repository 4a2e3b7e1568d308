//! `jpid serve`: the verification service. It verifies what a card, a phone app or the CLI read
//! with the same `jpid-verify` code as the CLI, keeps an audit record of every verification
//! (committed before the answer leaves), and never stores a My Number, a PIN or an image.
//!
//! The HTTP API lives under `/v1` (described by `/v1/openapi.json`); `/` is the counter page,
//! which reads cards with the server's own reader. Nothing but `/healthz` answers without a key.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod api;
pub mod audit;
pub mod auth;
mod challenges;
pub mod counter;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod store;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use jpid_verify::TrustStore;

pub use audit::AuditLog;
pub use auth::{Caller, KeyCheck, Scope};
pub use counter::{CheckRead, CounterReader, ReadError, ReadErrorKind, TextKeyKind};
pub use error::ApiError;
pub use store::{AuditRecord, DbTls, Store, StoreError};

/// Largest request body.
pub const MAX_BODY: usize = 2 << 20;

/// The largest PDF `POST /v1/jpki/pdf/verify` takes (8 MiB): its own limit, above [`MAX_BODY`].
pub const MAX_PDF_BODY: usize = 8 << 20;

/// PDF checks at once, across keys: each holds up to [`MAX_PDF_BODY`] and its parse in memory,
/// so more are refused (429) before their body is read.
pub const MAX_PDF_CHECKS: usize = 4;

/// The PDF endpoint's path.
const PDF_PATH: &str = "/v1/jpki/pdf/verify";
/// Longest time one request may take, body reading included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a JPKI login challenge lives, by default.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// Most challenges outstanding at once (memory bound).
pub const MAX_CHALLENGES: usize = 100_000;
/// How long a client has to send a request's head (request line and headers).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections open at once.
pub const MAX_CONNECTIONS: usize = 4096;
/// Most requests handled at once; more get 503 at once rather than queueing without bound.
pub const MAX_IN_FLIGHT: usize = 512;
/// Most requests one API key may have in flight (its bodies being read, its verifications
/// running): one key's slow bodies cannot hold more than an eighth of [`MAX_IN_FLIGHT`];
/// more get 429 at once.
pub const MAX_IN_FLIGHT_PER_KEY: usize = MAX_IN_FLIGHT / 8;

/// What `jpid serve` was asked to do.
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The trust store (production roots; test roots only when the operator asked by name).
    pub trust: TrustStore,
    /// The counter page's reader, and its description.
    pub reader: Option<(String, Arc<dyn CounterReader>)>,
    /// Challenges per second per key (token bucket refill rate); burst is 5 × this.
    pub challenge_rate: u32,
    /// How long a challenge may be answered.
    pub challenge_ttl: Duration,
    /// A directory of DER/PEM CRLs of the JPKI CAs; reloaded every [`CRL_RELOAD`]. With none,
    /// every JPKI answer says that revocation was not checked.
    pub crl_dir: Option<std::path::PathBuf>,
    /// An OCSP responder (`http://…`) asked about JPKI certificates; with CRLs too, both are
    /// asked and a revocation either knows wins.
    pub ocsp_url: Option<String>,
}

/// How often the CRL directory is read again.
pub const CRL_RELOAD: Duration = Duration::from_secs(600);

/// Shared state.
pub struct AppState {
    /// The store.
    pub store: Store,
    /// API keys.
    pub keys: KeyCheck,
    /// Audit writer.
    pub audit: AuditLog,
    /// Trust.
    pub trust: TrustStore,
    /// Outstanding JPKI challenges and the per-key challenge rate: in memory (SQLite, one
    /// instance) or in PostgreSQL (shared by every instance on it).
    pub(crate) challenges: challenges::Challenges,
    /// Refill rate.
    pub challenge_rate: f64,
    /// How long a challenge may be answered.
    pub challenge_ttl: Duration,
    /// Counter page sessions: token → (key id, expiry). The key is checked on every request.
    pub sessions: Mutex<HashMap<String, (String, Instant)>>,
    /// Requests in flight (a bound on memory and threads).
    pub inflight: Arc<tokio::sync::Semaphore>,
    /// The last /healthz probe commit: when, and whether it committed.
    pub(crate) health_probe: tokio::sync::Mutex<Option<(Instant, bool)>>,
    /// Requests in flight per API key id ([`MAX_IN_FLIGHT_PER_KEY`] each).
    pub inflight_per_key: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// PDF checks in progress ([`MAX_PDF_CHECKS`]).
    pub pdf_checks: Arc<tokio::sync::Semaphore>,
    /// The counter reader.
    pub reader: Option<(String, Arc<dyn CounterReader>)>,
    /// One card read at a time.
    pub reader_lock: Arc<Mutex<()>>,
    /// The OCSP responder, with its cache of answers.
    pub(crate) ocsp: Option<Arc<jpid_verify::OcspSource>>,
    /// The CRL directory and the CRLs last loaded from it (swapped whole on reload).
    pub crls: Option<(
        std::path::PathBuf,
        std::sync::RwLock<Arc<jpid_verify::CrlStore>>,
    )>,
}

impl AppState {
    /// Builds the state (starts the audit writer on the current runtime). Fails when the CRL
    /// directory cannot be loaded: a service told to check revocation must not start without.
    pub fn new(store: Store, config: Config) -> Result<Arc<Self>, jpid_verify::CrlError> {
        let crls = match config.crl_dir {
            Some(dir) => {
                let loaded = jpid_verify::CrlStore::from_dir(&dir)?;
                log::info!("{} CRLs loaded from {}", loaded.len(), dir.display());
                Some((dir, std::sync::RwLock::new(Arc::new(loaded))))
            }
            None => None,
        };
        let challenges = challenges::Challenges::for_store(&store);
        let ocsp = config
            .ocsp_url
            .map(|url| Arc::new(jpid_verify::OcspSource::new(url)));
        Ok(Arc::new(Self {
            crls,
            ocsp,
            keys: KeyCheck::new(store.clone()),
            audit: AuditLog::start(store.clone()),
            store,
            trust: config.trust,
            challenges,
            challenge_rate: f64::from(config.challenge_rate.max(1)),
            challenge_ttl: config.challenge_ttl,
            sessions: Mutex::new(HashMap::new()),
            inflight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            inflight_per_key: Mutex::new(HashMap::new()),
            pdf_checks: Arc::new(tokio::sync::Semaphore::new(MAX_PDF_CHECKS)),
            health_probe: tokio::sync::Mutex::new(None),
            reader: config.reader,
            reader_lock: Arc::new(Mutex::new(())),
        }))
    }

    /// The revocation sources in force now (CRLs as last loaded, the OCSP responder).
    pub(crate) fn revocation(&self) -> Revocation {
        Revocation(jpid_verify::RevocationSources {
            crls: self.crl_store(),
            ocsp: self.ocsp.clone(),
        })
    }

    /// The CRLs now in force, if any.
    pub fn crl_store(&self) -> Option<Arc<jpid_verify::CrlStore>> {
        self.crls.as_ref().map(|(_, s)| {
            s.read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }

    /// Reads the CRL directory again; on failure the CRLs already loaded stay in force.
    pub fn reload_crls(&self) {
        if let Some((dir, slot)) = &self.crls {
            match jpid_verify::CrlStore::from_dir(dir) {
                Ok(s) => {
                    log::info!("{} CRLs reloaded from {}", s.len(), dir.display());
                    *slot
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(s);
                }
                Err(e) => log::error!("CRL reload failed, keeping the previous CRLs: {e}"),
            }
        }
    }
}

/// The service's revocation sources: the CRLs in force and the OCSP responder. The service
/// requires revocation whenever a source is configured (anything but good is not valid).
pub(crate) struct Revocation(jpid_verify::RevocationSources);

impl Revocation {
    /// The policy to verify with.
    pub(crate) fn policy(&self) -> jpid_verify::RevocationPolicy<'_> {
        self.0.policy(true)
    }

    /// Whether any source is configured.
    pub(crate) fn configured(&self) -> bool {
        self.0.configured()
    }

    /// Whether checking may wait on the network (an OCSP responder): such work belongs on the
    /// blocking pool, never on the async workers.
    pub(crate) fn may_block(&self) -> bool {
        self.0.may_block()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One endpoint: its method, its path (as the OpenAPI document writes it) and its handler.
pub(crate) struct Route {
    /// Lower case, as the OpenAPI document writes it (read by the document's test).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    /// The scope a key needs, checked from the headers before any body is read; `None` for
    /// the public paths and those any valid key may use.
    pub(crate) scope: Option<Scope>,
    pub(crate) handler: axum::routing::MethodRouter<Arc<AppState>>,
}

/// Every endpoint, one table: the router is built from it, and a test holds it equal to the
/// paths and methods of `/v1/openapi.json`.
pub(crate) fn routes() -> Vec<Route> {
    use Scope::*;
    let r = |method, path, scope, handler| Route {
        method,
        path,
        scope,
        handler,
    };
    vec![
        r("get", "/healthz", None, get(healthz)),
        r("get", "/v1/openapi.json", None, get(api::openapi)),
        r(
            "post",
            "/v1/residence/verify",
            Some(Residence),
            post(api::residence),
        ),
        r(
            "post",
            "/v1/mynumber/text/verify",
            Some(Mynumber),
            post(api::mynumber_text),
        ),
        r(
            "post",
            "/v1/mynumber/face/verify",
            Some(Mynumber),
            post(api::mynumber_face),
        ),
        r(
            "post",
            "/v1/mynumber/check/verify",
            Some(Mynumber),
            post(api::mynumber_check),
        ),
        r(
            "post",
            "/v1/jpki/challenges",
            Some(Jpki),
            post(api::challenge).layer(DefaultBodyLimit::max(64)),
        ),
        r(
            "post",
            "/v1/jpki/login",
            Some(Jpki),
            post(api::login).layer(DefaultBodyLimit::max(64 << 10)),
        ),
        r(
            "post",
            "/v1/jpki/signature/verify",
            Some(Jpki),
            post(api::signature),
        ),
        r(
            "post",
            PDF_PATH,
            Some(Jpki),
            post(api::pdf_signature).layer(DefaultBodyLimit::max(MAX_PDF_BODY)),
        ),
        r("post", "/v1/age/verify", Some(Age), post(api::age)),
        r("get", "/v1/audit", Some(Audit), get(api::history)),
        r("get", "/v1/audit/{id}", Some(Audit), get(api::audit_one)),
        r("get", "/", None, get(web::page)),
        r(
            "post",
            "/login",
            None,
            post(web::login).layer(DefaultBodyLimit::max(1024)),
        ),
        r(
            "post",
            "/logout",
            None,
            post(web::logout).layer(DefaultBodyLimit::max(1024)),
        ),
        r(
            "post",
            "/ui/read",
            Some(Counter),
            post(web::read).layer(DefaultBodyLimit::max(1024)),
        ),
        r(
            "post",
            "/ui/compare",
            Some(Counter),
            post(web::compare).layer(DefaultBodyLimit::max(1024)),
        ),
    ]
}

/// The scope `path` needs, from the route table (`{…}` in a template matches one segment).
fn scope_of(path: &str) -> Option<Scope> {
    static TABLE: std::sync::OnceLock<Vec<(&'static str, Option<Scope>)>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| routes().into_iter().map(|r| (r.path, r.scope)).collect());
    let matches = |template: &str| {
        let (mut t, mut p) = (template.split('/'), path.split('/'));
        loop {
            match (t.next(), p.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a == b || (a.starts_with('{') && !b.is_empty()) => {}
                _ => return false,
            }
        }
    };
    table
        .iter()
        .find(|(template, _)| matches(template))
        .and_then(|(_, scope)| *scope)
}

/// The whole HTTP surface.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for route in routes() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// The key store cannot be read: 503 when the database is away (down, restarting), so clients
/// retry; 500 when a row is not what jpid wrote. The detail goes to the log only.
fn key_store_down(e: &crate::store::StoreError) -> ApiError {
    if matches!(e, crate::store::StoreError::Row(_)) {
        return ApiError::internal(e);
    }
    log::error!("API key check failed: {e}");
    ApiError::unavailable("the key store cannot be read right now; nothing was done, try again")
}

/// Authenticates every request but the public ones before anything reads its body, and hands
/// the [`Caller`] to the handler. Session cookies count only for the counter page's own
/// endpoints (`/ui/…` and the history, `/v1/audit…`).
async fn authenticate(State(s): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if matches!(path, "/healthz" | "/" | "/login" | "/logout") {
        return next.run(req).await;
    }
    let session_ok = path.starts_with("/ui/") || path.starts_with("/v1/audit");
    let state_changing = req.method() != axum::http::Method::GET;
    match caller(&s, req.headers(), session_ok, state_changing).await {
        Ok(c) => {
            // The key's scope is checked from the headers, before any body is read: a key
            // without it cannot hold a body-reading slot (issue 16, attack run).
            if let Some(scope) = scope_of(req.uri().path()) {
                if let Err(e) = need(&c, scope) {
                    return e.into_response();
                }
            }
            // One key's requests in flight are bounded, so that its slow bodies cannot hold
            // the service's every slot.
            let Some(_key_permit) = key_permit(&s, &c.key_id) else {
                return ApiError::rate_limited(format!(
                    "this key has {MAX_IN_FLIGHT_PER_KEY} requests in flight already; retry when one has finished"
                ))
                .into_response();
            };
            // A body announced larger than any endpoint takes is refused before it is sent.
            let announced = req
                .headers()
                .get(axum::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let pdf = req.uri().path() == PDF_PATH;
            let limit = if pdf { MAX_PDF_BODY } else { MAX_BODY };
            if announced.is_some_and(|n| n > limit as u64) {
                return ApiError {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    kind: "too_large",
                    message: format!("the body is larger than {limit} bytes"),
                }
                .into_response();
            }
            // A PDF check's slot is taken before its body is read, and held until it answers.
            let _pdf_permit = if pdf {
                match s.pdf_checks.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        return ApiError::rate_limited(format!(
                            "{MAX_PDF_CHECKS} PDF checks are in progress already; retry when one has finished"
                        ))
                        .into_response()
                    }
                }
            } else {
                None
            };
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// A slot among the key's [`MAX_IN_FLIGHT_PER_KEY`], if one is free. The map holds one entry
/// per key that authenticated (keys are few); an entry whose every slot is free is dropped when
/// the map grows past 10 000.
fn key_permit(s: &AppState, key_id: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let sem = {
        let mut m = lock(&s.inflight_per_key);
        if m.len() > 10_000 {
            m.retain(|_, sem| sem.available_permits() < MAX_IN_FLIGHT_PER_KEY);
        }
        // The common case looks up without allocating the key id.
        match m.get(key_id) {
            Some(sem) => sem.clone(),
            None => m
                .entry(key_id.to_string())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT_PER_KEY)))
                .clone(),
        }
    };
    sem.try_acquire_owned().ok()
}

/// Timeouts, the in-flight bound, and headers every answer gets.
async fn guard(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = s.inflight.clone().try_acquire_owned() else {
        return ApiError::unavailable(
            "the service is at its limit of concurrent requests; retry shortly",
        )
        .into_response();
    };
    let mut resp = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            kind: "timeout",
            message: format!("the request took longer than {REQUEST_TIMEOUT:?}"),
        }
        .into_response(),
    };
    resp = json_errors(resp);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: with no-referrer browsers send `Origin: null` on the
    // page's own form posts, and the sign-in's same-origin check needs the real origin.
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}

/// Every error answer is JSON in the documented shape (docs/service.md), including those the
/// HTTP framework writes itself (405, 413, a malformed query or body, an unsupported media
/// type), whose plain-text bodies may quote what the client sent and are replaced by a sentence
/// that does not; 429 and 503 say when to retry (`Retry-After: 1`: the per-key rates are per
/// second, and a busy or recovering service is worth one more try a second later).
fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // JSON already, or the counter's own sign-in page (HTML, 401 before sign-in).
    let written =
        content_type.starts_with("application/json") || content_type.starts_with("text/html");
    let mut resp = if (status.is_client_error() || status.is_server_error()) && !written {
        let (kind, message) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this path does not take that method; docs/service.md lists each endpoint's",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "too_large",
                "the request body is larger than this endpoint takes",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "bad_request",
                "send the body as JSON (Content-Type: application/json)",
            ),
            s if s.is_client_error() => (
                "bad_request",
                "the request's query or body could not be read; docs/service.md has each endpoint's form",
            ),
            _ => ("internal", "the service failed to answer; see its log"),
        };
        let allow = resp.headers().get(header::ALLOW).cloned();
        let mut new = ApiError {
            status,
            kind,
            message: message.into(),
        }
        .into_response();
        if let Some(a) = allow {
            new.headers_mut().insert(header::ALLOW, a);
        }
        new
    } else {
        resp
    };
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) && !resp.headers().contains_key(header::RETRY_AFTER)
    {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// Free space below which a SQLite store is reported unable to commit.
pub const MIN_FREE_BYTES: u64 = 1 << 20;

/// Whether the service can answer: it runs, its audit store answers, and the store can commit
/// (one small write, made durable, per call: a full disk or a read-only database shows here,
/// as it stops every verification, which is answered only after its record is committed).
/// Nothing about the data.
async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    let down = |status: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": status })),
        )
            .into_response()
    };
    match tokio::time::timeout(Duration::from_secs(2), s.store.ping()).await {
        Ok(Ok(())) => {}
        _ => return down("audit_store_unavailable"),
    }
    // Audit batches failing now: verifications are refused, whatever a small probe says (a
    // probe row can fit where a batch does not).
    if s.audit.failing(Duration::from_secs(10)) {
        return down("audit_store_cannot_commit");
    }
    // SQLite on a nearly full disk: a batch needs a few pages of WAL, and the store must not
    // be reported able when it is not (1 MiB is a margin of hundreds of batches).
    if s.store
        .free_space()
        .is_some_and(|free| free < MIN_FREE_BYTES)
    {
        log::warn!("healthz: the audit store's disk has less than {MIN_FREE_BYTES} bytes free");
        return down("audit_store_cannot_commit");
    }
    // One probe commit a second at most, its result shared by the calls meanwhile: /healthz
    // needs no key, and a flood of it must not queue durable writes before the audit batches.
    let probe = s.health_probe.lock().await;
    let fresh = probe
        .as_ref()
        .filter(|(when, _)| when.elapsed() < Duration::from_secs(1))
        .map(|(_, ok)| *ok);
    let ok = match fresh {
        Some(ok) => ok,
        None => {
            let mut probe = probe;
            let ok = match tokio::time::timeout(
                Duration::from_secs(2),
                s.store.probe_commit(store::now()),
            )
            .await
            {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    log::error!("healthz: the audit store cannot commit: {e}");
                    false
                }
                Err(_) => false,
            };
            *probe = Some((Instant::now(), ok));
            ok
        }
    };
    if ok {
        axum::Json(serde_json::json!({"status": "ok"})).into_response()
    } else {
        down("audit_store_cannot_commit")
    }
}

/// Authenticates a request by its `Authorization: Bearer` key, or by the counter page's session
/// cookie (then a state-changing request must carry `X-Jpid-Page: 1`, which a cross-site form
/// cannot send).
pub(crate) async fn caller(
    s: &AppState,
    headers: &HeaderMap,
    session_ok: bool,
    state_changing: bool,
) -> Result<Caller, ApiError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = v
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::unauthorized("use `Authorization: Bearer jpid_…`"))?;
        return s.keys.check(token).await.map_err(|e| match e {
            auth::AuthError::Store(e) => key_store_down(&e),
            e => ApiError::unauthorized(e.to_string()),
        });
    }
    if let Some(id) = web::session(s, headers).filter(|_| session_ok) {
        if state_changing && headers.get("x-jpid-page").is_none() {
            return Err(ApiError::forbidden(
                "page requests must carry the X-Jpid-Page header",
            ));
        }
        return s.keys.check_id(&id).await.map_err(|e| match e {
            auth::AuthError::Store(e) => key_store_down(&e),
            _ => ApiError::unauthorized("the session's key is no longer valid: sign in again"),
        });
    }
    Err(ApiError::unauthorized(auth::AuthError::Missing.to_string()))
}

pub(crate) fn need(c: &Caller, scope: Scope) -> Result<(), ApiError> {
    if c.has(scope) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "this key lacks the {:?} scope",
            scope.id()
        )))
    }
}

/// Runs the service until Ctrl-C or SIGTERM. `ready` is called with the bound address.
pub async fn serve(
    store: Store,
    config: Config,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), std::io::Error> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store, config).map_err(std::io::Error::other)?;
    if state.crls.is_some() {
        let s = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CRL_RELOAD).await;
                let s2 = s.clone();
                let _ = tokio::task::spawn_blocking(move || s2.reload_crls()).await;
            }
        });
    }
    let app = router(state);
    ready(addr);
    accept_loop(listener, app, shutdown_signal()).await
}

/// The benchmark's "HTTP alone": answers every POST to one of `answers`' paths by reading its
/// whole body (under the same [`MAX_BODY`] limit) and sending that path's bytes back as JSON,
/// through the same accept loop, HTTP/1.1 settings and connection bounds as [`serve`] — with no
/// key check, parsing, verification or audit record. `jpid-bench serve` passes the service's own
/// answers, so the floor sends what the service sends. Runs until the runtime stops.
pub async fn serve_http_floor(
    answers: Vec<(&'static str, Vec<u8>)>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), std::io::Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut app = Router::new();
    for (path, answer) in answers {
        let answer = axum::body::Bytes::from(answer);
        app = app.route(
            path,
            post(move |_body: axum::body::Bytes| {
                let answer = answer.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], answer) }
            }),
        );
    }
    let app = app.layer(DefaultBodyLimit::max(MAX_BODY));
    ready(listener.local_addr()?);
    accept_loop(listener, app, std::future::pending::<()>()).await
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Accepts connections until `shutdown`, serving each with HTTP/1.1: a client has
/// [`HEADER_TIMEOUT`] to send its request head (slow clients are cut off), at most
/// [`MAX_CONNECTIONS`] connections are open at once (more wait in the kernel's backlog), and on
/// shutdown the requests in progress finish (up to [`REQUEST_TIMEOUT`]) before the process ends.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), std::io::Error> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The scope each path needs, as the middleware reads it before any body.
    #[test]
    fn scopes_come_from_the_route_table() {
        use crate::Scope;
        assert_eq!(
            super::scope_of("/v1/residence/verify"),
            Some(Scope::Residence)
        );
        assert_eq!(
            super::scope_of("/v1/audit/0123456789abcdef0123456789abcdef"),
            Some(Scope::Audit)
        );
        assert_eq!(super::scope_of("/v1/audit/"), None);
        assert_eq!(super::scope_of("/ui/read"), Some(Scope::Counter));
        assert_eq!(super::scope_of("/v1/openapi.json"), None);
        assert_eq!(super::scope_of("/nope"), None);
        // Every /v1 and /ui route but the document names a scope.
        for r in super::routes() {
            let public = matches!(
                r.path,
                "/healthz" | "/" | "/login" | "/logout" | "/v1/openapi.json"
            );
            assert_eq!(r.scope.is_none(), public, "{}", r.path);
        }
    }

    /// The router's endpoints and the OpenAPI document's operations are the same set: an
    /// endpoint added to one and not the other fails here.
    #[test]
    fn router_paths_equal_the_documents() {
        let router: BTreeSet<(String, String)> = super::routes()
            .into_iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        let doc: serde_json::Value = serde_json::from_str(crate::api::OPENAPI).unwrap();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), path.clone()))
            })
            .collect();
        let only_router: Vec<_> = router.difference(&documented).collect();
        let only_doc: Vec<_> = documented.difference(&router).collect();
        assert!(
            only_router.is_empty() && only_doc.is_empty(),
            "served but not documented: {only_router:?}; documented but not served: {only_doc:?}"
        );
        assert!(router.len() >= 16, "{router:?}");
    }

    /// Every operation documents the errors every request can meet, in the Error shape.
    #[test]
    fn every_operation_documents_its_error_statuses() {
        let doc: serde_json::Value = serde_json::from_str(crate::api::OPENAPI).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                // Every answer may be the in-flight bound's 503, and a timeout but for
                // /healthz (which gives up on the store after 2 s).
                let mut needed = vec!["503"];
                if path != "/healthz" {
                    needed.push("408");
                }
                if method == "post" {
                    needed.push("413");
                }
                // Authenticated paths: a key problem, the per-key bound, a failure.
                if path.starts_with("/v1/") || path.starts_with("/ui/") {
                    needed.extend(["401", "429", "500"]);
                }
                for status in needed {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
    }
}
