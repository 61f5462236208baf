//! Where the shop's data lives: the SQLite file in this till's data folder, or the
//! PostgreSQL server the shop's tills share.
//!
//! The server's URL holds a password, so it is a secret: `CODETILL_DATABASE_URL` on a
//! headless till, else the OS keyring, where Settings → Database keeps it. Never the
//! settings table, which lives in the very database the URL chooses. A URL is tested
//! ([`check`]) before it is kept, and a till takes a new one at its next start: a
//! running till never moves to another database under a sale.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::db::{Db, DbError};
use crate::secrets::{Redacted, SecretError, SecretStore, names};
use crate::staff::{Action, audit};
use crate::vault::VaultError;

use super::{Clerk, Till, TillError, db_path};

/// The shop's PostgreSQL database (`postgres://…`), shared by its tills. Set, it wins
/// over the URL kept in the keyring; neither: the SQLite file in the data folder.
pub const DATABASE_URL_ENV: &str = "CODETILL_DATABASE_URL";

/// How long a test waits for a server to answer, and then to bring its schema up.
pub const TEST_WITHIN: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("the OS keyring, where this till keeps the shop's database URL: {0}")]
    Secret(#[source] SecretError),
    /// A wrong host, port, user, password or database name, or a server that is down.
    #[error("the database server {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database server {url} did not answer within {seconds} s: is it running, and are the host and port right?"
    )]
    NoAnswer { url: String, seconds: u64 },
    #[error(
        "{DATABASE_URL_ENV} is set on this computer and chooses this till's database: change it there, not in Settings"
    )]
    FromEnvironment,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("a background task failed: {0}")]
    Task(String),
    #[error(
        "this till was moved to the shop's server (Settings → Database; {marker} says so), but its keyring holds no database URL now: restore the keyring, or set {DATABASE_URL_ENV}; delete that file to sell from this till's own file again"
    )]
    UrlLost { marker: std::path::PathBuf },
    #[error("{path} in this till's data folder: {source}")]
    DataFolder {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The file in a till's data folder that names the till on a shared database.
pub const TILL_KEY_FILE: &str = "till-key";

/// This till's key on a shared database, from its data folder (made on first use):
/// the settings that are a till's own ([`crate::settings::PER_TILL`]) are stored
/// under it, so each till keeps its own name, printer and drawer.
pub fn till_key(data_dir: &std::path::Path) -> Result<String, DatabaseError> {
    let path = data_dir.join(TILL_KEY_FILE);
    let failed = |source| DatabaseError::DataFolder {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(failed)?;
    let key = hex::encode(rand::random::<[u8; 16]>());
    std::fs::write(&path, &key).map_err(failed)?;
    Ok(key)
}

impl DatabaseError {
    /// The URL itself is wrong (not `postgres://…`, or one that does not parse):
    /// `Db::connect` refused it before asking anyone.
    pub fn is_bad_url(&self) -> bool {
        matches!(
            self,
            DatabaseError::Db(DbError::Open {
                source: sqlx::Error::Configuration(_),
                ..
            })
        )
    }
}

/// Where the URL this till opened came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlFrom {
    Environment,
    Keyring,
}

/// The shop's server as a till takes it at start.
#[derive(Clone)]
pub struct ShopUrl {
    url: Redacted<String>,
    from: UrlFrom,
}

impl ShopUrl {
    pub fn new(url: impl Into<String>, from: UrlFrom) -> ShopUrl {
        ShopUrl {
            url: Redacted::new(url.into()),
            from,
        }
    }

    pub fn from(&self) -> UrlFrom {
        self.from
    }

    /// The URL with its password: to connect, never to show.
    pub fn expose(&self) -> &str {
        self.url.expose()
    }
}

impl std::fmt::Debug for ShopUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopUrl")
            .field("url", &shown(self.url.expose()))
            .field("from", &self.from)
            .finish()
    }
}

