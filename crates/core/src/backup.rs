//! Backups of the shop's database and their restore.
//!
//! - [`create`] copies the database through SQLite's online backup API in one
//!   step: a single read transaction, so the copy is the database as of one
//!   instant even while tills keep selling (WAL lets their writes go on meanwhile).
//!   Codes stay sealed: the copy is the file, not its plain contents. The copy is
//!   written beside its destination, checked, synced and only then renamed into
//!   place, so a backup file is whole or absent.
//! - [`restore`] refuses a file that is not a codetill backup (not SQLite, damaged,
//!   no codetill migrations, made by a newer codetill, or sealed under a key this
//!   till does not hold) and keeps the current database until the new one is
//!   checked: the backup is copied into the data folder, checked and migrated
//!   there, and renamed over `codetill.db` only then, the old one kept as
//!   `codetill.db.before-restore`. It is refused while another codetill has the
//!   database open.
//! - [`daily`] is the app's daily copy into the owner's folder, keeping the last
//!   [`KEEP_DAILY`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, backup::StepResult};
use serde::Serialize;

use crate::db::{Db, DbError, MIGRATOR};
use crate::secrets::SecretStore;
use crate::staff::audit;
use crate::vault::{Vault, VaultError};

/// How many daily backups the app keeps.
pub const KEEP_DAILY: usize = 14;
/// The file the current database is kept as after a restore.
pub const BEFORE_RESTORE: &str = "codetill.db.before-restore";
/// Where a restore is checked before it replaces the database.
const RESTORING: &str = "codetill.db.restoring";
/// The first 16 bytes of every SQLite database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// How long a backup waits for a writer's lock (a checkpoint) before giving up.
const BUSY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file to restore is not a codetill backup (or not one this till can use).
    #[error("{path} is not a codetill backup: {why}")]
    NotABackup { path: PathBuf, why: String },
    /// Where a backup was to go cannot take it.
    #[error("{path}: {why}")]
    BadPath { path: PathBuf, why: String },
    #[error("no database in {0}: nothing to back up")]
    NoDatabase(PathBuf),
    #[error(
        "the database is open in another codetill (the app, or a command still running): close it, then restore"
    )]
    InUse,
    #[error("the backup's codes are sealed under another key: {0}")]
    Vault(#[from] VaultError),
    #[error("backup: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Db(DbError::Native(e))
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Db(DbError::Sql(e))
    }
}

/// What a backup (or a restored database) holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contents {
    pub path: PathBuf,
    pub bytes: u64,
    pub orders: i64,
    pub codes: i64,
    /// The audit log's last row (id and hash) at the time of the copy.
    pub audit_head_id: Option<i64>,
    pub audit_head_hash: Option<String>,
}

