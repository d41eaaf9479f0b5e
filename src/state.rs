//! What every handler shares. Cheap to clone: a pool handle and `Arc`s.

use crate::content::Course;
use crate::quiz::bank::Bank;
use sqlx::SqlitePool;
use std::sync::Arc;

/// Shared application state, passed to handlers as `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The SQLite pool: sessions, accounts, attempts, progress, the search index.
    pub db: SqlitePool,
    /// The database file as opened, and the room left for writes: `/healthz` and every write request
    /// check it (see `storage`).
    pub storage: Arc<crate::storage::Storage>,
    /// The one writer of quiz attempts (group commit on its own connection): see `store::quiz::AttemptWriter`.
    pub attempts: crate::store::quiz::AttemptWriter,

    /// The course, rendered once at start and read-only afterwards.
    pub course: Arc<Course>,
    /// Every topic's questions, validated at start.
    pub quizzes: Arc<Bank>,
    /// Settings read once at start.
    pub settings: Settings,
    /// Topic pages for readers who are not signed in, rendered once at start.
    pub rendered: Arc<crate::web::pages::RenderedPages>,
}

/// Settings that change how responses are made.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
}
