//! The app's till: core's [`codetill_core::till::Till`] (the shop's, or a demo's on
//! the in-process sandbox), and for a demo what keeps it alive. Commands use it
//! through `Deref` exactly as core's.

use std::ops::Deref;
use std::sync::Arc;

pub use codetill_core::till::{Clerk, Handover, Item, Source};

use crate::demo::Demo;

pub struct Till {
    core: Arc<codetill_core::till::Till>,
    demo: Option<Demo>,
}

impl Till {
    /// The shop's own till.
    pub fn shop(core: codetill_core::till::Till) -> Till {
        Till {
            core: Arc::new(core),
            demo: None,
        }
    }

    /// A demo's till, with the sandbox and folder it lives on.
    pub fn demo_on(core: codetill_core::till::Till, demo: Demo) -> Till {
        Till {
            core: Arc::new(core),
            demo: Some(demo),
        }
    }

    /// Core's till, for work that outlives a command (the relay loop).
    pub fn core(&self) -> Arc<codetill_core::till::Till> {
        self.core.clone()
    }

    pub fn demo(&self) -> Option<&Demo> {
        self.demo.as_ref()
    }
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("core", &self.core)
            .field("demo", &self.demo.is_some())
            .finish()
    }
}

impl Deref for Till {
    type Target = codetill_core::till::Till;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}
