//! SQL, and only SQL: every query the application runs lives under this module, written as lowercase raw
//! strings with `query_as` + `FromRow` (no compile-time database needed). No axum here.

pub mod analysis;
pub mod class_stats;
pub mod classes;
pub mod quiz;

pub mod search;
pub mod secrets;
pub mod throttle;
pub mod users;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether an error is a unique-constraint violation (SQLite reports no constraint names).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
