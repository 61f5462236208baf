//! Every statement core sends is one text for both databases: each SQL literal in
//! crates/core/src (outside its tests) is prepared by PostgreSQL against
//! migrations/postgres, as SQLite prepares it in core's own tests. A statement that
//! only SQLite understands fails here, by file and line, with PostgreSQL's words.
//!
//! What is SQLite's alone by design is listed in [`SQLITE_ONLY`], each with why.
//! Statements built at run time from `format!` arguments cannot be read from the
//! source; those are counted and printed, not checked.
//!
//! Needs PostgreSQL: see crates/relay/tests/common/pg.rs (`CODETILL_RELAY_SKIP_PG=1`
//! skips).
#![allow(clippy::unwrap_used)]

#[path = "../../crates/relay/tests/common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codetill_core::db::postgres::translate;
use sqlx::postgres::{PgConnection, PgTypeInfo};
use sqlx::{Connection, Executor};

/// Statements that do not run on PostgreSQL yet, by file and a word of their text:
/// printed, not checked, until the work named beside them is done.
const NOT_YET: &[(&str, &str, &str)] = &[(
    "support/bundle.rs",
    "sqlite_version()",
    "the support bundle names the SQLite library; on PostgreSQL, the server's version",
)];

/// `format!` arguments that stand for a list of order states (`sql_list`), filled
/// with one state when a statement is read from the source.
const STATE_LISTS: &[&str] = &["delivered", "from", "open", "paid", "failed", "refund_due"];

/// Files (under crates/core/src) whose statements are SQLite's alone, and why.
const SQLITE_ONLY: &[(&str, &str)] = &[
    (
        "catalog/search.rs",
        "search reads each till's own SQLite copy of the catalog (FTS5)",
    ),
    (
        "backup.rs",
        "a backup copies the SQLite file; a PostgreSQL shop backs up with pg_dump",
    ),
    ("db/mod.rs", "the SQLite file's own settings and checks"),
    ("db/batch.rs", "the SQLite writer's own statements"),
];

/// One SQL text as the source writes it.
#[derive(Debug, Clone)]
struct Literal {
    file: String,
    line: usize,
    text: String,
    /// The `const` it is the value of, if any.
    constant: Option<String>,
}

/// The string literals of a Rust source file, with their lines, up to its first
/// `#[cfg(test)]` (core keeps its unit tests at the end of a file).
fn literals(file: &str, src: &str) -> Vec<Literal> {
    let src = match src.find("#[cfg(test)]") {
        Some(end) => &src[..end],
        None => src,
    };
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            // A char literal ('"', '\'', 'x'); a lifetime ('a) has no closing quote.
            b'\'' => {
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = open + 1;
                let len = src[start..].find(&close).unwrap_or(src.len() - start);
                out.push(literal(file, src, i, src[start..start + len].to_string()));
                i = start + len + close.len();
            }
            b'"' => {
                let start = i + 1;
                let mut text = String::new();
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        match b.get(j + 1) {
                            Some(b'n') => text.push('\n'),
                            Some(b't') => text.push('\t'),
                            Some(b'\n') => {
                                // A line continuation drops the newline and the
                                // next line's indent.
                                j += 2;
                                while j < b.len() && b[j].is_ascii_whitespace() {
                                    j += 1;
                                }
                                continue;
                            }
                            Some(&c) => text.push(c as char),
                            None => {}
                        }
                        j += 2;
                    } else {
                        let ch = src[j..].chars().next().unwrap_or('\u{fffd}');
                        text.push(ch);
                        j += ch.len_utf8();
                    }
                }
                out.push(literal(file, src, i, text));
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

fn literal(file: &str, src: &str, at: usize, text: String) -> Literal {
    // `const NAME: &str =` right before the literal.
    let before = src[..at].trim_end();
    let constant = before
        .strip_suffix('=')
        .map(str::trim_end)
        .and_then(|b| {
            b.strip_suffix("&str")
                .or_else(|| b.strip_suffix("&'static str"))
        })
        .map(str::trim_end)
        .and_then(|b| b.strip_suffix(':'))
        .and_then(|b| {
            let name = b
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()?;
            let head = b[..b.len() - name.len()].trim_end();
            head.ends_with("const").then(|| name.to_string())
        });
    Literal {
        file: file.to_string(),
        line: src[..at].matches('\n').count() + 1,
        text,
        constant,
    }
}

