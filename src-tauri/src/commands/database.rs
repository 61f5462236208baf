//! Settings → Database: where the shop's data lives (this till's SQLite file, or the
//! PostgreSQL server the shop's tills share), a server's URL tested, kept in the OS
//! keyring for the next start, or forgotten (core's
//! [`codetill_core::till::database`]). The running till never moves: the URL takes
//! effect at a restart. While `CODETILL_DATABASE_URL` chooses the database, only the
//! status answers. The owner's, each of them.

use codetill_core::till::database::{DatabaseReport, DatabaseStatus, TEST_WITHIN};
use codetill_core::till::settings::MAX_SETTING_CHARS;
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Where this till's data is now, and what its next start opens.
#[tauri::command]
pub async fn database_status(state: State<'_, AppState>) -> Result<DatabaseStatus, AppError> {
    let clerk = state.shop_clerk().await?;
    Ok(state.shop().database_status(&clerk).await?)
}

/// Connects to the server `url` names and reports on it, without moving to it.
#[tauri::command]
pub async fn database_test(
    state: State<'_, AppState>,
    url: String,
) -> Result<DatabaseReport, AppError> {
    let url = super::checked(&url, "url", MAX_SETTING_CHARS)?;
    let clerk = state.shop_clerk().await?;
    Ok(state.shop().test_database(&clerk, url, TEST_WITHIN).await?)
}

/// A URL tested and kept: what the test found, and where the next start goes.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSaved {
    pub report: DatabaseReport,
    pub status: DatabaseStatus,
    /// The till uses the server only once restarted.
    pub restart_needed: bool,
}

/// Tests `url` again, then keeps it in the keyring for the next start.
#[tauri::command]
pub async fn database_save(
    state: State<'_, AppState>,
    url: String,
) -> Result<DatabaseSaved, AppError> {
    let url = super::checked(&url, "url", MAX_SETTING_CHARS)?;
    let clerk = state.shop_clerk().await?;
    let shop = state.shop();
    let report = shop.save_database(&clerk, url, TEST_WITHIN).await?;
    let status = shop.database_status(&clerk).await?;
    Ok(DatabaseSaved {
        restart_needed: status.next.is_some(),
        report,
        status,
    })
}

