//! What every handler shares. Cheap to clone: a pool handle and `Arc`s.
//!
//! The content (course, question banks, pre-rendered pages) is one [`Snapshot`] behind an atomically
//! swappable pointer: `serve --watch` replaces it whole when the content folder changes, and a handler
//! that takes [`AppState::content`] once works on one consistent version even if a swap happens meanwhile.

use crate::content::Course;
use crate::quiz::bank::Bank;
use crate::web::live_reload::LiveReload;
use crate::web::pages::RenderedPages;
use arc_swap::ArcSwap;
use std::sync::Arc;

/// Shared application state, passed to handlers as `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The database: sessions, accounts, attempts, progress.
    pub db: crate::db::Db,
    /// The search index: in memory, this process's own (`store::search::open_index`).
    pub search: sqlx::SqlitePool,
    /// The database file as opened, and the room left for writes: `/healthz` and every write request
    /// check it (see `storage`).
    pub storage: Arc<crate::storage::Storage>,
    /// The one writer of quiz attempts (group commit on its own connection): see `store::quiz::AttemptWriter`.
    pub attempts: crate::store::quiz::AttemptWriter,
    /// The content being served. Private so that every read goes through [`AppState::content`] (one
    /// snapshot per use) and every write through [`AppState::replace_content`].
    pub(crate) content: Arc<ArcSwap<Snapshot>>,
    /// The key that seals quiz forms and makes their option tokens (kept in the database, shared by
    /// every instance): see `quiz::form`.
    pub quiz_forms: crate::quiz::form::FormKey,
    /// Settings read once at start.
    pub settings: Settings,
    /// Password hashing for requests, a few at a time (argon2 takes 19 MiB each).
    pub hashing: Arc<crate::auth::password::Hashing>,
    /// `serve --watch` only: tells open pages to reload, or shows them the content's problems.
    pub live_reload: Option<LiveReload>,
    /// Class figures that cost a pass over many members, kept while they stay true
    /// (`web::instructor::cache`).
    pub class_cache: Arc<crate::web::instructor::cache::ClassCache>,
    /// `serve --metrics-bind` only: the Prometheus recorder's handle and the fast path's series
    /// (`web::metrics`).
    pub metrics: Option<Arc<crate::web::metrics::Metrics>>,
}

/// One version of the content, with everything derived from it, so that a page never mixes a course
/// with the question banks or pre-rendered pages of another version.
#[derive(Debug)]
pub struct Snapshot {
    /// The course, rendered once when this version was loaded.
    pub course: Course,
    /// Every topic's questions, validated with the course.
    pub quizzes: Bank,
    /// Topic pages for readers who are not signed in, rendered once for this version.
    pub rendered: RenderedPages,
    /// 0 for the content loaded at start, then one more for each reload by `serve --watch`.
    pub generation: u64,
}

impl AppState {
    /// The content as it is now. Take it once per request and read everything from it; it stays valid
    /// (and unchanged) for as long as it is held, whatever reloads happen meanwhile.
    pub fn content(&self) -> Arc<Snapshot> {
        self.content.load_full()
    }

    /// Serves `snapshot` from now on: requests already running keep the one they took.
    pub fn replace_content(&self, snapshot: Snapshot) {
        self.content.store(Arc::new(snapshot));
    }

    /// Compresses the static files and the current content's anonymous pages on one thread of their own at
    /// the lowest priority, one after another, so no reader waits for it and the encoders' memory is needed once
    /// (`web::precompressed`); `serve` calls it after start and after each reload.
    pub fn warm_pages(&self) {
        let snapshot = self.content();
        let spawned = std::thread::Builder::new()
            .name("pages-warm".into())
            .spawn(move || {
                // The lowest priority: compressing ~4.6 MB at brotli's best takes seconds of CPU, which a
                // busy server (a restarted instance taking its share of a class's quizzes) should spend on
                // requests first. A page asked for before its turn is compressed by that request
                // (`web::precompressed`), as it would be without this thread. On Linux the nice value is the
                // thread's own (setpriority(2), NOTES).
                if let Err(e) = rustix::process::setpriority_process(None, 19) {
                    tracing::debug!(error = %e, "pages-warm keeps its priority");
                }
                let started = std::time::Instant::now();
                crate::web::assets::warm();
                snapshot.rendered.warm();
                tracing::info!(
                    generation = snapshot.generation,
                    bytes = snapshot.rendered.bytes(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    "anonymous pages compressed"
                );
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "pages will be compressed on first request");
        }
    }
}

/// Settings that change how responses are made.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// `serve --watch`: pages carry the live-reload script and `/_watch/events` exists.
    pub watch: bool,
    /// `serve --trusted-proxy`: the reverse proxies whose `X-Forwarded-For` names the client
    /// (`web::auth::ClientAddress`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// `serve --metrics-bind`: install the metrics recorder and record every request (`web::metrics`).
    pub metrics: bool,
}

/// The visitor checks the session's account against the database.
impl axum::extract::FromRef<AppState> for crate::db::Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

/// Extractors that need only the settings (the `Visitor`'s cookie flags) take them from the state.
impl axum::extract::FromRef<AppState> for Settings {
    fn from_ref(state: &AppState) -> Self {
        state.settings.clone()
    }
}
