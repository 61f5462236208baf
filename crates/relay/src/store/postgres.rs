//! The PostgreSQL backend, for one relay serving many shops or several relay
//! instances on one database. The inserting transaction first locks its shops'
//! rows (`SELECT … FOR UPDATE`, held until commit), so two instances allocate a
//! shop's cursors one after the other, in commit order; and it sends `NOTIFY`
//! (delivered on commit) so readers waiting on other instances wake up. A batch
//! of events costs the same few round trips as one event.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};

use super::dialect::Dialect;
use super::records::{Inserted, NewEvent};
use super::sql::SqlStore;
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The LISTEN/NOTIFY channel's name, once for both the constant and the
/// statement that notifies (the payload is the shop id).
macro_rules! channel {
    () => {
        "codetill_relay_events"
    };
}

/// The LISTEN/NOTIFY channel; the payload is the shop id.
pub(crate) const CHANNEL: &str = channel!();

/// PostgreSQL's words for the store's statements.
#[derive(Debug, Clone, Copy)]
pub struct PgDialect;

pub type PgStore = SqlStore<PgDialect>;

impl Dialect for PgDialect {
    type Db = sqlx::Postgres;

    const BEGIN: &'static str = "BEGIN";
    const GREATEST: &'static str = "GREATEST";
    // No rowid: the primary key names the row.
    const EVENT_KEY: &'static str = "(shop_id, cursor)";
    const EVENT_KEY_OF_E: &'static str = "e.shop_id, e.cursor";

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A store that does not answer is "unavailable" (503), not a hang.
            .acquire_timeout(Duration::from_secs(5))
            // No ping before each use: it would add a round trip to every webhook.
            // A connection that died fails its statement; the provider retries.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self::new(pool))
    }

    /// Store `events` in one transaction, in order, each at its shop's next
    /// cursor; one answer per event. Five statements whatever the batch's size
    /// (a round trip each): lock the shops, find the events already stored,
    /// insert the rest, move the heads (which also notifies), commit.
    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        let digests: Vec<Vec<u8>> = events
            .iter()
            .map(|e| Sha256::digest(e.payload.as_bytes()).to_vec())
            .collect();
        let column = |f: fn(&NewEvent) -> &str| -> Vec<&str> { events.iter().map(f).collect() };
        let (shops, providers, event_ids) = (
            column(|e| e.shop_id.as_str()),
            column(|e| e.provider),
            column(|e| e.event_id.as_str()),
        );
        let mut tx = self.pool().begin().await?;
        // Each shop's row lock, in one order in every instance (no deadlock),
        // held until commit: no other transaction stores an event of these
        // shops meanwhile, so what the next statements see stays true.
        let mut heads: HashMap<String, i64> =
            sqlx::query_as("SELECT id, head FROM shops WHERE id = ANY($1) ORDER BY id FOR UPDATE")
                .bind(&shops)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        // Read committed: this statement sees every commit made before the locks.
        // Two EXISTS, not one with OR: each is one probe of its unique index.
        let stored_twins: HashSet<i64> = sqlx::query_scalar(
            "SELECT i.ord FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BYTEA[]) \
               WITH ORDINALITY AS i(shop_id, provider, event_id, body_sha256, ord) \
             WHERE EXISTS (SELECT 1 FROM events e WHERE e.shop_id = i.shop_id \
                 AND e.provider = i.provider AND e.event_id = i.event_id) \
               OR EXISTS (SELECT 1 FROM events e WHERE e.shop_id = i.shop_id \
                 AND e.provider = i.provider AND e.body_sha256 = i.body_sha256)",
        )
        .bind(&shops)
        .bind(&providers)
        .bind(&event_ids)
        .bind(&digests)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        // In order, as one event after the other would: a duplicate is one
        // stored before or stored earlier in this batch, and takes no cursor.
        let mut answers = Vec::with_capacity(events.len());
        let mut fresh: Vec<(usize, i64)> = Vec::new();
        let mut ids: HashSet<(&str, &str, &str)> = HashSet::new();
        let mut bodies: HashSet<(&str, &str, &[u8])> = HashSet::new();
        for (i, (event, digest)) in events.iter().zip(&digests).enumerate() {
            let shop = event.shop_id.as_str();
            let Some(head) = heads.get_mut(shop) else {
                return Err(StoreError::UnknownShop(event.shop_id.clone()));
            };
            let id = (shop, event.provider, event.event_id.as_str());
            let body = (shop, event.provider, digest.as_slice());
            // `WITH ORDINALITY` counts from 1.
            if stored_twins.contains(&(i as i64 + 1)) || ids.contains(&id) || bodies.contains(&body)
            {
                answers.push(Inserted::Duplicate);
                continue;
            }
            ids.insert(id);
            bodies.insert(body);
            *head += 1;
            answers.push(Inserted::Stored { cursor: *head });
            fresh.push((i, *head));
        }
        if !fresh.is_empty() {
            let pick = |f: fn(&NewEvent) -> &str| -> Vec<&str> {
                fresh.iter().map(|(i, _)| f(&events[*i])).collect()
            };
            let inserted = sqlx::query(
                "INSERT INTO events \
                 (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, \
                  payload, body_sha256) \
                 SELECT * FROM unnest($1::TEXT[], $2::INT8[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
                   $6::TEXT[], $7::INT8[], $8::TEXT[], $9::BYTEA[])",
            )
            .bind(pick(|e| e.shop_id.as_str()))
            .bind(
                fresh
                    .iter()
                    .map(|(_, cursor)| *cursor)
                    .collect::<Vec<i64>>(),
            )
            .bind(pick(|e| e.provider))
            .bind(pick(|e| e.event_id.as_str()))
            .bind(
                fresh
                    .iter()
                    .map(|(i, _)| events[*i].event_type.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(pick(|e| e.endpoint_id.as_str()))
            .bind(
                fresh
                    .iter()
                    .map(|(i, _)| events[*i].received_at_ms)
                    .collect::<Vec<i64>>(),
            )
            .bind(pick(|e| e.payload.as_str()))
            .bind(
                fresh
                    .iter()
                    .map(|(i, _)| digests[*i].as_slice())
                    .collect::<Vec<&[u8]>>(),
            )
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() != fresh.len() as u64 {
                return Err(StoreError::NotStored);
            }
            // The shops that stored events: their new heads, and a NOTIFY each
            // (delivered on commit) for readers waiting on any instance.
            let moved: Vec<(&str, i64)> = {
                let mut moved: Vec<(&str, i64)> = fresh
                    .iter()
                    .map(|(i, _)| events[*i].shop_id.as_str())
                    .collect::<HashSet<&str>>()
                    .into_iter()
                    .map(|shop| (shop, heads[shop]))
                    .collect();
                moved.sort_unstable();
                moved
            };
            sqlx::query(concat!(
                "UPDATE shops SET head = m.head \
                 FROM unnest($1::TEXT[], $2::INT8[]) AS m(id, head) WHERE shops.id = m.id \
                 RETURNING pg_notify('",
                channel!(),
                "', shops.id)::TEXT"
            ))
            .bind(moved.iter().map(|(shop, _)| *shop).collect::<Vec<&str>>())
            .bind(moved.iter().map(|(_, head)| *head).collect::<Vec<i64>>())
            .fetch_all(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(answers)
    }
}
