//! The shop's SQLite database: one file, WAL, a busy timeout long enough that several
//! tills (the app and the CLI) can write at once, foreign keys on, migrations applied
//! at open.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

mod batch;
mod flag;
pub mod postgres;

use batch::Writer;
pub use batch::{Batch, Row, Value};
pub use flag::Flag;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Executor, Transaction};
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
    #[error("database: {0}")]
    Native(#[from] rusqlite::Error),
    #[error("database: a write batch {0}")]
    Batch(String),
    #[error("cannot open database {path} for writing: {source}")]
    OpenWriter {
        path: PathBuf,
        #[source]
        source: Box<DbError>,
    },
    #[error("database: the writer has stopped (the database was closed, or it failed)")]
    WriterStopped,
    #[error("database holds a bad value in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// Connections a till keeps to a PostgreSQL server, per pool (see `Db::connect`).
const PG_CONNECTIONS: u32 = 4;

/// How long a writer waits for another till's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of every connection, sqlx's and the write batches' alike.
const PRAGMAS: &[(&str, &str)] = &[
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("temp_store", "memory"),
    // Each connection's page cache (2 MB, SQLite's default); a catalog import raises
    // its own connection's for the import's length and restores this after.
    ("cache_size", "-2000"),
    // Checkpoints run in the background after commits (see `Checkpoints`); this is
    // only the backstop for bulk writes such as a catalog import.
    ("wal_autocheckpoint", "10000"),
];

#[derive(Clone, Debug)]
pub struct Db {
    /// Core's statements run here, one text for either database (sqlx's `Any`).
    pool: AnyPool,
    path: PathBuf,
    /// Writers of this process take turns here before BEGIN IMMEDIATE. SQLite admits
    /// one writer at a time anyway; queueing in-process is fair and immediate, where
    /// SQLite's busy handler sleeps up to 100 ms between tries (the tail of a busy
    /// till). Other processes still meet at SQLite's lock.
    turn: Arc<Mutex<()>>,
    /// Started by the first write batch: a command that only reads (a search) opens
    /// one connection, not two.
    writer: Arc<tokio::sync::OnceCell<Writer>>,
    closed: Arc<AtomicBool>,
    checkpoints: Checkpoints,
    /// PostgreSQL's own writer, for a shop whose tills share one server.
    postgres: Option<Arc<postgres::PgWriter>>,
    /// The server's URL (with its password), to open it again.
    url: Option<Arc<crate::secrets::Redacted<String>>>,
    /// On a database several tills share: this till's own name for the settings that
    /// belong to a till, not the shop ([`crate::settings::PER_TILL`]).
    till_scope: Option<Arc<str>>,
}

/// A write transaction holding this process's writer turn until commit or drop.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: OwnedMutexGuard<()>,
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

/// Commits between two background checkpoints (a sale writes some 25 pages).
const COMMITS_PER_CHECKPOINT: u32 = 64;

/// Checkpoints off the writers' path: copying the WAL back fsyncs the database
/// file, and inside a commit (SQLite's automatic checkpoint) that held every sale of
/// this till up.
#[derive(Clone, Debug)]
struct Checkpoints {
    pool: AnyPool,
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
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// The database holds buyers' emails and payment events: its folder is made for this
/// user alone (0700) when it is made here, and the file is this user's alone (0600;
/// SQLite gives its -wal and -shm files the same mode), tightened if an older build
/// left it readable by others.
fn private_file(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(parent)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let file = file.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub async fn open(path: &Path) -> Result<Db, DbError> {
        private_file(path).map_err(|e| DbError::Open {
            path: path.to_path_buf(),
            source: sqlx::Error::Io(e),
        })?;
        sqlx::any::install_default_drivers();
        let opts = AnyConnectOptions::from_str(&sqlite_url(path))
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?
            // A catalog import is one long statement by design; sqlx would log it
            // as slow.
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A pooled SQLite connection is a file handle in this process: nothing on
            // the far side can drop it, so the default ping before every acquire is
            // only a round trip to its worker thread (one per query on the sale path).
            .test_before_acquire(false)
            .acquire_timeout(BUSY_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(sqlite_settings().as_str()).await?;
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let mut conn = pool.acquire().await.map_err(|source| DbError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let current = up_to_date(&mut conn).await;
        // Back in the pool now rather than from a task spawned on drop: the command's
        // next query (a search) takes this connection instead of opening a second.
        conn.return_to_pool().await;
        drop(conn);
        if !current {
            let mut migrated = MIGRATOR.run(&pool).await;
            // Two processes opening a new file at once both migrate it; the one that
            // loses finds the work done on a second look.
            if migrated.is_err() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                migrated = MIGRATOR.run(&pool).await;
            }
            migrated.map_err(|source| DbError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let db = Db::assemble(pool, path.to_path_buf(), None, None);
        Ok(db)
    }

    fn assemble(
        pool: AnyPool,
        path: PathBuf,
        postgres: Option<Arc<postgres::PgWriter>>,
        url: Option<Arc<crate::secrets::Redacted<String>>>,
    ) -> Db {
        Db {
            turn: Arc::new(Mutex::new(())),
            writer: Arc::new(tokio::sync::OnceCell::new()),
            closed: Arc::new(AtomicBool::new(false)),
            checkpoints: Checkpoints {
                pool: pool.clone(),
                commits: Arc::new(AtomicU32::new(0)),
            },
            pool,
            path,
            postgres,
            url,
            till_scope: None,
        }
    }

    /// This database as the till `scope` sees it: its per-till settings (its name,
    /// its printer, its drawer) are its own, kept apart from the other tills' on a
    /// shared server.
    pub fn for_till(mut self, scope: &str) -> Db {
        self.till_scope = Some(scope.into());
        self
    }

    /// The till's scope ([`Db::for_till`]), if it shares the database.
    pub fn till_scope(&self) -> Option<&str> {
        self.till_scope.as_deref()
    }

    /// Connects to the shop's PostgreSQL database at `url` (shared by its tills) and
    /// brings its schema up to date (migrations/postgres).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let shown = PathBuf::from(redacted_url(url));
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::Open {
                path: shown,
                source: sqlx::Error::Configuration(
                    "the shop's database URL is not postgres://… (unset, the data folder's SQLite file is used)"
                        .into(),
                ),
            });
        }
        let open = |source| DbError::Open {
            path: shown.clone(),
            source,
        };
        sqlx::any::install_default_drivers();
        let opts = AnyConnectOptions::from_str(url)
            .map_err(open)?
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
        // A till holds at most PG_CONNECTIONS for reads and as many for write
        // batches, plus one to prepare statements: the server's default of 100
        // connections serves about ten tills.
        let pool = AnyPoolOptions::new()
            .max_connections(PG_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(opts)
            .await
            .map_err(open)?;
        let native = sqlx::postgres::PgPoolOptions::new()
            .max_connections(PG_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect(url)
            .await
            .map_err(open)?;
        // Tills starting together: one migrates, the others wait for its lock.
        MIGRATOR_POSTGRES
            .run(&native)
            .await
            .map_err(|source| DbError::Migrate {
                path: shown.clone(),
                source,
            })?;
        let db = Db::assemble(
            pool,
            shown,
            Some(Arc::new(postgres::PgWriter::new(native))),
            Some(Arc::new(crate::secrets::Redacted::new(url.to_string()))),
        );
        Ok(db)
    }

    /// The same database opened again, as another till opens it.
    pub async fn reopen(&self) -> Result<Db, DbError> {
        match &self.url {
            Some(url) => Db::connect(url.expose()).await,
            None => Db::open(&self.path).await,
        }
    }

    /// Whether the shop's data is on PostgreSQL (else in its SQLite file).
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Notices the server sends on `channel` (`pg_notify`), for a shop on
    /// PostgreSQL; None on SQLite, which has no such thing.
    pub async fn listen(
        &self,
        channel: &str,
    ) -> Result<Option<sqlx::postgres::PgListener>, DbError> {
        match &self.postgres {
            Some(pg) => Ok(Some(pg.listen(channel).await?)),
            None => Ok(None),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction that takes the write lock at BEGIN. A deferred BEGIN that
    /// reads and then writes fails at once with SQLITE_BUSY under concurrency, whatever
    /// the busy timeout says; IMMEDIATE waits its turn instead.
    pub async fn begin_write(&self) -> Result<WriteTx, DbError> {
        let turn = self.turn.clone().lock_owned().await;
        if self.postgres.is_some() {
            let tx = self
                .pool
                .begin_with(postgres::BEGIN_LOCKED.as_str())
                .await?;
            return Ok(WriteTx {
                tx,
                _turn: turn,
                checkpoints: self.checkpoints.clone(),
            });
        }
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

    /// Runs `batch` as one write transaction on the writer's thread (see [`batch`])
    /// and returns the rows its statements produced. Once called, it runs to the end
    /// even if the caller goes away.
    pub async fn write_batch(&self, batch: Batch) -> Result<Vec<Row>, DbError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(DbError::WriterStopped);
        }
        if let Some(pg) = &self.postgres {
            return pg.run(batch).await;
        }
        let writer = self
            .writer
            .get_or_try_init(|| async {
                Writer::start(&self.path, PRAGMAS, BUSY_TIMEOUT, self.turn.clone())
                    .await
                    .map_err(|e| DbError::OpenWriter {
                        path: self.path.clone(),
                        source: Box::new(e),
                    })
            })
            .await?;
        let rows = writer.run(batch).await?;
        self.checkpoints.committed();
        Ok(rows)
    }

    /// Write batches run in this process, and the transactions that committed them
    /// (batches that queue up together commit as one).
    pub fn batch_counts(&self) -> (u64, u64) {
        self.writer.get().map(Writer::counts).unwrap_or((0, 0))
    }

    pub async fn close(self) {
        self.closed.store(true, Ordering::Release);
        if let Some(writer) = self.writer.get() {
            writer.stop().await;
        }
        self.pool.close().await;
        if let Some(pg) = &self.postgres {
            pg.close().await;
        }
    }
}

/// `url` without its password, to be shown and logged.
fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(a database URL that does not parse)".into(),
    }
}

/// `rows` rows of `columns` parameters for a multi-row VALUES, bound in order:
/// `($1, $2), ($3, $4)` for PostgreSQL, `(?, ?), (?, ?)` for SQLite. (SQLite finds
/// a numbered parameter's name by walking all of them: binding the thousands of an
/// import statement by number took seconds.)
pub(crate) fn values_list(rows: usize, columns: usize, postgres: bool) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for col in 0..columns {
            if col > 0 {
                out.push_str(", ");
            }
            if postgres {
                out.push_str(&format!("${}", row * columns + col + 1));
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// A write transaction on a connection the caller holds (an import's temp tables
/// live on it): SQLite's IMMEDIATE, or PostgreSQL's shop-wide write lock.
pub(crate) async fn begin_write_on(
    conn: &mut AnyConnection,
    postgres: bool,
) -> Result<Transaction<'_, Any>, sqlx::Error> {
    if !postgres {
        return sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await;
    }
    sqlx::Connection::begin_with(conn, postgres::BEGIN_LOCKED.as_str()).await
}

/// The URL of the SQLite file at `path` (made if missing), its path
/// percent-encoded as sqlx decodes it.
pub(crate) fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    url
}

/// [`PRAGMAS`] and the busy timeout and WAL journal, as one text run on each new
/// pooled connection.
fn sqlite_settings() -> String {
    let mut sql = format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
        BUSY_TIMEOUT.as_millis()
    );
    for (name, value) in PRAGMAS {
        sql.push_str(&format!(" PRAGMA {name} = {value};"));
    }
    sql
}

/// Restores a pooled connection's page cache to [`PRAGMAS`]' size after an import.
pub(crate) const POOLED_CACHE: &str = "PRAGMA cache_size = -2000";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The same schema on PostgreSQL, for a shop whose tills share one server.
pub static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Whether the database already holds every migration of this build, each applied in
/// full with the same checksum, and no other: then `MIGRATOR.run` would change nothing,
/// and one read stands in for its several statements at every command's start. Any
/// doubt (no table yet, a failed or unknown migration) answers no, and the migrator
/// runs and reports as it always did.
async fn up_to_date(conn: &mut AnyConnection) -> bool {
    // `success` is a BOOLEAN column, which sqlx's Any reads from neither database
    // alike: asked as an integer.
    let applied: Result<Vec<(i64, i64, Vec<u8>)>, _> = sqlx::query_as(
        "SELECT version, CAST(success AS INTEGER), checksum FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await;
    match applied {
        Ok(applied) => is_this_build(
            &applied
                .into_iter()
                .map(|(v, ok, sum)| (v, ok != 0, sum))
                .collect::<Vec<_>>(),
        ),
        Err(_) => false,
    }
}

const APPLIED: &str = "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version";

/// [`up_to_date`] on a native connection (a read-only command that never migrates).
pub(crate) fn up_to_date_native(conn: &rusqlite::Connection) -> bool {
    let applied = conn.prepare(APPLIED).and_then(|mut stmt| {
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<(i64, bool, Vec<u8>)>, _>>()
    });
    applied.is_ok_and(|a| is_this_build(&a))
}

/// The migrations applied (version, success, checksum, in order) are exactly this
/// build's.
fn is_this_build(applied: &[(i64, bool, Vec<u8>)]) -> bool {
    let mut wanted = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration());
    let mut applied = applied.iter();
    loop {
        match (wanted.next(), applied.next()) {
            (None, None) => return true,
            (Some(m), Some((version, true, checksum)))
                if m.version == *version && *m.checksum == **checksum => {}
            _ => return false,
        }
    }
}

/// Now, as stored in the database: RFC 3339 UTC with milliseconds, so text order is
/// time order.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The shop's database file, in its data folder.
pub const DB_FILE: &str = "codetill.db";

/// The shop's database in its data folder.
pub fn db_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join(DB_FILE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A pool on the SQLite file at `path`, migrated or not.
    async fn any_pool(path: &Path) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&sqlite_url(path)).await.unwrap()
    }

    #[test]
    fn a_database_url_is_shown_without_its_password_and_a_path_as_sqlx_reads_it() {
        assert_eq!(
            redacted_url("postgres://till:s3cret@db.shop:5432/shop"),
            "postgres://till:***@db.shop:5432/shop"
        );
        assert_eq!(
            redacted_url("postgres://db.shop/shop"),
            "postgres://db.shop/shop"
        );
        assert!(!redacted_url("postgres://a:b c@%").contains("b c"));
        assert_eq!(
            sqlite_url(Path::new("/data/My Shop/codetill.db")),
            "sqlite:///data/My%20Shop/codetill.db?mode=rwc"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_data_folder_and_the_database_are_this_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("shop");
        let path = folder.join("codetill.db");
        let db = Db::open(&path).await.unwrap();
        crate::settings::set(db.pool(), "shop.name", "x")
            .await
            .unwrap();
        assert_eq!(mode(&folder), 0o700);
        for file in ["codetill.db", "codetill.db-wal", "codetill.db-shm"] {
            assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
        }
        db.close().await;
        // A database an older build left readable by others is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let db = Db::open(&path).await.unwrap();
        assert_eq!(mode(&path), 0o600);
        db.close().await;
    }

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

    /// A database an older build left (every migration but the last) is brought up
    /// to date at open: the quick check must not take it for a migrated one.
    #[tokio::test]
    async fn a_database_missing_a_migration_still_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codetill.db");
        let all = MIGRATOR.migrations.to_vec();
        let older = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(all[..all.len() - 1].to_vec()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let pool = any_pool(&path).await;
        older.run(&pool).await.unwrap();
        assert!(!up_to_date(&mut pool.acquire().await.unwrap()).await);
        pool.close().await;

        let db = Db::open(&path).await.unwrap();
        assert!(up_to_date(&mut db.pool().acquire().await.unwrap()).await);
        let last: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(Some(last), all.last().map(|m| m.version));
        db.close().await;
    }

    /// The outbox rebuilt for claim slips (migration 21) keeps every row, its id and
    /// the delivery log pointing at it, and takes the new payload.
    #[tokio::test]
    async fn the_outbox_rebuild_keeps_its_rows_and_their_delivery_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codetill.db");
        let before: Vec<_> = MIGRATOR
            .migrations
            .iter()
            .filter(|m| m.version < 21)
            .cloned()
            .collect();
        let older = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(before),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        // Rows as an older build left them.
        let pool = any_pool(&path).await;
        older.run(&pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO orders (id, public_id, client_order_id, status, sku, name, region,
                 face_minor, face_currency, price_minor, currency, max_unit_minor,
                 wholesale_currency, staff, created_at, updated_at)
             VALUES (1, 'ORD-000001', 'ct-1', 'delivered', 'S', 'N', 'US', 2000, 'USD', 2199,
                 'USD', 1900, 'USD', 'asha', 't', 't');
             INSERT INTO outbox (id, kind, order_id, destination, payload, next_attempt_at,
                 requested_by, created_at, updated_at, status)
             VALUES (7, 'email', 1, 'a@b.co', 'receipt', 't', 'asha', 't', 't', 'sent'),
                    (9, 'print', 1, 'pdf:/x', 'reprint', 't', 'asha', 't', 't', 'failed');
             INSERT INTO delivery_log (id, outbox_id, order_id, kind, destination, attempt, at, outcome)
             VALUES (3, 7, 1, 'email', 'a@b.co', 1, 't', 'sent'),
                    (4, 9, 1, 'print', 'pdf:/x', 1, 't', 'failed')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let db = Db::open(&path).await.unwrap();
        let outbox: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, payload, status FROM outbox ORDER BY id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(
            outbox,
            vec![
                (7, "receipt".into(), "sent".into()),
                (9, "reprint".into(), "failed".into())
            ]
        );
        let log: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, outbox_id FROM delivery_log ORDER BY id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(log, vec![(3, 7), (4, 9)]);
        let broken: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        let schema: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'delivery_log'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert!(schema.contains("REFERENCES outbox (id)"), "{schema}");
        let claim_ok: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE name = 'outbox' AND sql LIKE '%''claim''%'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(claim_ok, 1);
        db.close().await;
    }

    /// A command that only reads (a search) works on the one connection the open
    /// made: a second would cost another open of the file and its pragmas.
    #[tokio::test]
    async fn a_read_after_open_reuses_the_opening_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codetill.db");
        Db::open(&path).await.unwrap().close().await;
        let db = Db::open(&path).await.unwrap();
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(one, 1);
        assert_eq!(db.pool().size(), 1);
        db.close().await;
    }

    /// Anything but the exact set of this build's migrations, each a success with the
    /// same checksum, sends the open through the migrator (which refuses what it must).
    #[tokio::test]
    async fn the_quick_check_says_no_to_any_difference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codetill.db");
        let db = Db::open(&path).await.unwrap();
        let pool = db.pool();
        let quick = || async { up_to_date(&mut pool.acquire().await.unwrap()).await };
        assert!(quick().await);
        let run = |sql: &'static str| async move {
            sqlx::query(sql).execute(pool).await.unwrap();
        };
        run("UPDATE _sqlx_migrations SET success = 0 WHERE version = 1").await;
        assert!(!quick().await);
        run("UPDATE _sqlx_migrations SET success = 1 WHERE version = 1").await;
        run("UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1").await;
        assert!(!quick().await);
        // A changed migration is refused at open, as before.
        db.close().await;
        assert!(matches!(
            Db::open(&path).await,
            Err(DbError::Migrate { .. })
        ));

        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99999, 'from a newer build', 1, X'00', 0)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        assert!(!up_to_date(&mut db.pool().acquire().await.unwrap()).await);
        db.close().await;

        sqlx::any::install_default_drivers();
        let empty = AnyPool::connect("sqlite::memory:").await.unwrap();
        assert!(!up_to_date(&mut empty.acquire().await.unwrap()).await);
    }

    #[tokio::test]
    async fn widening_the_payment_link_providers_keeps_the_links_made_before() {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let (before, after): (Vec<_>, Vec<_>) = MIGRATOR.iter().partition(|m| m.version < 8);
        for m in &before {
            sqlx::raw_sql(&m.sql).execute(&pool).await.unwrap();
        }
        let insert = |provider: &'static str, id: i64| {
            sqlx::query(
                "INSERT INTO payment_links (order_id, provider, external_id, url, created_at)
                 VALUES ($1, $2, $3, 'https://pay.example/x', '2026-12-04T10:00:00.000Z')",
            )
            .bind(id)
            .bind(provider)
            .bind(format!("{provider}-{id}"))
        };
        for id in 1..=4 {
            sqlx::query(
                "INSERT INTO orders (id, public_id, client_order_id, status, channel, sku, name,
                   region, face_minor, face_currency, price_minor, currency, max_unit_minor,
                   wholesale_currency, staff, created_at, updated_at)
                 VALUES ($1, 'ORD-00000' || $1, 'ct-' || $1, 'quoted', 'remote', 'S', 'N', 'US',
                   2000, 'USD', 2199, 'USD', 2000, 'USD', 'asha', 'x', 'x')",
            )
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        }
        insert("stripe", 1).execute(&pool).await.unwrap();
        assert!(insert("razorpay", 2).execute(&pool).await.is_err());
        for m in &after {
            sqlx::raw_sql(&m.sql).execute(&pool).await.unwrap();
        }
        insert("nowpayments", 2).execute(&pool).await.unwrap();
        insert("razorpay", 3).execute(&pool).await.unwrap();
        assert!(insert("paypal", 4).execute(&pool).await.is_err());
        assert!(
            insert("stripe", 1).execute(&pool).await.is_err(),
            "still one per order"
        );
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT order_id, provider, external_id FROM payment_links ORDER BY 1")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![
                (1, "stripe".into(), "stripe-1".into()),
                (2, "nowpayments".into(), "nowpayments-2".into()),
                (3, "razorpay".into(), "razorpay-3".into()),
            ]
        );
    }

    /// A database in a temporary folder (kept while the folder lives) with `table`.
    async fn with_table(table: &str) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).await.unwrap();
        sqlx::query(table).execute(db.pool()).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_batch_is_all_or_nothing_and_leaves_no_transaction_open() {
        let (_dir, db) = with_table("CREATE TABLE t (n INTEGER NOT NULL, s TEXT)").await;
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM t")
                .fetch_one(db.pool())
                .await
                .unwrap()
        };

        // Parameters shared across statements, with gaps (the last uses only $4).
        let rows = db
            .write_batch(
                Batch::new(
                    "INSERT INTO t (n, s) VALUES ($1, $2); INSERT INTO t (n, s) VALUES ($4, $2);
                     SELECT sum(n), max(s) FROM t WHERE n <= $4",
                )
                .bind(1_i64)
                .bind("a")
                .bind(None::<i64>)
                .bind(2_i64),
            )
            .await
            .unwrap();
        assert_eq!(rows[0].get(0), Some(&Value::Int(3)));
        assert_eq!(rows[0].get(1), Some(&Value::Text("a".into())));

        // The second statement fails: the first is rolled back with it.
        let failed = db
            .write_batch(
                Batch::new("INSERT INTO t (n) VALUES ($1); INSERT INTO t (n) VALUES ($2)")
                    .bind(3_i64)
                    .bind(None::<i64>),
            )
            .await;
        assert!(failed.is_err());
        assert_eq!(count().await, 2);

        // Chained batches, each with its own parameters, commit together…
        let insert = |n: i64| Batch::new("INSERT INTO t (n) VALUES ($1); SELECT $1").bind(n);
        let rows = db
            .write_batch(insert(4).then(insert(5)).then(insert(6)))
            .await
            .unwrap();
        let read: Vec<_> = rows.iter().map(|r| r.get(0).cloned()).collect();
        assert_eq!(read, [4, 5, 6].map(|n| Some(Value::Int(n))));
        assert_eq!(count().await, 5);
        // …or not at all: the last one fails, the first two are undone.
        let failed = db
            .write_batch(
                insert(7)
                    .then(insert(8))
                    .then(Batch::new("INSERT INTO t (n) VALUES ($1)").bind(None::<i64>)),
            )
            .await;
        assert!(failed.is_err());
        assert_eq!(count().await, 5);

        // Every pooled connection still writes: none was left inside a transaction.
        for n in 10..20_i64 {
            db.write_batch(Batch::new("INSERT INTO t (n) VALUES ($1)").bind(n))
                .await
                .unwrap();
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES ($1)")
                .bind(n)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(count().await, 25);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_each_get_their_own_rows_and_only_a_bad_one_fails() {
        let (_dir, db) = with_table("CREATE TABLE t (n INTEGER NOT NULL UNIQUE, s TEXT)").await;
        // Another writer of this process holds the turn while all 40 queue up, so
        // they commit in groups: each batch has its own savepoint in a group.
        let held = db.begin_write().await.unwrap();
        let before = db.batch_counts();
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..40_i64 {
            let db = db.clone();
            tasks.spawn(async move {
                // Batch 13 breaks NOT NULL in its second statement.
                let second = if n == 13 { None } else { Some(n + 1000) };
                let rows = db
                    .write_batch(
                        Batch::new(
                            "INSERT INTO t (n, s) VALUES ($1, $2) RETURNING n;
                             INSERT INTO t (n) VALUES ($3);
                             SELECT count(*) AS c FROM t WHERE n IN ($1, $3)",
                        )
                        .bind(n)
                        .bind(format!("row {n}"))
                        .bind(second),
                    )
                    .await;
                (n, rows)
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        held.commit().await.unwrap();
        while let Some(done) = tasks.join_next().await {
            let (n, rows) = done.unwrap();
            if n == 13 {
                assert!(rows.is_err(), "the bad batch fails");
                continue;
            }
            let rows = rows.unwrap();
            assert_eq!(rows.len(), 2, "batch {n}: its RETURNING row and its count");
            assert_eq!(rows[0].get(0), Some(&Value::Int(n)));
            #[derive(serde::Deserialize)]
            struct Count {
                c: i64,
            }
            assert_eq!(rows[1].decode::<Count>().unwrap().c, 2);
        }
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(
            stored,
            39 * 2,
            "every good batch whole, nothing of the bad one"
        );
        let bad: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE n = 13")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(bad, 0);
        let after = db.batch_counts();
        let (batches, commits) = (after.0 - before.0, after.1 - before.1);
        assert_eq!(batches, 40);
        assert!(commits <= 4, "40 queued batches took {commits} commits");
    }

    #[tokio::test]
    async fn a_closed_database_refuses_batches_and_rows_decode_by_column_name() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("d.db")).await.unwrap();
        let rows = db
            .write_batch(
                Batch::new("SELECT $1 AS n, $2 AS s, NULL AS none")
                    .bind(7_i64)
                    .bind("x"),
            )
            .await
            .unwrap();
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Got {
            n: i64,
            s: String,
            none: Option<String>,
        }
        assert_eq!(
            rows[0].decode::<Got>().unwrap(),
            Got {
                n: 7,
                s: "x".into(),
                none: None
            }
        );
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrong {
            n: String,
        }
        let err = rows[0].decode::<Wrong>().unwrap_err();
        assert!(matches!(err, DbError::Corrupt { .. }), "{err}");
        let other = db.clone();
        db.close().await;
        let err = other.write_batch(Batch::new("SELECT 1")).await.unwrap_err();
        assert!(matches!(err, DbError::WriterStopped), "{err}");
    }
}
