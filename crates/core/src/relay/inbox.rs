//! The inbox: every relay event this till took, kept with what was done about it
//! (`new` → `processed` | `held` | `ignored`), and the cursor it has read up to. The
//! events of a page and the new cursor are written in one transaction; the unique
//! (provider, event_id) recognises an event delivered again.

use serde::Serialize;
use sqlx::AnyConnection;

use super::EventsPage;
use crate::db::{Db, DbError, now_text};

/// How far this till has read the relay, and how far it told the relay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub cursor: i64,
    pub acked: i64,
}

pub async fn position(db: &Db) -> Result<Position, DbError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT cursor, acked FROM relay_cursor WHERE id = 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map_or(Position::default(), |(cursor, acked)| Position {
        cursor,
        acked,
    }))
}

pub struct Stored {
    pub inserted: u32,
    pub duplicates: u32,
    pub cursor: i64,
}

/// Writes a page's events and the page's cursor in one transaction. The cursor never
/// moves back.
pub async fn store_page(db: &Db, page: &EventsPage) -> Result<Stored, DbError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    let mut stored = Stored {
        inserted: 0,
        duplicates: 0,
        cursor: page.next_cursor,
    };
    for e in &page.events {
        let done = sqlx::query(
            "INSERT INTO relay_inbox (cursor, provider, event_id, event_type, received_at, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (provider, event_id) DO NOTHING",
        )
        .bind(e.cursor)
        .bind(&e.provider)
        .bind(&e.event_id)
        .bind(&e.event_type)
        .bind(&e.received_at)
        .bind(e.payload.get())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            stored.inserted += 1;
        } else {
            stored.duplicates += 1;
            tracing::info!(provider = %e.provider, event = %e.event_id, cursor = e.cursor, "event already in the inbox: skipped");
        }
        stored.cursor = stored.cursor.max(e.cursor);
    }
    sqlx::query(
        "INSERT INTO relay_cursor (id, cursor, acked, updated_at) VALUES (1, $1, 0, $2)
         ON CONFLICT (id) DO UPDATE SET cursor = CASE WHEN excluded.cursor > relay_cursor.cursor THEN excluded.cursor ELSE relay_cursor.cursor END, updated_at = excluded.updated_at",
    )
    .bind(stored.cursor)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub async fn set_acked(db: &Db, cursor: i64) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE relay_cursor SET acked = CASE WHEN $1 > acked THEN $1 ELSE acked END, updated_at = $2 WHERE id = 1")
        .bind(cursor)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An inbox row as it was stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct InboxEvent {
    pub id: i64,
    pub cursor: i64,
    pub provider: String,
    pub event_id: String,
    pub event_type: Option<String>,
    #[serde(skip)]
    pub payload: String,
    pub status: String,
    pub reason: Option<String>,
    pub order_id: Option<i64>,
    pub created_at: String,
    pub processed_at: Option<String>,
}

const COLUMNS: &str = "id, cursor, provider, event_id, event_type, payload, status, reason, order_id, created_at, processed_at";

/// Events not yet acted on, oldest first.
pub async fn pending(db: &Db, limit: u32) -> Result<Vec<InboxEvent>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM relay_inbox WHERE status = 'new' ORDER BY id LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?)
}

/// The newest events, whatever became of them (for screens and support).
pub async fn recent(db: &Db, status: Option<&str>, limit: u32) -> Result<Vec<InboxEvent>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM relay_inbox WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2"
    ))
    .bind(status)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?)
}

/// Closes a `new` row inside `tx`; false when another process closed it first.
pub(crate) async fn close(
    tx: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: Option<&str>,
    order_id: Option<i64>,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE relay_inbox SET status = $1, reason = $2, order_id = $3, processed_at = $4
         WHERE id = $5 AND status = 'new'",
    )
    .bind(status)
    .bind(reason)
    .bind(order_id)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::relay::RelayEvent;
    use serde_json::value::RawValue;

    fn event(cursor: i64, id: &str) -> RelayEvent {
        RelayEvent {
            cursor,
            provider: "stripe".into(),
            event_id: id.into(),
            event_type: Some("checkout.session.completed".into()),
            received_at: None,
            payload: RawValue::from_string("{}".into()).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_page_and_its_cursor_commit_together_and_repeats_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).await.unwrap();
        assert_eq!(position(&db).await.unwrap(), Position::default());
        let page = EventsPage {
            events: vec![event(1, "evt_1"), event(2, "evt_2")],
            next_cursor: 2,
        };
        let s = store_page(&db, &page).await.unwrap();
        assert_eq!((s.inserted, s.duplicates, s.cursor), (2, 0, 2));
        // The same events again (a pull after a lost acknowledgement from an older
        // cursor): nothing new, and the cursor does not go back.
        let again = EventsPage {
            events: vec![event(2, "evt_2")],
            next_cursor: 2,
        };
        let s = store_page(&db, &again).await.unwrap();
        assert_eq!((s.inserted, s.duplicates), (0, 1));
        assert_eq!(pending(&db, 10).await.unwrap().len(), 2);
        assert_eq!(position(&db).await.unwrap().cursor, 2);
        set_acked(&db, 2).await.unwrap();
        assert_eq!(
            position(&db).await.unwrap(),
            Position {
                cursor: 2,
                acked: 2
            }
        );
    }
}
