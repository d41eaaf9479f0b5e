//! infra-dojo: a learning platform generated from study notes on network protocols and OS processes.
//!
//! A tour of the modules, in the direction dependencies point:
//! - [`content`] cuts `notes.md` into topics, renders them once with annotations (補足) and widgets beside
//!   the text, and reports every content problem with file and line. No axum.
//! - [`widgets`] holds one pure, seeded model per interactive widget (TCP handshake, FTP, fork tree).
//! - [`search`] (with [`store::search`]) answers queries over the course with SQLite FTS5.
//! - [`store`] owns all SQL; [`db`] opens the database and runs the migrations; [`storage`] notices when
//!   its file is deleted or replaced, or the disk is full.
//! - [`web`] is the only module that knows HTTP: the route table, handlers, page structs, static assets,
//!   security headers.
//! - [`quiz`] holds the question banks, presentation, grading and the review schedule; [`auth`] the
//!   passwords, sessions and CSRF tokens.
//! - [`demo`] seeds a demo class (`infra-dojo demo-seed`) through the real graders.
//! - [`server`] accepts connections and serves the router on them with deadlines, connection caps and a
//!   bounded shutdown (what `axum::serve` lacks against slow clients).
//! - [`config`], [`state`] and [`error`] are the small shared pieces.
//!
//! `main.rs` parses the command line and calls [`serve`] or [`check`]; tests call [`app`] directly.

pub mod auth;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod quiz;
pub mod search;
pub mod server;
pub mod state;
pub mod storage;
pub mod store;
pub mod web;
pub mod widgets;

use content::source::ContentSource;
use content::{Course, Problem};
use quiz::bank::Bank;
use state::{AppState, Settings};
use std::sync::Arc;

/// The whole application as a `Router`, ready for `axum::serve` or `oneshot` in tests.
pub fn app(state: AppState) -> axum::Router {
    web::router::router(state)
}

/// Everything loaded from a content folder.
#[derive(Debug)]
pub struct Content {
    pub course: Course,
    pub quizzes: Bank,
}

/// Loads and checks the content from `source`: the notes with the widgets this build knows, then the
/// question banks against the course's topics. Every problem is returned, with file and line.
pub fn load_content(source: &ContentSource) -> Result<Content, Vec<Problem>> {
    let course = content::load(source, &web::widgets::render_for_page)?;
    let slugs: Vec<String> = course.topics.iter().map(|t| t.slug.clone()).collect();
    let quizzes = quiz::bank::load(source, &slugs)?;
    Ok(Content { course, quizzes })
}

/// Builds the state from an open database and loaded content: the search index is rebuilt from the
/// course so it always matches what is served, and the session table is created if missing.
pub async fn build_state(
    db: sqlx::SqlitePool,
    content: Content,
    settings: Settings,
) -> anyhow::Result<AppState> {
    store::search::rebuild(&db, &content.course.search_docs).await?;
    tower_sessions_sqlx_store::SqliteStore::new(db.clone())
        .migrate()
        .await?;
    let attempts = store::quiz::AttemptWriter::start(db::writer_for(&db).await?)?;
    let storage = Arc::new(storage::Storage::for_pool(&db));
    let mut state = AppState {
        db,
        storage,
        attempts,
        course: Arc::new(content.course),
        quizzes: Arc::new(content.quizzes),
        settings,
        rendered: Arc::default(),
    };
    state.rendered = Arc::new(web::pages::RenderedPages::build(&state)?);
    Ok(state)
}
