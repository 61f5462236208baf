//! Who is signed in at this till, and for how long.
//!
//! The app opens locked: nobody is signed in until a member of staff types their
//! PIN (core's [`codetill_core::till::Till::sign_in`]), and every command that acts
//! asks [`Session::clerk`] first, which refuses with `errors.locked` while nobody
//! is. The session ends on the lock key, and by itself once nothing was asked of the
//! app for the idle time the owner set ([`IDLE_LOCK_MINUTES`], default 5): the UI
//! locks its screen at the same moment and tells the backend it is still in use
//! while someone works ([`Session::touch`]). Roles are core's to check; this only
//! says who is asking.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use codetill_core::db::{Db, DbError};
use codetill_core::settings;
use codetill_core::staff::Role;
use serde::Serialize;

use crate::error::AppError;
use crate::till::Clerk;

/// The setting: minutes without use before the till locks itself.
pub const IDLE_LOCK_MINUTES: &str = "app.idle_lock_minutes";
pub const DEFAULT_IDLE_MINUTES: u32 = 5;
/// An hour at most: a till left open longer is a till anyone can use.
pub const MAX_IDLE_MINUTES: u32 = 60;

#[derive(Debug)]
struct Signed {
    clerk: Clerk,
    last_used: Instant,
}

#[derive(Debug)]
pub struct Session {
    signed: Mutex<Option<Signed>>,
    idle: Mutex<Duration>,
}

/// Who is signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub name: String,
    pub role: Role,
}

/// The PIN pad's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SignIn {
    SignedIn {
        session: Option<SessionView>,
    },
    /// Wrong PIN: `left` more before a lock.
    WrongPin {
        left: i64,
    },
    /// Five wrong PINs: `who` (a name, or the PIN pad) waits `seconds`.
    Locked {
        who: String,
        seconds: u64,
    },
}

fn minutes(d: Duration) -> u32 {
    u32::try_from(d.as_secs() / 60).unwrap_or(u32::MAX)
}

impl Session {
    pub fn new(idle: Duration) -> Session {
        Session {
            signed: Mutex::new(None),
            idle: Mutex::new(idle),
        }
    }

    fn signed(&self) -> std::sync::MutexGuard<'_, Option<Signed>> {
        // A panic while holding this lock leaves plain data behind: keep using it.
        self.signed.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn idle(&self) -> Duration {
        *self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_idle(&self, idle: Duration) {
        *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = idle;
    }

    pub fn begin(&self, clerk: Clerk) {
        tracing::info!(staff = %clerk.staff, role = %clerk.role, "signed in at the till");
        *self.signed() = Some(Signed {
            clerk,
            last_used: Instant::now(),
        });
    }

    /// Locks the till: nobody is signed in until the next PIN.
    pub fn end(&self) {
        if let Some(s) = self.signed().take() {
            tracing::info!(staff = %s.clerk.staff, "till locked");
        }
    }

    /// The signed-in clerk, the idle time counted again from now; `errors.locked`
    /// when nobody is, or when the idle time ran out (which ends the session).
    pub fn clerk(&self) -> Result<Clerk, AppError> {
        let idle = self.idle();
        let mut signed = self.signed();
        let Some(s) = signed.as_mut() else {
            return Err(AppError::locked(
                "the till is locked: sign in with your PIN",
            ));
        };
        if s.last_used.elapsed() >= idle {
            let who = s.clerk.staff.clone();
            *signed = None;
            tracing::info!(staff = %who, "till locked after the idle time");
            return Err(AppError::locked(format!(
                "the till locked itself after {} minutes unused: sign in with your PIN",
                minutes(idle)
            )));
        }
        s.last_used = Instant::now();
        Ok(s.clerk.clone())
    }

    /// Someone is still working at the till (the UI saw keys or the mouse).
    pub fn touch(&self) -> Result<(), AppError> {
        self.clerk().map(|_| ())
    }

    pub fn view(&self) -> Option<SessionView> {
        self.signed().as_ref().map(|s| SessionView {
            name: s.clerk.staff.clone(),
            role: s.clerk.role,
        })
    }

    pub fn set_till_id(&self, till_id: Option<String>) {
        if let Some(s) = self.signed().as_mut() {
            s.clerk.till_id = till_id;
        }
    }

    /// Tests: as if the last use were `ago` back.
    #[cfg(test)]
    pub fn age(&self, ago: Duration) {
        if let Some(s) = self.signed().as_mut()
            && let Some(then) = Instant::now().checked_sub(ago)
        {
            s.last_used = then;
        }
    }
}

/// The idle time the owner set (the default when none, or one that does not read).
pub async fn idle_lock(db: &Db) -> Result<Duration, DbError> {
    let set = settings::value(db, IDLE_LOCK_MINUTES).await?;
    let minutes = set
        .as_deref()
        .and_then(|m| parse_minutes(m).ok())
        .unwrap_or(DEFAULT_IDLE_MINUTES);
    Ok(Duration::from_secs(u64::from(minutes) * 60))
}

/// Minutes as typed: a whole number from 1 to [`MAX_IDLE_MINUTES`].
pub fn parse_minutes(text: &str) -> Result<u32, AppError> {
    match text.trim().parse::<u32>() {
        Ok(m) if (1..=MAX_IDLE_MINUTES).contains(&m) => Ok(m),
        _ => Err(AppError::validation(format!(
            "idle_lock_minutes: {:?} is not a whole number of minutes from 1 to {MAX_IDLE_MINUTES}",
            text.trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    fn asha() -> Clerk {
        Clerk {
            staff: "Asha".into(),
            till_id: None,
            role: Role::Cashier,
            staff_id: Some(3),
        }
    }

    #[test]
    fn nobody_is_signed_in_until_someone_begins_and_after_the_end() {
        let s = Session::new(Duration::from_secs(300));
        assert_eq!(s.clerk().unwrap_err().code, ErrorCode::Locked);
        s.begin(asha());
        assert_eq!(s.clerk().unwrap().staff, "Asha");
        s.end();
        assert_eq!(s.clerk().unwrap_err().code, ErrorCode::Locked);
        assert!(s.view().is_none());
    }

    #[test]
    fn the_idle_time_ends_the_session_and_use_keeps_it() {
        let s = Session::new(Duration::from_secs(300));
        s.begin(asha());
        s.age(Duration::from_secs(299));
        s.touch().unwrap();
        s.age(Duration::from_secs(299));
        assert!(s.clerk().is_ok(), "each use counts the idle time again");
        s.age(Duration::from_secs(301));
        let e = s.clerk().unwrap_err();
        assert_eq!(e.code, ErrorCode::Locked);
        assert!(e.message.contains("5 minutes"), "{}", e.message);
        assert!(s.view().is_none(), "the idle lock signs them out");
    }

    #[test]
    fn minutes_are_whole_and_within_an_hour() {
        assert_eq!(parse_minutes(" 10 ").unwrap(), 10);
        for bad in ["0", "61", "-1", "2.5", "", "ten"] {
            assert_eq!(
                parse_minutes(bad).unwrap_err().code,
                ErrorCode::Validation,
                "{bad}"
            );
        }
    }
}