/// The shop's server as this till takes it at start: `CODETILL_DATABASE_URL`, else
/// the URL kept in the keyring; none, the SQLite file. A keyring that cannot be
/// reached (a headless till) holds no URL, logged: a SQLite shop still opens. Any other
/// keyring failure is an error, lest a till that was moved to the server sell from
/// its old file.
///
/// A till in `data_dir` that Settings → Database moved to a server ([`moved_to_server`])
/// and whose keyring now holds no URL is refused, not opened on its old file.
pub async fn shop_url(
    secrets: Arc<dyn SecretStore>,
    data_dir: &std::path::Path,
) -> Result<Option<ShopUrl>, DatabaseError> {
    // The environment is read here, once; the store is asked only for its own.
    if let Some(url) = crate::settings::env_override(DATABASE_URL_ENV) {
        return Ok(Some(ShopUrl::new(url, UrlFrom::Environment)));
    }
    let found = kept_url(secrets).await?;
    if found.is_none() && moved_to_server(data_dir) {
        return Err(DatabaseError::UrlLost {
            marker: data_dir.join(SERVER_MARKER),
        });
    }
    Ok(found)
}

/// The file in a till's data folder that says Settings → Database moved the till to
/// a server, naming it without its password. Written with the URL kept in the
/// keyring, removed with it: the command line's quick search (which opens no
/// keyring) and a start whose keyring lost the URL both know the till's data is not
/// in its own file.
pub const SERVER_MARKER: &str = "database-server";

/// Whether Settings → Database moved the till in `data_dir` to a server.
pub fn moved_to_server(data_dir: &std::path::Path) -> bool {
    data_dir.join(SERVER_MARKER).is_file()
}

