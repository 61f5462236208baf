//! Write batches: the statements of one write transaction, run on a thread of their
//! own that holds one native connection to the shop's database (the sale path: the
//! shorter a till holds the write lock, the more sales a second).
//!
//! Why not through sqlx's pool like every other query: sqlx runs each SQLite
//! connection on a worker thread and hands every statement's result across to the
//! async side, and on a small machine each hand-over cost more than the statement.
//! Here a batch runs start to finish on the thread that holds the write turn; callers
//! wait for one reply. The schema, its migrations and every read stay with sqlx.
//!
//! Batches that queue up while one runs commit together (a group commit): one
//! transaction, each batch in a savepoint of its own, so a failed batch is undone
//! alone. The pages they share are written once. (An earlier group commit through
//! sqlx joined the batches' SQL into one new text each time, which SQLite had to
//! prepare again; it was slower. Here each statement is prepared once and cached.)

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rusqlite::types::ValueRef;
use tokio::sync::{Mutex, oneshot};

use super::DbError;

/// A value bound to one of a batch's parameters, or read from one of its rows.
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
/// Parameters are numbered (`$1`…), shared by all the statements, and bound in order;
/// or named (`:now`), shared too, and bound by name.
#[derive(Debug, Clone)]
pub struct Batch {
    // Borrowed when the SQL is a constant (or built once): a sale's batch copies none.
    sql: Cow<'static, str>,
    pub(super) values: Vec<Value>,
    pub(super) named: Vec<(&'static str, Value)>,
    /// Batches run after this one, each with its own parameters, in the same
    /// all-or-nothing savepoint ([`Batch::then`]).
    pub(super) then: Vec<Batch>,
    /// Every write is guarded by the rows it touches ([`Batch::row_guarded`]).
    pub(super) guarded: bool,
}

impl Batch {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Batch {
        Batch {
            sql: sql.into(),
            values: Vec::new(),
            named: Vec::new(),
            then: Vec::new(),
            guarded: false,
        }
    }

    /// Says that the batch needs no shop-wide turn: it first locks the one row it is
    /// about (an UPDATE whose WHERE names the state it needs) and every later write
    /// is gated on that row. On PostgreSQL it then runs beside other tills' writes,
    /// outside the shop's write lock; SQLite has one writer, so nothing changes there.
    pub fn row_guarded(mut self) -> Batch {
        self.guarded = true;
        self
    }

    /// `next` runs after this batch, with its own parameters, and commits or fails
    /// with it: several writes whose SQL is shared (one per order of a basket) made
    /// one. Rows come back in order, this batch's first.
    pub fn then(mut self, mut next: Batch) -> Batch {
        let more = std::mem::take(&mut next.then);
        self.guarded &= next.guarded && more.iter().all(|b| b.guarded);
        self.then.push(next);
        self.then.extend(more);
        self
    }

    pub fn bind(mut self, value: impl Into<Value>) -> Batch {
        self.values.push(value.into());
        self
    }

    /// Binds the named parameter `name`, written as the SQL writes it (`:now`).
    pub fn bind_named(mut self, name: &'static str, value: impl Into<Value>) -> Batch {
        self.named.push((name, value.into()));
        self
    }

    /// The statements, split at the semicolons outside string literals.
    pub(super) fn statements(&self) -> impl Iterator<Item = &str> {
        let mut quoted = false;
        self.sql
            .split(move |c| {
                // '' inside a literal closes and reopens it: the same state after both.
                if c == '\'' {
                    quoted = !quoted;
                }
                c == ';' && !quoted
            })
            .filter(|s| !s.trim().is_empty())
    }

