//! `serve --watch`, the page side: the status of the content folder as open pages see it, and the
//! Server-Sent Events endpoint `static/js/live-reload.js` listens on.
//!
//! Every event carries the whole status — the version being served and the problems of the newest
//! version on disk — so a page that connects late, or misses an event, still ends up right: it reloads
//! when the version is not its own, and shows the problems as an overlay otherwise. Without `--watch`
//! none of this exists: no route, no script in the pages.
//!
//! SSE rather than WebSocket or long polling: axum has it built in, `EventSource` reconnects by itself
//! (so a restarted server is noticed, and its new version reloads the page), and it is one plain GET that
//! the strict CSP's `connect-src 'self'` already allows.

use crate::content::Problem;
use crate::web::error::{AppError, Result};
use crate::web::layout::LiveReloadTag;
use crate::web::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where pages listen for changes.
pub const EVENTS_PATH: &str = "/_watch/events";

/// How long a disconnected page waits before `EventSource` tries again: short, since the usual cause is
/// a server restarted by the author.
const RETRY: Duration = Duration::from_secs(1);

/// The live-reload hub: one per server, shared by the watcher (which reports) and the event streams
/// (which listen). Cheap to clone.
#[derive(Clone)]
pub struct LiveReload {
    inner: Arc<Inner>,
}

struct Inner {
    /// Differs on every start, so a page from before a restart never mistakes the new server's
    /// generation 0 for its own.
    boot: String,
    status: watch::Sender<Status>,
}

/// What pages are told.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    /// The version being served, as pages carry it (`<boot>-<generation>`).
    pub version: String,
    /// Why the newest files on disk could not be loaded; empty when they are what is served.
    pub problems: Vec<Problem>,
    /// The server is shutting down: streams end so graceful shutdown does not wait on them.
    closed: bool,
}

impl Default for LiveReload {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveReload {
    pub fn new() -> Self {
        let mut bytes = [0u8; 6];
        let boot = match getrandom::fill(&mut bytes) {
            Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            // Only uniqueness across restarts matters here, which the clock also gives.
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
                .to_string(),
        };
        let (status, _) = watch::channel(Status::default());
        LiveReload {
            inner: Arc::new(Inner { boot, status }),
        }
    }

    fn version(&self, generation: u64) -> String {
        format!("{}-{generation}", self.inner.boot)
    }

    /// What a page made from content `generation` carries.
    pub fn tag(&self, generation: u64) -> LiveReloadTag {
        LiveReloadTag {
            js_url: crate::web::assets::url("js/live-reload.js"),
            css_url: crate::web::assets::url("css/live-reload.css"),
            version: self.version(generation),
        }
    }

    /// Content `generation` is now served, with no problem: open pages of older versions reload.
    pub fn loaded(&self, generation: u64) {
        let version = self.version(generation);
        self.inner.status.send_modify(|status| {
            status.version = version;
            status.problems.clear();
        });
    }

    /// The files on disk have these problems; the version served stays as it was.
    pub fn failed(&self, problems: Vec<Problem>) {
        self.inner.status.send_modify(|status| {
            status.problems = problems;
        });
    }

    /// Ends every event stream (at shutdown).
    pub fn close(&self) {
        self.inner.status.send_modify(|status| status.closed = true);
    }

    /// The status now.
    pub fn status(&self) -> Status {
        self.inner.status.borrow().clone()
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(EVENTS_PATH, get(events))
}

/// `GET /_watch/events`: the status now, then again on every change, as `status` events.
async fn events(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, axum::Error>>>> {
    let live = state.live_reload.ok_or(AppError::NotFound)?;
    let receiver = live.inner.status.subscribe();
    let stream =
        futures_util::stream::unfold((receiver, true), |(mut receiver, first)| async move {
            if !first && receiver.changed().await.is_err() {
                return None;
            }
            let status = receiver.borrow_and_update().clone();
            if status.closed {
                return None;
            }
            Some((event(&status), (receiver, false)))
        });
    // The comments keep proxies from closing an idle stream, and let the server notice a closed tab.
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    version: &'a str,
    problems: Vec<ProblemJson<'a>>,
}

#[derive(serde::Serialize)]
struct ProblemJson<'a> {
    file: &'a str,
    line: usize,
    message: &'a str,
}

fn event(status: &Status) -> Result<Event, axum::Error> {
    Event::default()
        .event("status")
        .retry(RETRY)
        .json_data(StatusJson {
            version: &status.version,
            problems: status
                .problems
                .iter()
                .map(|p| ProblemJson {
                    file: &p.file,
                    line: p.line,
                    message: &p.message,
                })
                .collect(),
        })
}
