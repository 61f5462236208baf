//! The supplier APIs the sandbox can speak (`--flavor`), each over the same catalog,
//! ledger, fault book and `/_sandbox` controls: a fault scripted once acts the same
//! whichever API the client uses. `bamboo` and `ding` pass the shared part of the
//! `/v1` gate ([`crate::routes::gate::with_faults`]) after their own auth.

pub(crate) mod bamboo;
pub(crate) mod ding;
mod plumbing;
pub(crate) mod reloadly;
pub(crate) mod wholesale;
