//! A throwaway PostgreSQL for tests and the benchmark.
//!
//! `CODETILL_RELAY_TEST_PG=postgres://user@host/db` uses a running server (the
//! user must be allowed to CREATE DATABASE). Otherwise the first caller starts a
//! private cluster in a temp dir on a loopback port: `initdb` + `postgres` from
//! `/usr/lib/postgresql/*/bin` or PATH, run through `runuser -u postgres` when we
//! are root (PostgreSQL refuses to run as root). The server lives as long as this
//! process: a shell holds our pipe and stops it (and removes the directory) when
//! the pipe closes, whichever way the process ends. Every test gets a fresh
//! database. `CODETILL_RELAY_SKIP_PG=1` skips the Postgres tests; otherwise a
//! server that cannot be had fails them, with the reason.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::Connection;

pub struct PgCluster {
    /// Connection URL of the server's maintenance database.
    admin_url: String,
    /// Keeps the pipe that keeps the server alive.
    _server: Option<Mutex<Child>>,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();

/// The cluster, or None when the Postgres tests are skipped.
pub fn cluster() -> Option<&'static PgCluster> {
    if std::env::var("CODETILL_RELAY_SKIP_PG").is_ok_and(|v| v == "1") {
        eprintln!("CODETILL_RELAY_SKIP_PG=1: skipping a PostgreSQL test");
        return None;
    }
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => Some(cluster),
        Err(reason) => panic!(
            "the PostgreSQL tests need a server and none could be started: {reason}\n\
             Install PostgreSQL (Debian: apt-get install postgresql), or set \
             CODETILL_RELAY_TEST_PG=postgres://user@host/db to use a running one, \
             or CODETILL_RELAY_SKIP_PG=1 to skip these tests."
        ),
    }
}

impl PgCluster {
    /// A new empty database; its URL.
    pub async fn fresh_db(&self) -> String {
        let name = format!("relay_{:016x}", rand::random::<u64>());
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut conn = loop {
            match sqlx::PgConnection::connect(&self.admin_url).await {
                Ok(conn) => break conn,
                // "the database system is starting up" right after start.
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot connect to the test PostgreSQL: {e}"),
            }
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE failed: {e}"));
        let _ = conn.close().await;
        with_database(&self.admin_url, &name)
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let host = authority.split_once('/').map_or(authority, |(h, _)| h);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}

fn start() -> Result<PgCluster, String> {
    if let Ok(url) = std::env::var("CODETILL_RELAY_TEST_PG") {
        return Ok(PgCluster {
            admin_url: url,
            _server: None,
        });
    }
    let bin = bin_dir()?;
    let as_root = command_output(Command::new("id").arg("-u"))?.trim() == "0";
    // Under /tmp when root: `postgres` must be able to reach the directory.
    let parent = if as_root {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("codetill-relay-pg-")
        .tempdir_in(parent)
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    if as_root {
        // PostgreSQL will not run as root: hand the directory to `postgres`.
        let uid = id_of("-u")?;
        let gid = id_of("-g")?;
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let run_as = |program: &Path| {
        if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    let data = dir.join("data");
    command_output(run_as(&bin.join("initdb")).arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]))
    .map_err(|e| format!("initdb: {e}"))?;
    let port = free_port()?;
    let log = dir.join("postgres.log");
    // fsync stays on (the default): the benchmark measures durable commits.
    let script = r#"
        "$1" -D "$2" -p "$3" -k "$4" -c listen_addresses=127.0.0.1 -c max_connections=400 \
             >"$5" 2>&1 &
        pid=$!
        read _ignored
        kill -INT "$pid"
        wait "$pid"
        rm -rf "$4"
    "#;
    let mut server = run_as(Path::new("sh"))
        .args(["-c", script, "sh"])
        .arg(bin.join("postgres"))
        .arg(&data)
        .arg(port.to_string())
        .arg(&dir)
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!(
                "postgres exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        let ready = std::fs::read_to_string(&log)
            .is_ok_and(|text| text.contains("ready to accept connections"));
        if ready {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "postgres did not become ready in 30 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(PgCluster {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        _server: Some(Mutex::new(server)),
    })
}

fn bin_dir() -> Result<PathBuf, String> {
    // Debian keeps the server binaries out of PATH, one directory per version.
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some(bin) = versions.pop() {
        return Ok(bin);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
        .ok_or_else(|| "no initdb/postgres in /usr/lib/postgresql/*/bin or on PATH".to_owned())
}

fn id_of(flag: &str) -> Result<u32, String> {
    command_output(Command::new("id").args([flag, "postgres"]))?
        .trim()
        .parse()
        .map_err(|_| "no `postgres` user to run the server as".to_owned())
}

fn command_output(command: &mut Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        let mut stderr = String::new();
        let _ = output.stderr.as_slice().read_to_string(&mut stderr);
        return Err(format!("{command:?} failed: {stderr}"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("free port: {e}"))
}
