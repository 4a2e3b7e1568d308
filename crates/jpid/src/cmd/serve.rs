//! `jpid serve`: the verification service (crate jpid-server) and its maintenance commands.

use std::sync::Arc;

use jpid_server::auth::{new_key, parse_scopes};
use jpid_server::store::now;
use jpid_server::{Config, CounterReader, Scope, Store};
use serde_json::json;

use crate::cli::{KeysAction, ServeAction, ServeArgs};
use crate::context::Ctx;
use crate::error::{CliError, Kind};

const DAY: i64 = 86_400;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Kind::Internal, format!("cannot start the runtime: {e}")))
}

fn store_err(e: jpid_server::StoreError) -> CliError {
    let text = e.to_string();
    let hint = if matches!(e, jpid_server::StoreError::Tls(_)) {
        // jpid's own TLS settings: the CA file, or --db-ca against sslmode=disable.
        "--db-ca FILE names the PEM certificates of the CA that issued the database's certificate, and asks for TLS (the URL may then say sslmode=require or nothing, not sslmode=disable)"
    } else if text.contains("TLS") || text.contains("certificate") {
        "--db-ca FILE trusts the CA that issued the database's certificate, which must name the URL's host; a database on this host with a self-signed certificate: add sslmode=disable to the URL, or use its Unix socket"
    } else {
        "check --db (sqlite://PATH or postgres://USER@HOST/DB) and that the database runs"
    };
    CliError::new(Kind::Io, format!("audit store: {text}")).hint(hint)
}

pub fn run(ctx: &Ctx, args: &ServeArgs) -> Result<(), CliError> {
    let rt = runtime()?;
    rt.block_on(async {
        let tls = jpid_server::DbTls {
            ca_file: args.db_ca.clone(),
        };
        let store = Store::open_with(args.db.as_deref(), &tls)
            .await
            .map_err(store_err)?;
        match &args.action {
            Some(ServeAction::Keys(k)) => keys(ctx, &store, k).await,
            Some(ServeAction::Purge { retention_days }) => {
                purge(ctx, &store, *retention_days).await
            }
            None => serve(ctx, store, args).await,
        }
    })
}

async fn purge(ctx: &Ctx<'_>, store: &Store, days: u32) -> Result<(), CliError> {
    let before = now() - i64::from(days) * DAY;
    let n = store.purge(before).await.map_err(store_err)?;
    ctx.out.emit(
        "serve purge",
        json!({"deleted": n, "retention_days": days, "db": store.describe()}),
        || {
            format!(
                "deleted {n} audit records older than {days} days from {}\n",
                store.describe()
            )
        },
    );
    Ok(())
}

async fn keys(ctx: &Ctx<'_>, store: &Store, action: &KeysAction) -> Result<(), CliError> {
    match action {
        KeysAction::Create { name, scopes } => {
            let scopes = parse_scopes(scopes).map_err(|e| CliError::new(Kind::Usage, e))?;
            let name = name.trim();
            if name.is_empty() || name.len() > 100 {
                return Err(CliError::new(
                    Kind::Usage,
                    "--name must be 1 to 100 characters",
                ));
            }
            let k = new_key(name, &scopes, now())
                .map_err(|e| CliError::new(Kind::Internal, format!("no randomness: {e}")))?;
            store.insert_key(k.row.clone()).await.map_err(store_err)?;
            ctx.out.emit(
                "serve keys create",
                json!({"id": k.row.id, "name": k.row.name, "scopes": k.row.scopes, "key": k.token.as_str()}),
                || {
                    format!(
                        "key {} ({}) with scopes: {}\n\n  {}\n\nThis is the only time the key is shown; jpid keeps only its SHA-256.\nSend it as `Authorization: Bearer <key>`.\n",
                        k.row.id, k.row.name, k.row.scopes, k.token.as_str()
                    )
                },
            );
            Ok(())
        }
        KeysAction::List => {
            let rows = store.list_keys().await.map_err(store_err)?;
            ctx.out.emit("serve keys list", json!({"keys": rows}), || {
                let mut s = String::new();
                if rows.is_empty() {
                    s.push_str("no keys yet: jpid serve keys create --name NAME --scopes LIST\n");
                }
                for r in &rows {
                    s.push_str(&format!(
                        "{}  {:<20} {:<40} {}\n",
                        r.id,
                        r.name,
                        r.scopes,
                        if r.revoked_at.is_some() {
                            "REVOKED"
                        } else {
                            "active"
                        }
                    ));
                }
                s
            });
            Ok(())
        }
        KeysAction::Pair { id, minutes } => {
            let id = id.trim();
            let row = store.find_key(id).await.map_err(store_err)?;
            let Some(row) = row.filter(|r| r.revoked_at.is_none()) else {
                return Err(
                    CliError::new(Kind::Usage, format!("no active key with id {id:?}"))
                        .hint("see `jpid serve keys list`"),
                );
            };
            if !row.scopes.split(' ').any(|s| s == Scope::Counter.id()) {
                return Err(CliError::new(
                    Kind::Usage,
                    format!(
                        "key {id} has no counter scope, so it cannot sign in to the counter page"
                    ),
                )
                .hint(
                    "make a counter key: jpid serve keys create --name NAME --scopes counter,audit",
                ));
            }
            let p = jpid_server::auth::new_pairing_code()
                .map_err(|e| CliError::new(Kind::Internal, format!("no randomness: {e}")))?;
            let t = now();
            let expires = t + i64::from(*minutes) * 60;
            store
                .insert_pairing(p.code_sha256.clone(), row.id.clone(), t, expires)
                .await
                .map_err(store_err)?;
            let until =
                jpid_model::UnixTime(u64::try_from(expires + 9 * 3600).unwrap_or(0)).to_rfc3339();
            let until = format!(
                "{} {} JST",
                until.get(..10).unwrap_or_default(),
                until.get(11..16).unwrap_or_default()
            );
            ctx.out.emit(
                "serve keys pair",
                json!({"key_id": row.id, "code": p.code.as_str(), "expires_at": expires}),
                || {
                    format!(
                        "pairing code for key {} ({}):\n\n  {}\n\nUsable once, until {until} ({minutes} min). The clerk types it on the counter page's\nsign-in form (ペアリングコード); the session lasts one shift (8 hours).\n",
                        row.id, row.name, p.code.as_str()
                    )
                },
            );
            Ok(())
        }
        KeysAction::Revoke { id } => {
            if store
                .revoke_key(id.trim(), now())
                .await
                .map_err(store_err)?
            {
                ctx.out.emit(
                    "serve keys revoke",
                    json!({"id": id, "revoked": true}),
                    || format!("key {id} revoked (it stops working within 5 seconds)\n"),
                );
                Ok(())
            } else {
                Err(
                    CliError::new(Kind::Usage, format!("no active key with id {id:?}"))
                        .hint("see `jpid serve keys list`"),
                )
            }
        }
    }
}

