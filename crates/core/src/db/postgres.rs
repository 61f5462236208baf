//! How one of core's statements, written once for both databases, is sent to
//! PostgreSQL. Core writes `$1`-style parameters (both databases read them), and
//! the functions SQLite has and PostgreSQL lacks come from migrations/postgres. What
//! is left is what a write batch says in SQLite's words alone:
//!
//! - named parameters (`:now`), which PostgreSQL does not have: each becomes a
//!   numbered one after the batch's own;
//! - `changes()`, the rows the batch's previous INSERT, UPDATE or DELETE changed,
//!   which gates a batch's later statements: it becomes one more parameter, bound by
//!   the runner with that count.
//!
//! Every write transaction of a PostgreSQL shop first takes one shop-wide lock
//! ([`WRITE_LOCK`]): tills write one at a time, as SQLite's writers do, so what a
//! transaction reads and then writes (the next order number, the next Z number, a
//! lease taken only when free) holds across tills, with no statement written twice.
//! The one exception is a [`Batch::row_guarded`] batch (a delivery), which locks only
//! the row it is about.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::postgres::{PgArguments, PgPool, PgRow, PgTypeInfo};
use sqlx::{Arguments, Column, Executor, Row as _, TypeInfo, ValueRef};

use tokio::sync::oneshot;

use super::{Batch, DbError, Row, Value};

/// The advisory lock key every write transaction takes (`codetill` in ASCII).
pub const WRITE_LOCK: i64 = 0x636f_6465_7469_6c6c;

