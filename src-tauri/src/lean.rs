//! Keeping the app small at idle: a till runs all day beside other software on
//! modest machines, and most of its memory is the web engine's.
//!
//! Two things need the process itself, not WebKit's settings, so they live here:
//! the JavaScript engine's compilers are switched off for the web process (the
//! counter's scripts are small, and its interpreter answers a keystroke well inside
//! the target, while the JIT tiers keep several MB of compiled code and compiler
//! pages resident), and glibc's allocator is kept to two arenas and handed back
//! what start-up freed.
#![allow(unsafe_code)]

/// The JavaScriptCore option WebKit's web process reads from its environment,
/// which it inherits from this process. Set by the user, it is left alone.
const JSC_JIT: &str = "JSC_useJIT";

/// Sets the web process's JavaScript options and the allocator's arenas.
///
/// # Safety
///
/// Call it as `main`'s first statement, before any thread exists: it writes the
/// process environment, which another thread might be reading.
pub unsafe fn before_threads() {
    #[cfg(target_os = "linux")]
    {
        if std::env::var_os(JSC_JIT).is_none() {
            // SAFETY: the caller runs this before any other thread exists (above).
            unsafe { std::env::set_var(JSC_JIT, "0") };
        }
        #[cfg(target_env = "gnu")]
        // SAFETY: sets one of glibc's allocator tunables; takes no pointers.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Returns the heap that start-up (migrations, recovery, the first queries) used
/// and freed to the system; glibc keeps it otherwise.
pub fn hand_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
