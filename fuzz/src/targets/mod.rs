//! The fuzz targets, one module per thing exercised.

pub mod events;
pub mod money;
pub mod receipt;
pub mod supplier;
pub mod webhook;
