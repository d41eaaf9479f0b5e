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
    /// The one writer of quiz attempts (group commit on its own connection): see `store::quiz::AttemptWriter`.
    pub attempts: crate::store::quiz::AttemptWriter,

    /// The course, rendered once at start and read-only afterwards.
    pub course: Arc<Course>,
    /// Every topic's questions, validated at start.
    pub quizzes: Arc<Bank>,
    /// The key that seals quiz forms and makes their option tokens (kept in the database, shared by
    /// every instance): see `quiz::form`.
    pub quiz_forms: crate::quiz::form::FormKey,
    /// Settings read once at start.
    pub settings: Settings,
    /// Topic pages for readers who are not signed in, rendered once at start.
    pub rendered: Arc<crate::web::pages::RenderedPages>,
    /// Password hashing for requests, a few at a time (argon2 takes 19 MiB each).
    pub hashing: Arc<crate::auth::password::Hashing>,
}

/// Settings that change how responses are made.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
}

/// Extractors that need only the settings (the `Visitor`'s cookie flags) take them from the state.
impl axum::extract::FromRef<AppState> for Settings {
    fn from_ref(state: &AppState) -> Self {
        state.settings.clone()
    }
}
