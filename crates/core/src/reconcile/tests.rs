#![allow(clippy::unwrap_used)]
use super::*;

async fn db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
    (db, dir)
}

fn topup(amount: &str, currency: &str, date: &str) -> NewTopup {
    NewTopup {
        supplier: String::new(),
        amount: amount.into(),
        currency: currency.into(),
        date: date.into(),
        reference: Some("BANK-1".into()),
        staff: "asha".into(),
    }
}

#[tokio::test]
async fn a_top_up_is_recorded_and_listed() {
    let (db, _dir) = db().await;
    let t = topups::record(&db, &topup("250.00", "usd", "2026-11-30"))
        .await
        .unwrap();
    assert_eq!(t.amount.amount_string(), "250.00");
    assert_eq!(
        t.at, "2026-11-30T23:59:59.999Z",
        "a past day counts at its end"
    );
    let listed = topups::list(&db, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    let l = &listed[0];
    assert_eq!(
        (l.id, l.amount, &l.at, &l.reference, &l.supplier),
        (t.id, t.amount, &t.at, &t.reference, &None)
    );
    assert!(topups::list(&db, Some("rl-main")).await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_top_ups_name_the_field_and_store_nothing() {
    let (db, _dir) = db().await;
    for (new, field) in [
        (topup("-5", "USD", ""), "AMOUNT"),
        (topup("0", "USD", ""), "AMOUNT"),
        (topup("ten", "USD", ""), "AMOUNT"),
        (topup("1.234", "USD", ""), "AMOUNT"),
        (topup("10", "XXX", ""), "--currency"),
        (topup("10", "USD", "yesterday"), "--date"),
        (topup("10", "USD", "2999-01-01"), "--date"),
        (
            NewTopup {
                supplier: "nobody".into(),
                ..topup("10", "USD", "")
            },
            "--supplier",
        ),
    ] {
        match topups::record(&db, &new).await {
            Err(ReconcileError::BadInput { field: f, .. }) => assert_eq!(f, field, "{new:?}"),
            other => panic!("{new:?}: {other:?}"),
        }
    }
    assert!(topups::list(&db, None).await.unwrap().is_empty());
}

#[test]
fn since_reads_a_day_or_a_time() {
    assert_eq!(
        parse_since("2026-12-01").unwrap().to_rfc3339(),
        "2026-12-01T00:00:00+00:00"
    );
    assert_eq!(
        parse_since("2026-12-01T10:00:00+02:00")
            .unwrap()
            .to_rfc3339(),
        "2026-12-01T08:00:00+00:00"
    );
    assert!(matches!(
        parse_since("last week"),
        Err(ReconcileError::BadInput {
            field: "--since",
            ..
        })
    ));
}

#[test]
fn a_days_run_covers_the_day_before() {
    let now = DateTime::parse_from_rfc3339("2026-12-04T00:20:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let w = yesterday(now);
    assert_eq!(w.from.to_rfc3339(), "2026-12-03T00:00:00+00:00");
    assert_eq!(w.to.to_rfc3339(), "2026-12-04T00:00:00+00:00");
}
