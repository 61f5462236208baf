//! The supplier APIs the sandbox can speak (`--flavor`), each over the same catalog,
//! ledger, fault book and `/_sandbox` controls: a fault scripted once acts the same
//! whichever API the client uses.

pub(crate) mod reloadly;
pub(crate) mod wholesale;