/// Copies the database at `db_file` to `dest` (a new file; a folder gets a
/// `codetill-YYYYMMDD-HHMMSS.db` inside it), consistent as of one instant.
pub async fn create(db_file: &Path, dest: &Path) -> Result<Contents, BackupError> {
    if !db_file.is_file() {
        return Err(BackupError::NoDatabase(
            db_file.parent().unwrap_or(db_file).to_path_buf(),
        ));
    }
    let dest = if dest.is_dir() {
        dest.join(format!(
            "codetill-{}.db",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    } else {
        dest.to_path_buf()
    };
    let src = db_file.to_path_buf();
    let out = dest.clone();
    blocking(move || online_copy(&src, &out, OpenFlags::SQLITE_OPEN_READ_WRITE)).await?;
    let contents = blocking(move || contents(&dest)).await?;
    tracing::info!(path = %contents.path.display(), orders = contents.orders, "backup made");
    Ok(contents)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BackupError::Io(std::io::Error::other(e.to_string())))?
}

/// The online backup of `src` into the new file `dest`: in one step (one read
/// transaction on `src`), into a temporary file beside `dest` that becomes `dest`
/// once it is whole, checked and on disk. The copy is a single file (rollback
/// journal, not WAL) readable by itself.
fn online_copy(src: &Path, dest: &Path, flags: OpenFlags) -> Result<(), BackupError> {
    if dest.exists() {
        return Err(BackupError::BadPath {
            path: dest.to_path_buf(),
            why: "already exists; a backup never overwrites a file".into(),
        });
    }
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    private_new_file(&partial).map_err(|e| BackupError::BadPath {
        path: dest.to_path_buf(),
        why: e.to_string(),
    })?;
    let copied = (|| {
        let from = Connection::open_with_flags(src, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        from.busy_timeout(BUSY)?;
        let mut to = Connection::open(&partial)?;
        {
            let backup = rusqlite::backup::Backup::new(&from, &mut to)?;
            let started = std::time::Instant::now();
            // -1: every page in one step, under one read lock of the source.
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More | StepResult::Busy | StepResult::Locked
                        if started.elapsed() < BUSY =>
                    {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    other => {
                        return Err(BackupError::Io(std::io::Error::other(format!(
                            "the online backup did not finish ({other:?})"
                        ))));
                    }
                }
            }
        }
        let mode: String = to.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(BackupError::Io(std::io::Error::other(format!(
                "the copy stayed in {mode} mode"
            ))));
        }
        let check: String = to.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(BackupError::Io(std::io::Error::other(format!(
                "the copy does not check out: {check}"
            ))));
        }
        drop(to);
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, dest)?;
        sync_folder(dest);
        Ok(())
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copied
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A new empty file for this user alone: a backup holds buyers' emails.
fn private_new_file(path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(path).map(drop)
}

/// The rename into a folder lasts once the folder is synced (best effort: not every
/// platform syncs a folder).
fn sync_folder(file: &Path) {
    if let Some(dir) = file.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// What the database file at `path` holds.
fn contents(path: &Path) -> Result<Contents, BackupError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // A connection closing a moment ago may still be folding its log into the file.
    conn.busy_timeout(BUSY)?;
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    let (head_id, head_hash) = conn
        .query_row(
            "SELECT head_id, head_hash FROM audit_chain WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or((None, None));
    Ok(Contents {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path)?.len(),
        orders: count("SELECT count(*) FROM orders")?,
        codes: count("SELECT count(*) FROM order_codes")?,
        audit_head_id: head_id,
        audit_head_hash: head_hash,
    })
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// The restored database, as it now stands in the data folder.
    pub database: Contents,
    pub from: PathBuf,
    /// Where the database it replaced was kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Replaces the database in `data_dir` with the backup at `from`, once the backup
/// is checked (see the module documentation); the key is looked up as the till
/// looks it up (`secrets`, `CODETILL_VAULT_KEY_FILE`, the data folder). The
/// restore is written to the restored database's audit log as done by `actor`.
/// Anything refused leaves the data folder as it was.
pub async fn restore(
    data_dir: &Path,
    from: &Path,
    secrets: Arc<dyn SecretStore>,
    actor: &str,
) -> Result<Restored, BackupError> {
    let staged = data_dir.join(RESTORING);
    let checked = stage(data_dir, from, &staged, secrets).await;
    if let Err(e) = checked {
        remove_db_files(&staged);
        return Err(e);
    }
    let current = crate::db::db_path(data_dir);
    let kept_path = data_dir.join(BEFORE_RESTORE);
    let (cur, staged2, kept2) = (current.clone(), staged.clone(), kept_path.clone());
    let swapped = blocking(move || swap(&cur, &staged2, &kept2)).await;
    let kept = match swapped {
        Ok(kept) => kept,
        Err(e) => {
            remove_db_files(&staged);
            return Err(e);
        }
    };
    let db = Db::open(&current).await?;
    let detail = format!("database restored from {}", from.display());
    let mut tx = db.begin_write().await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor,
            action: "restore",
            detail: Some(&detail),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    db.close().await;
    let database = blocking(move || contents(&current)).await?;
    tracing::info!(from = %from.display(), orders = database.orders, "database restored");
    Ok(Restored {
        database,
        from: from.to_path_buf(),
        kept: kept.then_some(kept_path),
    })
}

/// Copies `from` to `staged` and checks it there: SQLite, whole, codetill's
/// migrations and no newer ones, then migrated to this codetill and opened with
/// this till's key. `staged` is left a single file.
async fn stage(
    data_dir: &Path,
    from: &Path,
    staged: &Path,
    secrets: Arc<dyn SecretStore>,
) -> Result<(), BackupError> {
    let not = |why: String| BackupError::NotABackup {
        path: from.to_path_buf(),
        why,
    };
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(from).map_err(|e| not(e.to_string()))?;
        f.read_exact(&mut header)
            .map_err(|_| not("too short to be a database".into()))?;
    }
    if &header != SQLITE_HEADER {
        return Err(not("not an SQLite database".into()));
    }
    remove_db_files(staged);
    let (src, dst) = (from.to_path_buf(), staged.to_path_buf());
    blocking(move || online_copy(&src, &dst, OpenFlags::SQLITE_OPEN_READ_ONLY))
        .await
        .map_err(|e| not(format!("it cannot be read as a database ({e})")))?;
    let path = staged.to_path_buf();
    blocking(move || check_migrations(&path))
        .await?
        .map_err(not)?;
    // Migrated to this codetill, and opened with this till's key: a backup sealed
    // under another key is refused here, before anything is replaced.
    let db = Db::open(staged).await.map_err(|e| not(e.to_string()))?;
    let vault = Vault::open(&db, data_dir, secrets).await;
    db.close().await;
    vault?;
    let path = staged.to_path_buf();
    blocking(move || {
        let conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY)?;
        // Leaving WAL needs the file to itself, and SQLite answers "locked" at once
        // (no busy wait) while the pool just closed still lets go of its last
        // connection: asked again for a moment before that counts.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(BackupError::Io(std::io::Error::other(format!(
                "the restored copy stayed in {mode} mode"
            ))));
        }
        drop(conn);
        std::fs::File::open(&path)?.sync_all()?;
        Ok(())
    })
    .await
}

