//! Bamboo's order limits, kept by waiting: at least `gap` between two orders and at
//! most `limit` orders of one product in any `window`. A refusal (429) would leave the
//! sale waiting anyway, and a retry storm could only make it later.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub(super) struct Pacer {
    gap: Duration,
    limit: usize,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    last: Option<Instant>,
    /// When recent orders of each product were sent, oldest first.
    recent: HashMap<String, VecDeque<Instant>>,
}

impl Pacer {
    /// A margin over each limit (a tenth of the gap, a twentieth of the window):
    /// Bamboo measures at arrival, and two requests do not travel in equal time.
    pub fn new(gap: Duration, limit: usize, window: Duration) -> Self {
        Pacer {
            gap: gap + gap / 10,
            limit: limit.max(1),
            window: window + window / 20,
            state: Mutex::new(State::default()),
        }
    }

    /// Waits until an order of `product` may be sent, and counts it as sent. Orders
    /// wait in turn (the lock is held while waiting), so two tills' worth of orders
    /// in one process cannot both take the same slot.
    pub async fn wait_turn(&self, product: &str) {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        let mut ready = state.last.map_or(now, |last| last + self.gap);
        let recent = state.recent.entry(product.to_string()).or_default();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            recent.pop_front();
        }
        if recent.len() >= self.limit {
            let oldest = recent[recent.len() - self.limit];
            ready = ready.max(oldest + self.window);
        }
        if ready > now {
            tracing::debug!(
                wait_ms = (ready - now).as_millis() as u64,
                "waiting for Bamboo's order rate limit"
            );
            tokio::time::sleep_until(ready).await;
        }
        let sent = Instant::now();
        state.last = Some(sent);
        let recent = state.recent.entry(product.to_string()).or_default();
        recent.push_back(sent);
        // Forget products not ordered for a while.
        let window = self.window;
        state.recent.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| sent.duration_since(*t) < window)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn orders_are_spaced_and_a_product_waits_for_its_window() {
        let pacer = Pacer::new(Duration::from_millis(50), 2, Duration::from_millis(400));
        let start = Instant::now();
        let mut at = Vec::new();
        for product in ["a", "a", "b", "a"] {
            pacer.wait_turn(product).await;
            at.push(start.elapsed().as_millis());
        }
        // a; a 55 ms later; b 55 ms later; a third a waits for the first to leave
        // its 420 ms window (limits with their margins).
        assert!(at[0] < 40, "{at:?}");
        assert!((55..150).contains(&at[1]), "{at:?}");
        assert!((110..250).contains(&at[2]), "{at:?}");
        assert!((420..580).contains(&at[3]), "{at:?}");
    }
}
