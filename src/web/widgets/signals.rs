//! The signals widget in its topic page: the disposition table (numbers per architecture, default
//! action, catchable) and each scenario as a table of steps — who gets which signal and what happens to
//! every process — for the default disposition and, where the program under test's disposition
//! matters (Ctrl-C, kill), for catching, ignoring and blocking too.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::signals::{self, Fate, Handler, Scenario, SignalsWidget};
use askama::Template;

/// The signals widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &SignalsWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct SigView {
    name: &'static str,
    numbers: [u8; 4],
    varies: bool,
    action: &'static str,
    catchable: bool,
    source: &'static str,
}

struct Row {
    number: usize,
    action: String,
    signal: String,
    targets: String,
    fates: Vec<String>,
    explain: String,
    source: String,
}

struct RunView {
    /// `ctrl-c` or `ctrl-c+catch`: the JSON API's parameters.
    key: String,
    title: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "widgets/signals.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    table: Vec<SigView>,
    runs: Vec<RunView>,
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let table = signals::table()
            .into_iter()
            .map(|r| SigView {
                name: r.signal.name(),
                numbers: r.numbers,
                varies: r.varies,
                action: r.default_action.label(),
                catchable: r.catchable,
                source: r.source,
            })
            .collect();
        let mut cases: Vec<signals::Params> = Scenario::ALL
            .iter()
            .map(|&scenario| signals::Params {
                scenario,
                handler: Handler::Default,
            })
            .collect();
        for scenario in [Scenario::CtrlC, Scenario::Kill] {
            for handler in [Handler::Catch, Handler::Ignore, Handler::Block] {
                cases.push(signals::Params { scenario, handler });
            }
        }
        let runs = cases.iter().map(run_view).collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            table,
            runs,
        }
    }
}

fn run_view(p: &signals::Params) -> RunView {
    let run = signals::simulate(p);
    let program = run
        .initial
        .iter()
        .find(|x| x.pid == run.program)
        .map_or(String::new(), |x| format!("{} (PID {})", x.comm, x.pid));
    let key = if p.handler == Handler::Default {
        p.scenario.name().to_owned()
    } else {
        format!("{}+{}", p.scenario.name(), p.handler.name())
    };
    let title = format!(
        "{}（{} は {} を{}）",
        p.scenario.label(),
        program,
        run.handler_signal.name(),
        p.handler.label()
    );
    let name_of = |pid: u32| {
        run.initial
            .iter()
            .find(|x| x.pid == pid)
            .map_or(pid.to_string(), |x| format!("{}({pid})", x.comm))
    };
    let rows = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| Row {
            number: i + 1,
            action: s.action.clone(),
            signal: match (s.signal, s.signo) {
                (Some(sig), Some(n)) => format!("{}（{n}）", sig.name()),
                _ => "—".to_owned(),
            },
            targets: s
                .targets
                .iter()
                .map(|p| name_of(*p))
                .collect::<Vec<_>>()
                .join(", "),
            fates: s
                .deliveries
                .iter()
                .filter(|d| d.fate != Fate::Unaffected)
                .map(|d| format!("{}: {}", name_of(d.pid), d.fate.label()))
                .collect(),
            explain: s.explain.clone(),
            source: s.source.clone(),
        })
        .collect();
    RunView { key, title, rows }
}
