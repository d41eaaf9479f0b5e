//! The connection-vs-session timeline in its topic page: every scenario as a table of events (lane,
//! connection, stream, backend, what happened to the login session, the source) with its counts and
//! outcome, for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::sessions::{self, Kind, SessionsWidget};
use askama::Template;

/// The timeline's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &SessionsWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    time: String,
    lane: &'static str,
    conn: u32,
    stream: String,
    backend: &'static str,
    session: &'static str,
    lost: bool,
    /// `open`, `close`, `tls-full`, `tls-resumed`, `request`: a class for the row.
    kind: &'static str,
    title: String,
    explain: String,
    source: String,
}

struct ScenarioView {
    name: &'static str,
    label: &'static str,
    setup: String,
    counts: sessions::Counts,
    survives: bool,
    outcome: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "widgets/sessions.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    idle_timeout: u64,
    scenarios: Vec<ScenarioView>,
}

/// Seconds from the first SYN, as the table shows them.
fn format_ms(ms: u64) -> String {
    format!("{:.2} 秒", ms as f64 / 1000.0)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Open => "open",
        Kind::Close => "close",
        Kind::TlsFull => "tls-full",
        Kind::TlsResumed => "tls-resumed",
        Kind::Request => "request",
    }
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = sessions::Scenario::ALL
            .iter()
            .map(|&s| {
                let p = s.params();
                let t = sessions::simulate(&p);
                ScenarioView {
                    name: s.name(),
                    label: s.label(),
                    setup: t.setup.clone(),
                    counts: t.counts,
                    survives: t.survives,
                    outcome: t.outcome.clone(),
                    rows: t
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, st)| Row {
                            number: i + 1,
                            time: format_ms(st.t_ms),
                            lane: st.lane.label(),
                            conn: st.conn,
                            stream: st.stream.map_or_else(String::new, |id| id.to_string()),
                            backend: st.backend.map_or("", |b| b.name()),
                            session: st.session.map_or("", |x| x.label()),
                            lost: st.session == Some(sessions::SessionState::Lost),
                            kind: kind_name(st.kind),
                            title: st.title.clone(),
                            explain: st.explain.clone(),
                            source: st.source.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            idle_timeout: sessions::IDLE_TIMEOUT_S,
            scenarios,
        }
    }
}
