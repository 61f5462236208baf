//! The PostgreSQL schema (migrations/postgres) is the SQLite one (migrations/sqlite,
//! as `Db::open` leaves a new database): the same tables, columns, keys, indexes and
//! triggers, read from each catalog and compared, and the triggers doing the same to
//! the same statements. A column added on one side without its twin on the other
//! fails here, by table and column.
//!
//! Needs PostgreSQL: see crates/relay/tests/common/pg.rs (`CODETILL_RELAY_SKIP_PG=1`
//! skips). SQLite's FTS5 tables (`products_fts*`) have no twin yet: PostgreSQL's
//! catalog search is decided later.
#![allow(clippy::unwrap_used)]

#[path = "../../crates/relay/tests/common/pg.rs"]
mod pg;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use codetill_core::db::Db;
use sqlx::{PgPool, SqlitePool};

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// UNIQUE constraints, each its columns in order.
    uniques: BTreeSet<Vec<String>>,
    /// (column, referenced table, referenced column, ON DELETE).
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// Indexes made by CREATE INDEX, by name.
    indexes: BTreeMap<String, Index>,
    checks: i64,
    triggers: BTreeSet<String>,
    /// Rows the migrations leave in it.
    rows: i64,
}

#[derive(Debug, PartialEq)]
struct Column {
    /// As PostgreSQL names it.
    ty: String,
    not_null: bool,
    default: Option<String>,
    /// The database numbers new rows (a rowid id; an identity column).
    numbered: bool,
}

#[derive(Debug, PartialEq)]
struct Index {
    unique: bool,
    partial: bool,
    /// Column names ("<expr>" for an expression), with " collate nocase" when so.
    columns: Vec<String>,
}

type Schema = BTreeMap<String, Table>;

/// One column of an index as a catalog lists it: table, index, unique, where it
/// comes from (SQLite: its origin; PostgreSQL: the constraint's type, if any),
/// partial, column name (none for an expression), collation.
type IndexColumn<From> = (
    String,
    String,
    bool,
    From,
    bool,
    Option<String>,
    Option<String>,
);

/// Outside the comparison: FTS5 (a PostgreSQL till searches its own SQLite copy),
/// each side's own bookkeeping, and the number that tells tills their copy is
/// behind (PostgreSQL's alone: migrations/postgres/0003).
fn compared(table: &str) -> bool {
    !table.starts_with("products_fts")
        && !table.starts_with("sqlite_")
        && table != "_sqlx_migrations"
        && table != "catalog_version"
}

fn index_column(name: Option<String>, collation: Option<String>) -> String {
    let name = name.unwrap_or_else(|| "<expr>".to_owned());
    match collation.map(|c| c.to_lowercase()).as_deref() {
        None | Some("binary" | "default" | "c" | "posix") => name,
        Some(other) => format!("{name} collate {other}"),
    }
}

