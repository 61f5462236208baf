//! Write batches: the statements of one write transaction, sent to SQLite in a single
//! round trip (the sale path: the fewer trips while a till holds the write lock, the
//! more sales a second), on one connection kept for them.
//!
//! (Tried and dropped: running the batches that queue up meanwhile as one combined
//! transaction. It measured slower, 1,200 sales/s against 2,000 in the order
//! benchmark; each combination is new SQL for SQLite to prepare.)

use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteRow};
use sqlx::{Arguments, ConnectOptions, SqliteConnection};

use super::DbError;

/// A value bound to one of a batch's parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// Statements that run as one write transaction ([`super::Db::write_batch`]).
/// Parameters are numbered (`?1`…), shared by all the statements, and bound in order.
#[derive(Debug, Clone)]
pub struct Batch {
    sql: String,
    values: Vec<Value>,
}

impl Batch {
    pub fn new(sql: impl Into<String>) -> Batch {
        Batch {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    pub fn bind(mut self, value: impl Into<Value>) -> Batch {
        self.values.push(value.into());
        self
    }

    /// The statements with their numbered parameters made positional (`?3` → `?`)
    /// and the values in the order they occur, so that batches can follow each other
    /// in one query. (sqlx also binds numbered parameters across statements poorly:
    /// a gap in one statement's numbers takes a value from a count that runs on
    /// through the batch.)
    fn positional(&self) -> Result<(String, Vec<Value>), DbError> {
        let bad = |what: String| DbError::Sql(sqlx::Error::Protocol(what));
        let mut sql = String::with_capacity(self.sql.len());
        let mut values = Vec::new();
        let mut chars = self.sql.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            sql.push(c);
            match c {
                // '' inside a literal closes and reopens it: the same state after both.
                '\'' => quoted = !quoted,
                '?' if !quoted => {
                    let mut digits = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        digits.push(d);
                    }
                    let n: usize = digits.parse().map_err(|_| {
                        bad("a batch's parameters must be numbered (?1, ?2…)".into())
                    })?;
                    let value = n
                        .checked_sub(1)
                        .and_then(|i| self.values.get(i))
                        .ok_or_else(|| bad(format!("?{n} has no value bound in the batch")))?;
                    values.push(value.clone());
                }
                _ => {}
            }
        }
        Ok((sql, values))
    }
}

/// This process's writer turn (a `tokio::sync::Mutex` around it), and the connection
/// write batches run on: one connection whose page cache its own commits never
/// invalidate (a pooled one's is dropped whenever another connection has written
/// since its last use).
#[derive(Debug)]
pub(super) struct Writer {
    pub options: SqliteConnectOptions,
    pub conn: Option<SqliteConnection>,
}

impl Writer {
    /// Runs `batch` as one transaction (BEGIN IMMEDIATE … COMMIT sent with it) on the
    /// writer's connection, opened on first use; a failure rolls back what it began.
    pub async fn run(&mut self, batch: &Batch) -> Result<Vec<SqliteRow>, DbError> {
        let (sql, values) = batch.positional()?;
        let sql = format!("BEGIN IMMEDIATE;\n{sql};\nCOMMIT");
        let conn = match &mut self.conn {
            Some(conn) => conn,
            slot => slot.insert(self.options.connect().await?),
        };
        let mut args = SqliteArguments::default();
        for v in values {
            match v {
                Value::Null => args.add(None::<i64>),
                Value::Int(i) => args.add(i),
                Value::Text(t) => args.add(t),
                Value::Blob(b) => args.add(b),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        let result = sqlx::query_with(&sql, args).fetch_all(&mut *conn).await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
            // Nothing to roll back (BEGIN itself failed) or a broken connection: either
            // way the next batch starts on a fresh one, never inside a transaction.
            if let Some(conn) = self.conn.take() {
                let _ = sqlx::Connection::close(conn).await;
            }
        }
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbered_parameters_become_positional_in_order_of_use() {
        let batch =
            Batch::new("INSERT INTO t VALUES (?2, '?1 in a literal', ?1); SELECT ?2 || 'it''s'")
                .bind(1_i64)
                .bind("two");
        let (sql, values) = batch.positional().unwrap();
        assert_eq!(
            sql,
            "INSERT INTO t VALUES (?, '?1 in a literal', ?); SELECT ? || 'it''s'"
        );
        assert_eq!(
            values,
            vec![
                Value::Text("two".into()),
                Value::Int(1),
                Value::Text("two".into())
            ]
        );
        assert!(Batch::new("SELECT ?").positional().is_err(), "anonymous");
        assert!(
            Batch::new("SELECT ?3").bind(1_i64).positional().is_err(),
            "unbound"
        );
        assert_eq!(Value::from(None::<String>), Value::Null);
        assert_eq!(Value::from(Some(vec![1_u8])), Value::Blob(vec![1]));
    }
}
