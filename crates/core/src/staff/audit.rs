//! The tamper-evident audit log: who revealed, reprinted, resent or refunded what,
//! who changed prices, suppliers, settings or staff, and every refused attempt.
//!
//! Every row is written by [`record`], in the caller's write transaction, and
//! carries the hash of the row before it: `hash = SHA-256(prev_hash ‖ the row's
//! canonical encoding)`, the first row's `prev_hash` being [`GENESIS`]. The head
//! (the last row's id and hash) is kept beside the log, so a row removed from the
//! end shows too. [`verify`] walks the chain and says where it breaks.
//!
//! The chain holds no secret: it shows a row altered, removed or reordered by hand
//! (or by a tool that does not know the encoding), not someone who recomputes
//! every hash after. A head written down elsewhere (a backup, a printed report)
//! catches that too.
//!
//! Rows written before the chain existed are sealed once, at the first open after
//! the migration that added it ([`seal_backfill`]), and never again: a row whose
//! hash is cleared later is a break, not a row to seal.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::db::{Db, DbError, now_text};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row for the log.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    /// Who did it (a member of staff's name, "owner (command line)", "remote").
    pub actor: &'a str,
    /// What: `reveal`, `reprint`, `print`, `resend`, `refund`, `prices`,
    /// `suppliers`, `settings`, `staff`, `refused`, …
    pub action: &'a str,
    pub order_id: Option<i64>,
    pub detail: Option<&'a str>,
    /// When; now unless the caller stamps its other rows with the same instant.
    pub at: Option<&'a str>,
}

/// A row as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub order_id: Option<i64>,
    pub detail: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// The hash of a row whose predecessor's hash is `prev`. The encoding is a JSON
/// array of the row's fields in a fixed order (unambiguous whatever the text holds),
/// after a version tag and `prev`.
pub fn chain_hash(
    prev: &str,
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    order_id: Option<i64>,
    detail: Option<&str>,
) -> String {
    let fields = serde_json::json!([id, at, actor, action, order_id, detail]);
    let mut h = Sha256::new();
    h.update(b"codetill-audit-v1\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(fields.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Appends `entry` to the log in the caller's transaction (which must be a write
/// transaction: [`Db::begin_write`], so that two writers never chain onto the same
/// row). Answers the row's id. The one way a row enters `audit_log`.
pub async fn record(conn: &mut AnyConnection, entry: &Entry<'_>) -> Result<i64, DbError> {
    let (last, head): (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT max(id) FROM audit_log), (SELECT head_hash FROM audit_chain WHERE id = 1)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let id = last.unwrap_or(0) + 1;
    let prev = head.unwrap_or_else(|| GENESIS.to_string());
    let now;
    let at = match entry.at {
        Some(at) => at,
        None => {
            now = now_text();
            &now
        }
    };
    let hash = chain_hash(
        &prev,
        id,
        at,
        entry.actor,
        entry.action,
        entry.order_id,
        entry.detail,
    );
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, order_id, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(at)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.order_id)
    .bind(entry.detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    set_head(conn, id, &hash).await?;
    Ok(id)
}

async fn set_head(conn: &mut AnyConnection, id: i64, hash: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_chain (id, head_id, head_hash) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET head_id = excluded.head_id, head_hash = excluded.head_hash",
    )
    .bind(id)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Seals the rows written before the chain existed, once (see the module
/// documentation). Nothing to do on every later open.
pub async fn seal_backfill(db: &Db) -> Result<(), DbError> {
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT backfill_upto FROM audit_chain WHERE id = 1")
            .fetch_optional(db.pool())
            .await?
            .flatten();
    if pending.is_none() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    // Another till may have sealed them meanwhile.
    let Some(upto) =
        sqlx::query_scalar::<_, Option<i64>>("SELECT backfill_upto FROM audit_chain WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .flatten()
    else {
        return Ok(());
    };
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, actor, action, order_id, detail, prev_hash, hash
         FROM audit_log WHERE id <= $1 ORDER BY id",
    )
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?;
    let mut prev = GENESIS.to_string();
    let mut head = None;
    for row in &rows {
        let hash = chain_hash(
            &prev,
            row.id,
            &row.at,
            &row.actor,
            &row.action,
            row.order_id,
            row.detail.as_deref(),
        );
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        prev = hash;
        head = Some(row.id);
    }
    if let Some(id) = head {
        set_head(&mut tx, id, &prev).await?;
    }
    sqlx::query("UPDATE audit_chain SET backfill_upto = NULL WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(rows = rows.len(), "audit rows from before the chain sealed");
    Ok(())
}

/// The last `limit` rows, newest first (the app's audit view; 1–1000).
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<AuditRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor, action, order_id, detail, prev_hash, hash FROM audit_log
         ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit.clamp(1, 1000)))
    .fetch_all(db.pool())
    .await?)
}

