//! The app on Tauri's mock runtime, for the command tests: a temp data folder, the
//! demo catalog fixture or the sandbox supplier, and `invoke` through the IPC layer
//! exactly as the UI calls it.
#![allow(clippy::unwrap_used)]

use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{State, WebviewWindow};

use std::sync::Arc;

use crate::alerts::Notifier;
use crate::state::AppState;
use crate::till::Clerk;

/// Tests never put notifications on a developer's desktop.
pub struct Quiet;

impl Notifier for Quiet {
    fn notify(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
}

/// The throwaway PostgreSQL the workspace's tests share (see its own header).
#[path = "../../crates/relay/tests/common/pg.rs"]
pub mod pg;

pub const DEMO_CATALOG: &str = include_str!("../tests/fixtures/counter-demo.sql");

/// Products the sandbox generates for tests (small: a sync in well under a second).
pub const TEST_PRODUCTS: usize = 300;

pub struct TestApp {
    pub app: tauri::App<MockRuntime>,
    _dir: tempfile::TempDir,
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tauri::async_runtime::block_on(f)
}

pub fn clerk() -> Clerk {
    Clerk {
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        role: codetill_core::staff::Role::Owner,
        staff_id: None,
    }
}

impl TestApp {
    /// A shop with no supplier, its catalog loaded from the counter fixture.
    pub fn with_demo_catalog() -> TestApp {
        TestApp::open(|state| {
            block_on(async {
                sqlx::raw_sql(DEMO_CATALOG)
                    .execute(state.till().db().pool())
                    .await
                    .unwrap();
            })
        })
    }

    /// A shop with nothing in it: no supplier, no catalog (a first run).
    pub fn empty() -> TestApp {
        TestApp::open(|_| {})
    }

    /// An owner, Meera (PIN 1234), signed in, and a cashier, Asha (PIN 3333).
    pub fn owner_and_cashier(&self) {
        self.invoke("lock", serde_json::json!({})).unwrap();
        self.invoke(
            "create_owner",
            serde_json::json!({ "name": "Meera", "pin": "1234" }),
        )
        .unwrap();
        self.invoke(
            "add_staff",
            serde_json::json!({ "name": "Asha", "role": "cashier", "pin": "3333" }),
        )
        .unwrap();
    }

    /// A session switched to the sandbox demo (a small catalog, synced).
    pub fn demo() -> TestApp {
        let app = TestApp::empty();
        block_on(
            app.state()
                .start_demo(TEST_PRODUCTS, &codetill_core::progress::NoProgress),
        )
        .unwrap();
        app
    }

    fn open(prepare: impl FnOnce(&AppState)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(codetill_core::secrets::MemoryStore::default());
        let state = block_on(AppState::open_with(dir.path(), secrets)).unwrap();
        prepare(&state);
        TestApp::on(state, dir)
    }

    /// The app over `state`, opened on the data folder `dir` (kept as long as the
    /// app), with the owner signed in.
    pub fn on(state: AppState, dir: tempfile::TempDir) -> TestApp {
        let state = state
            .with_clerk(clerk())
            .with_demo_requested(false)
            .with_notifier(Arc::new(Quiet));
        let app = crate::configure(mock_builder(), state)
            .build(mock_context(noop_assets()))
            .unwrap();
        TestApp { app, _dir: dir }
    }

    pub fn state(&self) -> State<'_, AppState> {
        self.app.state::<AppState>()
    }

    fn webview(&self) -> WebviewWindow<MockRuntime> {
        match self.app.get_webview_window("main") {
            Some(w) => w,
            None => tauri::WebviewWindowBuilder::new(&self.app, "main", Default::default())
                .build()
                .unwrap(),
        }
    }

    /// Invokes `cmd` through the IPC layer, as the UI does, and returns the JSON.
    pub fn invoke(
        &self,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview(), request).map(|body| body.deserialize().unwrap())
    }
}

impl TestApp {
    /// POSTs to one of the demo sandbox's `/_sandbox/` controls (faults, stock…).
    pub fn sandbox_control(&self, path: &str, body: serde_json::Value) {
        let url = format!(
            "{}/_sandbox/{path}",
            self.state()
                .till()
                .demo()
                .expect("a demo session")
                .supplier_url()
        );
        block_on(async {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
        });
    }

    /// A cash sale of `sku` through the IPC layer.
    pub fn sell_cash(
        &self,
        sku: &str,
        tendered: &str,
    ) -> Result<serde_json::Value, serde_json::Value> {
        self.invoke(
            "sell_cash",
            serde_json::json!({ "sku": sku, "tendered": tendered }),
        )
    }
}