/// Begins a transaction that holds the shop's write lock ([`WRITE_LOCK`]) until it
/// ends: both in one round trip.
pub(super) static BEGIN_LOCKED: LazyLock<String> =
    LazyLock::new(|| format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"));

/// Runs write batches on PostgreSQL, in transactions under the shop's write lock
/// (but for row-guarded ones). A statement's parameter types are asked of PostgreSQL
/// once (it reads them from where each stands), and values are bound as those types:
/// SQLite takes any value anywhere, PostgreSQL only the type it expects.
#[derive(Debug)]
pub(super) struct PgWriter {
    pool: PgPool,
    /// Where statements are first prepared: a statement PostgreSQL refuses would
    /// abort the batch's own transaction.
    planner: PgPool,
    /// Per statement: the parameters PostgreSQL could not type.
    open: Mutex<HashMap<(String, usize), Vec<usize>>>,
    plans: Mutex<HashMap<(String, usize, String), Arc<Plan>>>,
    /// Batches waiting for the next group.
    queue: Mutex<Vec<(Batch, Reply)>>,
    /// Held by the caller whose group runs; the others queue behind it.
    leader: tokio::sync::Mutex<()>,
}

type Reply = oneshot::Sender<Result<Vec<Row>, DbError>>;

/// One statement of a batch, as PostgreSQL prepared it.
#[derive(Debug)]
struct Plan {
    translated: Translated,
    params: Vec<PgTypeInfo>,
    returns_rows: bool,
    /// INSERT, UPDATE or DELETE: what `changes()` counts.
    changes_rows: bool,
}

impl PgWriter {
    pub(super) fn new(pool: PgPool) -> PgWriter {
        let planner = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(pool.connect_options().as_ref().clone());
        PgWriter {
            pool,
            planner,
            open: Mutex::new(HashMap::new()),
            plans: Mutex::new(HashMap::new()),
            queue: Mutex::new(Vec::new()),
            leader: tokio::sync::Mutex::new(()),
        }
    }

    /// A listener for `channel`'s notices, on a connection of its own: a listener
    /// keeps its connection, which the writers' pool cannot spare.
    pub(super) async fn listen(
        &self,
        channel: &str,
    ) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(self.pool.connect_options().as_ref().clone());
        let mut listener = sqlx::postgres::PgListener::connect_with(&own).await?;
        listener.listen(channel).await?;
        Ok(listener)
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
        self.planner.close().await;
    }

    /// `batch` and those chained after it, all or nothing; their rows in order.
    /// Batches that queue up while one runs commit together (a group commit, as
    /// the SQLite writer does): one transaction and one wait for the disk, a failed
    /// batch undone alone ([`PgWriter::run_group`]). Once called, it runs to the end
    /// even if the caller goes away.
    pub(super) async fn run(self: &Arc<Self>, batch: Batch) -> Result<Vec<Row>, DbError> {
        if batch.guarded {
            return self.run_guarded(batch).await;
        }
        let (reply, mut answer) = oneshot::channel();
        match self.queue.lock() {
            Ok(mut queue) => queue.push((batch, reply)),
            Err(_) => return Err(DbError::WriterStopped),
        }
        loop {
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => return Err(DbError::WriterStopped),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let _leading = self.leader.lock().await;
            // The leader before may have run this batch already.
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => return Err(DbError::WriterStopped),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let group = self
                .queue
                .lock()
                .map(|mut q| std::mem::take(&mut *q))
                .unwrap_or_default();
            if group.is_empty() {
                // Taken by a group whose caller went away while it runs: its task
                // answers.
                drop(_leading);
                return answer.await.unwrap_or(Err(DbError::WriterStopped));
            }
            let me = self.clone();
            let _ = tokio::spawn(async move { me.run_group(group).await }).await;
        }
    }

    /// A [`Batch::row_guarded`] batch: alone, in a transaction of its own that
    /// takes no shop-wide lock, so it runs beside the other tills' writes. Its first
    /// statement locks its row; what it writes after is gated on that row.
    async fn run_guarded(self: &Arc<Self>, batch: Batch) -> Result<Vec<Row>, DbError> {
        let me = self.clone();
        let task = tokio::spawn(async move {
            me.transaction(std::slice::from_ref(&batch), false, false)
                .await
        });
        match task.await {
            Ok(Ok(mut results)) => results.pop().unwrap_or(Err(DbError::WriterStopped)),
            Ok(Err(e)) => Err(DbError::Batch(format!("the transaction failed: {e}"))),
            Err(_) => Err(DbError::WriterStopped),
        }
    }

    async fn run_group(&self, group: Vec<(Batch, Reply)>) {
        let (batches, replies): (Vec<Batch>, Vec<Reply>) = group.into_iter().unzip();
        let outcome = async {
            let first = self.transaction(&batches, true, false).await?;
            if batches.len() == 1 || first.iter().all(Result::is_ok) {
                return Ok(first);
            }
            // One batch of the group failed, which undid them all: again, each in a
            // savepoint of its own, so that the failed one is undone alone. Failures
            // are rare (a refused transition), so the usual group pays for no
            // savepoints.
            self.transaction(&batches, true, true).await
        }
        .await;
        let results = match outcome {
            Ok(results) => results,
            Err(e) => {
                let why = e.to_string();
                (0..replies.len())
                    .map(|_| Err(DbError::Batch(format!("the transaction failed: {why}"))))
                    .collect()
            }
        };
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }

    /// `batches` in one transaction, under the shop's write lock when `lock`. With
    /// `savepoints`, each batch in a savepoint, and a failed one is undone alone;
    /// without, the first that fails ends the transaction, undone, and its result is
    /// the last one given. Commits when any batch succeeded.
    async fn transaction(
        &self,
        batches: &[Batch],
        lock: bool,
        savepoints: bool,
    ) -> Result<Vec<Result<Vec<Row>, DbError>>, sqlx::Error> {
        let mut tx = match lock {
            true => self.pool.begin_with(BEGIN_LOCKED.as_str()).await?,
            false => self.pool.begin().await?,
        };
        let mut results = Vec::with_capacity(batches.len());
        for batch in batches {
            if savepoints {
                tx.execute("SAVEPOINT batch").await?;
            }
            match self.statements(&mut tx, batch).await {
                Ok(rows) => {
                    if savepoints {
                        tx.execute("RELEASE SAVEPOINT batch").await?;
                    }
                    results.push(Ok(rows));
                }
                Err(e) if savepoints => {
                    tx.execute("ROLLBACK TO SAVEPOINT batch").await?;
                    tx.execute("RELEASE SAVEPOINT batch").await?;
                    results.push(Err(e));
                }
                Err(e) => {
                    tx.rollback().await?;
                    results.push(Err(e));
                    return Ok(results);
                }
            }
        }
        if results.iter().all(Result::is_err) {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(results)
    }

    /// One batch's statements (and those chained after it) on `tx`.
    async fn statements(
        &self,
        tx: &mut sqlx::PgConnection,
        batch: &Batch,
    ) -> Result<Vec<Row>, DbError> {
        let mut rows = Vec::new();
        // As SQLite's changes(): the last INSERT, UPDATE or DELETE's count, kept
        // across the batch's statements.
        let mut changes = 0_i64;
        for b in std::iter::once(batch).chain(batch.then.iter()) {
            for statement in b.statements() {
                let plan = self.plan(statement, b.values.len(), b).await?;
                let args = plan.arguments(b, changes).map_err(|e| {
                    // Which statement, by its first words (no values).
                    let head: String = statement
                        .split_whitespace()
                        .take(6)
                        .collect::<Vec<_>>()
                        .join(" ");
                    DbError::Batch(format!("{e} (in {head} …)"))
                })?;
                if plan.returns_rows {
                    let got = sqlx::query_with(&plan.translated.sql, args)
                        .fetch_all(&mut *tx)
                        .await?;
                    if plan.changes_rows {
                        changes = i64::try_from(got.len()).unwrap_or(i64::MAX);
                    }
                    for row in &got {
                        rows.push(row_of(row)?);
                    }
                } else {
                    let done = sqlx::query_with(&plan.translated.sql, args)
                        .execute(&mut *tx)
                        .await?;
                    if plan.changes_rows {
                        changes = i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
                    }
                }
            }
        }
        Ok(rows)
    }

    /// `statement` as PostgreSQL prepared it for `batch`'s values. A parameter
    /// whose type PostgreSQL cannot read from where it stands (a value in
    /// `FROM (VALUES …)`, `$3 IS NULL` alone) takes the type of the value bound, and
    /// the plan is kept per those types.
    async fn plan(
        &self,
        statement: &str,
        numbered: usize,
        batch: &Batch,
    ) -> Result<Arc<Plan>, DbError> {
        let translated = translate(statement, numbered);
        let base = (statement.to_string(), numbered);
        let open = self.open.lock().ok().and_then(|o| o.get(&base).cloned());
        if let Some(open) = &open {
            let key = (
                base.0.clone(),
                numbered,
                signature(open, &translated, batch)?,
            );
            if let Some(plan) = self.plans.lock().ok().and_then(|p| p.get(&key).cloned()) {
                return Ok(plan);
            }
        }
        let mut conn = self.planner.acquire().await?;
        let used = referenced(&translated.sql);
        let count = used.iter().next_back().copied().unwrap_or(0);
        // A parameter the statement does not use (a batch's values are shared by
        // its statements) has no type to read: its value's.
        let unknown = PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0));
        let mut declared = Vec::with_capacity(count);
        let mut undetermined = Vec::new();
        for k in 1..=count {
            if used.contains(&k) {
                declared.push(unknown.clone());
            } else {
                declared.push(PgTypeInfo::with_name(kind(&value_at(
                    &translated,
                    batch,
                    k,
                    0,
                )?)));
                undetermined.push(k);
            }
        }
        let prepared = loop {
            match (&mut *conn).prepare_with(&translated.sql, &declared).await {
                Ok(prepared) => break prepared,
                Err(e) => match self::undetermined(&e).filter(|k| (1..=count).contains(k)) {
                    Some(k) if declared[k - 1] == unknown => {
                        let value = value_at(&translated, batch, k, 0)?;
                        declared[k - 1] = PgTypeInfo::with_name(kind(&value));
                        undetermined.push(k);
                    }
                    _ => return Err(e.into()),
                },
            }
        };
        use sqlx::Statement;
        let params = match prepared.parameters() {
            Some(sqlx::Either::Left(types)) => types.to_vec(),
            _ => declared,
        };
        let returns_rows = !prepared.columns().is_empty();
        drop(prepared);
        let head = statement.trim_start().to_ascii_uppercase();
        let signature = signature(&undetermined, &translated, batch)?;
        let mut translated = translated;
        if !signature.is_empty() {
            // sqlx keeps a prepared statement per text: each set of types its own.
            translated.sql = format!("{} /* {signature} */", translated.sql);
        }
        let plan = Arc::new(Plan {
            returns_rows,
            changes_rows: ["INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|k| head.starts_with(k)),
            translated,
            params,
        });
        if let Ok(mut open) = self.open.lock() {
            open.insert(base.clone(), undetermined);
        }
        if let Ok(mut plans) = self.plans.lock() {
            plans.insert((base.0, numbered, signature), plan.clone());
        }
        Ok(plan)
    }
}