async fn sqlite_schema(pool: &SqlitePool) -> Schema {
    let mut schema = Schema::new();
    let tables: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut sql_of = BTreeMap::new();
    for (name, sql) in tables.into_iter().filter(|(name, _)| compared(name)) {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{name}\""))
            .fetch_one(pool)
            .await
            .unwrap();
        // SQLite keeps the table's CREATE text with the ALTERs' columns appended: its
        // CHECKs (the migrations write them `CHECK (`, never in a comment) are counted.
        let checks = sql.matches("CHECK (").count() as i64;
        schema.insert(
            name.clone(),
            Table {
                checks,
                rows,
                ..Table::default()
            },
        );
        sql_of.insert(name, sql);
    }

    let foreign_keys: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT m.name, f.\"from\", f.\"table\", f.\"to\", f.on_delete
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, to_table, to_column, on_delete) in foreign_keys {
        if let Some(t) = schema.get_mut(&table) {
            t.foreign_keys
                .insert((column, to_table, to_column, on_delete));
        }
    }

    let columns: Vec<(String, String, String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT m.name, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk
         FROM sqlite_master m JOIN pragma_table_info(m.name) c
         WHERE m.type = 'table' ORDER BY m.name, c.pk", // the key's columns in key order
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, ty, not_null, default, pk) in columns {
        let Some(t) = schema.get_mut(&table) else {
            continue;
        };
        let ty = match ty.to_uppercase().as_str() {
            "INTEGER" => "bigint".to_owned(),
            "TEXT" => "text".to_owned(),
            "BLOB" => "bytea".to_owned(),
            other => format!("SQLite type {other}, which has no PostgreSQL twin here"),
        };
        if pk > 0 {
            t.primary_key.push(name.clone());
        }
        t.columns.insert(
            name,
            Column {
                ty,
                // A key column is never NULL in PostgreSQL; in SQLite a rowid id never
                // is, and the text keys are never given one.
                not_null: not_null == 1 || pk > 0,
                default,
                numbered: false,
            },
        );
    }
    // A lone INTEGER key is the rowid, numbered by SQLite, unless the table gives it:
    // a singleton (`CHECK (id = 1)`) or another table's id.
    for (name, t) in &mut schema {
        if let [key] = t.primary_key.as_slice() {
            let given = sql_of[name].contains(&format!("CHECK ({key} = 1)"))
                || t.foreign_keys.iter().any(|(column, ..)| column == key);
            let column = t.columns.get_mut(key).unwrap();
            column.numbered = column.ty == "bigint" && !given;
        }
    }

    let indexes: Vec<IndexColumn<String>> = sqlx::query_as(
        "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, x.name, x.coll
             FROM sqlite_master m JOIN pragma_index_list(m.name) l
                  JOIN pragma_index_xinfo(l.name) x
             WHERE m.type = 'table' AND x.key = 1 ORDER BY m.name, l.name, x.seqno",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut uniques: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (table, index, unique, origin, partial, column, collation) in indexes {
        let Some(t) = schema.get_mut(&table) else {
            continue;
        };
        let column = index_column(column, collation);
        match origin.as_str() {
            "u" => uniques.entry((table, index)).or_default().push(column),
            "c" => t
                .indexes
                .entry(index)
                .or_insert(Index {
                    unique,
                    partial,
                    columns: Vec::new(),
                })
                .columns
                .push(column),
            // The primary key: compared as such above.
            _ => {}
        }
    }
    for ((table, _), columns) in uniques {
        schema.get_mut(&table).unwrap().uniques.insert(columns);
    }

    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(pool)
            .await
            .unwrap();
    for (table, name) in triggers {
        // The FTS5 index's upkeep goes with FTS5.
        if let Some(t) = schema
            .get_mut(&table)
            .filter(|_| !name.starts_with("products_fts_"))
        {
            t.triggers.insert(name);
        }
    }
    schema
}

