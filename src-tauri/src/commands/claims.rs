//! Claims in the app: the owner's setting (take claims when the supplier is down, and
//! how long one may wait before it is refunded) and the claims still waiting. A
//! claim's slip is the sale's order view (`claim` set); its QR code is drawn from
//! its number by [`claim_qr`].

use codetill_core::orders::OrderView;
use codetill_core::orders::claim::ClaimTerms;
use codetill_core::staff::Action;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Whether claims are on, and their limit in hours (anyone signed in may read it:
/// the counter shows it).
#[tauri::command]
pub async fn claim_terms(state: State<'_, AppState>) -> Result<ClaimTerms, AppError> {
    state.clerk().await?;
    Ok(state.till().claim_terms().await?)
}

/// Turns claims on or off and sets the limit (the owner's; audited by core).
#[tauri::command]
pub async fn set_claims(
    state: State<'_, AppState>,
    enabled: bool,
    limit_hours: Option<u32>,
) -> Result<ClaimTerms, AppError> {
    let clerk = state.shop_clerk().await?;
    Ok(state
        .shop()
        .set_claims(&clerk, enabled, limit_hours)
        .await?)
}

/// The claims waiting for the supplier, oldest first.
#[tauri::command]
pub async fn open_claims(state: State<'_, AppState>) -> Result<Vec<OrderView>, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::Sell, None)
        .await?;
    Ok(shop.open_claims().await?.iter().map(OrderView::of).collect())
}

/// The claim slip's QR code (an SVG) for the order `order` taken as a claim: its
/// number, which the counter's scanner reads back when the buyer returns. Holds no
/// code.
#[tauri::command]
pub async fn claim_qr(state: State<'_, AppState>, order: String) -> Result<String, AppError> {
    let order = super::non_empty(super::checked(&order, "order", super::MAX_QUERY_CHARS)?, "order")?;
    state.clerk().await?;
    let found = codetill_core::orders::find(state.till().db(), order).await?;
    let Some(claim) = found.claim else {
        return Err(AppError::validation(format!(
            "{} is not a claim",
            found.public_id
        )));
    };
    codetill_core::remote::svg_qr(&claim.number).ok_or_else(|| {
        AppError::validation(format!("{} does not fit a QR code", claim.number))
    })
}