/// The type a value is declared as where PostgreSQL cannot tell.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Int(_) => "int8",
        Value::Blob(_) => "bytea",
        Value::Text(_) | Value::Null => "text",
    }
}

/// The declared types of the parameters PostgreSQL cannot type (`3:bytea`…).
fn signature(open: &[usize], translated: &Translated, batch: &Batch) -> Result<String, DbError> {
    let mut parts = Vec::with_capacity(open.len());
    for &k in open {
        parts.push(format!("{k}:{}", kind(&value_at(translated, batch, k, 0)?)));
    }
    Ok(parts.join(","))
}

/// The value of parameter `k` of a translated statement in `batch`.
fn value_at(
    translated: &Translated,
    batch: &Batch,
    k: usize,
    changes: i64,
) -> Result<Value, DbError> {
    let numbered = batch.values.len();
    Ok(if Some(k) == translated.changes {
        Value::Int(changes)
    } else if k <= numbered {
        batch.values[k - 1].clone()
    } else {
        match translated.names.get(k - numbered - 1) {
            Some(name) => batch.value(name)?.clone(),
            None => Value::Null,
        }
    })
}

impl Plan {
    /// The batch's values for this statement, each as the type PostgreSQL reads
    /// where it stands.
    fn arguments(&self, batch: &Batch, changes: i64) -> Result<PgArguments, DbError> {
        let mut args = PgArguments::default();
        for (i, ty) in self.params.iter().enumerate() {
            let k = i + 1;
            let value = value_at(&self.translated, batch, k, changes)?;
            bind(&mut args, k, ty, value)?;
        }
        Ok(args)
    }
}

