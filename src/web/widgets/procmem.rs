//! The process-components widget in its topic page: the process's /proc/PID/maps, then every
//! scenario as a table of steps, and for fork, execve and a second thread a table of what happens to
//! each component — for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::procmem::{self, ProcMemWidget};
use askama::Template;

/// The widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &ProcMemWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    call: String,
    note: String,
    explain: String,
    source: &'static str,
}

struct FateView {
    label: &'static str,
    before: String,
    after: String,
    fate: &'static str,
    why: String,
    source: &'static str,
}

struct ScenarioView {
    name: &'static str,
    label: &'static str,
    rows: Vec<Row>,
    fates: Vec<FateView>,
}

#[derive(Template)]
#[template(path = "widgets/procmem.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    maps: String,
    scenarios: Vec<ScenarioView>,
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let mut maps = String::new();
        let scenarios = procmem::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let run = procmem::simulate(&procmem::Params {
                    scenario,
                    ..Default::default()
                });
                if maps.is_empty()
                    && let Some(p) = run.initial.first()
                {
                    maps = p
                        .maps
                        .iter()
                        .map(|m| m.line.as_str())
                        .collect::<Vec<_>>()
                        .join("\n");
                }
                ScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    rows: run
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Row {
                            number: i + 1,
                            call: s.call.clone(),
                            note: s.note.clone(),
                            explain: s.explain.clone(),
                            source: s.source,
                        })
                        .collect(),
                    fates: run
                        .steps
                        .iter()
                        .flat_map(|s| s.fates.iter())
                        .map(|f| FateView {
                            label: f.label,
                            before: f.before.clone(),
                            after: f.after.clone(),
                            fate: f.fate.label(),
                            why: f.why.clone(),
                            source: f.source,
                        })
                        .collect(),
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            maps,
            scenarios,
        }
    }
}