/// The URL the keyring keeps; none when it cannot be reached.
async fn kept_url(secrets: Arc<dyn SecretStore>) -> Result<Option<ShopUrl>, DatabaseError> {
    match stored_url(secrets).await {
        Ok(url) => Ok(url.map(|u| ShopUrl::new(u.into_inner(), UrlFrom::Keyring))),
        Err(DatabaseError::Secret(SecretError::Unavailable(why))) => {
            // Not a warning: a headless till has no keyring at all, and the CLI's
            // stderr (warnings and up) is one line per refusal.
            tracing::info!(
                %why,
                "the OS keyring cannot be reached: no database URL from it, this till opens its own SQLite file"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The URL kept in the keyring (trimmed; blank is none), the environment not asked.
async fn stored_url(
    secrets: Arc<dyn SecretStore>,
) -> Result<Option<Redacted<String>>, DatabaseError> {
    let kept = tokio::task::spawn_blocking(move || secrets.get_stored(names::DATABASE_URL))
        .await
        .map_err(|e| DatabaseError::Task(e.to_string()))?
        .map_err(DatabaseError::Secret)?;
    Ok(kept
        .map(|v| v.expose().trim().to_string())
        .filter(|v| !v.is_empty())
        .map(Redacted::new))
}

/// `url` as it may be shown and logged: its password (in the address or as a query
/// parameter) replaced by `***`.
fn shown(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(a database URL that does not parse)".into();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.to_ascii_lowercase().contains("password") {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Whether this till's key can read the codes on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultMatch {
    /// The server's codes are sealed with the key this till uses now.
    Same,
    /// The server's codes need another key than this till's: it cannot sell there
    /// until it holds the shop's key.
    Different,
    /// No key is bound to the server yet: the first till to use it binds its own,
    /// and every other till needs that one.
    NotBound,
    /// This till has no key bound yet: at its first sale there it looks for the
    /// server's.
    Unknown,
}

fn vault_match(server: Option<&str>, this_till: Option<&str>) -> VaultMatch {
    match (server, this_till) {
        (None, _) => VaultMatch::NotBound,
        (Some(_), None) => VaultMatch::Unknown,
        (Some(s), Some(t)) if s == t => VaultMatch::Same,
        (Some(_), Some(_)) => VaultMatch::Different,
    }
}

/// What a test of a server found: what the owner needs to know before moving a till
/// to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseReport {
    /// The URL without its password.
    pub url: String,
    /// The server's `SELECT version()`.
    pub server_version: String,
    pub orders: i64,
    pub products: i64,
    pub staff: i64,
    /// Orders, products or staff are there: this till would join that shop (its own
    /// file's data is not copied over).
    pub holds_shop: bool,
    pub vault: VaultMatch,
}

/// Tests `url` without moving to it: refused unless it is `postgres://…` (as
/// `Db::connect` refuses it), then connected to, its schema brought up to date (how a
/// new server gets the shop's tables), and read: its version, whether it holds a shop
/// already, and whether its codes need the key `this_till` is bound to. The
/// connection is closed after.
pub async fn check(
    url: &str,
    within: Duration,
    this_till: &Db,
) -> Result<DatabaseReport, DatabaseError> {
    let (report, db) = open_checked(url, within, this_till).await?;
    db.close().await;
    Ok(report)
}

/// [`check`], leaving the server open for what the caller writes there next.
async fn open_checked(
    url: &str,
    within: Duration,
    this_till: &Db,
) -> Result<(DatabaseReport, Db), DatabaseError> {
    let url = url.trim();
    let named = shown(url);
    // One connection first: the pool `Db::connect` makes retries a refused
    // connection until its 30 s timeout, where the owner should hear at once.
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        probe(url, &named, within).await?;
    }
    let db = match tokio::time::timeout(within, Db::connect(url)).await {
        Ok(db) => db?,
        Err(_) => {
            return Err(DatabaseError::NoAnswer {
                url: named,
                seconds: within.as_secs(),
            });
        }
    };
    match inspect(&db, this_till, named).await {
        Ok(report) => Ok((report, db)),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

async fn probe(url: &str, named: &str, within: Duration) -> Result<(), DatabaseError> {
    use sqlx::Connection;
    // A URL sqlx cannot read is left to `Db::connect`, which names it.
    let Ok(options) = sqlx::postgres::PgConnectOptions::from_str(url) else {
        return Ok(());
    };
    let connect = async {
        let conn = sqlx::postgres::PgConnection::connect_with(&options).await?;
        conn.close().await
    };
    match tokio::time::timeout(within, connect).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(DatabaseError::Unreachable {
            url: named.to_string(),
            source,
        }),
        Err(_) => Err(DatabaseError::NoAnswer {
            url: named.to_string(),
            seconds: within.as_secs(),
        }),
    }
}

async fn inspect(db: &Db, this_till: &Db, url: String) -> Result<DatabaseReport, DatabaseError> {
    let pool = db.pool();
    let server_version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(pool)
        .await
        .map_err(DbError::from)?;
    let mut counts = [0_i64; 3];
    for (n, sql) in [
        "SELECT count(*) FROM orders",
        "SELECT count(*) FROM products",
        "SELECT count(*) FROM staff",
    ]
    .into_iter()
    .enumerate()
    {
        counts[n] = sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await
            .map_err(DbError::from)?;
    }
    let [orders, products, staff] = counts;
    let server_key = crate::vault::bound_check(db).await?;
    let own_key = crate::vault::bound_check(this_till).await?;
    Ok(DatabaseReport {
        url,
        server_version,
        orders,
        products,
        staff,
        holds_shop: orders > 0 || products > 0 || staff > 0,
        vault: vault_match(server_key.as_deref(), own_key.as_deref()),
    })
}

/// Which kind of database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    Sqlite,
    Postgres,
}

/// A database as the owner is shown it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub store: Store,
    /// The SQLite file's path, or the server's URL without its password.
    pub location: String,
}

/// Where this till's data is, and where it will be after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseStatus {
    pub now: Place,
    /// `CODETILL_DATABASE_URL` chose it: Settings cannot change it.
    pub from_env: bool,
    /// What the next start opens, when it is not `now` (a URL kept or forgotten
    /// since this start); none: the same.
    pub next: Option<Place>,
    /// Why the OS keyring could not be asked (the next start is then not known).
    pub keyring_error: Option<String>,
}

