//! The shop's SQLite database: one file, WAL, a busy timeout long enough that several
//! tills (the app and the CLI) can write at once, foreign keys on, migrations applied
//! at open.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{
    Arguments, ConnectOptions, Encode, Sqlite, SqliteConnection, SqlitePool, Transaction, Type,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database holds a bad value in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// How long a writer waits for another till's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    path: PathBuf,
    /// Writers of this process take turns here before BEGIN IMMEDIATE. SQLite admits
    /// one writer at a time anyway; queueing in-process is fair and immediate, where
    /// SQLite's busy handler sleeps up to 100 ms between tries (the tail of a busy
    /// till). Other processes still meet at SQLite's lock.
    writer: Arc<Mutex<Writer>>,
    checkpoints: Checkpoints,
}

/// This process's writer turn, and the connection write batches run on: one
/// connection whose page cache its own commits never invalidate (a pooled one's is
/// dropped whenever another connection has written since its last use).
#[derive(Debug)]
struct Writer {
    options: SqliteConnectOptions,
    conn: Option<SqliteConnection>,
}

/// A write transaction holding this process's writer turn until commit or drop.
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<Writer>,
    checkpoints: Checkpoints,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx {
            tx,
            _turn,
            checkpoints,
        } = self;
        tx.commit().await?;
        drop(_turn);
        checkpoints.committed();
        Ok(())
    }
}

/// Statements that run as one write transaction in a single round trip to SQLite
/// (the sale path: the fewer trips while this till holds the write lock, the more
/// sales a second). Parameters are numbered (`?1`…), shared by all the statements,
/// and bound in order.
pub struct Batch {
    sql: String,
    args: SqliteArguments<'static>,
    bad: Option<String>,
}

impl Batch {
    pub fn new(sql: impl Into<String>) -> Batch {
        Batch {
            sql: sql.into(),
            args: SqliteArguments::default(),
            bad: None,
        }
    }

    pub fn bind<T>(mut self, value: T) -> Batch
    where
        T: 'static + Send + Encode<'static, Sqlite> + Type<Sqlite>,
    {
        if let Err(e) = self.args.add(value)
            && self.bad.is_none()
        {
            self.bad = Some(e.to_string());
        }
        self
    }
}

/// Commits between two background checkpoints (a sale writes some 25 pages).
const COMMITS_PER_CHECKPOINT: u32 = 64;

/// Checkpoints off the writers' path: copying the WAL back fsyncs the database
/// file, and inside a commit (SQLite's automatic checkpoint) that held every sale of
/// this till up.
#[derive(Clone, Debug)]
struct Checkpoints {
    pool: SqlitePool,
    /// Write transactions committed since the last one.
    commits: Arc<AtomicU32>,
}

