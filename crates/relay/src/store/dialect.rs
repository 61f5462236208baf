//! What SQLite and PostgreSQL say differently, and nothing else: the store's one
//! body (`sql.rs`) takes these words from its dialect and runs everything else
//! as is.

use sqlx::Database;

/// One database's words for the store's statements.
pub trait Dialect: std::fmt::Debug + Send + Sync + 'static {
    type Db: Database;

    /// Opens the writing transactions (`insert_events`, `insert_endpoint`).
    const BEGIN: &'static str;

    /// Allocating a cursor, step one where the database needs it: bump the
    /// shop's `head` (`$1`) and return it, or no row for an unknown shop.
    const TAKE_CURSOR: Option<&'static str>;

    /// Allocating a cursor, step two (or all of it): insert the event at the
    /// shop's `head` unless the shop has its provider event id or its body
    /// already (any unique key: Postgres takes only one conflict target), and
    /// return the cursor. Binds, in order: shop id, provider, event id, event
    /// type, endpoint id, received at, payload, the payload's SHA-256.
    const INSERT_AT_NEXT_CURSOR: &'static str;

    /// The SQL function that gives the larger of two values.
    const GREATEST: &'static str;

    /// What names one row of `events` in `… IN (SELECT …)`, on the outer table
    /// and on the subquery's alias `e`.
    const EVENT_KEY: &'static str;
    const EVENT_KEY_OF_E: &'static str;

    /// How many rows a statement changed (sqlx has no trait for it).
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;
}