impl Till {
    /// Where this till's data is now, and what its next start opens. The owner's.
    pub async fn database_status(&self, clerk: &Clerk) -> Result<DatabaseStatus, TillError> {
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let now = Place {
            store: if self.db.is_postgres() {
                Store::Postgres
            } else {
                Store::Sqlite
            },
            location: match &self.opened_with {
                Some(url) => shown(url.expose()),
                None => self.db.path().display().to_string(),
            },
        };
        let from_env = self.database_from_env();
        let mut status = DatabaseStatus {
            now,
            from_env,
            next: None,
            keyring_error: None,
        };
        if from_env {
            return Ok(status);
        }
        let kept = match stored_url(self.secrets()).await {
            Ok(kept) => kept,
            Err(DatabaseError::Secret(e)) => {
                status.keyring_error = Some(e.to_string());
                return Ok(status);
            }
            Err(e) => return Err(e.into()),
        };
        let running = self.opened_with.as_ref().map(ShopUrl::expose);
        status.next = match (kept, running) {
            (Some(kept), Some(running)) if kept.expose() == running => None,
            (None, None) => None,
            (Some(kept), _) => Some(Place {
                store: Store::Postgres,
                location: shown(kept.expose()),
            }),
            (None, Some(_)) => Some(Place {
                store: Store::Sqlite,
                location: db_path(&self.data_dir).display().to_string(),
            }),
        };
        Ok(status)
    }

    /// Tests the server `url` names (see [`check`]) without moving to it: the
    /// owner's, as it reaches out to any address typed.
    pub async fn test_database(
        &self,
        clerk: &Clerk,
        url: &str,
        within: Duration,
    ) -> Result<DatabaseReport, TillError> {
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        Ok(check(url, within, &self.db).await?)
    }

    /// Tests `url`, then keeps it in the keyring: the next start opens that server.
    /// This till stays where it is until then. Refused while the environment chooses
    /// the database. The owner's; audited (the URL without its password).
    pub async fn save_database(
        &self,
        clerk: &Clerk,
        url: &str,
        within: Duration,
    ) -> Result<DatabaseReport, TillError> {
        self.may_move(clerk).await?;
        let (report, server) = open_checked(url, within, &self.db).await?;
        let carried = self.carry_own_settings(&server).await;
        server.close().await;
        carried?;
        let url = url.trim().to_string();
        self.keep_url(move |secrets| secrets.set(names::DATABASE_URL, &url))
            .await?;
        self.mark_moved(Some(&report.url))?;
        self.audit_database(
            clerk,
            &format!("database at the next start: {}", report.url),
        )
        .await?;
        tracing::info!(url = %report.url, "the shop's database URL kept in the keyring; used from the next start");
        Ok(report)
    }

    /// This till's own settings (its name, printer and drawer:
    /// [`crate::settings::PER_TILL`]) written to `server` under this till's key, so
    /// that it starts there as the till it was. A setting the server already holds
    /// for this till (one that was there before) is kept as it is. One write; the
    /// number carried.
    async fn carry_own_settings(&self, server: &Db) -> Result<usize, DatabaseError> {
        let mut own = Vec::new();
        for key in crate::settings::PER_TILL {
            if let Some(value) = crate::settings::value(&self.db, key).await? {
                own.push((key, value));
            }
        }
        if own.is_empty() {
            return Ok(0);
        }
        let server = server.clone().for_till(&till_key(&self.data_dir)?);
        let statements: Vec<String> = (0..own.len())
            .map(|n| {
                format!(
                    "INSERT INTO settings (key, value, updated_at) VALUES (${}, ${}, :now)
                     ON CONFLICT (key) DO NOTHING",
                    2 * n + 1,
                    2 * n + 2
                )
            })
            .collect();
        let mut batch =
            crate::db::Batch::new(statements.join(";\n")).bind_named(":now", crate::db::now_text());
        for (key, value) in &own {
            batch = batch
                .bind(crate::settings::key(&server, key).into_owned())
                .bind(value.clone());
        }
        server.write_batch(batch).await?;
        tracing::info!(
            settings = own.len(),
            "this till's own settings carried to the server"
        );
        Ok(own.len())
    }

