//! What SQLite and PostgreSQL say differently, and nothing else: the store's one
//! body (`sql.rs`) takes these words from its dialect and runs everything else
//! as is.

use sqlx::Database;

/// One database's words for the store's statements.
pub trait Dialect: std::fmt::Debug + Send + Sync + 'static {
    type Db: Database;

    /// Opens a writing transaction (`insert_endpoint`).
    const BEGIN: &'static str;

    /// The SQL function that gives the larger of two values.
    const GREATEST: &'static str;

    /// What names one row of `events` in `… IN (SELECT …)`, on the outer table
    /// and on the subquery's alias `e`.
    const EVENT_KEY: &'static str;
    const EVENT_KEY_OF_E: &'static str;

    /// How many rows a statement changed (sqlx has no trait for it).
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;
}
