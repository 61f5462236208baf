#![allow(clippy::unwrap_used)]
use super::*;
use crate::secrets::MemoryStore;

async fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("a.db")).await.unwrap();
    (dir, db)
}

fn reloadly() -> NewAccount {
    NewAccount {
        name: "rl-main".into(),
        kind: "reloadly".into(),
        url: "https://giftcards-sandbox.reloadly.com/".into(),
        auth_url: Some("https://auth.reloadly.com".into()),
        account: None,
        account_currency: Some("usd".into()),
    }
}

#[tokio::test]
async fn accounts_are_added_listed_switched_and_removed_with_their_keys() {
    let (_dir, db) = db().await;
    let secrets: Arc<MemoryStore> = Arc::new(MemoryStore::default());
    let key = Redacted::new("client:secret".to_string());
    let added = add(&db, secrets.clone(), &reloadly(), Some(key))
        .await
        .unwrap();
    assert_eq!(added.url, "https://giftcards-sandbox.reloadly.com");
    assert_eq!(added.account_currency.as_deref(), Some("USD"));
    assert_eq!(
        secrets
            .get("supplier-key/rl-main")
            .unwrap()
            .unwrap()
            .expose(),
        "client:secret"
    );
    let bamboo = NewAccount {
        name: "bamboo".into(),
        kind: "bamboo".into(),
        url: "https://api.bamboocardportal.com".into(),
        account: Some("1234".into()),
        ..Default::default()
    };
    add(&db, secrets.clone(), &bamboo, None).await.unwrap();
    let names: Vec<_> = list(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["rl-main", "bamboo"]);
    assert!(!set_enabled(&db, "bamboo", false).await.unwrap().enabled);
    assert!(set_enabled(&db, "bamboo", true).await.unwrap().enabled);
    assert!(matches!(
        add(&db, secrets.clone(), &reloadly(), None).await,
        Err(AccountError::Exists(_))
    ));
    remove(&db, secrets.clone(), "rl-main").await.unwrap();
    assert!(secrets.get("supplier-key/rl-main").unwrap().is_none());
    assert!(matches!(
        get(&db, "rl-main").await,
        Err(AccountError::NotFound(_))
    ));
    assert!(matches!(
        set_enabled(&db, "nobody", true).await,
        Err(AccountError::NotFound(_))
    ));
}

#[tokio::test]
async fn bad_accounts_are_refused_with_the_field_named_and_nothing_written() {
    let (_dir, db) = db().await;
    let secrets: Arc<MemoryStore> = Arc::new(MemoryStore::default());
    let with = |f: &dyn Fn(&mut NewAccount)| {
        let mut a = reloadly();
        f(&mut a);
        a
    };
    for (new, field) in [
        (with(&|a| a.kind = "amazon".into()), "kind"),
        (with(&|a| a.url = "not a url".into()), "url"),
        (with(&|a| a.url = "ftp://x.example".into()), "url"),
        (with(&|a| a.auth_url = Some("nope".into())), "auth-url"),
        (with(&|a| a.name = "has space".into()), "name"),
        (with(&|a| a.name = String::new()), "name"),
        (
            with(&|a| a.account_currency = Some("DOLLARS".into())),
            "account-currency",
        ),
        (
            with(&|a| {
                a.kind = "bamboo".into();
                a.auth_url = None;
            }),
            "account",
        ),
        (
            with(&|a| {
                a.kind = "bamboo".into();
                a.auth_url = None;
                a.account = Some("acct-7".into());
            }),
            "account",
        ),
        (
            with(&|a| {
                a.kind = "ding".into();
                a.auth_url = None;
            }),
            "account",
        ),
        (with(&|a| a.kind = "wholesale".into()), "auth-url"),
    ] {
        let err = add(&db, secrets.clone(), &new, Some(Redacted::new("k".into())))
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{field}:")),
            "{new:?}: {err}"
        );
        assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    }
    let empty_key = add(
        &db,
        secrets.clone(),
        &reloadly(),
        Some(Redacted::new("  ".into())),
    )
    .await
    .unwrap_err();
    assert!(empty_key.to_string().starts_with("key:"), "{empty_key}");
    assert!(list(&db).await.unwrap().is_empty());
    assert!(secrets.get("supplier-key/rl-main").unwrap().is_none());
}
