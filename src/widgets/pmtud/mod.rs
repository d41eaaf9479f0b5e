//! W4: the path MTU discovery (PMTUD) and black-hole simulator.
//!
//! It owns what happens when A (link MTU 1500) sends a full-sized TCP segment to B through a
//! tunnel of smaller MTU (1400 by default): the handshake and small packets pass, the big segment
//! is dropped by R1, and then — depending on the firewall in front of A (drop ICMP type 3, drop
//! Echo only, drop all), MSS clamping at R1, PLPMTUD at A, IPv6 (Packet Too Big, no router
//! fragmentation) or DF clear (R1 fragments) — whether the transfer completes, what A's path MTU
//! becomes, and whether B's ping gets through (facts.md §5 and W4).
//!
//! [`model`] holds the types, [`params`] the settings and named setups, [`scenarios`] the run step
//! by step, [`predict`] the grading of 予想モード and [`questions`] the quiz questions;
//! [`PmtudWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

pub mod model;
pub mod params;
pub mod predict;
pub mod questions;
pub mod scenarios;
#[cfg(test)]
mod tests;

pub use model::*;
pub use params::*;
pub use predict::*;
pub use scenarios::{fragments, plpmtud_search, simulate};

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The PMTUD simulator in the [registry](crate::widgets::registry).
pub struct PmtudWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &PmtudWidget;

impl Widget for PmtudWidget {
    fn name(&self) -> &'static str {
        "pmtud"
    }

    fn label(&self) -> &'static str {
        "経路 MTU 探索とブラックホール"
    }

    fn short_label(&self) -> &'static str {
        "PMTUD"
    }

    fn scenarios(&self) -> Vec<ScenarioInfo> {
        PRESETS
            .iter()
            .map(|p| ScenarioInfo {
                name: p.name,
                label: p.label,
            })
            .collect()
    }

    fn scenario_json(&self, query: &[(String, String)]) -> Result<Json, WidgetError> {
        to_json(&simulate(&params_from_query(query)?))
    }

    fn check(&self, body: &serde_json::Value) -> Result<Graded, WidgetError> {
        predict::check(body)
    }

    /// A preset's label, or a setup [`scenario_name`] wrote, in words.
    fn scenario_label(&self, scenario: &str) -> String {
        params_from_scenario_name(scenario)
            .map_or_else(|| scenario.to_owned(), |p| scenario_label(&p))
    }

    /// The step's one-line note in that setup's run (予想モード asks before step 4).
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let note = params_from_scenario_name(scenario)
            .and_then(|p| step_at(&simulate(&p).steps, step).map(|s| s.note.clone()));
        numbered_step(step, note)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == OUTCOME_FIELD).then_some("転送が完了するか・A の経路 MTU")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
