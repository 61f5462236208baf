#![allow(clippy::unwrap_used)]

use super::*;

async fn shop() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("staff.db")).await.unwrap();
    (dir, db)
}

async fn with_staff() -> (tempfile::TempDir, Db) {
    let (dir, db) = shop().await;
    add_first_owner(&db, "Meera", "1111").await.unwrap();
    for (name, role, pin) in [
        ("Ravi", Role::Manager, "2222"),
        ("Asha", Role::Cashier, "3333"),
    ] {
        add(&db, &NewMember { name, role, pin }, "Meera")
            .await
            .unwrap();
    }
    (dir, db)
}

#[tokio::test]
async fn the_first_run_makes_the_owner_once() {
    let (_dir, db) = shop().await;
    assert!(needs_owner(&db).await.unwrap());
    let owner = add_first_owner(&db, " Meera ", "1111").await.unwrap();
    assert_eq!((owner.name.as_str(), owner.role), ("Meera", Role::Owner));
    assert!(!needs_owner(&db).await.unwrap());
    assert!(matches!(
        add_first_owner(&db, "Someone", "9999").await,
        Err(StaffError::HasOwner)
    ));
    assert_eq!(list(&db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_adds_nobody() {
    let (_dir, db) = with_staff().await;
    let cases = [
        ("name", "", "1234"),
        ("name", "x\u{7}y", "1234"),
        ("pin", "Kiran", "12"),
        ("pin", "Kiran", "12ab"),
        ("pin", "Kiran", "3333"),
    ];
    for (field, name, pin) in cases {
        let new = NewMember {
            name,
            role: Role::Cashier,
            pin,
        };
        match add(&db, &new, "Meera").await {
            Err(StaffError::BadInput { field: f, message }) => {
                assert_eq!(f, field, "{message}");
                assert!(message.starts_with(field), "{message}");
            }
            other => panic!("{name:?}/{pin:?}: {other:?}"),
        }
    }
    assert!(matches!(
        "chef".parse::<Role>(),
        Err(StaffError::BadInput { field: "role", .. })
    ));
    let same = NewMember {
        name: "asha",
        role: Role::Cashier,
        pin: "4444",
    };
    assert!(matches!(
        add(&db, &same, "Meera").await,
        Err(StaffError::Exists(_))
    ));
    assert_eq!(list(&db).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_pin_alone_names_its_owner_and_a_name_narrows_it() {
    let (_dir, db) = with_staff().await;
    assert_eq!(login(&db, None, "2222").await.unwrap().name, "Ravi");
    assert_eq!(login(&db, Some("asha"), "3333").await.unwrap().name, "Asha");
    assert!(matches!(
        login(&db, Some("Asha"), "2222").await,
        Err(StaffError::WrongPin { left: 4 })
    ));
    assert!(matches!(
        login(&db, None, "5555").await,
        Err(StaffError::WrongPin { .. })
    ));
}

#[tokio::test]
async fn five_wrong_pins_lock_that_member_for_a_minute_across_a_restart() {
    let (dir, db) = with_staff().await;
    let t0 = Utc::now();
    for left in (1..=4).rev() {
        match login_at(&db, Some("Asha"), "0000", t0).await {
            Err(StaffError::WrongPin { left: l }) => assert_eq!(l, left),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        login_at(&db, Some("Asha"), "0000", t0).await,
        Err(StaffError::Locked { seconds: 60, .. })
    ));
    // Locked: even the right PIN, named or alone, is refused; others sign in.
    db.close().await;
    let db = Db::open(&dir.path().join("staff.db")).await.unwrap();
    let later = t0 + chrono::Duration::seconds(30);
    assert!(matches!(
        login_at(&db, Some("Asha"), "3333", later).await,
        Err(StaffError::Locked { seconds: 30, .. })
    ));
    assert!(matches!(
        login_at(&db, None, "3333", later).await,
        Err(StaffError::Locked { .. })
    ));
    assert_eq!(
        login_at(&db, Some("Ravi"), "2222", later)
            .await
            .unwrap()
            .name,
        "Ravi"
    );
    let after = t0 + chrono::Duration::seconds(61);
    assert_eq!(
        login_at(&db, Some("Asha"), "3333", after)
            .await
            .unwrap()
            .name,
        "Asha"
    );
    // The lock is in the audit log.
    let locked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'locked'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(locked, 1);
}

#[tokio::test]
async fn five_wrong_pins_alone_lock_the_pad_not_a_member() {
    let (_dir, db) = with_staff().await;
    let t0 = Utc::now();
    for _ in 0..4 {
        assert!(matches!(
            login_at(&db, None, "9876", t0).await,
            Err(StaffError::WrongPin { .. })
        ));
    }
    match login_at(&db, None, "9876", t0).await {
        Err(StaffError::Locked { who, .. }) => assert_eq!(who, "the PIN pad"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        login_at(&db, None, "3333", t0).await,
        Err(StaffError::Locked { .. })
    ));
    // With a name, a member still signs in.
    assert!(login_at(&db, Some("Asha"), "3333", t0).await.is_ok());
    let after = t0 + chrono::Duration::seconds(61);
    assert_eq!(
        login_at(&db, None, "3333", after).await.unwrap().name,
        "Asha"
    );
}

#[tokio::test]
async fn a_right_pin_at_the_pad_does_not_clear_the_pads_count() {
    let (_dir, db) = with_staff().await;
    let t0 = Utc::now();
    // Four guesses, then one's own PIN, then a fifth guess: the pad locks.
    for _ in 0..4 {
        let _ = login_at(&db, None, "9876", t0).await;
    }
    assert_eq!(login_at(&db, None, "3333", t0).await.unwrap().name, "Asha");
    match login_at(&db, None, "9875", t0).await {
        Err(StaffError::Locked { who, .. }) => assert_eq!(who, "the PIN pad"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn typos_at_the_pad_older_than_its_window_are_forgotten() {
    let (_dir, db) = with_staff().await;
    let t0 = Utc::now();
    for _ in 0..4 {
        let _ = login_at(&db, None, "9876", t0).await;
    }
    let later = t0 + chrono::Duration::seconds(PAD_WINDOW.as_secs() as i64 + 1);
    assert!(matches!(
        login_at(&db, None, "9876", later).await,
        Err(StaffError::WrongPin { left: 4 })
    ));
}

#[tokio::test]
async fn a_right_pin_starts_the_count_again() {
    let (_dir, db) = with_staff().await;
    for _ in 0..4 {
        let _ = login(&db, Some("Asha"), "0000").await;
    }
    login(&db, Some("Asha"), "3333").await.unwrap();
    assert!(matches!(
        login(&db, Some("Asha"), "0000").await,
        Err(StaffError::WrongPin { left: 4 })
    ));
}

#[tokio::test]
async fn disabled_staff_cannot_sign_in_and_the_last_owner_stays() {
    let (_dir, db) = with_staff().await;
    let asha = disable(&db, "asha", "Meera").await.unwrap();
    assert!(!asha.enabled);
    assert!(matches!(
        login(&db, Some("Asha"), "3333").await,
        Err(StaffError::Disabled(_))
    ));
    assert!(matches!(
        login(&db, None, "3333").await,
        Err(StaffError::WrongPin { .. })
    ));
    assert!(matches!(
        disable(&db, "Meera", "Meera").await,
        Err(StaffError::LastOwner(_))
    ));
    assert!(matches!(
        disable(&db, "nobody", "Meera").await,
        Err(StaffError::NotFound(_))
    ));
    // A disabled member's PIN may be given to someone new.
    let new = NewMember {
        name: "Kiran",
        role: Role::Cashier,
        pin: "3333",
    };
    add(&db, &new, "Meera").await.unwrap();
    let staff_rows: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'staff' ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        staff_rows,
        [
            "added Meera as owner",
            "added Ravi as manager",
            "added Asha as cashier",
            "disabled Asha",
            "added Kiran as cashier"
        ]
    );
    assert!(audit::verify(&db).await.unwrap().holds());
}

#[tokio::test]
async fn the_hash_is_stored_never_the_pin() {
    let (_dir, db) = with_staff().await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT pin_hash FROM staff")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for h in hashes {
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("1111") && !h.contains("2222") && !h.contains("3333"));
    }
    let listed = serde_json::to_string(&list(&db).await.unwrap()).unwrap();
    assert!(!listed.contains("argon2"), "{listed}");
}

#[tokio::test]
async fn a_disabled_member_is_enabled_again_and_signs_in_audited() {
    let (_dir, db) = with_staff().await;
    disable(&db, "Asha", "Meera").await.unwrap();
    let asha = enable(&db, "asha", "Meera").await.unwrap();
    assert!(asha.enabled);
    assert_eq!(login(&db, None, "3333").await.unwrap().name, "Asha");
    // Enabling someone enabled changes nothing and writes nothing.
    enable(&db, "Asha", "Meera").await.unwrap();
    assert!(matches!(
        enable(&db, "nobody", "Meera").await,
        Err(StaffError::NotFound(_))
    ));
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, detail FROM audit_log WHERE action = 'staff' ORDER BY id DESC LIMIT 2",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            ("Meera".to_string(), "enabled Asha".to_string()),
            ("Meera".to_string(), "disabled Asha".to_string())
        ]
    );
    assert!(audit::verify(&db).await.unwrap().holds());
}

#[tokio::test]
async fn enabling_a_member_whose_pin_was_given_away_leaves_the_pad_asking_for_a_name() {
    let (_dir, db) = with_staff().await;
    disable(&db, "Asha", "Meera").await.unwrap();
    let new = NewMember {
        name: "Kiran",
        role: Role::Cashier,
        pin: "3333",
    };
    add(&db, &new, "Meera").await.unwrap();
    enable(&db, "Asha", "Meera").await.unwrap();
    assert!(matches!(
        login(&db, None, "3333").await,
        Err(StaffError::BadInput { field: "pin", .. })
    ));
    assert_eq!(login(&db, Some("Asha"), "3333").await.unwrap().name, "Asha");
    assert_eq!(
        login(&db, Some("Kiran"), "3333").await.unwrap().name,
        "Kiran"
    );
}