fn is_statement(text: &str) -> bool {
    // Core writes SQL's words in capitals; a message ("update URL …") is not SQL.
    let head = text.trim_start();
    ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "]
        .iter()
        .any(|k| head.starts_with(k) || head.starts_with(k.trim_end()) && head.len() > 6)
        && text.len() > 12
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// `{NAME}` holes filled from the source's constants (the same file's first).
/// None when a hole is a `format!` argument only known at run time.
fn resolve(lit: &Literal, constants: &BTreeMap<String, Vec<Literal>>) -> Option<String> {
    let mut text = lit.text.clone();
    for _ in 0..16 {
        let Some(open) = text.find('{') else {
            return Some(text);
        };
        let close = open + text[open..].find('}')?;
        let name = &text[open + 1..close];
        if STATE_LISTS.contains(&name) {
            text = format!("{}'paid'{}", &text[..open], &text[close + 1..]);
            continue;
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return None;
        }
        let found = constants.get(name)?;
        let value = found
            .iter()
            .find(|c| c.file == lit.file)
            .or_else(|| (found.len() == 1).then(|| &found[0]))?;
        text = format!("{}{}{}", &text[..open], value.text, &text[close + 1..]);
    }
    None
}

/// A statement's text split at semicolons outside quotes (a write batch holds
/// several).
fn split(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in sql.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == ';' && !quoted {
            out.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Asks PostgreSQL to prepare `sql`. A parameter whose type PostgreSQL cannot tell
/// from where it stands (sqlx sends the bound value's type at run time) is tried as
/// text, then as bigint.
async fn prepare(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    let count = (1..=64)
        .rev()
        .find(|n| sql.contains(&format!("${n}")))
        .unwrap_or(0);
    let unknown = PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0));
    let mut types = vec![unknown.clone(); count];
    let mut tried = BTreeMap::<usize, u8>::new();
    loop {
        let err = match conn.prepare_with(sql, &types).await {
            Ok(statement) => return integers_are_bigint(&statement),
            Err(e) => e.to_string(),
        };
        let param = err
            .split("could not determine data type of parameter $")
            .nth(1)
            .and_then(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<usize>()
                    .ok()
            });
        // The last parameter typed by guess, when PostgreSQL refuses that guess.
        let guessed = tried
            .iter()
            .rev()
            .find(|(_, tries)| **tries == 1)
            .map(|(k, _)| *k);
        match (param, guessed) {
            (Some(k), _) if k >= 1 && k <= count && !tried.contains_key(&k) => {
                types[k - 1] = PgTypeInfo::with_name("text");
                tried.insert(k, 1);
            }
            (None, Some(k)) if err.contains("text") => {
                types[k - 1] = PgTypeInfo::with_name("int8");
                tried.insert(k, 2);
            }
            _ => return Err(err),
        }
    }
}

/// Core reads every number as i64, which sqlx decodes from BIGINT alone: a column
/// PostgreSQL types as integer (`length()`), numeric (`sum()` of bigints) or real
/// would fail at the first read.
fn integers_are_bigint(statement: &sqlx::postgres::PgStatement<'_>) -> Result<(), String> {
    use sqlx::{Column, Statement, TypeInfo};
    let wrong: Vec<String> = statement
        .columns()
        .iter()
        .filter(|c| {
            matches!(
                c.type_info().name(),
                "INT2" | "INT4" | "NUMERIC" | "FLOAT4" | "FLOAT8"
            )
        })
        .map(|c| format!("{} is {}", c.name(), c.type_info().name()))
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "columns not BIGINT (core reads i64): {}",
            wrong.join(", ")
        ))
    }
}

