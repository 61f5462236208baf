//! SQLite's event inserts: one native connection (rusqlite, the same SQLite
//! library as sqlx's) on a thread of its own, which takes a whole batch of the
//! ingest writer's events and commits it in one transaction.
//!
//! Why not through sqlx's pool like every other statement: sqlx runs each
//! SQLite connection on a worker thread and hands every statement and its rows
//! across to the async side; a batch of 16 events was some 35 statements, and
//! on a small machine each hand-over cost more than the statement (the writer
//! spent about 200 µs per event, with no fsync to wait for). Here a batch
//! crosses once each way, and each statement is prepared once and cached.
//!
//! Within the batch's `BEGIN IMMEDIATE` transaction (which holds the write lock,
//! also against the admin CLI in another process) each shop's `head` is read
//! once; every event that is inserted takes the next cursor, and each shop's new
//! head is written back before `COMMIT`. So cursors are allocated inside the
//! inserting transaction, in commit order, with no gap: a duplicate takes none.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::records::{Inserted, NewEvent};
use crate::error::StoreError;

type Answer = Result<Vec<Inserted>, StoreError>;

struct Job {
    events: Vec<NewEvent>,
    answer: oneshot::Sender<Answer>,
}

/// The handle of the writer thread; the thread ends when every clone of the
/// store is dropped or the store is closed.
#[derive(Debug, Clone)]
pub(super) struct EventWriter {
    jobs: Arc<Mutex<Option<mpsc::Sender<Job>>>>,
}

impl EventWriter {
    /// Open a native connection to the database file at `path` (already
    /// created and migrated) and start the thread that owns it.
    pub(super) fn start(path: &Path, settings: &[(&str, &str)]) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        for (name, value) in settings {
            conn.pragma_update(None, name, value)?;
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("relay-sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                while let Ok(job) = queue.recv() {
                    let _ = job.answer.send(insert_events(&mut conn, &job.events));
                }
            })
            .map_err(StoreError::WriterThread)?;
        Ok(Self {
            jobs: Arc::new(Mutex::new(Some(jobs))),
        })
    }

    /// Store `events` in one transaction; answers once it is committed.
    pub(super) async fn insert_events(&self, events: &[NewEvent]) -> Answer {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            events: events.to_vec(),
            answer,
        };
        let sent = match &*self.jobs.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(StoreError::WriterGone);
        }
        answered.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Stop the thread once it has answered what it was given.
    pub(super) fn close(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// As long as sqlx's connections wait for another process's write lock.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn insert_events(conn: &mut Connection, events: &[NewEvent]) -> Answer {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut heads: HashMap<&str, i64> = HashMap::new();
    let mut answers = Vec::with_capacity(events.len());
    {
        let mut read_head = tx.prepare_cached("SELECT head FROM shops WHERE id = ?1")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events \
             (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, \
              payload, body_sha256) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT DO NOTHING",
        )?;
        let mut twin = tx.prepare_cached(
            "SELECT 1 FROM events WHERE shop_id = ?1 AND provider = ?2 \
             AND (event_id = ?3 OR body_sha256 = ?4) LIMIT 1",
        )?;
        for event in events {
            let shop = event.shop_id.as_str();
            let head = match heads.get(shop) {
                Some(head) => *head,
                None => read_head
                    .query_row([shop], |row| row.get::<_, i64>(0))
                    .optional()?
                    .ok_or_else(|| StoreError::UnknownShop(event.shop_id.clone()))?,
            };
            let body_sha256 = Sha256::digest(event.payload.as_bytes());
            let inserted = insert.execute(params![
                shop,
                head + 1,
                event.provider,
                event.event_id,
                event.event_type,
                event.endpoint_id,
                event.received_at_ms,
                event.payload,
                body_sha256.as_slice(),
            ])?;
            if inserted == 1 {
                heads.insert(shop, head + 1);
                answers.push(Inserted::Stored { cursor: head + 1 });
                continue;
            }
            heads.insert(shop, head);
            // The insert skips any conflict; only a stored twin (earlier in this
            // batch or committed before) makes it a duplicate: never answer 200
            // for an event that is not stored.
            let found = twin.exists(params![
                shop,
                event.provider,
                event.event_id,
                body_sha256.as_slice()
            ])?;
            if !found {
                return Err(StoreError::NotStored);
            }
            answers.push(Inserted::Duplicate);
        }
        let mut write_head =
            tx.prepare_cached("UPDATE shops SET head = ?2 WHERE id = ?1 AND head <> ?2")?;
        for (shop, head) in &heads {
            write_head.execute(params![shop, head])?;
        }
    }
    // A failed COMMIT leaves the transaction open; dropping `tx` rolls it back.
    tx.commit()?;
    Ok(answers)
}