    /// The value of parameter `name`: numbered (`$3`) or named (`:now`).
    pub(super) fn value(&self, name: &str) -> Result<&Value, DbError> {
        // `$3` is the form both databases read; `?3` is SQLite's own.
        let found = match name.strip_prefix('$').or_else(|| name.strip_prefix('?')) {
            Some(number) => number
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.values.get(i)),
            None => self
                .named
                .iter()
                .find_map(|(n, v)| (*n == name).then_some(v)),
        };
        found.ok_or_else(|| DbError::Batch(format!("{name} has no value bound in the batch")))
    }
}

/// A row a batch's statement returned: its values, and its columns by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub(super) columns: Arc<[String]>,
    pub(super) values: Vec<Value>,
}

impl Row {
    pub fn get(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// The row as `T`, whose fields are named as the row's columns.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, DbError> {
        let fields = self.columns.iter().zip(&self.values).map(|(name, v)| {
            let v = match v {
                Value::Null => serde_json::Value::Null,
                Value::Int(i) => (*i).into(),
                Value::Text(t) => t.as_str().into(),
                Value::Blob(b) => b.as_slice().into(),
            };
            (name.clone(), v)
        });
        serde_json::from_value(serde_json::Value::Object(fields.collect())).map_err(|e| {
            DbError::Corrupt {
                what: "a batch's row",
                detail: e.to_string(),
            }
        })
    }
}

/// The thread that runs this process's write batches, a group at a time, each while
/// it holds the process's writer turn.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    counts: Arc<Counts>,
}

/// Batches run, and the groups (transactions) they ran in, since the writer started.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub batches: AtomicU64,
    pub commits: AtomicU64,
}

enum Job {
    Run {
        batch: Batch,
        reply: Reply,
    },
    /// Close the connection and end the thread; answered once it is closed.
    Stop(oneshot::Sender<()>),
}

impl Writer {
    /// Opens the writer's connection to the (migrated) database at `path` with
    /// `pragmas` and the busy timeout every connection has, on a thread of its own.
    pub async fn start(
        path: &Path,
        pragmas: &'static [(&'static str, &'static str)],
        busy_timeout: std::time::Duration,
        turn: Arc<Mutex<()>>,
    ) -> Result<Writer, DbError> {
        let path = path.to_path_buf();
        let (jobs, queue) = mpsc::channel::<Job>();
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        let (opened, open) = oneshot::channel();
        std::thread::Builder::new()
            .name("codetill-writer".into())
            .spawn(move || match open_native(&path, pragmas, busy_timeout) {
                Ok(conn) => {
                    let _ = opened.send(Ok(()));
                    serve(conn, &queue, &turn, &counted);
                }
                Err(e) => {
                    let _ = opened.send(Err(e));
                }
            })
            .map_err(|e| DbError::Sql(sqlx::Error::Io(e)))?;
        open.await.map_err(|_| DbError::WriterStopped)??;
        Ok(Writer { jobs, counts })
    }

    /// Runs `batch` to the end, whether or not the caller still waits for it.
    pub async fn run(&self, batch: Batch) -> Result<Vec<Row>, DbError> {
        let (reply, result) = oneshot::channel();
        self.jobs
            .send(Job::Run { batch, reply })
            .map_err(|_| DbError::WriterStopped)?;
        result.await.map_err(|_| DbError::WriterStopped)?
    }

