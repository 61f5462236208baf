//! Bamboo's order limits, kept by waiting: at least `gap` between two orders and at
//! most `limit` orders of one product in any `window`. A refusal (429) would leave the
//! sale waiting anyway, and a retry storm could only make it later. A short wait
//! happens here; a long one (a product's window full) is handed to the caller as the
//! time to wait, so that it waits its own way (the order engine keeps its lease on
//! the sale meanwhile) and nothing Bamboo would refuse is sent.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub(super) struct Pacer {
    gap: Duration,
    limit: usize,
    window: Duration,
    /// The longest wait taken here; beyond it [`Pacer::wait_turn`] answers the wait.
    max_wait: Duration,
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
    pub fn new(gap: Duration, limit: usize, window: Duration, max_wait: Duration) -> Self {
        Pacer {
            gap: gap + gap / 10,
            limit: limit.max(1),
            window: window + window / 20,
            max_wait,
            state: Mutex::new(State::default()),
        }
    }

    /// Waits until an order of `product` may be sent, and counts it as sent; or,
    /// when that is more than `max_wait` away, counts nothing and answers how long.
    /// Orders wait in turn (the lock is held while waiting), so two sales in one
    /// process cannot both take the same slot.
    pub async fn wait_turn(&self, product: &str) -> Result<(), Duration> {
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
        if ready > now + self.max_wait {
            return Err(ready - now);
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn orders_are_spaced_and_a_product_waits_for_its_window() {
        let pacer = Pacer::new(
            Duration::from_millis(50),
            2,
            Duration::from_millis(400),
            Duration::from_secs(1),
        );
        let start = Instant::now();
        let mut at = Vec::new();
        for product in ["a", "a", "b", "a"] {
            pacer.wait_turn(product).await.unwrap();
            at.push(start.elapsed().as_millis());
        }
        // a; a 55 ms later; b 55 ms later; a third a waits for the first to leave
        // its 420 ms window (limits with their margins).
        assert!(at[0] < 40, "{at:?}");
        assert!((55..150).contains(&at[1]), "{at:?}");
        assert!((110..250).contains(&at[2]), "{at:?}");
        assert!((420..580).contains(&at[3]), "{at:?}");
    }

    #[tokio::test]
    async fn a_long_wait_is_answered_not_taken() {
        let pacer = Pacer::new(
            Duration::from_millis(10),
            1,
            Duration::from_secs(60),
            Duration::from_millis(100),
        );
        pacer.wait_turn("a").await.unwrap();
        let started = Instant::now();
        let wait = pacer.wait_turn("a").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(50));
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        // Nothing was counted: another product still goes at once.
        pacer.wait_turn("b").await.unwrap();
    }
}
