//! A supplier account reaches its supplier: the client built from the account (its
//! kind, address, token host and the key kept under its name) reads the balance of
//! the sandbox speaking Wholesale API v1 and Reloadly; an account without a key says so.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use codetill_core::secrets::{MemoryStore, SecretStore};
use codetill_core::setup::{SetupError, account_supplier};
use codetill_core::supplier::accounts::{self, NewAccount};
use codetill_e2e::{KEY, RELOADLY_CLIENT_ID, Sandbox};
use codetill_sandbox::Flavor;

#[tokio::test]
async fn an_account_reads_its_suppliers_balance() {
    let (_dir, db) = codetill_e2e::temp_db().await.unwrap();
    let secrets = Arc::new(MemoryStore::default());
    let wholesale = Sandbox::start(20).await.unwrap();
    let reloadly = Sandbox::start_flavor(20, Flavor::Reloadly).await.unwrap();
    let cases = [
        ("main", "wholesale", &wholesale, None, KEY.to_string()),
        (
            "rl",
            "reloadly",
            &reloadly,
            Some(reloadly.url()),
            format!("{RELOADLY_CLIENT_ID}:{KEY}"),
        ),
    ];
    for (name, kind, sandbox, auth_url, key) in cases {
        let new = NewAccount {
            name: name.into(),
            kind: kind.into(),
            url: sandbox.url(),
            auth_url,
            ..Default::default()
        };
        let account = accounts::add(
            &db,
            secrets.clone(),
            &new,
            Some(codetill_core::secrets::Redacted::new(key)),
        )
        .await
        .unwrap();
        let supplier = account_supplier(secrets.clone(), &account).await.unwrap();
        let balance = supplier.balance().await.unwrap();
        assert!(
            balance.available.amount > rust_decimal::Decimal::ZERO,
            "{name}"
        );
    }
    // Without its key an account cannot be reached, and says why.
    secrets.delete("supplier-key/main").unwrap();
    let main = accounts::get(&db, "main").await.unwrap();
    assert!(matches!(
        account_supplier(secrets.clone(), &main).await,
        Err(SetupError::NoKey)
    ));
}