/// Where the chain breaks: the first row that does not check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The row at which the chain stops holding.
    pub id: i64,
    pub why: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: u64,
    /// The last row's id and hash, when the chain holds (worth writing down).
    pub head_id: Option<i64>,
    pub head_hash: Option<String>,
    pub broken: Option<Break>,
}

impl ChainReport {
    pub fn holds(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks the whole log in id order and checks every link and every row's hash,
/// and that the last row is the head recorded beside the log.
pub async fn verify(db: &Db) -> Result<ChainReport, DbError> {
    let mut conn = db.pool().acquire().await?;
    // One read transaction: a row appended while the log is read does not look
    // like a broken head.
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    let found = verify_in(&mut conn).await;
    sqlx::query("ROLLBACK").execute(&mut *conn).await?;
    found
}

async fn verify_in(conn: &mut AnyConnection) -> Result<ChainReport, DbError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, actor, action, order_id, detail, prev_hash, hash FROM audit_log ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let (head_id, head_hash): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT head_id, head_hash FROM audit_chain WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or((None, None));
    let report = |broken| ChainReport {
        rows: rows.len() as u64,
        head_id,
        head_hash: head_hash.clone(),
        broken,
    };
    let mut prev = GENESIS.to_string();
    let mut prev_id: Option<i64> = None;
    for row in &rows {
        let (Some(stored_prev), Some(stored)) = (&row.prev_hash, &row.hash) else {
            return Ok(report(Some(Break {
                id: row.id,
                why: format!(
                    "row {} carries no hash: written outside the log's chain, or its hash was cleared",
                    row.id
                ),
            })));
        };
        if *stored_prev != prev {
            return Ok(report(Some(Break {
                id: row.id,
                why: match prev_id {
                    Some(p) => format!(
                        "row {} does not follow row {p}: a row between them was removed, or rows were reordered",
                        row.id
                    ),
                    None => format!(
                        "row {} is not the first row of the log: rows before it were removed",
                        row.id
                    ),
                },
            })));
        }
        let hash = chain_hash(
            &prev,
            row.id,
            &row.at,
            &row.actor,
            &row.action,
            row.order_id,
            row.detail.as_deref(),
        );
        if hash != *stored {
            return Ok(report(Some(Break {
                id: row.id,
                why: format!(
                    "row {} was altered: its content does not match its hash",
                    row.id
                ),
            })));
        }
        prev = hash;
        prev_id = Some(row.id);
    }
    let last = rows.last().map(|r| r.id);
    if last != head_id || (last.is_some() && head_hash.as_deref() != Some(prev.as_str())) {
        let id = head_id.or(last).unwrap_or(0);
        return Ok(report(Some(Break {
            id,
            why: match (last, head_id) {
                (Some(l), Some(h)) if l < h => format!(
                    "the log ends at row {l} but its head is row {h}: rows were removed from the end"
                ),
                (None, Some(h)) => {
                    format!("the log is empty but its head is row {h}: rows were removed")
                }
                _ => format!(
                    "the log's last row ({}) is not its recorded head: the head or the last row was changed",
                    last.map(|l| l.to_string()).unwrap_or_else(|| "none".into())
                ),
            },
        })));
    }
    Ok(report(None))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn log_of(n: usize) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("a.db")).await.unwrap();
        for i in 0..n {
            let detail = format!("detail {i}");
            let mut tx = db.begin_write().await.unwrap();
            record(
                &mut tx,
                &Entry {
                    actor: "asha",
                    action: "reveal",
                    detail: Some(&detail),
                    ..Entry::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        (dir, db)
    }

    async fn exec(db: &Db, sql: &str) {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }

    #[tokio::test]
    async fn recent_rows_come_newest_first_up_to_the_limit() {
        let (_dir, db) = log_of(5).await;
        let rows = recent(&db, 3).await.unwrap();
        let details: Vec<_> = rows.iter().map(|r| r.detail.clone().unwrap()).collect();
        assert_eq!(details, ["detail 4", "detail 3", "detail 2"]);
        assert_eq!(recent(&db, 0).await.unwrap().len(), 1, "at least one row");
    }

    #[tokio::test]
    async fn an_untouched_chain_holds_and_names_its_head() {
        let (_dir, db) = log_of(4).await;
        let report = verify(&db).await.unwrap();
        assert!(report.holds(), "{report:?}");
        assert_eq!(report.rows, 4);
        assert_eq!(report.head_id, Some(4));
        let empty = log_of(0).await;
        assert!(verify(&empty.1).await.unwrap().holds());
    }

    #[tokio::test]
    async fn an_altered_row_breaks_the_chain_there() {
        let (_dir, db) = log_of(5).await;
        exec(&db, "UPDATE audit_log SET actor = 'ravi' WHERE id = 3").await;
        let broken = verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.id, 3);
        assert!(broken.why.contains("altered"), "{broken:?}");
    }

    #[tokio::test]
    async fn a_removed_row_breaks_the_chain_after_it() {
        let (_dir, db) = log_of(5).await;
        exec(&db, "DELETE FROM audit_log WHERE id = 2").await;
        let broken = verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.id, 3);
        assert!(broken.why.contains("removed"), "{broken:?}");
    }

