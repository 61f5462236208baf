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
    /// (a round trip each): begin, lock the shops, insert, move the heads
    /// (which also notifies), commit.
    ///
    /// Duplicates of stored events are found by the insert itself (`ON
    /// CONFLICT DO NOTHING` on the unique keys, not a query the planner might
    /// run as a scan): when some are, that insert is taken back and the batch
    /// numbered again without them, so no cursor is skipped.
    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        let digests: Vec<Vec<u8>> = events
            .iter()
            .map(|e| Sha256::digest(e.payload.as_bytes()).to_vec())
            .collect();
        let shops: Vec<&str> = events.iter().map(|e| e.shop_id.as_str()).collect();
        let mut tx = self.pool().begin().await?;
        // Each shop's row lock, in one order in every instance (no deadlock),
        // held until commit: no other transaction stores an event of these
        // shops meanwhile, so what the insert meets stays true.
        let heads: HashMap<String, i64> =
            sqlx::query_as("SELECT id, head FROM shops WHERE id = ANY($1) ORDER BY id FOR UPDATE")
                .bind(&shops)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        let mut stored_twins = HashSet::new();
        let plan = loop {
            let plan = Plan::number(events, &digests, &heads, &stored_twins)?;
            if plan.fresh.is_empty() {
                break plan;
            }
            let inserted: HashSet<(String, i64)> = insert(&mut tx, events, &digests, &plan.fresh)
                .await?
                .into_iter()
                .collect();
            if inserted.len() == plan.fresh.len() {
                break plan;
            }
            // The ones the insert skipped have a twin stored before this batch
            // (earlier ones in it were left out already): duplicates.
            let skipped: Vec<usize> = plan
                .fresh
                .iter()
                .filter(|(i, cursor)| !inserted.contains(&(events[*i].shop_id.clone(), *cursor)))
                .map(|(i, _)| *i)
                .collect();
            if skipped.is_empty() {
                return Err(StoreError::NotStored);
            }
            stored_twins.extend(skipped);
            take_back(&mut tx, &inserted).await?;
        };
        if !plan.fresh.is_empty() {
            move_heads(&mut tx, &plan.heads).await?;
        }
        tx.commit().await?;
        Ok(plan.answers)
    }
}

/// A batch numbered as one event after the other would be: a duplicate is
/// one with a twin stored before (`stored_twins`, by index) or earlier in the
/// batch, and takes no cursor.
struct Plan<'a> {
    answers: Vec<Inserted>,
    /// Index in the batch and cursor of each event to insert.
    fresh: Vec<(usize, i64)>,
    /// The new head of each shop that stores events.
    heads: HashMap<&'a str, i64>,
}

impl<'a> Plan<'a> {
    fn number(
        events: &'a [NewEvent],
        digests: &'a [Vec<u8>],
        heads: &HashMap<String, i64>,
        stored_twins: &HashSet<usize>,
    ) -> Result<Self, StoreError> {
        let mut plan = Plan {
            answers: Vec::with_capacity(events.len()),
            fresh: Vec::new(),
            heads: HashMap::new(),
        };
        let mut ids: HashSet<(&str, &str, &str)> = HashSet::new();
        let mut bodies: HashSet<(&str, &str, &[u8])> = HashSet::new();
        for (i, (event, digest)) in events.iter().zip(digests).enumerate() {
            let shop = event.shop_id.as_str();
            let Some(&before) = heads.get(shop) else {
                return Err(StoreError::UnknownShop(event.shop_id.clone()));
            };
            let id = (shop, event.provider, event.event_id.as_str());
            let body = (shop, event.provider, digest.as_slice());
            if stored_twins.contains(&i) || ids.contains(&id) || bodies.contains(&body) {
                plan.answers.push(Inserted::Duplicate);
                continue;
            }
            ids.insert(id);
            bodies.insert(body);
            let head = plan.heads.entry(shop).or_insert(before);
            *head += 1;
            plan.answers.push(Inserted::Stored { cursor: *head });
            plan.fresh.push((i, *head));
        }
        Ok(plan)
    }
}

/// Insert `fresh` (index in `events`, cursor) in one statement, skipping any
/// that conflicts with a stored event; the (shop, cursor) of those inserted.
async fn insert(
    tx: &mut sqlx::PgConnection,
    events: &[NewEvent],
    digests: &[Vec<u8>],
    fresh: &[(usize, i64)],
) -> Result<Vec<(String, i64)>, StoreError> {
    let each = |f: fn(&NewEvent) -> &str| -> Vec<&str> {
        fresh.iter().map(|(i, _)| f(&events[*i])).collect()
    };
    Ok(sqlx::query_as(
        "INSERT INTO events \
         (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, payload, \
          body_sha256) \
         SELECT * FROM unnest($1::TEXT[], $2::INT8[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
           $6::TEXT[], $7::INT8[], $8::TEXT[], $9::BYTEA[]) \
         ON CONFLICT DO NOTHING RETURNING shop_id, cursor",
    )
    .bind(each(|e| e.shop_id.as_str()))
    .bind(
        fresh
            .iter()
            .map(|(_, cursor)| *cursor)
            .collect::<Vec<i64>>(),
    )
    .bind(each(|e| e.provider))
    .bind(each(|e| e.event_id.as_str()))
    .bind(
        fresh
            .iter()
            .map(|(i, _)| events[*i].event_type.as_deref())
            .collect::<Vec<Option<&str>>>(),
    )
    .bind(each(|e| e.endpoint_id.as_str()))
    .bind(
        fresh
            .iter()
            .map(|(i, _)| events[*i].received_at_ms)
            .collect::<Vec<i64>>(),
    )
    .bind(each(|e| e.payload.as_str()))
    .bind(
        fresh
            .iter()
            .map(|(i, _)| digests[*i].as_slice())
            .collect::<Vec<&[u8]>>(),
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// Delete the rows this transaction just inserted (to number them again).
async fn take_back(
    tx: &mut sqlx::PgConnection,
    inserted: &HashSet<(String, i64)>,
) -> Result<(), StoreError> {
    let (shops, cursors): (Vec<&str>, Vec<i64>) = inserted
        .iter()
        .map(|(shop, cursor)| (shop.as_str(), *cursor))
        .unzip();
    sqlx::query(
        "DELETE FROM events e USING unnest($1::TEXT[], $2::INT8[]) AS d(shop_id, cursor) \
         WHERE e.shop_id = d.shop_id AND e.cursor = d.cursor",
    )
    .bind(shops)
    .bind(cursors)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Set the shops' new heads, with a NOTIFY each (delivered on commit) for
/// readers waiting on any instance.
async fn move_heads(
    tx: &mut sqlx::PgConnection,
    heads: &HashMap<&str, i64>,
) -> Result<(), StoreError> {
    let (shops, heads): (Vec<&str>, Vec<i64>) = heads.iter().map(|(s, h)| (*s, *h)).unzip();
    sqlx::query(concat!(
        "UPDATE shops SET head = m.head \
         FROM unnest($1::TEXT[], $2::INT8[]) AS m(id, head) WHERE shops.id = m.id \
         RETURNING pg_notify('",
        channel!(),
        "', shops.id)::TEXT"
    ))
    .bind(shops)
    .bind(heads)
    .fetch_all(&mut *tx)
    .await?;
    Ok(())
}