/// Removes the kept URL: the next start opens this till's own SQLite file.
#[tauri::command]
pub async fn database_forget(state: State<'_, AppState>) -> Result<DatabaseStatus, AppError> {
    let clerk = state.shop_clerk().await?;
    let shop = state.shop();
    shop.forget_database(&clerk).await?;
    Ok(shop.database_status(&clerk).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn a_sqlite_till_says_where_its_file_is_and_that_nothing_changes_at_restart() {
        let app = TestApp::empty();
        let status = app.invoke("database_status", json!({})).unwrap();
        assert_eq!(status["now"]["store"], "sqlite");
        assert!(
            status["now"]["location"]
                .as_str()
                .unwrap()
                .ends_with("codetill.db"),
            "{status}"
        );
        assert_eq!(status["from_env"], false);
        assert!(status["next"].is_null(), "{status}");
        assert!(status["keyring_error"].is_null());
    }

    #[test]
    fn a_url_that_is_not_postgres_is_refused_naming_it_and_nothing_is_kept() {
        let app = TestApp::empty();
        for command in ["database_test", "database_save"] {
            for url in [
                "mysql://codetill:hunter2@db/shop",
                "db.shop.example/shop",
                "",
            ] {
                let err = app.invoke(command, json!({ "url": url })).unwrap_err();
                assert_eq!(err["code"], "errors.validation", "{command} {url:?}: {err}");
                assert!(
                    err["message"].as_str().unwrap().contains("not postgres://"),
                    "{err}"
                );
                assert!(!err.to_string().contains("hunter2"), "{err}");
            }
        }
        let status = app.invoke("database_status", json!({})).unwrap();
        assert!(status["next"].is_null(), "{status}");
        let long = format!("postgres://db/{}", "s".repeat(600));
        let err = app
            .invoke("database_test", json!({ "url": long }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
    }

    #[test]
    fn a_server_that_refuses_is_its_own_error_at_once_and_nothing_is_kept() {
        let app = TestApp::empty();
        let started = std::time::Instant::now();
        let err = app
            .invoke(
                "database_save",
                json!({ "url": "postgres://codetill:hunter2@127.0.0.1:1/shop" }),
            )
            .unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err["code"], "errors.database_server", "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains("postgres://codetill:***@127.0.0.1:1/shop"),
            "{message}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let status = app.invoke("database_status", json!({})).unwrap();
        assert!(status["next"].is_null(), "{status}");
    }

    #[test]
    fn only_the_owner_sees_tests_keeps_or_forgets_the_database() {
        let app = TestApp::empty();
        app.owner_and_cashier();
        app.invoke("lock", json!({})).unwrap();
        app.invoke("sign_in", json!({ "pin": "3333" })).unwrap();
        for (command, args) in [
            ("database_status", json!({})),
            ("database_test", json!({ "url": "postgres://db/shop" })),
            ("database_save", json!({ "url": "postgres://db/shop" })),
            ("database_forget", json!({})),
        ] {
            let err = app.invoke(command, args).unwrap_err();
            assert_eq!(err["code"], "errors.not_allowed", "{command}: {err}");
        }
        app.invoke("lock", json!({})).unwrap();
        let err = app.invoke("database_status", json!({})).unwrap_err();
        assert_eq!(err["code"], "errors.locked");
    }

    #[test]
    fn forgetting_with_nothing_kept_leaves_the_till_on_its_own_file() {
        let app = TestApp::empty();
        let status = app.invoke("database_forget", json!({})).unwrap();
        assert_eq!(status["now"]["store"], "sqlite");
        assert!(status["next"].is_null(), "{status}");
    }

    /// On a real server: an empty one is reported empty and kept for the next start
    /// (the running till stays on its file), a restart opens the server, a second
    /// till's test sees the shop there, and forgetting brings the file back at the
    /// next start.
    #[test]
    fn a_server_is_tested_kept_used_after_a_restart_and_forgotten() {
        use std::sync::Arc;

        use codetill_core::secrets::{MemoryStore, SecretStore, names};

        use crate::state::AppState;
        use crate::testing::{TestApp, block_on, pg};

        let Some(cluster) = pg::cluster() else {
            return;
        };
        let url = block_on(cluster.fresh_db());
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        let app = TestApp::on(
            block_on(AppState::open_with(dir.path(), secrets.clone())).unwrap(),
            dir,
        );

        let report = app.invoke("database_test", json!({ "url": url })).unwrap();
        assert_eq!(report["holds_shop"], false, "{report}");
        assert_eq!(report["orders"], 0);
        assert_eq!(report["staff"], 0);
        assert_eq!(report["vault"], "not_bound");
        assert!(
            report["server_version"]
                .as_str()
                .unwrap()
                .starts_with("PostgreSQL "),
            "{report}"
        );
        // The test kept nothing.
        assert!(secrets.get(names::DATABASE_URL).unwrap().is_none());
        // A password given as a parameter is not shown either.
        let with_password = format!("{url}?password=hunter2");
        let report = app
            .invoke("database_test", json!({ "url": with_password }))
            .unwrap();
        assert!(!report.to_string().contains("hunter2"), "{report}");

        let saved = app.invoke("database_save", json!({ "url": url })).unwrap();
        assert_eq!(saved["restart_needed"], true, "{saved}");
        assert_eq!(saved["status"]["now"]["store"], "sqlite");
        assert_eq!(saved["status"]["next"]["store"], "postgres");
        assert_eq!(saved["status"]["next"]["location"], url);
        assert_eq!(
            secrets.get(names::DATABASE_URL).unwrap().unwrap().expose(),
            &url
        );
        // The running till did not move; its data folder says where it goes next.
        assert!(!app.state().shop().db().is_postgres());
        let marker = app
            .state()
            .shop()
            .data_dir()
            .join(codetill_core::till::database::SERVER_MARKER);
        assert!(marker.is_file(), "{}", marker.display());
        assert!(
            !std::fs::read_to_string(&marker)
                .unwrap()
                .contains("hunter2")
        );
        let audit = block_on(codetill_core::staff::audit::recent(
            app.state().shop().db(),
            10,
        ))
        .unwrap();
        assert!(
            audit.iter().any(|r| r
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("database at the next start"))),
            "{audit:?}"
        );

        // The restart: the same data folder and keyring.
        let data = tempfile::tempdir().unwrap();
        let restarted = TestApp::on(
            block_on(AppState::open_with(data.path(), secrets.clone())).unwrap(),
            data,
        );
        assert!(restarted.state().shop().db().is_postgres());
        let status = restarted.invoke("database_status", json!({})).unwrap();
        assert_eq!(status["now"]["store"], "postgres", "{status}");
        assert_eq!(status["now"]["location"], url);
        assert_eq!(status["from_env"], false);
        assert!(status["next"].is_null(), "{status}");
        // A shop on the server now: its owner and a cashier.
        restarted.owner_and_cashier();
        let joined = app.invoke("database_test", json!({ "url": url })).unwrap();
        assert_eq!(joined["holds_shop"], true, "{joined}");
        assert_eq!(joined["staff"], 2);

        let status = restarted.invoke("database_forget", json!({})).unwrap();
        assert_eq!(status["now"]["store"], "postgres");
        assert_eq!(status["next"]["store"], "sqlite", "{status}");
        assert!(secrets.get(names::DATABASE_URL).unwrap().is_none());
        // The first till's folder forgets where it was to go, with the URL.
        app.invoke("database_forget", json!({})).unwrap();
        assert!(!marker.exists(), "forgotten with the URL");
    }

    /// A till whose database the environment chose: the status says so, and
    /// Settings neither keeps nor forgets a URL.
    #[test]
    fn a_database_chosen_by_the_environment_is_read_only_here() {
        use std::sync::Arc;

        use codetill_core::secrets::MemoryStore;
        use codetill_core::till::{ShopUrl, Till, UrlFrom};

        use crate::state::AppState;
        use crate::testing::{TestApp, block_on, pg};

        let Some(cluster) = pg::cluster() else {
            return;
        };
        let url = block_on(cluster.fresh_db());
        let dir = tempfile::tempdir().unwrap();
        let core = block_on(Till::open_shop_on(
            dir.path(),
            Arc::new(MemoryStore::default()),
            Some(ShopUrl::new(url.clone(), UrlFrom::Environment)),
        ))
        .unwrap();
        let app = TestApp::on(block_on(AppState::on(core)).unwrap(), dir);
        let status = app.invoke("database_status", json!({})).unwrap();
        assert_eq!(status["from_env"], true, "{status}");
        assert_eq!(status["now"]["store"], "postgres");
        for (command, args) in [
            ("database_save", json!({ "url": url })),
            ("database_forget", json!({})),
        ] {
            let err = app.invoke(command, args).unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{command}: {err}");
            assert!(
                err["message"]
                    .as_str()
                    .unwrap()
                    .contains("CODETILL_DATABASE_URL"),
                "{err}"
            );
        }
        // A test still answers: it changes nothing.
        let report = app.invoke("database_test", json!({ "url": url })).unwrap();
        assert_eq!(report["url"], url);
    }
}
