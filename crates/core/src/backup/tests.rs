#![allow(clippy::unwrap_used)]

use super::*;
use crate::db::db_path;
use crate::secrets::MemoryStore;

/// A data folder with a database bound to a key kept in its own secret store, and
/// an audit row and a setting to tell it by.
async fn shop(label: &str) -> (tempfile::TempDir, Arc<MemoryStore>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(dir.path())).await.unwrap();
    let secrets = Arc::new(MemoryStore::default());
    Vault::open(&db, dir.path(), secrets.clone()).await.unwrap();
    crate::settings::set(db.pool(), crate::settings::SHOP_NAME, label)
        .await
        .unwrap();
    let mut tx = db.begin_write().await.unwrap();
    audit::record(
        &mut tx,
        &audit::Entry {
            actor: "owner",
            action: "settings",
            detail: Some(label),
            ..audit::Entry::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    settle(dir.path()).await;
    (dir, secrets)
}

/// Waits until the last connection's close has folded the write-ahead log into the
/// database file (SQLite does it as the connection's thread closes it, a moment
/// after the pool says it closed), so that a snapshot of the folder is stable.
async fn settle(dir: &Path) {
    let wal = dir.join(format!("{}-wal", crate::db::DB_FILE));
    for _ in 0..100 {
        if !wal.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn shop_name(dir: &Path) -> Option<String> {
    let db = Db::open(&db_path(dir)).await.unwrap();
    let name = crate::settings::get(db.pool(), crate::settings::SHOP_NAME)
        .await
        .unwrap();
    db.close().await;
    name
}

/// The data folder's files and their bytes (shown as a length and a hash when they
/// differ).
fn snapshot(dir: &Path) -> Vec<(String, FileBytes)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                FileBytes(std::fs::read(&p).unwrap()),
            )
        })
        .collect();
    files.sort();
    files
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct FileBytes(Vec<u8>);

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut h);
        write!(f, "{} bytes, hash {:016x}", self.0.len(), h.finish())
    }
}

#[tokio::test]
async fn a_backup_is_a_whole_single_file_and_never_overwrites() {
    let (dir, _) = shop("Corner Shop").await;
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("b.db");
    let made = create(&db_path(dir.path()), &dest).await.unwrap();
    assert_eq!(made.path, dest);
    assert_eq!(made.audit_head_id, Some(1));
    let mut header = [0u8; 16];
    std::io::Read::read_exact(&mut std::fs::File::open(&dest).unwrap(), &mut header).unwrap();
    assert_eq!(&header, SQLITE_HEADER);
    // One file: no WAL beside it, nothing left half-written.
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["b.db"]);
    assert!(matches!(
        create(&db_path(dir.path()), &dest).await,
        Err(BackupError::BadPath { .. })
    ));
    // A folder gets a dated file inside it.
    let in_folder = create(&db_path(dir.path()), out.path()).await.unwrap();
    assert!(in_folder.path.starts_with(out.path()));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        create(&db_path(empty.path()), &dest).await,
        Err(BackupError::NoDatabase(_))
    ));
}

#[tokio::test]
async fn restore_of_a_garbage_file_changes_nothing() {
    let (dir, secrets) = shop("Corner Shop").await;
    let before = snapshot(dir.path());
    let junk = dir
        .path()
        .parent()
        .unwrap()
        .join(format!("junk-{}.db", std::process::id()));
    let cases: [&[u8]; 3] = [
        b"",
        b"this is not a database at all, just some text",
        // The right header, then nothing a database holds.
        b"SQLite format 3\0garbage garbage garbage garbage garbage",
    ];
    for bytes in cases {
        std::fs::write(&junk, bytes).unwrap();
        match restore(dir.path(), &junk, secrets.clone(), "owner").await {
            Err(BackupError::NotABackup { path, .. }) => assert_eq!(path, junk),
            other => panic!("{bytes:?}: {other:?}"),
        }
        assert_eq!(snapshot(dir.path()), before, "the data folder is as it was");
    }
    std::fs::remove_file(&junk).unwrap();
    let missing = dir.path().join("no-such-file.db");
    assert!(matches!(
        restore(dir.path(), &missing, secrets, "owner").await,
        Err(BackupError::NotABackup { .. })
    ));
    assert_eq!(snapshot(dir.path()), before);
}