/// Whether the database at `path` is whole and holds codetill's migrations (the
/// reason it is not, if not).
fn check_migrations(path: &Path) -> Result<Result<(), String>, BackupError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(BUSY)?;
    let check: String = match conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)) {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("it cannot be read ({e})"))),
    };
    if check != "ok" {
        return Ok(Err(format!("it is damaged ({check})")));
    }
    let applied: Vec<(i64, Vec<u8>)> = match conn.prepare(
        "SELECT version, checksum FROM _sqlx_migrations WHERE success = 1 ORDER BY version",
    ) {
        Ok(mut stmt) => stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?,
        Err(_) => return Ok(Err("it has no codetill migrations".into())),
    };
    if applied.first().map(|a| a.0) != Some(1) {
        return Ok(Err("it has no codetill migrations".into()));
    }
    for (version, checksum) in &applied {
        match MIGRATOR.iter().find(|m| m.version == *version) {
            None => {
                return Ok(Err(format!(
                    "it was made by a newer codetill (migration {version}); update codetill first"
                )));
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Ok(Err(format!("its migration {version} is not codetill's")));
            }
            Some(_) => {}
        }
    }
    Ok(Ok(()))
}

/// Puts `staged` in place of `current`, keeping `current` as `kept`. The current
/// database is first made a single file (out of WAL), which SQLite allows only
/// when no other connection has it open: that is the check that nobody is using
/// it, and the exclusive lock taken after holds it through the renames. Answers
/// whether there was a current database to keep.
fn swap(current: &Path, staged: &Path, kept: &Path) -> Result<bool, BackupError> {
    if !current.exists() {
        std::fs::rename(staged, current)?;
        sync_folder(current);
        return Ok(false);
    }
    let conn = Connection::open_with_flags(current, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(|_| BackupError::InUse)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::InUse);
    }
    conn.execute_batch("BEGIN EXCLUSIVE")
        .map_err(|_| BackupError::InUse)?;
    remove_db_files(kept);
    std::fs::rename(current, kept)?;
    if let Err(e) = std::fs::rename(staged, current) {
        // Put the current one back: the data folder is as it was.
        let _ = std::fs::rename(kept, current);
        return Err(e.into());
    }
    sync_folder(current);
    drop(conn);
    Ok(true)
}

/// Removes a database file and its journal, WAL and shared-memory files.
fn remove_db_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// The app's daily backup: into `folder`, as `codetill-YYYY-MM-DD.db` for `today`,
/// unless today's is already there; then only the newest [`KEEP_DAILY`] daily
/// backups are kept. Answers the backup made, if one was.
pub async fn daily(
    db: &Db,
    folder: &Path,
    today: chrono::NaiveDate,
) -> Result<Option<Contents>, BackupError> {
    if db.is_postgres() {
        // The tills' shared server is backed up where it runs (pg_dump), not by
        // each till.
        tracing::info!("the shop's data is on PostgreSQL: no file backup by this till");
        return Ok(None);
    }
    std::fs::create_dir_all(folder).map_err(|e| BackupError::BadPath {
        path: folder.to_path_buf(),
        why: e.to_string(),
    })?;
    let dest = folder.join(daily_name(today));
    let made = match dest.exists() {
        true => None,
        false => Some(create(db.path(), &dest).await?),
    };
    let mut kept: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_daily_name)
        })
        .collect();
    // The names sort by date.
    kept.sort();
    let extra = kept.len().saturating_sub(KEEP_DAILY);
    for old in &kept[..extra] {
        std::fs::remove_file(old)?;
        tracing::info!(path = %old.display(), "old daily backup removed");
    }
    Ok(made)
}

fn daily_name(day: chrono::NaiveDate) -> String {
    format!("codetill-{}.db", day.format("%Y-%m-%d"))
}

/// `codetill-YYYY-MM-DD.db`, and nothing else the owner keeps in the folder.
fn is_daily_name(name: &str) -> bool {
    name.strip_prefix("codetill-")
        .and_then(|n| n.strip_suffix(".db"))
        .is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
}

#[cfg(test)]
mod tests;