async fn pg_schema(pool: &PgPool) -> Schema {
    let mut schema = Schema::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for name in tables.into_iter().filter(|name| compared(name)) {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{name}\""))
            .fetch_one(pool)
            .await
            .unwrap();
        schema.insert(
            name,
            Table {
                rows,
                ..Table::default()
            },
        );
    }

    let columns: Vec<(String, String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text,
                column_default::text, is_identity::text
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, ty, nullable, default, identity) in columns {
        let Some(t) = schema.get_mut(&table) else {
            continue;
        };
        // 'en'::text, 0: as SQLite keeps them, 'en' and 0.
        let default = default.map(|d| {
            d.trim_end_matches("::text")
                .trim_end_matches("::bigint")
                .to_owned()
        });
        t.columns.insert(
            name,
            Column {
                ty,
                not_null: nullable == "NO",
                default,
                numbered: identity == "YES",
            },
        );
    }

    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, k.column_name::text
         FROM information_schema.table_constraints c
              JOIN information_schema.key_column_usage k
                ON k.constraint_schema = c.constraint_schema
               AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name
         WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()
         ORDER BY c.table_name, k.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column) in keys {
        if let Some(t) = schema.get_mut(&table) {
            t.primary_key.push(column);
        }
    }

    // Every index but the primary keys': UNIQUE constraints' (contype 'u') and those
    // made by CREATE INDEX (no constraint).
    let indexes: Vec<IndexColumn<Option<String>>> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, x.indisunique, c.contype::text,
                    x.indpred IS NOT NULL, a.attname::text, co.collname::text
             FROM pg_index x
                  JOIN pg_class i ON i.oid = x.indexrelid
                  JOIN pg_class t ON t.oid = x.indrelid
                  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
                  LEFT JOIN pg_constraint c
                    ON c.conindid = x.indexrelid AND c.contype IN ('p', 'u')
                  CROSS JOIN LATERAL unnest(x.indkey::int2[], x.indcollation::oid[])
                       WITH ORDINALITY AS k(attnum, coll, n)
                  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                                          AND k.attnum > 0
                  LEFT JOIN pg_collation co ON co.oid = k.coll
             WHERE c.contype IS DISTINCT FROM 'p'
             ORDER BY 1, 2, k.n",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut uniques: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (table, index, unique, constraint, partial, column, collation) in indexes {
        let Some(t) = schema.get_mut(&table) else {
            continue;
        };
        let column = index_column(column, collation);
        if constraint.is_some() {
            uniques.entry((table, index)).or_default().push(column);
        } else {
            t.indexes
                .entry(index)
                .or_insert(Index {
                    unique,
                    partial,
                    columns: Vec::new(),
                })
                .columns
                .push(column);
        }
    }
    for ((table, _), columns) in uniques {
        schema.get_mut(&table).unwrap().uniques.insert(columns);
    }

    let foreign_keys: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, rt.relname::text, ra.attname::text,
                c.confdeltype::text
         FROM pg_constraint c
              JOIN pg_class t ON t.oid = c.conrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
              JOIN pg_class rt ON rt.oid = c.confrelid
              CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, ref_col)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
              JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.ref_col
         WHERE c.contype = 'f'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, to_table, to_column, on_delete) in foreign_keys {
        let on_delete = match on_delete.as_str() {
            "a" => "NO ACTION",
            "r" => "RESTRICT",
            "c" => "CASCADE",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            other => other,
        };
        if let Some(t) = schema.get_mut(&table) {
            t.foreign_keys
                .insert((column, to_table, to_column, on_delete.to_owned()));
        }
    }

    let checks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, count(*)
         FROM pg_constraint c
              JOIN pg_class t ON t.oid = c.conrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
         WHERE c.contype = 'c' GROUP BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, count) in checks {
        if let Some(t) = schema.get_mut(&table) {
            t.checks = count;
        }
    }

    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text, g.tgname::text
         FROM pg_trigger g
              JOIN pg_class t ON t.oid = g.tgrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
         WHERE NOT g.tgisinternal
           AND g.tgname NOT IN ('catalog_version_bump', 'catalog_version_accounts')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name) in triggers {
        if let Some(t) = schema.get_mut(&table) {
            t.triggers.insert(name);
        }
    }
    moves_as_sums(&mut schema);
    schema
}

/// On PostgreSQL `sales_quarters` holds moves, a row per sale, with no primary key
/// and an index to read a quarter's by (migrations/postgres/0005); SQLite's holds
/// their sums, a row per key. Checked for that shape here, then compared as
/// SQLite's: the columns, and what the rows sum to ([`sums`]), are the same.
fn moves_as_sums(schema: &mut Schema) {
    let Some(t) = schema.get_mut("sales_quarters") else {
        return;
    };
    assert!(
        t.primary_key.is_empty(),
        "sales_quarters on PostgreSQL has a primary key again: {:?}",
        t.primary_key
    );
    assert!(
        t.indexes.remove("sales_quarters_moves").is_some(),
        "sales_quarters on PostgreSQL lost the index its readers use"
    );
    t.primary_key = [
        "quarter",
        "till_id",
        "currency",
        "wholesale_currency",
        "fx_rate",
    ]
    .map(String::from)
    .to_vec();
}