fn bind(args: &mut PgArguments, k: usize, ty: &PgTypeInfo, value: Value) -> Result<(), DbError> {
    let wrong =
        |what: &str| DbError::Batch(format!("${k}: {what} where PostgreSQL reads {}", ty.name()));
    let added = match (ty.name(), value) {
        ("INT8" | "INT4" | "INT2", Value::Null) => args.add(None::<i64>),
        ("INT8" | "INT4" | "INT2", Value::Int(v)) => args.add(v),
        ("INT8" | "INT4" | "INT2", Value::Text(t)) => args.add(
            t.trim()
                .parse::<i64>()
                .map_err(|_| wrong("text that is no integer"))?,
        ),
        ("BOOL", Value::Null) => args.add(None::<bool>),
        ("BOOL", Value::Int(v)) => args.add(v != 0),
        ("BYTEA" | "blob", Value::Null) => args.add(None::<Vec<u8>>),
        ("BYTEA" | "blob", Value::Blob(b)) => args.add(b),
        ("BYTEA" | "blob", Value::Text(t)) => args.add(t.into_bytes()),
        ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "UNKNOWN", Value::Null) => {
            args.add(None::<String>)
        }
        ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "UNKNOWN", Value::Text(t)) => args.add(t),
        ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "UNKNOWN", Value::Int(v)) => {
            args.add(v.to_string())
        }
        (_, Value::Blob(_)) => return Err(wrong("bytes")),
        (_, Value::Int(_)) => return Err(wrong("an integer")),
        (_, Value::Text(_)) => return Err(wrong("text")),
        (_, Value::Null) => return Err(wrong("NULL")),
    };
    added.map_err(|e| DbError::Batch(format!("${k}: {e}")))
}

/// A row as the SQLite writer gives it: integers, text, bytes or NULL.
fn row_of(row: &PgRow) -> Result<Row, DbError> {
    let corrupt = |detail: String| DbError::Corrupt {
        what: "a batch's row",
        detail,
    };
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            values.push(Value::Null);
            continue;
        }
        values.push(match column.type_info().name() {
            "INT8" => Value::Int(row.try_get::<i64, _>(i)?),
            "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(i)?)),
            "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(i)?)),
            "BOOL" => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Value::Text(row.try_get::<String, _>(i)?),
            "BYTEA" | "blob" => Value::Blob(row.try_get::<Vec<u8>, _>(i)?),
            other => return Err(corrupt(format!("column {} is {other}", column.name()))),
        });
    }
    let columns: Arc<[String]> = row.columns().iter().map(|c| c.name().to_string()).collect();
    Ok(Row { columns, values })
}