    /// Batches run, and the groups (transactions) they ran in, since the start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.batches.load(Ordering::Relaxed),
            self.counts.commits.load(Ordering::Relaxed),
        )
    }

    /// Closes the writer's connection after the batches already queued.
    pub async fn stop(&self) {
        let (done, closed) = oneshot::channel();
        if self.jobs.send(Job::Stop(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

/// The writer thread's loop: runs the queued batches group by group until every
/// `Db` is gone or one closed the database, then closes the connection.
fn serve(
    conn: rusqlite::Connection,
    queue: &mpsc::Receiver<Job>,
    turn: &Mutex<()>,
    counts: &Counts,
) {
    let mut stop = None;
    while stop.is_none() {
        let Ok(first) = queue.recv() else { break };
        let (batches, replies): (Vec<_>, Vec<_>) =
            next_group(first, queue, &mut stop).into_iter().unzip();
        if batches.is_empty() {
            continue;
        }
        let held = turn.blocking_lock();
        let results = run_group(&conn, &batches);
        drop(held);
        counts
            .batches
            .fetch_add(batches.len() as u64, Ordering::Relaxed);
        counts.commits.fetch_add(1, Ordering::Relaxed);
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that went away meanwhile misses only the reply.
            let _ = reply.send(result);
        }
    }
    drop(conn);
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

type Reply = oneshot::Sender<Result<Vec<Row>, DbError>>;

/// `first` and the batches queued behind it, in order, up to [`MAX_GROUP`] or a stop
/// (kept in `stop`; what queued after it is never run, and its callers are told so).
fn next_group(
    first: Job,
    queue: &mpsc::Receiver<Job>,
    stop: &mut Option<oneshot::Sender<()>>,
) -> Vec<(Batch, Reply)> {
    let mut group = Vec::new();
    let mut next = Some(first);
    while let Some(job) = next.take() {
        match job {
            Job::Run { batch, reply } => group.push((batch, reply)),
            Job::Stop(done) => {
                *stop = Some(done);
                break;
            }
        }
        if group.len() < MAX_GROUP {
            next = queue.try_recv().ok();
        }
    }
    group
}

fn open_native(
    path: &Path,
    pragmas: &[(&str, &str)],
    busy_timeout: std::time::Duration,
) -> Result<rusqlite::Connection, DbError> {
    use rusqlite::OpenFlags;
    // The file exists and is migrated by now; the writer never creates one.
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    for (name, value) in pragmas {
        conn.pragma_update(None, name, value)?;
    }
    // A sale's batches are a handful of distinct statements; this keeps them all.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Most batches one commit takes: more than a till has sales in flight.
const MAX_GROUP: usize = 32;

/// The batches that queued up together, committed as one transaction: the pages they
/// share are written once, not once per batch. Each batch runs inside a savepoint, so
/// a failed one is undone alone and the others still commit; a failed BEGIN or COMMIT
/// fails them all. One result per batch, in order; none is sent before the COMMIT.
fn run_group(conn: &rusqlite::Connection, batches: &[Batch]) -> Vec<Result<Vec<Row>, DbError>> {
    let all_fail = |why: String| {
        batches
            .iter()
            .map(|_| Err(DbError::Batch(why.clone())))
            .collect()
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        return all_fail(format!("could not begin: {e}"));
    }
    let mut results = Vec::with_capacity(batches.len());
    for batch in batches {
        // Some failures (a full disk, an I/O error) make SQLite roll back the whole
        // transaction; nothing more may run, or it would commit on its own.
        if conn.is_autocommit() {
            break;
        }
        results.push(in_savepoint(conn, batch));
    }
    if conn.is_autocommit() {
        let why = results
            .into_iter()
            .find_map(Result::err)
            .map_or_else(String::new, |e| format!(": {e}"));
        return all_fail(format!("was rolled back with its group{why}"));
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => results,
        Err(e) => {
            roll_back(conn);
            all_fail(format!("could not commit: {e}"))
        }
    }
}

/// `batch` all or nothing, inside the group's transaction.
fn in_savepoint(conn: &rusqlite::Connection, batch: &Batch) -> Result<Vec<Row>, DbError> {
    conn.execute_batch("SAVEPOINT batch")?;
    let result = statements(conn, batch);
    let end = if result.is_ok() {
        "RELEASE batch"
    } else {
        "ROLLBACK TO batch; RELEASE batch"
    };
    if let Err(e) = conn.execute_batch(end) {
        // The savepoint cannot be closed (or SQLite already rolled everything back):
        // the group's COMMIT could take this batch's part with it, so the whole
        // transaction goes, and every batch in it fails.
        roll_back(conn);
        return Err(e.into());
    }
    result
}

/// Ends the open transaction, if any, so the connection never stays inside one.
fn roll_back(conn: &rusqlite::Connection) {
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        // Only a broken connection fails here; the next BEGIN fails too, and says so.
        tracing::warn!(error = %e, "rolling back a write group");
    }
}

fn statements(conn: &rusqlite::Connection, batch: &Batch) -> Result<Vec<Row>, DbError> {
    let mut rows = statements_of(conn, batch)?;
    for next in &batch.then {
        rows.extend(statements_of(conn, next)?);
    }
    Ok(rows)
}

/// One batch's own statements (not those chained after it).
fn statements_of(conn: &rusqlite::Connection, batch: &Batch) -> Result<Vec<Row>, DbError> {
    let mut rows = Vec::new();
    for sql in batch.statements() {
        let mut statement = conn.prepare_cached(sql)?;
        // SQLite indexes `$3` as a name (in order of first use), not as index 3:
        // every parameter is bound by its name, numbered or not. Indexes without a
        // name are not used.
        for index in 1..=statement.parameter_count() {
            let Some(name) = statement.parameter_name(index) else {
                continue;
            };
            match batch.value(name)? {
                Value::Null => statement.raw_bind_parameter(index, rusqlite::types::Null),
                Value::Int(v) => statement.raw_bind_parameter(index, v),
                Value::Text(v) => statement.raw_bind_parameter(index, v),
                Value::Blob(v) => statement.raw_bind_parameter(index, v),
            }?;
        }
        let columns: Arc<[String]> = statement
            .column_names()
            .into_iter()
            .map(String::from)
            .collect();
        let mut results = statement.raw_query();
        while let Some(row) = results.next()? {
            let values = (0..columns.len())
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(v) => Value::Int(v),
                        ValueRef::Text(t) => Value::Text(
                            String::from_utf8(t.to_vec())
                                .map_err(|e| DbError::Batch(format!("column {i}: {e}")))?,
                        ),
                        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                        // Money and counts are integers; the schema has no REAL column.
                        ValueRef::Real(_) => {
                            return Err(DbError::Batch(format!(
                                "column {} is a floating-point value",
                                columns[i]
                            )));
                        }
                    })
                })
                .collect::<Result<_, DbError>>()?;
            rows.push(Row {
                columns: columns.clone(),
                values,
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn statements_split_at_semicolons_outside_literals() {
        let batch = Batch::new("INSERT INTO t VALUES ('a;b', 'it''s;'); ;\n SELECT $2 || ';'")
            .bind(1_i64)
            .bind("two");
        let statements: Vec<&str> = batch.statements().collect();
        assert_eq!(
            statements,
            vec![
                "INSERT INTO t VALUES ('a;b', 'it''s;')",
                "\n SELECT $2 || ';'"
            ]
        );
        assert_eq!(batch.value("$2").unwrap(), &Value::Text("two".into()));
        assert!(batch.value("$3").is_err(), "unbound");
        assert!(batch.value("$0").is_err(), "numbered from 1");
        assert!(batch.value(":name").is_err(), "numbered only");
        assert_eq!(Value::from(None::<String>), Value::Null);
        assert_eq!(Value::from(Some(vec![1_u8])), Value::Blob(vec![1]));
    }

    #[test]
    fn named_parameters_are_bound_by_name() {
        let batch = Batch::new("SELECT :now, $1, :order")
            .bind(5_i64)
            .bind_named(":order", 7_i64)
            .bind_named(":now", "t");
        assert_eq!(batch.value(":now").unwrap(), &Value::Text("t".into()));
        assert_eq!(batch.value(":order").unwrap(), &Value::Int(7));
        assert_eq!(batch.value("$1").unwrap(), &Value::Int(5));
        assert!(batch.value(":owner").is_err(), "unbound");
        assert!(batch.value("$2").is_err(), "names are not numbers");
    }
}
