//! The relay's one-way flags (`closing`, `stopping`): `watch` channels of a bool
//! that turns true once, and the wait for it that every background task shares.

use tokio::sync::watch;

/// Resolves once `flag` is true (or its sender is gone). The guard that
/// `wait_for` returns is dropped here, so callers stay `Send` across awaits.
pub(crate) async fn until_true(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}