impl Checkpoints {
    fn committed(&self) {
        if self.commits.fetch_add(1, Ordering::Relaxed) + 1 < COMMITS_PER_CHECKPOINT {
            return;
        }
        self.commits.store(0, Ordering::Relaxed);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "background checkpoint");
            }
        });
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub async fn open(path: &Path) -> Result<Db, DbError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| DbError::Open {
                path: path.to_path_buf(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-2000")
            // Checkpoints run in the background after commits (see `WriteTx::commit`);
            // this is only the backstop for bulk writes such as a catalog import.
            .pragma("wal_autocheckpoint", "10000")
            // A catalog import is one long statement by design; sqlx would log it as slow.
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A pooled SQLite connection is a file handle in this process: nothing on
            // the far side can drop it, so the default ping before every acquire is
            // only a round trip to its worker thread (one per query on the sale path).
            .test_before_acquire(false)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(opts.clone())
            .await
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Db {
            checkpoints: Checkpoints {
                pool: pool.clone(),
                commits: Arc::new(AtomicU32::new(0)),
            },
            pool,
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(Writer {
                options: opts,
                conn: None,
            })),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction that takes the write lock at BEGIN. A deferred BEGIN that
    /// reads and then writes fails at once with SQLITE_BUSY under concurrency, whatever
    /// the busy timeout says; IMMEDIATE waits its turn instead.
    pub async fn begin_write(&self) -> Result<WriteTx, DbError> {
        let turn = self.writer.clone().lock_owned().await;
        // sqlx's BEGIN is not cancel-safe: a caller dropped after the worker ran BEGIN
        // but before the `Transaction` exists leaves a pooled connection inside a
        // transaction that holds the write lock, and every later writer times out.
        // So BEGIN runs to the end in a task of its own; if the caller is gone by
        // then, the finished transaction is dropped there, which rolls it back.
        let pool = self.pool.clone();
        let tx = tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
            .await
            .map_err(|_| DbError::Sql(sqlx::Error::WorkerCrashed))??;
        Ok(WriteTx {
            tx,
            _turn: turn,
            checkpoints: self.checkpoints.clone(),
        })
    }

    /// Runs `batch` as one write transaction (BEGIN IMMEDIATE … COMMIT sent with it)
    /// and returns the rows its statements produced. It runs to the end in a task of
    /// its own, holding this process's writer turn, so a caller that goes away never
    /// leaves it half done; a failed statement rolls the whole batch back.
    pub async fn write_batch(&self, batch: Batch) -> Result<Vec<SqliteRow>, DbError> {
        if let Some(bad) = batch.bad {
            return Err(DbError::Sql(sqlx::Error::Encode(bad.into())));
        }
        let mut args = batch.args;
        // sqlx binds a gap in a statement's numbered parameters (`?4` used, `?3` not)
        // from a positional count that runs on across the batch, and stops binding a
        // statement's parameters once that count passes the number of arguments.
        // Trailing NULLs keep it from ever getting there; what lands in a gap is
        // never read.
        let statements = batch.sql.matches(';').count() + 1;
        for _ in 0..statements * args.len() {
            args.add(None::<i64>).map_err(sqlx::Error::Encode)?;
        }
        let mut turn = self.writer.clone().lock_owned().await;
        let rows = tokio::spawn(async move {
            let writer = &mut *turn;
            let conn = match &mut writer.conn {
                Some(conn) => conn,
                slot => slot.insert(writer.options.connect().await?),
            };
            let sql = format!("BEGIN IMMEDIATE;\n{};\nCOMMIT", batch.sql);
            let result = sqlx::query_with(&sql, args).fetch_all(&mut *conn).await;
            if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                // Nothing to roll back (BEGIN itself failed) or a broken connection:
                // either way the next batch starts on a fresh one, never inside a
                // transaction.
                if let Some(conn) = turn.conn.take() {
                    let _ = sqlx::Connection::close(conn).await;
                }
            }
            result
        })
        .await
        .map_err(|_| DbError::Sql(sqlx::Error::WorkerCrashed))??;
        self.checkpoints.committed();
        Ok(rows)
    }

    pub async fn close(self) {
        if let Some(conn) = self.writer.lock().await.conn.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
        self.pool.close().await;
    }
}

/// Each pooled connection's page cache (2 MB, SQLite's default); a catalog import
/// raises its own connection's for the import's length and restores this after.
pub(crate) const POOLED_CACHE: &str = "PRAGMA cache_size = -2000";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Now, as stored in the database: RFC 3339 UTC with milliseconds, so text order is
/// time order.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sqlx::Row;

    #[tokio::test]
    async fn migrations_apply_to_an_empty_file_and_rerun_safely() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("codetill.db");
        let db = Db::open(&path).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(db.pool())
                .await
                .unwrap();
        for t in [
            "products",
            "price_rules",
            "price_history",
            "settings",
            "sync_runs",
        ] {
            assert!(
                tables.iter().any(|n| n == t),
                "missing table {t}: {tables:?}"
            );
        }
        db.close().await;
        let db = Db::open(&path).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        // Migrations table is applied once, not twice.
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(applied as usize, MIGRATOR.iter().count());
    }

    #[tokio::test]
    async fn a_batch_is_all_or_nothing_and_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("b.db")).await.unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER NOT NULL, s TEXT)")
            .execute(db.pool())
            .await
            .unwrap();
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM t")
                .fetch_one(db.pool())
                .await
                .unwrap()
        };

        // Parameters shared across statements, with gaps (the last uses only ?4).
        let rows = db
            .write_batch(
                Batch::new(
                    "INSERT INTO t (n, s) VALUES (?1, ?2); INSERT INTO t (n, s) VALUES (?4, ?2);
                     SELECT sum(n), max(s) FROM t WHERE n <= ?4",
                )
                .bind(1_i64)
                .bind("a")
                .bind(None::<i64>)
                .bind(2_i64),
            )
            .await
            .unwrap();
        let (sum, s): (i64, String) = (rows[0].get(0), rows[0].get(1));
        assert_eq!((sum, s.as_str()), (3, "a"));

        // The second statement fails: the first is rolled back with it.
        let failed = db
            .write_batch(
                Batch::new("INSERT INTO t (n) VALUES (?1); INSERT INTO t (n) VALUES (?2)")
                    .bind(3_i64)
                    .bind(None::<i64>),
            )
            .await;
        assert!(failed.is_err());
        assert_eq!(count().await, 2);

        // Every pooled connection still writes: none was left inside a transaction.
        for n in 10..20_i64 {
            db.write_batch(Batch::new("INSERT INTO t (n) VALUES (?1)").bind(n))
                .await
                .unwrap();
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (?1)")
                .bind(n)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(count().await, 22);
    }
}
