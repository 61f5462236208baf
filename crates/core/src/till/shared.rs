//! A value several tasks read and one now and then replaces (who is at the till,
//! the alert sink, the last health check). A lock poisoned by a panic elsewhere
//! still holds the last value written, which is the right one to go on with.

use std::sync::RwLock;

/// A copy of the value.
pub fn read<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(v) => v.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// Replaces the value.
pub fn replace<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut v) => *v = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}
