//! What every handler shares. Cheap to clone: a pool handle and an `Arc`.

use crate::content::Course;
use sqlx::SqlitePool;
use std::sync::Arc;

/// Shared application state, passed to handlers as `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The SQLite pool (search index now; accounts and progress later).
    pub db: SqlitePool,
    /// The course, rendered once at start and read-only afterwards.
    pub course: Arc<Course>,
}