    #[tokio::test]
    async fn a_row_removed_from_the_end_shows_against_the_head() {
        let (_dir, db) = log_of(3).await;
        exec(&db, "DELETE FROM audit_log WHERE id = 3").await;
        let broken = verify(&db).await.unwrap().broken.unwrap();
        assert!(broken.why.contains("removed from the end"), "{broken:?}");
    }

    #[tokio::test]
    async fn reordered_rows_break_the_chain() {
        let (_dir, db) = log_of(5).await;
        // Rows 2 and 3 swap places, each keeping its own content and hashes.
        exec(&db, "UPDATE audit_log SET id = -2 WHERE id = 2").await;
        exec(&db, "UPDATE audit_log SET id = 2 WHERE id = 3").await;
        exec(&db, "UPDATE audit_log SET id = 3 WHERE id = -2").await;
        let broken = verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.id, 2);
        assert!(broken.why.contains("reordered"), "{broken:?}");
    }

    #[tokio::test]
    async fn a_cleared_hash_is_a_break_and_is_never_sealed_again() {
        let (dir, db) = log_of(3).await;
        exec(&db, "UPDATE audit_log SET hash = NULL WHERE id = 2").await;
        db.close().await;
        let db = Db::open(&dir.path().join("a.db")).await.unwrap();
        let broken = verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.id, 2);
        assert!(broken.why.contains("no hash"), "{broken:?}");
    }

    #[tokio::test]
    async fn rows_from_before_the_chain_are_sealed_once_when_the_shop_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        // A database as the release before the chain left it: rows without hashes,
        // and the migration's mark of how far they go.
        let db = Db::open(&path).await.unwrap();
        for actor in ["asha", "ravi"] {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-01-01T00:00:00.000Z', $1, 'reveal', 'old')",
            )
            .bind(actor)
            .execute(db.pool())
            .await
            .unwrap();
        }
        exec(
            &db,
            "UPDATE audit_chain SET backfill_upto = 2, head_id = NULL, head_hash = NULL",
        )
        .await;
        db.close().await;
        let db = Db::open(&path).await.unwrap();
        // What `Till::open_shop` does after opening.
        seal_backfill(&db).await.unwrap();
        seal_backfill(&db).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        record(
            &mut tx,
            &Entry {
                actor: "owner",
                action: "settings",
                ..Entry::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let report = verify(&db).await.unwrap();
        assert!(report.holds(), "{report:?}");
        assert_eq!((report.rows, report.head_id), (3, Some(3)));
        let pending: Option<i64> = sqlx::query_scalar("SELECT backfill_upto FROM audit_chain")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(pending, None, "sealed once");
    }

    #[tokio::test]
    async fn writers_at_once_chain_one_after_another() {
        let (_dir, db) = log_of(0).await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let actor = format!("till {i}");
                let mut tx = db.begin_write().await.unwrap();
                record(
                    &mut tx,
                    &Entry {
                        actor: &actor,
                        action: "reprint",
                        ..Entry::default()
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let report = verify(&db).await.unwrap();
        assert!(report.holds(), "{report:?}");
        assert_eq!(report.rows, 8);
    }
}
