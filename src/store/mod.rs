//! SQL, and only SQL: every query the application runs lives under this module, written as lowercase raw
//! strings with `query_as` + `FromRow` (no compile-time database needed). No axum here.

pub mod search;
