//! The `codetill` binary as scripts and other programs see it: output, --json and
//! the exit codes of `shared/contracts/cli.md`.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use codetill_sandbox::{SandboxConfig, SandboxHandle};

struct Till {
    dir: tempfile::TempDir,
    supplier: Option<String>,
}

impl Till {
    fn new(supplier: Option<&SandboxHandle>) -> Till {
        Till {
            dir: tempfile::tempdir().unwrap(),
            supplier: supplier.map(|s| s.base_url()),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codetill"));
        cmd.args(args)
            .env("CODETILL_DATA_DIR", self.dir.path())
            .env_remove("CODETILL_SUPPLIER_URL")
            .env_remove("CODETILL_SUPPLIER_KEY")
            .stdin(Stdio::null());
        if let Some(url) = &self.supplier {
            cmd.env("CODETILL_SUPPLIER_URL", url)
                .env("CODETILL_SUPPLIER_KEY", "sandbox-key");
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn sandbox(products: usize) -> SandboxHandle {
    codetill_sandbox::spawn(
        ([127, 0, 0, 1], 0).into(),
        SandboxConfig {
            products,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_sync_search_against_the_sandbox() {
    let sb = sandbox(500).await;
    let till = Till::new(Some(&sb));
    let init = till.run(&["init"]);
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    assert_eq!(code(&till.run(&["init"])), 0, "init is safe to repeat");

    let sync = till.run(&["sync", "--json"]);
    assert_eq!(code(&sync), 0, "{}", stderr(&sync));
    let report: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap();
    assert_eq!(report["inserted"], 500);

    let search = till.run(&["search", "steam 20", "--json"]);
    assert_eq!(code(&search), 0, "{}", stderr(&search));
    let hits: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    let first = &hits.as_array().unwrap()[0];
    for field in ["sku", "name", "region", "price", "currency", "in_stock"] {
        assert!(first.get(field).is_some(), "missing {field} in {first}");
    }
    assert!(first["price"].is_string(), "money is a decimal string");

    let human = till.run(&["search", "steam us 20"]);
    assert!(stdout(&human).contains("STEAM-US-20"), "{}", stdout(&human));

    let balance = till.run(&["balance", "--json"]);
    assert_eq!(code(&balance), 0, "{}", stderr(&balance));
    let b: serde_json::Value = serde_json::from_slice(&balance.stdout).unwrap();
    assert_eq!(b["currency"], "USD");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_and_changes_nothing() {
    let sb = sandbox(100).await;
    let till = Till::new(Some(&sb));
    assert_eq!(code(&till.run(&["init"])), 0);
    assert_eq!(
        code(&till.run(&[
            "pricing", "set", "--fee", "3", "--fx", "2", "--margin", "10"
        ])),
        0
    );
    let state = |till: &Till| {
        let rules = stdout(&till.run(&["pricing", "show", "--json"]));
        let supplier = stdout(&till.run(&["supplier", "show", "--json"]));
        let prices = stdout(&till.run(&["search", "steam", "--json", "--limit", "200"]));
        (rules, supplier, prices)
    };
    assert_eq!(code(&till.run(&["sync"])), 0);
    let before = state(&till);
    assert!(before.0.contains("\"margin_pct\": \"10\""), "{}", before.0);

    let cases: &[&[&str]] = &[
        &[
            "pricing", "set", "--fee", "abc", "--fx", "2", "--margin", "10",
        ],
        &[
            "pricing", "set", "--fee", "50", "--fx", "30", "--margin", "20",
        ],
        &[
            "pricing", "set", "--fee", "-1", "--fx", "2", "--margin", "10",
        ],
        &[
            "pricing",
            "set",
            "--fee",
            "1",
            "--fx",
            "2",
            "--margin",
            "10",
            "--round-to",
            ".98",
        ],
        &[
            "pricing",
            "set",
            "--category",
            "toasters",
            "--fee",
            "1",
            "--fx",
            "2",
            "--margin",
            "10",
        ],
        &[
            "pricing",
            "set",
            "--fee",
            "1",
            "--fx",
            "2",
            "--margin",
            "10",
            "--floor",
            "1",
            "--currency",
            "XXX",
        ],
        &["search", "steam", "--limit", "0"],
        &["search", "steam", "--limit", "many"],
        &["supplier", "set", "--url", "ftp://example.com"],
        &["supplier", "set", "--url", "not a url"],
        &["no-such-command"],
        &["sync", "--full", "--incremental"],
    ];
    for args in cases {
        let o = till.run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty(), "{args:?} gave no reason");
    }
    let err = stderr(&till.run(&[
        "pricing", "set", "--fee", "50", "--fx", "30", "--margin", "20",
    ]));
    assert!(err.contains("margin"), "the message names the field: {err}");
    assert_eq!(before, state(&till), "bad input changed something");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn supplier_problems_exit_1_with_one_line() {
    let till = Till::new(None);
    let o = till.run(&["sync"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("no supplier configured"),
        "{}",
        stderr(&o)
    );

    let sb = sandbox(50).await;
    let mut cmd = till.cmd(&["sync"]);
    cmd.env("CODETILL_SUPPLIER_URL", sb.base_url())
        .env("CODETILL_SUPPLIER_KEY", "wrong-key");
    let o = cmd.output().unwrap();
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("API key"), "{}", stderr(&o));
    assert_eq!(
        stderr(&o)
            .trim()
            .lines()
            .filter(|l| l.starts_with("codetill: error"))
            .count(),
        1
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_document_and_pricing_reprices() {
    let sb = sandbox(200).await;
    let till = Till::new(Some(&sb));
    assert_eq!(code(&till.run(&["sync"])), 0);
    let before: serde_json::Value = serde_json::from_slice(
        &till
            .run(&["search", "STEAM-US-20", "--json", "--limit", "1"])
            .stdout,
    )
    .unwrap();
    let set = till.run(&[
        "--json",
        "pricing",
        "set",
        "--fee",
        "3",
        "--fx",
        "2",
        "--margin",
        "30",
        "--round-to",
        "1",
    ]);
    assert_eq!(code(&set), 0, "{}", stderr(&set));
    let v: serde_json::Value = serde_json::from_slice(&set.stdout).unwrap();
    assert_eq!(v["repriced"]["products"], 200);
    let after: serde_json::Value = serde_json::from_slice(
        &till
            .run(&["search", "STEAM-US-20", "--json", "--limit", "1"])
            .stdout,
    )
    .unwrap();
    assert_ne!(before[0]["price"], after[0]["price"]);
    assert!(
        after[0]["price"].as_str().unwrap().ends_with(".00"),
        "{after}"
    );
    sb.shutdown().await;
}
