//! infra-dojo: a learning platform generated from study notes on network protocols and OS processes.
//!
//! A tour of the modules, in the direction dependencies point:
//! - [`content`] cuts `notes.md` into topics, renders them once with annotations (補足) and widgets beside
//!   the text, and reports every content problem with file and line. No axum.
//! - [`widgets`] holds one pure, seeded model per interactive widget (TCP handshake, FTP, fork tree, SNMP, thread race), a folder
//!   each, behind the [`widgets::Widget`] trait and the one [`widgets::registry`] the other layers look up.
//! - [`search`] (with [`store::search`]) answers queries over the course with SQLite FTS5, in memory.
//! - [`store`] owns all SQL; [`db`] opens the database and runs the migrations; [`storage`] notices when
//!   its file is deleted or replaced, or the disk is full.
//! - [`web`] is the only module that knows HTTP: the route table, handlers, page structs, static assets,
//!   security headers, the app state ([`web::state`]) and the one error type ([`web::error`]), the
//!   request's visitor (session, CSRF: [`web::visitor`]) and `serve --watch` ([`web::watch`]). Nothing
//!   outside it imports it.
//! - [`quiz`] holds the question banks, presentation, grading, the review schedule and mastery; [`auth`]
//!   the passwords (hashed a few at a time), sessions, roles, CSRF tokens, and the throttling of guesses.
//! - [`classroom`] holds the rules of running a class: class names, join codes, who needs help, item
//!   statistics, and the codecs of the class queries' packed rows. No axum, no sqlx.
//! - [`jst`] writes times as Japanese readers see them (Japan time, durations).
//! - [`demo`] seeds a demo class (`infra-dojo demo-seed`) through the real graders.
//! - [`scaffold`] writes a small working content folder (`infra-dojo new DIR`).
//! - [`server`] accepts connections and serves the router on them with deadlines, connection caps and a
//!   bounded shutdown (what `axum::serve` lacks against slow clients).
//! - [`config`] reads the settings once.
//!
//! `main.rs` parses the command line, loads the content ([`load_content`]), opens the database
//! ([`db`]), builds the state ([`build_state`]) and hands [`app`] to [`server::serve`]; tests call [`app`]
//! directly.

pub mod auth;
pub mod captures;
pub mod classroom;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod jst;
pub mod quiz;
pub mod scaffold;
pub mod search;
pub mod server;
pub mod storage;
pub mod store;

pub mod web;
pub mod widgets;

use content::source::ContentSource;
use content::{Course, Problem};
use quiz::bank::Bank;
use std::sync::Arc;
use web::state::{self, AppState, Settings};

/// The whole application as a `Router`, ready for `axum::serve` or `oneshot` in tests.
pub fn app(state: AppState) -> axum::Router {
    web::router::router(state)
}

/// What `serve` runs: [`app`] behind `web::fast`, which answers requests for the bytes every anonymous
/// reader shares (topic pages, the home page, static files) before routing.
pub fn service(state: AppState) -> web::fast::FastPath<axum::Router> {
    web::fast::FastPath::new(state.clone(), app(state))
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
    let mut course = content::load(source, &web::widgets::render_for_page)?;
    let slugs: Vec<String> = course.topics.iter().map(|t| t.slug.clone()).collect();
    let quizzes = quiz::bank::load(source, &slugs)?;
    // Search finds the quizzes' questions too (their prompts only).
    course.search_docs.extend(quizzes.search_docs());
    Ok(Content { course, quizzes })
}

/// Builds the state from an open database and loaded content: the search index is rebuilt from the
/// course so it always matches what is served, and the session table is created if missing.
pub async fn build_state(
    db: db::Db,
    content: Content,
    settings: Settings,
) -> anyhow::Result<AppState> {
    if let db::Db::Sqlite(pool) = &db {
        // PostgreSQL's session table is in its migrations (`migrations/postgres/`).
        tower_sessions_sqlx_store::SqliteStore::new(pool.clone())
            .migrate()
            .await?;
    }
    // A database from before the class aggregates gets them from its history, once, before serving.
    let started = std::time::Instant::now();
    if store::aggregates::rebuild_if_needed(&db).await? {
        tracing::info!(
            duration_ms = started.elapsed().as_millis() as u64,
            "class aggregates built from the history"
        );
    }
    let attempts = store::quiz::AttemptWriter::start(db::writer_for(&db).await?)?;
    db::checkpoint_continuously(&db);
    let quiz_forms = quiz_form_key(&db).await?;
    let live_reload = settings.watch.then(web::live_reload::LiveReload::new);
    let search = store::search::open_index().await?;
    let snapshot = snapshot(&search, content, 0, live_reload.as_ref()).await?;
    if let Some(live) = &live_reload {
        live.loaded(snapshot.generation);
    }
    let storage = Arc::new(storage::Storage::for_db(&db));
    let metrics = if settings.metrics {
        Some(web::metrics::Metrics::install()?)
    } else {
        None
    };
    Ok(AppState {
        db,
        search,
        storage,
        attempts,
        content: Arc::new(arc_swap::ArcSwap::from_pointee(snapshot)),
        quiz_forms,
        settings,
        hashing: Arc::default(),
        live_reload,
        class_cache: Arc::default(),
        metrics,
    })
}

/// Everything served from one version of the content: the anonymous topic pages are rendered and the
/// search index is rebuilt to match. Used at start and by each reload of `serve --watch`, so a reload
/// derives exactly what a start does.
pub async fn snapshot(
    search: &sqlx::SqlitePool,
    content: Content,
    generation: u64,
    live_reload: Option<&web::live_reload::LiveReload>,
) -> anyhow::Result<state::Snapshot> {
    let tag = live_reload.map(|live| live.tag(generation));
    // Rendering every page three times is CPU work: keep it off the threads that serve requests.
    let started = std::time::Instant::now();
    let (content, rendered) = tokio::task::spawn_blocking(move || {
        let rendered =
            web::pages::RenderedPages::build(&content.course, &content.quizzes, tag.as_ref());
        (content, rendered)
    })
    .await?;
    let rendered = rendered?;
    tracing::info!(
        generation,
        bytes = rendered.bytes(),
        duration_ms = started.elapsed().as_millis() as u64,
        "anonymous pages rendered"
    );
    // Last, so that a version which fails to render leaves the index as it was.
    store::search::rebuild(search, &content.course.search_docs).await?;
    Ok(state::Snapshot {
        course: content.course,
        quizzes: content.quizzes,
        rendered,
        generation,
    })
}

/// The deployment's quiz-form key: made on the first start, read from the database afterwards.
async fn quiz_form_key(db: &db::Db) -> anyhow::Result<quiz::form::FormKey> {
    let mut fresh = [0u8; quiz::form::FormKey::LEN];
    getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let stored = store::secrets::get_or_create(db, "quiz-form", &fresh, store::now()).await?;
    quiz::form::FormKey::from_bytes(&stored)
        .ok_or_else(|| anyhow::anyhow!("server_secret quiz-form is not {} bytes", fresh.len()))
}
