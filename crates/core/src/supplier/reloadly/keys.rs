//! One order request in flight per key. Reloadly may execute two concurrent POSTs
//! with one `customIdentifier` before its duplicate check sees either, so this client
//! never sends the second before the first has its answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Slot = Arc<tokio::sync::Mutex<()>>;

#[derive(Default)]
pub(super) struct KeyLocks {
    slots: Mutex<HashMap<String, Slot>>,
}

/// Held while an order request under one key is out; frees its slot when the last
/// holder or waiter is gone.
pub(super) struct KeyGuard<'a> {
    locks: &'a KeyLocks,
    key: String,
    slot: Option<Slot>,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyLocks {
    pub(super) async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(slots.entry(key.to_owned()).or_default())
        };
        let held = Arc::clone(&slot).lock_owned().await;
        KeyGuard {
            locks: self,
            key: key.to_owned(),
            slot: Some(slot),
            held: Some(held),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        let Some(slot) = self.slot.take() else { return };
        let mut slots = self
            .locks
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map's copy and ours: nobody else waits on this key.
        if Arc::strong_count(&slot) == 2 {
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_holder_of_a_key_waits_and_slots_are_freed() {
        let locks = Arc::new(KeyLocks::default());
        let first = locks.lock("k").await;
        let other = locks.lock("other").await;
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move {
                let _g = locks.lock("k").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the same key must wait");
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released")
            .expect("task");
        drop(other);
        assert_eq!(locks.len(), 0);
    }
}
