//! The race widget in its topic page: for each program (threads, with a mutex, with fork) the C code,
//! the default order (121212) step by step with both registers and the memory, and all 20 orders with
//! what they print — for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::race::{self, RaceWidget};
use askama::Template;

/// The race widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &RaceWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct RaceRow {
    number: usize,
    who: &'static str,
    code: &'static str,
    r1: String,
    r2: String,
    memory: String,
    note: String,
    explain: String,
    source: &'static str,
}

struct RaceScenarioView {
    name: &'static str,
    label: &'static str,
    code: String,
    schedule: String,
    rows: Vec<RaceRow>,
    orders: Vec<race::Order>,
    lost_orders: usize,
    outcome: String,
}

#[derive(Template)]
#[template(path = "widgets/race.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    scenarios: Vec<RaceScenarioView>,
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = race::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let run = race::simulate(&race::Params {
                    scenario,
                    ..race::Params::default()
                });
                let reg = |r: Option<u64>| r.map_or_else(|| "—".to_owned(), |v| v.to_string());
                let rows = run
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| RaceRow {
                        number: i + 1,
                        who: run.actors[usize::from(s.actor - 1)].name,
                        code: s.code,
                        r1: reg(s.registers[0]),
                        r2: reg(s.registers[1]),
                        memory: s
                            .memory
                            .iter()
                            .map(|m| format!("{}: {}", m.label, m.value))
                            .collect::<Vec<_>>()
                            .join(" ／ "),
                        note: s.note.clone(),
                        explain: s.explain.clone(),
                        source: s.source,
                    })
                    .collect();
                RaceScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    code: run.code,
                    schedule: run.schedule,
                    rows,
                    orders: run.orders,
                    lost_orders: run.lost_orders,
                    outcome: run.outcome,
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            scenarios,
        }
    }
}