/// Each difference between the two, as a line naming the table (and column).
fn differences(sqlite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(pg.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.get(name), pg.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (Some(_), None) => {
                out.push(format!("table {name}: in SQLite, not in PostgreSQL"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: in PostgreSQL, not in SQLite"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            match (s.columns.get(column), p.columns.get(column)) {
                (Some(sc), Some(pc)) if sc != pc => out.push(format!(
                    "table {name}, column {column}: SQLite {sc:?}, PostgreSQL {pc:?}"
                )),
                (Some(_), None) => out.push(format!(
                    "table {name}, column {column}: in SQLite, not in PostgreSQL"
                )),
                (None, Some(_)) => out.push(format!(
                    "table {name}, column {column}: in PostgreSQL, not in SQLite"
                )),
                _ => {}
            }
        }
        let mut same = |what: &str, s: &dyn Debug, p: &dyn Debug| {
            let (s, p) = (format!("{s:?}"), format!("{p:?}"));
            if s != p {
                out.push(format!("table {name}, {what}: SQLite {s}, PostgreSQL {p}"));
            }
        };
        same("primary key", &s.primary_key, &p.primary_key);
        same("unique constraints", &s.uniques, &p.uniques);
        same("foreign keys", &s.foreign_keys, &p.foreign_keys);
        same("CHECK constraints (count)", &s.checks, &p.checks);
        same("triggers", &s.triggers, &p.triggers);
        same("rows after the migrations", &s.rows, &p.rows);
        let indexes: BTreeSet<&String> = s.indexes.keys().chain(p.indexes.keys()).collect();
        for index in indexes {
            same(
                &format!("index {index}"),
                &s.indexes.get(index),
                &p.indexes.get(index),
            );
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

fn message(e: sqlx::Error) -> String {
    match e.as_database_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

/// Runs one statement on both databases; each side's outcome.
async fn both(
    sqlite: &SqlitePool,
    pg: &PgPool,
    sql: &str,
    args: &[Arg<'_>],
) -> (Result<(), String>, Result<(), String>) {
    let mut s = sqlx::query(sql);
    let mut p = sqlx::query(sql);
    for arg in args {
        match *arg {
            Arg::Int(v) => {
                s = s.bind(v);
                p = p.bind(v);
            }
            Arg::Text(v) => {
                s = s.bind(v);
                p = p.bind(v);
            }
        }
    }
    (
        s.execute(sqlite).await.map(drop).map_err(message),
        p.execute(pg).await.map(drop).map_err(message),
    )
}

type Sums = Vec<(
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
)>;

/// The sums per key, however many rows hold them (one on SQLite, a move per sale
/// on PostgreSQL); a key whose moves sum to nothing is no row, as SQLite deletes it.
const SUMS: &str = "SELECT quarter, till_id, currency, wholesale_currency, fx_rate,
                           CAST(sum(orders) AS BIGINT), CAST(sum(codes) AS BIGINT),
                           CAST(sum(sales_minor) AS BIGINT), CAST(sum(cost_minor) AS BIGINT),
                           CAST(sum(tax_minor) AS BIGINT)
                    FROM sales_quarters
                    GROUP BY 1, 2, 3, 4, 5
                    HAVING sum(orders) <> 0 OR sum(codes) <> 0 OR sum(sales_minor) <> 0
                        OR sum(cost_minor) <> 0 OR sum(tax_minor) <> 0";

async fn sums(sqlite: &SqlitePool, pg: &PgPool) -> (Sums, Sums) {
    let mut s: Sums = sqlx::query_as(SUMS).fetch_all(sqlite).await.unwrap();
    let mut p: Sums = sqlx::query_as(SUMS).fetch_all(pg).await.unwrap();
    // Text order follows the database's collation in PostgreSQL: compare as sets.
    s.sort();
    p.sort();
    (s, p)
}

/// An order row; -1 and '' stand for NULL.
const ORDER: &str = "INSERT INTO orders (public_id, client_order_id, status, sku, name, region,
        face_minor, face_currency, quantity, price_minor, currency, max_unit_minor,
        wholesale_currency, supplier_total_minor, tax_minor, fx_rate, staff, till_id,
        created_at, paid_at, updated_at)
    VALUES ($1, $1, $2, 'STEAM-US-20', 'Steam 20', 'US', 2000, 'USD', $3, $4, 'INR', $5,
        'USD', nullif($6, -1), nullif($7, -1), nullif($8, ''), 'asha', nullif($9, ''),
        $10, $10, $10)";

async fn sales_quarters_move_alike(sqlite: &SqlitePool, pg: &PgPool) {
    use Arg::{Int, Text};
    let steps: Vec<(&str, Vec<Arg>)> = vec![
        // Two sales in one quarter (10:00), at a till and at none, one converted.
        (
            ORDER,
            vec![
                Text("ORD-A"),
                Text("delivered"),
                Int(2),
                Int(340_000),
                Int(2000),
                Int(3900),
                Int(51_864),
                Text(""),
                Text("till-1"),
                Text("2024-05-01T10:07:12.345Z"),
            ],
        ),
        (
            ORDER,
            vec![
                Text("ORD-B"),
                Text("delivered"),
                Int(1),
                Int(170_000),
                Int(2000),
                Int(-1),
                Int(-1),
                Text("84.10"),
                Text(""),
                Text("2024-05-01T10:14:59.999Z"),
            ],
        ),
        // Paid, then delivered: it counts from then on (10:45).
        (
            ORDER,
            vec![
                Text("ORD-C"),
                Text("paid"),
                Int(1),
                Int(170_000),
                Int(2000),
                Int(1950),
                Int(0),
                Text(""),
                Text("till-1"),
                Text("2024-05-01T10:52:00.000Z"),
            ],
        ),
        (
            "UPDATE orders SET status = 'delivered', delivered_at = $2 WHERE public_id = $1",
            vec![Text("ORD-C"), Text("2024-05-01T10:52:03.000Z")],
        ),
        // A refund takes the sale out; its quarter row, left empty, goes.
        (
            "UPDATE orders SET status = $2 WHERE public_id = $1",
            vec![Text("ORD-A"), Text("refunded")],
        ),
        // A change to what counts moves it to another quarter.
        (
            "UPDATE orders SET paid_at = $2 WHERE public_id = $1",
            vec![Text("ORD-C"), Text("2024-05-01T11:00:00.000Z")],
        ),
        // Should one ever be deleted: its sale leaves.
        (
            "DELETE FROM orders WHERE public_id = $1",
            vec![Text("ORD-B")],
        ),
    ];
    for (sql, args) in &steps {
        let (s, p) = both(sqlite, pg, sql, args).await;
        assert_eq!((&s, &p), (&Ok(()), &Ok(())), "{sql}");
        let (s, p) = sums(sqlite, pg).await;
        assert_eq!(
            s, p,
            "sales_quarters (SQLite left, PostgreSQL right) after {sql}"
        );
    }
    let (_, p) = sums(sqlite, pg).await;
    let row = |quarter: &str, till: &str, fx: &str, n: i64, sales: i64, cost: i64| {
        let (quarter, till, fx) = (quarter.into(), till.into(), fx.into());
        (
            quarter,
            till,
            "INR".into(),
            "USD".into(),
            fx,
            n,
            n,
            sales,
            cost,
            0,
        )
    };
    assert_eq!(
        p,
        vec![row("2024-05-01T11:00", "till-1", "", 1, 170_000, 1950),]
    );
}

/// What a statement must come to on both.
enum Outcome {
    Done,
    Refused(&'static str),
    /// Refused by a key; each database words it its own way.
    Violates,
}

async fn triggers_refuse_alike(sqlite: &SqlitePool, pg: &PgPool) {
    use Outcome::{Done, Refused, Violates};
    const SHIFT: &str = "(SELECT id FROM shifts WHERE till_id = 'till-1')";
    let close = |z: i64| {
        format!(
            "UPDATE shifts SET z_number = {z}, closed_by = 'asha', closed_at = '2024-05-01T18:00:00.000Z',
                    counted_minor = 9000, report = '{{}}' WHERE till_id = 'till-1'"
        )
    };
    let steps: Vec<(String, Outcome)> = vec![
        (
            "INSERT INTO shifts (till_id, currency, float_minor, opened_by, opened_at)
             VALUES ('till-1', 'INR', 5000, 'asha', '2024-05-01T09:00:00.000Z')"
                .into(),
            Done,
        ),
        (
            "INSERT INTO shifts (till_id, currency, float_minor, opened_by, opened_at, z_number,
                 closed_by, closed_at, counted_minor, report)
             VALUES ('till-9', 'INR', 0, 'asha', 'x', 1, 'asha', 'x', 0, '{}')"
                .into(),
            Refused("a shift opens before it closes"),
        ),
        (
            format!(
                "INSERT INTO shift_cash_moves (shift_id, kind, amount_minor, reason, staff, at)
                 VALUES ({SHIFT}, 'in', 4000, 'change', 'asha', '2024-05-01T12:00:00.000Z')"
            ),
            Done,
        ),
        (
            "UPDATE shift_cash_moves SET reason = 'other'".into(),
            Refused("a cash move is never changed"),
        ),
        (close(2), Refused("Z numbers follow each other")),
        (close(1), Done),
        (
            "UPDATE shifts SET report = '{\"x\": 1}' WHERE till_id = 'till-1'".into(),
            Refused("a closed shift never changes"),
        ),
        (
            "DELETE FROM shifts WHERE till_id = 'till-1'".into(),
            Refused("a closed shift never changes"),
        ),
        (
            format!(
                "INSERT INTO shift_cash_moves (shift_id, kind, amount_minor, reason, staff, at)
                 VALUES ({SHIFT}, 'out', 100, 'late', 'asha', '2024-05-01T19:00:00.000Z')"
            ),
            Refused("a closed shift never changes"),
        ),
        (
            "DELETE FROM shift_cash_moves".into(),
            Refused("a cash move is never changed"),
        ),
        // An order and a refund stay in the shift they were given.
        (
            "INSERT INTO shifts (till_id, currency, float_minor, opened_by, opened_at)
             VALUES ('till-2', 'INR', 0, 'ravi', '2024-05-01T09:00:00.000Z')"
                .into(),
            Done,
        ),
        (
            format!("UPDATE orders SET shift_id = {SHIFT} WHERE public_id = 'ORD-C'"),
            Done,
        ),
        (
            "UPDATE orders SET shift_id = shift_id WHERE public_id = 'ORD-C'".into(),
            Done,
        ),
        (
            "UPDATE orders SET shift_id = (SELECT id FROM shifts WHERE till_id = 'till-2')
             WHERE public_id = 'ORD-C'"
                .into(),
            Refused("an order stays in the shift it was paid in"),
        ),
        (
            format!(
                "INSERT INTO refunds (order_id, amount_minor, currency, method, staff, at, shift_id)
                 SELECT id, price_minor, currency, 'cash', 'asha', 'x', {SHIFT}
                 FROM orders WHERE public_id = 'ORD-A'"
            ),
            Done,
        ),
        (
            "UPDATE refunds SET shift_id = (SELECT id FROM shifts WHERE till_id = 'till-2')".into(),
            Refused("a refund stays in the shift it was given in"),
        ),
        // An invoice never changes.
        (
            "INSERT INTO invoices (number, fy, seq, order_id, shop_tax_id, issued_at)
             SELECT 'INV-1', '2024-25', 1, id, 'GSTIN', 'x' FROM orders WHERE public_id = 'ORD-C'"
                .into(),
            Done,
        ),
        (
            "UPDATE invoices SET buyer_tax_id = 'GSTIN2'".into(),
            Refused("an invoice never changes"),
        ),
        (
            "DELETE FROM invoices".into(),
            Refused("an invoice is never deleted"),
        ),
        // NOCASE: one name, one email, whatever their case.
        (
            "INSERT INTO staff (name, role, pin_hash, created_at, updated_at)
             VALUES ('Asha', 'owner', 'h', 'x', 'x')"
                .into(),
            Done,
        ),
        (
            "INSERT INTO staff (name, role, pin_hash, created_at, updated_at)
             VALUES ('ASHA', 'cashier', 'h', 'x', 'x')"
                .into(),
            Violates,
        ),
        (
            "INSERT INTO buyers (email, created_at, last_seen_at) VALUES ('A@Shop.in', 'x', 'x')"
                .into(),
            Done,
        ),
        (
            "INSERT INTO buyers (email, created_at, last_seen_at) VALUES ('a@shop.IN', 'x', 'x')"
                .into(),
            Violates,
        ),
    ];
    for (sql, wanted) in &steps {
        let (s, p) = both(sqlite, pg, sql, &[]).await;
        for (side, got) in [("SQLite", &s), ("PostgreSQL", &p)] {
            let ok = match (wanted, got) {
                (Done, Ok(())) | (Violates, Err(_)) => true,
                (Refused(text), Err(e)) => e == text,
                _ => false,
            };
            assert!(ok, "{side}: {sql}\n  came to {got:?}");
        }
    }
    let found: i64 = sqlx::query_scalar("SELECT count(*) FROM staff WHERE name = 'asha'")
        .fetch_one(pg)
        .await
        .unwrap();
    assert_eq!(found, 1, "a name is found whatever its case");
}

#[tokio::test]
async fn the_postgres_schema_is_the_sqlite_schema() {
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
    let pg = PgPool::connect(&cluster.fresh_db().await).await.unwrap();
    sqlx::migrate!("../migrations/postgres")
        .run(&pg)
        .await
        .unwrap();

    // The catalog is read natively: sqlx's Any reads none of SQLite's own types.
    let native = SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("codetill.db")),
    )
    .await
    .unwrap();
    let sqlite = sqlite_schema(&native).await;
    assert!(
        sqlite.contains_key("orders") && sqlite.len() > 30,
        "{:?}",
        sqlite.keys()
    );
    let differences = differences(&sqlite, &pg_schema(&pg).await);
    assert!(
        differences.is_empty(),
        "the PostgreSQL schema (migrations/postgres) differs from SQLite's:\n{}",
        differences.join("\n")
    );

    sales_quarters_move_alike(&native, &pg).await;
    triggers_refuse_alike(&native, &pg).await;
    native.close().await;

    pg.close().await;
    db.close().await;
}
