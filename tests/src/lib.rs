//! Shared harness for cross-process tests.
