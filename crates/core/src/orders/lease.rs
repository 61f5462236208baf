//! Who drives an open order. A driver holds a lease with an expiry and renews it
//! before every step; another process takes the order over only once the lease has
//! run out — or at once when the holder is a process on this machine that no longer
//! exists (a till killed mid-sale).

use std::time::Duration;

use super::state::OrderStatus;
use crate::db::{Db, DbError, now_text, time_text};

/// This process's name for leases: host, pid and a random tag (a pid can be reused).
pub fn owner_id() -> String {
    format!(
        "{}:{}:{:08x}",
        host(),
        std::process::id(),
        rand::random::<u32>()
    )
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(':'))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// True when `owner` names a process on this host that has exited.
fn holder_is_dead(owner: &str) -> bool {
    let mut parts = owner.split(':');
    let (Some(h), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    if h != host() {
        return false;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if pid == std::process::id() {
        // Another driver in this very process: it is alive.
        return false;
    }
    cfg!(target_os = "linux") && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Takes (or renews) the lease on an open order. False when another live driver
/// holds it.
pub async fn acquire(db: &Db, id: i64, owner: &str, ttl: Duration) -> Result<bool, DbError> {
    acquire_when(db, id, owner, ttl, |s| s.is_open()).await
}

/// Takes the lease on a `refund_due` order whose codes reconciliation is to fetch,
/// so that no two tills deliver it at once. False when it is not due (any more) or
/// another live driver holds it.
pub async fn acquire_refund_due(
    db: &Db,
    id: i64,
    owner: &str,
    ttl: Duration,
) -> Result<bool, DbError> {
    acquire_when(db, id, owner, ttl, |s| s == OrderStatus::RefundDue).await
}

async fn acquire_when(
    db: &Db,
    id: i64,
    owner: &str,
    ttl: Duration,
    leasable: fn(OrderStatus) -> bool,
) -> Result<bool, DbError> {
    let now = now_text();
    let until = time_text(chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default());
    let mut tx = db.begin_write().await?;
    let current: Option<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT status, lease_owner, lease_expires_at FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((status, holder, expires)) = current else {
        return Ok(false);
    };
    if !status.parse::<OrderStatus>().is_ok_and(leasable) {
        return Ok(false);
    }
    let free = match (&holder, &expires) {
        (None, _) => true,
        (Some(h), _) if h == owner => true,
        (Some(_), Some(e)) if e.as_str() < now.as_str() => true,
        (Some(h), _) => holder_is_dead(h),
    };
    if !free {
        return Ok(false);
    }
    sqlx::query("UPDATE orders SET lease_owner = $1, lease_expires_at = $2 WHERE id = $3")
        .bind(owner)
        .bind(until)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if holder.as_deref().is_some_and(|h| h != owner) {
        tracing::info!(
            order = id,
            previous = holder.as_deref(),
            "took over an order whose driver stopped"
        );
    }
    tx.commit().await?;
    Ok(true)
}

/// Gives the order back (it stays open for the next driver).
pub async fn release(db: &Db, id: i64, owner: &str) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE orders SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2")
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn owners_of_this_process_are_alive_and_strangers_are_not_judged() {
        let me = owner_id();
        assert!(!holder_is_dead(&me));
        assert!(!holder_is_dead("other-host:1:abc"));
        assert!(!holder_is_dead("garbage"));
        if cfg!(target_os = "linux") {
            // pid_max is far below this.
            assert!(holder_is_dead(&format!("{}:4294967:00", host())));
        }
    }
}
