//! infra-dojo: a learning platform generated from study notes on network protocols and OS processes.
//!
//! A tour of the modules, in the direction dependencies point:
//! - [`content`] cuts `notes.md` into topics, renders them once with annotations (補足) and widgets beside
//!   the text, and reports every content problem with file and line. No axum.
//! - [`widgets`] holds one pure, seeded model per interactive widget (TCP handshake, FTP, fork tree).
//! - [`search`] (with [`store::search`]) answers queries over the course with SQLite FTS5.
//! - [`store`] owns all SQL; [`db`] opens the database and runs the migrations.
//! - [`web`] is the only module that knows HTTP: the route table, handlers, page structs, static assets,
//!   security headers.
//! - [`config`], [`state`] and [`error`] are the small shared pieces.
//!
//! `main.rs` parses the command line and calls [`serve`] or [`check`]; tests call [`app`] directly.

pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod search;
pub mod state;
pub mod store;
pub mod web;
pub mod quiz;
pub mod widgets;

use content::source::ContentSource;
use content::{Course, Problem};
use state::AppState;
use std::sync::Arc;

/// The whole application as a `Router`, ready for `axum::serve` or `oneshot` in tests.
pub fn app(state: AppState) -> axum::Router {
    web::router::router(state)
}

/// Loads and checks the content from `source`, with the widgets this build knows.
pub fn load_course(source: &ContentSource) -> Result<Course, Vec<Problem>> {
    content::load(source, &web::widgets::render_for_page)
}

/// Builds the state from an open database and a loaded course: the search index is rebuilt from the
/// course so it always matches what is served.
pub async fn build_state(db: sqlx::SqlitePool, course: Course) -> anyhow::Result<AppState> {
    store::search::rebuild(&db, &course.search_docs).await?;
    Ok(AppState {
        db,
        course: Arc::new(course),
    })
}
