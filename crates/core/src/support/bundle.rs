//! The support bundle: one zip the owner can send. It holds the log files, the
//! versions, the settings (values that are URLs with their user and password cut
//! out, and no key that names a secret) and the shop's state in counts: orders by
//! status, the outbox and its last errors, open alerts, supplier accounts by name.
//! Never the database, a code, a key or a password: secrets live in the keyring and
//! codes are sealed in the database, neither of which goes in.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use super::SupportError;
use crate::db::{Db, DbError};

/// A bundle written.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    pub path: PathBuf,
    /// What it holds, by name.
    pub files: Vec<String>,
    pub bytes: u64,
}

/// A settings key that names a secret is left out whatever its value.
fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["key", "secret", "token", "password", "pin", "balance"]
        .iter()
        .any(|w| key.contains(w) && key != "razorpay.key_id")
}

/// A value as it may leave the shop: a URL keeps no user or password.
fn shareable(value: &str) -> String {
    if value.contains("://") || value.contains('@') && value.contains(':') {
        crate::delivery::email::redact_url(value)
    } else {
        value.to_string()
    }
}

/// Writes the bundle to `out` (a new file; a folder gets a dated one in it) for the
/// till over `db` and `data_dir`; `app` names the program and its version.
pub async fn write_bundle(
    db: &Db,
    data_dir: &Path,
    out: &Path,
    app: &str,
) -> Result<Bundle, SupportError> {
    let path = if out.is_dir() {
        out.join(format!(
            "codetill-support-{}.zip",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        ))
    } else {
        out.to_path_buf()
    };
    let versions = versions(db, app).await?;
    let settings = settings(db).await?;
    let state = state(db).await?;
    let logs = super::logs::log_files(data_dir);
    let written = path.clone();
    tokio::task::spawn_blocking(move || zip_up(&written, &versions, &settings, &state, &logs))
        .await
        .map_err(|e| SupportError::Zip(e.to_string()))??;
    let bytes = std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|source| SupportError::Io {
            what: "cannot read back",
            path: path.clone(),
            source,
        })?;
    let files = list(&path)?;
    tracing::info!(path = %path.display(), bytes, "support bundle written");
    Ok(Bundle { path, files, bytes })
}

fn zip_up(
    path: &Path,
    versions: &Value,
    settings: &Value,
    state: &Value,
    logs: &[PathBuf],
) -> Result<(), SupportError> {
    let io = |what: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| SupportError::Io {
            what,
            path: p,
            source,
        }
    };
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open
        .open(path)
        .map_err(io("cannot create the bundle", path))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let zipped = |e: zip::result::ZipError| SupportError::Zip(e.to_string());
    for (name, value) in [
        ("versions.json", versions),
        ("settings.json", settings),
        ("state.json", state),
    ] {
        zip.start_file(format!("codetill-support/{name}"), options)
            .map_err(zipped)?;
        let text =
            serde_json::to_vec_pretty(value).map_err(|e| SupportError::Zip(e.to_string()))?;
        zip.write_all(&text).map_err(io("cannot write", path))?;
    }
    for log in logs {
        let Some(name) = log.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let text = std::fs::read(log).map_err(io("cannot read the log", log))?;
        zip.start_file(format!("codetill-support/logs/{name}"), options)
            .map_err(zipped)?;
        zip.write_all(&text).map_err(io("cannot write", path))?;
    }
    zip.finish().map_err(zipped)?;
    Ok(())
}

fn list(path: &Path) -> Result<Vec<String>, SupportError> {
    let file = std::fs::File::open(path).map_err(|source| SupportError::Io {
        what: "cannot read back",
        path: path.to_path_buf(),
        source,
    })?;
    let archive = zip::ZipArchive::new(file).map_err(|e| SupportError::Zip(e.to_string()))?;
    Ok(archive.file_names().map(str::to_string).collect())
}

async fn versions(db: &Db, app: &str) -> Result<Value, SupportError> {
    // The engine's own version, under its own name: which one a shop runs on is
    // the first thing a support question needs.
    let (engine, version) = match db.is_postgres() {
        true => ("postgresql", "SELECT version()"),
        false => ("sqlite", "SELECT sqlite_version()"),
    };
    let version: String = sqlx::query_scalar(version)
        .fetch_one(db.pool())
        .await
        .map_err(DbError::from)?;
    let schema: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(db.pool())
            .await
            .map_err(DbError::from)?;
    Ok(json!({
        "app": app,
        "codetill": env!("CARGO_PKG_VERSION"),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "database": engine,
        engine: version,
        "schema": schema,
        "written_at": crate::db::now_text(),
    }))
}

async fn settings(db: &Db) -> Result<Value, SupportError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(db.pool())
            .await
            .map_err(DbError::from)?;
    let kept: serde_json::Map<String, Value> = rows
        .into_iter()
        .filter(|(k, _)| !names_a_secret(k))
        .map(|(k, v)| (k, Value::from(shareable(&v))))
        .collect();
    Ok(Value::Object(kept))
}

async fn state(db: &Db) -> Result<Value, SupportError> {
    let pool = db.pool();
    let orders: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await
            .map_err(DbError::from)?;
    let outbox: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, status, count(*) FROM outbox GROUP BY kind, status ORDER BY kind, status",
    )
    .fetch_all(pool)
    .await
    .map_err(DbError::from)?;
    // The destination is a buyer's address or a printer: only its kind goes.
    let errors: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, kind, status, last_error, updated_at FROM outbox
          WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 20",
    )
    .fetch_all(pool)
    .await
    .map_err(DbError::from)?;
    let alerts: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT at, kind, message FROM alerts WHERE acknowledged_at IS NULL ORDER BY id DESC LIMIT 50",
    )
    .fetch_all(pool)
    .await
    .map_err(DbError::from)?;
    let accounts: Vec<(String, String, String, crate::db::Flag)> =
        sqlx::query_as("SELECT name, kind, url, enabled FROM supplier_accounts ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(DbError::from)?;
    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products WHERE discontinued_at IS NULL")
            .fetch_one(pool)
            .await
            .map_err(DbError::from)?;
    Ok(json!({
        "products": products,
        "orders": orders.into_iter().map(|(k, v)| (k, Value::from(v))).collect::<serde_json::Map<_, _>>(),
        "outbox": outbox.iter().map(|(kind, status, n)| json!({"kind": kind, "status": status, "count": n})).collect::<Vec<_>>(),
        "outbox_errors": errors.iter().map(|(id, kind, status, error, at)| json!({
            "id": id, "kind": kind, "status": status,
            "error": error.as_deref().map(shareable), "at": at,
        })).collect::<Vec<_>>(),
        "open_alerts": alerts.iter().map(|(at, kind, message)| json!({"at": at, "kind": kind, "message": message})).collect::<Vec<_>>(),
        "supplier_accounts": accounts.iter().map(|(name, kind, url, enabled)| json!({
            "name": name, "kind": kind, "url": shareable(url), "enabled": enabled.0,
        })).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_left_out_and_urls_lose_their_user_and_password() {
        assert!(names_a_secret("relay.token"));
        assert!(names_a_secret("supplier.key"));
        assert!(names_a_secret("supplier.balance/a"));
        assert!(!names_a_secret("razorpay.key_id"));
        assert!(!names_a_secret("shop.name"));
        assert_eq!(
            shareable("smtps://shop:hunter2@mail.example.com:465?from=a@b.co"),
            "smtps://***@b.co"
        );
        assert_eq!(shareable("Corner Digital Store"), "Corner Digital Store");
    }
}
