//! The owner's staff screen: everyone on the staff, add (name, role, PIN), disable
//! and enable; and the audit view (recent rows, the chain checked). Core checks the
//! role of whoever is signed in before each.

use codetill_core::staff::audit::{self, AuditRow, ChainReport};
use codetill_core::staff::{Action, Member, NewMember, Role};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Everyone on the staff, oldest first (never a PIN or its hash). The owner's.
#[tauri::command]
pub async fn staff_list(state: State<'_, AppState>) -> Result<Vec<Member>, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::ManageStaff, None)
        .await?;
    Ok(shop.staff().await?)
}

/// Adds a member of staff; the PIN was typed twice in the UI.
#[tauri::command]
pub async fn add_staff(
    state: State<'_, AppState>,
    name: String,
    role: String,
    pin: String,
) -> Result<Member, AppError> {
    let clerk = state.shop_clerk().await?;
    let role: Role = role.parse()?;
    let new = NewMember {
        name: &name,
        role,
        pin: super::checked(&pin, "pin", 16)?,
    };
    Ok(state.shop().add_staff(&clerk, &new).await?)
}

/// Disables (`enabled` false) or enables a member of staff again.
#[tauri::command]
pub async fn set_staff_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> Result<Member, AppError> {
    let clerk = state.shop_clerk().await?;
    let shop = state.shop();
    if enabled {
        Ok(shop.enable_staff(&clerk, &name).await?)
    } else {
        Ok(shop.disable_staff(&clerk, &name).await?)
    }
}

/// The last `limit` audit rows, newest first (a manager's or the owner's).
#[tauri::command]
pub async fn audit_log(state: State<'_, AppState>, limit: u32) -> Result<Vec<AuditRow>, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::ViewReports, None)
        .await?;
    Ok(audit::recent(shop.db(), limit).await?)
}

/// Walks the whole audit chain: it holds, or the row where it breaks.
#[tauri::command]
pub async fn verify_audit(state: State<'_, AppState>) -> Result<ChainReport, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::ViewReports, None)
        .await?;
    Ok(audit::verify(shop.db()).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn the_owner_adds_disables_and_enables_staff_audited() {
        let app = TestApp::empty();
        app.owner_and_cashier();
        let list = app.invoke("staff_list", json!({})).unwrap();
        let names: Vec<_> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["name"].clone(), m["role"].clone(), m["enabled"].clone()))
            .collect();
        assert_eq!(
            names,
            [
                (json!("Meera"), json!("owner"), json!(true)),
                (json!("Asha"), json!("cashier"), json!(true))
            ]
        );
        assert!(!list.to_string().contains("argon2"), "{list}");

        let off = app
            .invoke(
                "set_staff_enabled",
                json!({ "name": "Asha", "enabled": false }),
            )
            .unwrap();
        assert_eq!(off["enabled"], false);
        app.invoke("lock", json!({})).unwrap();
        assert_eq!(
            app.invoke("sign_in", json!({ "pin": "3333" })).unwrap()["outcome"],
            "wrong_pin",
            "a disabled member's PIN names nobody"
        );
        app.invoke("sign_in", json!({ "pin": "1234" })).unwrap();
        let on = app
            .invoke(
                "set_staff_enabled",
                json!({ "name": "asha", "enabled": true }),
            )
            .unwrap();
        assert_eq!(on["enabled"], true);
        app.invoke("lock", json!({})).unwrap();
        assert_eq!(
            app.invoke("sign_in", json!({ "pin": "3333" })).unwrap()["session"]["name"],
            "Asha"
        );

        app.invoke("lock", json!({})).unwrap();
        app.invoke("sign_in", json!({ "pin": "1234" })).unwrap();
        let rows = app.invoke("audit_log", json!({ "limit": 3 })).unwrap();
        let details: Vec<_> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["actor"].clone(), r["detail"].clone()))
            .collect();
        assert_eq!(
            details,
            [
                (json!("Meera"), json!("enabled Asha")),
                (json!("Meera"), json!("disabled Asha")),
                (json!("Meera"), json!("added Asha as cashier")),
            ]
        );
        let chain = app.invoke("verify_audit", json!({})).unwrap();
        assert_eq!(chain["broken"], json!(null), "{chain}");
    }

    #[test]
    fn bad_input_is_named_and_the_last_owner_stays() {
        let app = TestApp::empty();
        app.owner_and_cashier();
        for (name, role, pin, says) in [
            ("Kiran", "chef", "4444", "role"),
            ("Kiran", "cashier", "12", "pin"),
            ("Kiran", "cashier", "3333", "pin"),
            (" ", "cashier", "4444", "name"),
        ] {
            let err = app
                .invoke(
                    "add_staff",
                    json!({ "name": name, "role": role, "pin": pin }),
                )
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{err}");
            assert!(err["message"].as_str().unwrap().starts_with(says), "{err}");
        }
        let err = app
            .invoke(
                "set_staff_enabled",
                json!({ "name": "Meera", "enabled": false }),
            )
            .unwrap_err();
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("last enabled owner"),
            "{err}"
        );
        assert_eq!(
            app.invoke("staff_list", json!({}))
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_cashier_may_not_touch_the_staff() {
        let app = TestApp::empty();
        app.owner_and_cashier();
        app.invoke("lock", json!({})).unwrap();
        app.invoke("sign_in", json!({ "pin": "3333" })).unwrap();
        let err = app
            .invoke(
                "add_staff",
                json!({ "name": "Kiran", "role": "owner", "pin": "4444" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_allowed");
        let err = app
            .invoke(
                "set_staff_enabled",
                json!({ "name": "Meera", "enabled": false }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_allowed");
        let err = app.invoke("verify_audit", json!({})).unwrap_err();
        assert_eq!(err["code"], "errors.not_allowed");
    }
}
