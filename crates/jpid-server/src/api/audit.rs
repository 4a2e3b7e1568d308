//! `GET /v1/audit` and `GET /v1/audit/{id}`: the audit records.

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    limit: Option<u32>,
}

pub(crate) async fn history(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    need(&who, Scope::Audit)?;
    let rows = s
        .store
        .history(q.limit.unwrap_or(100))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"records": rows})).into_response())
}

pub(crate) async fn audit_one(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    need(&who, Scope::Audit)?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad("an audit id is 32 hex digits"));
    }
    match s
        .store
        .audit_record(&id)
        .await
        .map_err(ApiError::internal)?
    {
        Some(r) => Ok(Json(json!({"record": r})).into_response()),
        None => Err(ApiError {
            status: axum::http::StatusCode::NOT_FOUND,
            kind: "not_found",
            message: format!("no audit record {id}"),
        }),
    }
}