async fn serve(ctx: &Ctx<'_>, store: Store, args: &ServeArgs) -> Result<(), CliError> {
    let listen = args.listen.parse().map_err(|e| {
        CliError::new(Kind::Usage, format!("--listen {:?}: {e}", args.listen))
            .hint("give ADDR:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)")
    })?;
    // The counter page sends PINs through this process: no core dump may hold one.
    crate::pin::no_core_dumps();
    // The service never trusts the test roots because of what it is sent: only by name.
    let trust = ctx.trust(false)?;
    let spec = ctx.reader()?;
    let described = ctx.global.reader.clone();
    let reader: Arc<dyn CounterReader> = Arc::new(crate::counter::CardReader::new(spec));
    if let Some(dir) = &args.crl_dir {
        // Refuse to start rather than run without the revocation checks asked for.
        jpid_verify::CrlStore::from_dir(dir).map_err(|e| {
            CliError::new(Kind::Usage, format!("--crl-dir {}: {e}", dir.display()))
                .hint("the directory must hold only CRL files (.crl, .der, .pem) of the JPKI CAs")
        })?;
    }
    let retention = args.retention_days;
    let deleted = store
        .purge(now() - i64::from(retention) * DAY)
        .await
        .map_err(store_err)?;
    let daily = store.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(DAY as u64)).await;
            match daily.purge(now() - i64::from(retention) * DAY).await {
                Ok(n) => log::info!("retention: purged {n} audit records"),
                Err(e) => log::error!("retention purge failed: {e}"),
            }
        }
    });
    let db = store.describe();
    let crl_dir = args.crl_dir.as_ref().map(|d| d.display().to_string());
    let ocsp = args.ocsp_url.clone();
    let mode = trust.mode().id();
    let config = Config {
        listen,
        trust,
        reader: Some((described.clone(), reader)),
        challenge_rate: args.challenge_rate,
        challenge_ttl: std::time::Duration::from_secs(args.challenge_ttl),
        crl_dir: args.crl_dir.clone(),
        ocsp_url: args.ocsp_url.clone(),
    };
    let out = &ctx.out;
    jpid_server::serve(store, config, |addr| {
        out.emit(
            "serve",
            json!({"listening": addr.to_string(), "db": db, "crl_dir": crl_dir, "ocsp_url": ocsp, "trust": mode, "reader": described, "purged": deleted, "retention_days": retention}),
            || format!(
                "jpid serve: listening on http://{addr}/ (audit store {db}; trust {mode}; counter reader {described}; retention {retention} days)\nPress Ctrl-C to stop.\n"
            ),
        );
    })
    .await
    .map_err(|e| CliError::new(Kind::Io, format!("jpid serve on {}: {e}", args.listen)))
}