/// The `$k` a statement uses.
fn referenced(sql: &str) -> BTreeSet<usize> {
    let mut used = BTreeSet::new();
    let mut quoted = false;
    for (i, c) in sql.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        } else if c == '$' && !quoted {
            let digits: String = sql[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(k) = digits.parse() {
                used.insert(k);
            }
        }
    }
    used
}

/// The parameter PostgreSQL could not type, from its error.
fn undetermined(e: &sqlx::Error) -> Option<usize> {
    let text = e.to_string();
    let rest = text
        .split("could not determine data type of parameter $")
        .nth(1)?;
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// A statement as PostgreSQL takes it, and what its added parameters stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub sql: String,
    /// The named parameters, in the order they follow the numbered ones.
    pub names: Vec<String>,
    /// The parameter that stands for `changes()`, if the statement reads it.
    pub changes: Option<usize>,
}

/// `sql` for PostgreSQL, when the batch binds `numbered` numbered values.
pub fn translate(sql: &str, numbered: usize) -> Translated {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut names: Vec<String> = Vec::new();
    let mut reads_changes = false;
    let chars: Vec<char> = sql.chars().collect();
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && c == ':' && i > 0 && chars[i - 1] == ':' {
            // A cast (`x::bigint`): both colons are PostgreSQL's own.
            out.push(c);
            i += 1;
            continue;
        }
        let starts_name = !quoted
            && c == ':'
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_')
            && chars.get(i + 1) != Some(&':');
        if starts_name {
            let end = (i + 1..chars.len())
                .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            let name: String = chars[i..end].iter().collect();
            let slot = match names.iter().position(|n| *n == name) {
                Some(k) => k,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            out.push_str(&format!("${}", numbered + slot + 1));
            i = end;
            continue;
        }
        if !quoted && sql_word_at(&chars, i, "changes()") {
            // Numbered after the names, once every name is known (below).
            reads_changes = true;
            out.push_str("\u{0}CHANGES\u{0}");
            i += "changes()".len();
            continue;
        }
        out.push(c);
        i += 1;
    }
    let changes = reads_changes.then(|| numbered + names.len() + 1);
    let sql = match changes {
        // A bigint, as SQLite's changes() is an integer.
        Some(k) => out.replace("\u{0}CHANGES\u{0}", &format!("CAST(${k} AS BIGINT)")),
        None => out,
    };
    Translated {
        sql,
        names,
        changes,
    }
}

/// Whether `word` (a function call) starts at `i` and is not the tail of a longer
/// name.
fn sql_word_at(chars: &[char], i: usize, word: &str) -> bool {
    let before_ok = i == 0 || !(chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_');
    before_ok
        && word
            .chars()
            .enumerate()
            .all(|(k, w)| chars.get(i + k) == Some(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_numbered_parameters_in_order_of_first_use() {
        let t = translate(
            "UPDATE t SET a = :now, b = $2 WHERE id = :order AND c = :now",
            3,
        );
        assert_eq!(
            t.sql,
            "UPDATE t SET a = $4, b = $2 WHERE id = $5 AND c = $4"
        );
        assert_eq!(t.names, [":now", ":order"]);
        assert_eq!(t.changes, None);
    }

    #[test]
    fn changes_becomes_the_last_parameter_and_quotes_and_casts_are_kept() {
        let t = translate(
            "INSERT INTO x SELECT ':not', y::text, $1 FROM z WHERE changes() = :written \
             AND mychanges() = 1",
            1,
        );
        assert_eq!(
            t.sql,
            "INSERT INTO x SELECT ':not', y::text, $1 FROM z WHERE CAST($3 AS BIGINT) = $2 \
             AND mychanges() = 1"
        );
        assert_eq!(t.names, [":written"]);
        assert_eq!(t.changes, Some(3));
    }

    #[test]
    fn a_statement_in_both_dialects_passes_unchanged() {
        let sql = "SELECT id FROM orders WHERE status = 'paid' AND id > $1";
        assert_eq!(translate(sql, 1).sql, sql);
    }
}