    /// Forgets the URL kept in the keyring: the next start opens this till's own
    /// SQLite file. Refused while the environment chooses the database. The
    /// owner's; audited.
    pub async fn forget_database(&self, clerk: &Clerk) -> Result<(), TillError> {
        self.may_move(clerk).await?;
        self.keep_url(|secrets| secrets.delete(names::DATABASE_URL))
            .await?;
        self.mark_moved(None)?;
        self.audit_database(clerk, "database at the next start: this till's own file")
            .await?;
        tracing::info!(
            "the shop's database URL removed from the keyring; this till's own file from the next start"
        );
        Ok(())
    }

    /// Whether `clerk` may choose where this till's data goes next: the owner's
    /// (settings), and never while the environment chooses it.
    async fn may_move(&self, clerk: &Clerk) -> Result<(), TillError> {
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        if self.database_from_env() {
            return Err(DatabaseError::FromEnvironment.into());
        }
        Ok(())
    }

    /// Writes [`SERVER_MARKER`] naming the server `shown` (without its password),
    /// or removes it (None; one already gone is fine).
    fn mark_moved(&self, shown: Option<&str>) -> Result<(), DatabaseError> {
        let marker = self.data_dir().join(SERVER_MARKER);
        let done = match shown {
            Some(url) => std::fs::write(&marker, format!("{url}\n")),
            None => match std::fs::remove_file(&marker) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        done.map_err(|source| DatabaseError::DataFolder {
            path: marker,
            source,
        })
    }

    /// `CODETILL_DATABASE_URL` chose this till's database.
    fn database_from_env(&self) -> bool {
        self.opened_with
            .as_ref()
            .is_some_and(|u| u.from() == UrlFrom::Environment)
    }

    async fn keep_url(
        &self,
        change: impl FnOnce(&dyn SecretStore) -> Result<(), SecretError> + Send + 'static,
    ) -> Result<(), DatabaseError> {
        let secrets = self.secrets();
        tokio::task::spawn_blocking(move || change(secrets.as_ref()))
            .await
            .map_err(|e| DatabaseError::Task(e.to_string()))?
            .map_err(DatabaseError::Secret)
    }

    async fn audit_database(&self, clerk: &Clerk, detail: &str) -> Result<(), DbError> {
        let mut tx = self.db.begin_write().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "settings",
                detail: Some(detail),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn the_secret_and_the_environment_variable_are_one_url() {
        assert_eq!(names::env_var(names::DATABASE_URL), Some(DATABASE_URL_ENV));
    }

    #[test]
    fn a_url_is_shown_without_its_password_wherever_it_is() {
        assert_eq!(
            shown("postgres://codetill:hunter2@db.shop.example:5432/shop"),
            "postgres://codetill:***@db.shop.example:5432/shop"
        );
        let query = shown("postgresql://codetill@db/shop?password=hunter2&sslmode=require");
        assert!(!query.contains("hunter2"), "{query}");
        assert!(query.contains("sslmode=require"), "{query}");
        assert_eq!(shown("postgres://db/shop"), "postgres://db/shop");
        assert!(!shown("not a url hunter2").contains("hunter2"));
        let debug = format!(
            "{:?}",
            ShopUrl::new("postgres://u:hunter2@db/shop", UrlFrom::Keyring)
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn the_vault_match_says_whether_this_tills_key_reads_the_servers_codes() {
        assert_eq!(vault_match(None, Some("a")), VaultMatch::NotBound);
        assert_eq!(vault_match(None, None), VaultMatch::NotBound);
        assert_eq!(vault_match(Some("a"), None), VaultMatch::Unknown);
        assert_eq!(vault_match(Some("a"), Some("a")), VaultMatch::Same);
        assert_eq!(vault_match(Some("a"), Some("b")), VaultMatch::Different);
    }

    async fn sqlite() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn only_a_postgres_url_is_tested_and_the_password_never_shows() {
        let (_dir, db) = sqlite().await;
        for url in [
            "mysql://codetill:hunter2@db/shop",
            "sqlite:///tmp/shop.db",
            "server:5432/shop",
            "",
            "POSTGRES://codetill:hunter2@db/shop",
        ] {
            let err = check(url, Duration::from_secs(5), &db).await.unwrap_err();
            assert!(err.is_bad_url(), "{url:?}: {err}");
            assert!(
                err.to_string().contains("not postgres://"),
                "{url:?}: {err}"
            );
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        }
    }

    #[tokio::test]
    async fn a_server_that_refuses_is_named_at_once_without_its_password() {
        let (_dir, db) = sqlite().await;
        let started = std::time::Instant::now();
        let err = check(
            "postgres://codetill:hunter2@127.0.0.1:1/shop",
            Duration::from_secs(10),
            &db,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, DatabaseError::Unreachable { .. }), "{err:?}");
        assert!(!err.is_bad_url());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let text = format!("{err} {err:?}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_given_up_on_in_time() {
        let (_dir, db) = sqlite().await;
        // Takes the connection and says nothing.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((conn, _)) = silent.accept().await {
                open.push(conn);
            }
        });
        let err = check(
            &format!("postgres://codetill:hunter2@127.0.0.1:{port}/shop"),
            Duration::from_millis(300),
            &db,
        )
        .await
        .unwrap_err();
        held.abort();
        assert!(
            matches!(err, DatabaseError::NoAnswer { seconds: 0, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// A store whose keyring cannot be reached, as on a headless till.
    struct NoKeyring;

    impl SecretStore for NoKeyring {
        fn get(&self, _: &str) -> Result<Option<Redacted<String>>, SecretError> {
            Err(SecretError::Unavailable("no session bus".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
            Err(SecretError::Unavailable("no session bus".into()))
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Err(SecretError::Unavailable("no session bus".into()))
        }
    }

    /// A keyring that answers, wrongly.
    struct BrokenKeyring;

    impl SecretStore for BrokenKeyring {
        fn get(&self, _: &str) -> Result<Option<Redacted<String>>, SecretError> {
            Err(SecretError::Keyring("two entries match".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_keyring_out_of_reach_leaves_the_sqlite_shop_opening_a_broken_one_does_not() {
        // (CODETILL_DATABASE_URL is not set where the tests run.)
        let dir = tempfile::tempdir().unwrap();
        let till = Till::open_shop(dir.path(), Arc::new(NoKeyring))
            .await
            .unwrap();
        assert!(!till.db().is_postgres());
        assert_eq!(till.db().path(), db_path(dir.path()));

        let err = Till::open_shop(dir.path(), Arc::new(BrokenKeyring))
            .await
            .unwrap_err();
        assert!(matches!(err, DatabaseError::Secret(_)), "{err:?}");
        assert!(err.to_string().contains("two entries match"), "{err}");
    }

    #[tokio::test]
    async fn a_kept_url_that_cannot_be_opened_is_an_error_naming_it_without_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        secrets
            .set(names::DATABASE_URL, "mysql://codetill:hunter2@db/shop")
            .unwrap();
        let err = Till::open_shop(dir.path(), secrets).await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("mysql://codetill:***@db/shop"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        // Nothing was opened in its place.
        assert!(!db_path(dir.path()).exists());
    }

    #[tokio::test]
    async fn a_blank_kept_url_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        secrets.set(names::DATABASE_URL, "   ").unwrap();
        let till = Till::open_shop(dir.path(), secrets).await.unwrap();
        assert!(!till.db().is_postgres());
    }

    #[tokio::test]
    async fn a_till_moved_to_a_server_whose_keyring_lost_the_url_is_refused_not_opened_on_its_file()
    {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SERVER_MARKER), "postgres://db/shop\n").unwrap();
        for secrets in [
            Arc::new(NoKeyring) as Arc<dyn SecretStore>,
            Arc::new(MemoryStore::default()),
        ] {
            let err = Till::open_shop(dir.path(), secrets).await.unwrap_err();
            assert!(matches!(err, DatabaseError::UrlLost { .. }), "{err:?}");
            assert!(err.to_string().contains(SERVER_MARKER), "{err}");
        }
        assert!(!db_path(dir.path()).exists(), "no file made in its place");
        std::fs::remove_file(dir.path().join(SERVER_MARKER)).unwrap();
        let till = Till::open_shop(dir.path(), Arc::new(NoKeyring))
            .await
            .unwrap();
        assert!(!till.db().is_postgres());
    }
}