#[tokio::test]
async fn restore_refuses_an_sqlite_file_that_is_not_codetills() {
    let (dir, secrets) = shop("Corner Shop").await;
    let other = tempfile::tempdir().unwrap();
    let foreign = other.path().join("other.db");
    let conn = Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    drop(conn);
    let before = snapshot(dir.path());
    match restore(dir.path(), &foreign, secrets, "owner").await {
        Err(BackupError::NotABackup { why, .. }) => {
            assert!(why.contains("no codetill migrations"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(dir.path()), before);
}

#[tokio::test]
async fn restore_refuses_a_backup_sealed_under_another_key() {
    let (dir, secrets) = shop("This Shop").await;
    let (elsewhere, _other_key) = shop("Another Shop").await;
    let out = tempfile::tempdir().unwrap();
    let foreign = out.path().join("theirs.db");
    create(&db_path(elsewhere.path()), &foreign).await.unwrap();
    let before = snapshot(dir.path());
    match restore(dir.path(), &foreign, secrets, "owner").await {
        Err(BackupError::Vault(e)) => assert!(e.to_string().contains("key"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(shop_name(dir.path()).await.as_deref(), Some("This Shop"));
}

#[tokio::test]
async fn restore_puts_the_backup_in_place_and_keeps_the_old_database() {
    let (dir, secrets) = shop("Monday").await;
    let out = tempfile::tempdir().unwrap();
    let monday = out.path().join("monday.db");
    create(&db_path(dir.path()), &monday).await.unwrap();
    {
        let db = Db::open(&db_path(dir.path())).await.unwrap();
        crate::settings::set(db.pool(), crate::settings::SHOP_NAME, "Tuesday")
            .await
            .unwrap();
        db.close().await;
    }
    let restored = restore(dir.path(), &monday, secrets, "Meera")
        .await
        .unwrap();
    assert_eq!(restored.kept, Some(dir.path().join(BEFORE_RESTORE)));
    assert_eq!(shop_name(dir.path()).await.as_deref(), Some("Monday"));
    let kept = Connection::open(dir.path().join(BEFORE_RESTORE)).unwrap();
    let name: String = kept
        .query_row(
            "SELECT value FROM settings WHERE key = $1",
            [crate::settings::SHOP_NAME],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Tuesday");
    assert!(!dir.path().join(RESTORING).exists());
    // The restore is in the restored database's audit log, chained on.
    let db = Db::open(&db_path(dir.path())).await.unwrap();
    let report = audit::verify(&db).await.unwrap();
    assert!(report.holds(), "{report:?}");
    let actor: String = sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = 'restore'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(actor, "Meera");
}

#[tokio::test]
async fn restore_is_refused_while_the_database_is_open_elsewhere() {
    let (dir, secrets) = shop("Open").await;
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("copy.db");
    create(&db_path(dir.path()), &copy).await.unwrap();
    let open = Db::open(&db_path(dir.path())).await.unwrap();
    assert!(matches!(
        restore(dir.path(), &copy, secrets, "owner").await,
        Err(BackupError::InUse)
    ));
    assert!(!dir.path().join(RESTORING).exists());
    assert!(!dir.path().join(BEFORE_RESTORE).exists());
    // The till that had it open goes on as before.
    crate::settings::set(open.pool(), crate::settings::SHOP_NAME, "Still open")
        .await
        .unwrap();
    open.close().await;
    assert_eq!(shop_name(dir.path()).await.as_deref(), Some("Still open"));
}

#[tokio::test]
async fn the_daily_backup_is_made_once_a_day_and_the_last_fourteen_are_kept() {
    let (dir, _) = shop("Daily").await;
    let db = Db::open(&db_path(dir.path())).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("notes.txt"), "the owner's own file").unwrap();
    let day0 = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for i in 0..20 {
        let day = day0 + chrono::Duration::days(i);
        assert!(daily(&db, folder.path(), day).await.unwrap().is_some());
        assert!(
            daily(&db, folder.path(), day).await.unwrap().is_none(),
            "once a day"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), KEEP_DAILY + 1);
    assert_eq!(names[0], "codetill-2026-01-07.db");
    assert_eq!(names[KEEP_DAILY - 1], "codetill-2026-01-20.db");
    assert_eq!(names[KEEP_DAILY], "notes.txt");
}