#[tokio::test]
async fn every_core_statement_is_valid_postgresql() {
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/core/src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut all = Vec::new();
    for path in &files {
        let file = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        all.extend(literals(&file, &std::fs::read_to_string(path).unwrap()));
    }
    let mut constants = BTreeMap::<String, Vec<Literal>>::new();
    for lit in &all {
        if let Some(name) = &lit.constant {
            constants.entry(name.clone()).or_default().push(lit.clone());
        }
    }

    let url = cluster.fresh_db().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::migrate!("../migrations/postgres")
        .run(&pool)
        .await
        .unwrap();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    // The catalog import's temp tables, as core makes them on PostgreSQL.
    for lit in all.iter().filter(|l| {
        l.text.trim_start().starts_with("CREATE TEMP TABLE") && !l.text.contains("WITHOUT ROWID")
    }) {
        conn.execute(lit.text.as_str()).await.unwrap();
    }

    let (mut checked, mut sqlite_only, mut built, mut not_yet) = (0, 0, Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for lit in all.iter().filter(|l| is_statement(&l.text)) {
        if SQLITE_ONLY.iter().any(|(f, _)| *f == lit.file) {
            sqlite_only += 1;
            continue;
        }
        if let Some((_, _, why)) = NOT_YET
            .iter()
            .find(|(f, word, _)| lit.file.starts_with(f) && lit.text.contains(word))
        {
            not_yet.push(format!("{}:{} ({why})", lit.file, lit.line));
            continue;
        }
        let Some(sql) = resolve(lit, &constants) else {
            built.push(format!("{}:{}", lit.file, lit.line));
            continue;
        };
        let numbered = (1..=64)
            .rev()
            .find(|n| sql.contains(&format!("${n}")))
            .unwrap_or(0);
        for statement in split(&sql) {
            let numbered = translate(&statement, numbered).sql;
            checked += 1;
            if let Err(e) = prepare(&mut conn, &numbered).await {
                failures.push(format!(
                    "{}:{}: {e}\n    {}",
                    lit.file,
                    lit.line,
                    numbered.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    println!(
        "{checked} statements prepared on PostgreSQL; {sqlite_only} SQLite's alone by \
         design; {} built at run time: {}\nnot yet on PostgreSQL: {}",
        built.len(),
        built.join(", "),
        not_yet.join(", ")
    );
    assert!(checked > 150, "the scan found only {checked} statements");
    assert!(
        failures.is_empty(),
        "{} of {checked} statements are not valid PostgreSQL:\n{}",
        failures.len(),
        failures.join("\n")
    );
    pool.close().await;
}

#[test]
fn the_scan_reads_literals_as_rust_does() {
    let src = r##"
        // "not this"
        const Q: &str = "SELECT a \
                         FROM t WHERE c = '\"'";
        let c = '"'; let l: &'static str = r#"UPDATE t SET "x" = 1"#;
        #[cfg(test)]
        const T: &str = "SELECT hidden";
    "##;
    let lits = literals("f.rs", src);
    let texts: Vec<_> = lits.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        ["SELECT a FROM t WHERE c = '\"'", "UPDATE t SET \"x\" = 1"]
    );
    assert_eq!(lits[0].constant.as_deref(), Some("Q"));
    assert_eq!(lits[0].line, 3);
    assert_eq!(split("SELECT ';'; SELECT 2"), ["SELECT ';'", " SELECT 2"]);
}

/// The functions migrations/postgres gives PostgreSQL in SQLite's name answer as
/// SQLite's do, for the forms core writes; another form is refused, not guessed.
#[tokio::test]
async fn sqlite_functions_answer_alike_on_postgresql() {
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let pg = sqlx::PgPool::connect(&cluster.fresh_db().await)
        .await
        .unwrap();
    sqlx::migrate!("../migrations/postgres")
        .run(&pg)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = codetill_core::db::Db::open(&dir.path().join("codetill.db"))
        .await
        .unwrap();

    let mut cases: Vec<String> = vec![
        "printf('ORD-%06d', 123)".into(),
        "printf('ORD-%06d', 1234567)".into(),
        "printf('BSK-%06d', 0)".into(),
        "printf('%06d', 42)".into(),
        "printf('CLM-%d-x', 7)".into(),
        "CAST(instr('abcabc', 'ca') AS TEXT)".into(),
        "CAST(instr('abc', 'z') AS TEXT)".into(),
        "CAST(instr('', '') AS TEXT)".into(),
    ];
    // Every day of a week around a month's and a year's turn, at times either
    // side of midnight, moved by the offsets shops have.
    for day in [
        "2026-12-27",
        "2026-12-30",
        "2027-01-01",
        "2027-01-02",
        "2027-01-03",
    ] {
        for time in ["00:10:00.000", "12:00:00.000", "23:50:00.000"] {
            for offset in [
                "+0 minutes",
                "+330 minutes",
                "+345 minutes",
                "-300 minutes",
                "-570 minutes",
                "+840 minutes",
            ] {
                let at = format!("'{day}T{time}Z'");
                cases.push(format!("date({at}, '{offset}')"));
                cases.push(format!("date({at}, '{offset}', 'weekday 0', '-6 days')"));
                cases.push(format!("substr(date({at}, '{offset}'), 1, 7)"));
            }
        }
    }
    for case in &cases {
        let sql = format!("SELECT {case}");
        let on_sqlite: Option<String> =
            sqlx::query_scalar(&sql).fetch_one(db.pool()).await.unwrap();
        let on_pg: Option<String> = sqlx::query_scalar(&sql)
            .fetch_one(&pg)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(on_pg, on_sqlite, "{case}");
    }
    for refused in [
        "printf('%s', 1)",
        "printf('%x', 1)",
        "date('2026-12-05T00:00:00Z', 'start of month')",
    ] {
        let err = sqlx::query(&format!("SELECT {refused}"))
            .execute(&pg)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("not one core writes"),
            "{refused}: {err}"
        );
    }
    pg.close().await;
    db.close().await;
}

/// Forty write batches, `batch(n)` for n in 0..40, sent at once from four tills
/// (ten each) of one fresh database made with `create`: the tills, the first
/// being the one that made it, and each batch's outcome. None without PostgreSQL.
async fn forty_batches_from_four_tills(
    create: &str,
    batch: impl Fn(i64) -> codetill_core::db::Batch,
) -> Option<(
    Vec<codetill_core::db::Db>,
    Vec<(
        i64,
        Result<Vec<codetill_core::db::Row>, codetill_core::db::DbError>,
    )>,
)> {
    use codetill_core::db::Db;
    let cluster = pg::cluster()?;
    let first = Db::connect(&cluster.fresh_db().await).await.unwrap();
    sqlx::query(create).execute(first.pool()).await.unwrap();
    let mut tills = vec![first.clone()];
    for _ in 0..3 {
        tills.push(first.reopen().await.unwrap());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40_i64 {
        let (db, batch) = (tills[n as usize % 4].clone(), batch(n));
        tasks.spawn(async move { (n, db.write_batch(batch).await) });
    }
    let mut outcomes = Vec::with_capacity(40);
    while let Some(done) = tasks.join_next().await {
        outcomes.push(done.unwrap());
    }
    Some((tills, outcomes))
}

/// The rows of every batch but 13, the bad one, which must have failed.
fn all_but_13(
    outcomes: Vec<(
        i64,
        Result<Vec<codetill_core::db::Row>, codetill_core::db::DbError>,
    )>,
) -> Vec<(i64, Vec<codetill_core::db::Row>)> {
    let mut good = Vec::with_capacity(outcomes.len());
    for (n, rows) in outcomes {
        match (n, rows) {
            (13, rows) => assert!(rows.is_err(), "the bad batch fails"),
            (n, rows) => good.push((n, rows.unwrap_or_else(|e| panic!("batch {n}: {e}")))),
        }
    }
    good
}

/// Write batches on PostgreSQL: 40 at once from four tills (each its own `Db`),
/// one of them bad. Every good batch is whole, nothing of the bad one is kept, and
/// each got its own rows back; batches a till queued up commit together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_batches_on_postgresql_are_each_all_or_nothing() {
    use codetill_core::db::{Batch, Value};
    // Batch 13 breaks NOT NULL in its second statement; a NULL blob and a named
    // parameter go where only SQLite would take them untyped.
    let batch = |n: i64| {
        let second = if n == 13 { None } else { Some(n + 1000) };
        Batch::new(
            "INSERT INTO t (n, s, b) VALUES ($1, $2, CAST($4 AS BLOB)) RETURNING n;
             INSERT INTO t (n) VALUES ($3);
             SELECT count(*) AS c, :tag AS tag FROM t WHERE n IN ($1, $3)
                AND changes() = 1",
        )
        .bind(n)
        .bind(format!("row {n}"))
        .bind(second)
        .bind(if n % 2 == 0 {
            Some(vec![1_u8, 2])
        } else {
            None
        })
        .bind_named(":tag", "x")
    };
    let Some((tills, outcomes)) = forty_batches_from_four_tills(
        "CREATE TABLE t (n BIGINT NOT NULL UNIQUE, s TEXT, b BYTEA)",
        batch,
    )
    .await
    else {
        return;
    };
    let first = &tills[0];
    for (n, rows) in all_but_13(outcomes) {
        assert_eq!(rows.len(), 2, "batch {n}: its RETURNING row and its count");
        assert_eq!(rows[0].get(0), Some(&Value::Int(n)));
        assert_eq!(rows[1].get(0), Some(&Value::Int(2)));
        assert_eq!(rows[1].get(1), Some(&Value::Text("x".into())));
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(first.pool())
        .await
        .unwrap();
    assert_eq!(
        stored,
        39 * 2,
        "every good batch whole, nothing of the bad one"
    );
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE b = '\\x0102'::bytea")
        .fetch_one(first.pool())
        .await
        .unwrap();
    assert_eq!(blobs, 20, "the even batches' bytes, 13 is odd");
    for db in tills {
        db.close().await;
    }
}

/// Whatever a write batch's value holds (quotes, backslashes, a `$1`, a semicolon,
/// a comment, Hindi, bytes that are quotes or zero) it is stored as given and never
/// read as SQL; text bound where PostgreSQL reads a number is taken as SQLite takes
/// it; each batch of a group gets its own rows back, and one that fails is undone
/// alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_values_are_stored_as_given_whatever_they_hold() {
    use codetill_core::db::{Batch, Value};
    let hostile =
        |n: i64| format!("{n}: it's \\'; DROP TABLE t; -- $1 /* :tag */ E'\\x00' हिन्दी\n\t\"end");
    let bytes = |n: i64| vec![0_u8, b'\'', b'\\', b';', 0xff, n as u8];
    // Batch 13 breaks NOT NULL in its second statement.
    let batch = move |n: i64| {
        let second = if n == 13 { None } else { Some(n + 1000) };
        Batch::new(
            "INSERT INTO t (n, s, b, m) VALUES ($1, $2, $4, $5) RETURNING n;
             INSERT INTO t (n, s) VALUES ($3, :tag);
             SELECT s, b, m FROM t WHERE n = $1",
        )
        .bind(n)
        .bind(hostile(n))
        .bind(second)
        .bind(bytes(n))
        // Text where PostgreSQL reads a number, as SQLite would take it.
        .bind(format!(" {} ", n * 7))
        .bind_named(":tag", "it's")
    };
    let Some((tills, outcomes)) = forty_batches_from_four_tills(
        "CREATE TABLE t (n BIGINT NOT NULL UNIQUE, s TEXT, b BYTEA, m BIGINT)",
        batch,
    )
    .await
    else {
        return;
    };
    let first = &tills[0];
    for (n, rows) in all_but_13(outcomes) {
        assert_eq!(rows.len(), 2, "batch {n}: its RETURNING row and its read");
        assert_eq!(rows[0].get(0), Some(&Value::Int(n)));
        assert_eq!(rows[1].get(0), Some(&Value::Text(hostile(n))), "batch {n}");
        assert_eq!(rows[1].get(1), Some(&Value::Blob(bytes(n))), "batch {n}");
        assert_eq!(rows[1].get(2), Some(&Value::Int(n * 7)), "batch {n}");
    }
    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT n, s FROM t WHERE n >= 1000 ORDER BY n")
            .fetch_all(first.pool())
            .await
            .unwrap();
    assert_eq!(
        stored.len(),
        39,
        "every good batch whole, nothing of the bad one"
    );
    assert!(stored.iter().all(|(_, s)| s == "it's"));
    let thirteen: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE n = 13")
        .fetch_one(first.pool())
        .await
        .unwrap();
    assert_eq!(thirteen, 0, "the bad batch's first statement undone");
    for db in tills {
        db.close().await;
    }
}

/// A database URL that is not PostgreSQL's is refused by name, before anything is
/// opened or written.
#[tokio::test]
async fn a_database_url_that_is_not_postgres_is_refused() {
    for url in ["mysql://x@localhost/shop", "sqlite:///tmp/x.db", "shop"] {
        let err = codetill_core::db::Db::connect(url).await.unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{url}: {err}");
    }
}
