//! W9: static rules vs a stateful filter (connection tracking).
//!
//! It owns what happens to the same traffic — HTTPS out, DNS over UDP, passive FTP with and without
//! the ftp helper, an unsolicited SYN, an ICMP error about a tracked flow, a stray ACK — in a static
//! rule table that sees one packet at a time and in Linux conntrack with an nftables ruleset: each
//! packet's verdict in both, its `ct state` (NEW / ESTABLISHED / RELATED / INVALID), and the table
//! as `conntrack -L` prints it after every packet (facts.md §9 and W9). The output format, timeouts
//! and states were checked against Linux 6.18 in a network namespace.
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`engine`] the two filters,
//! [`scenarios`] the traffic, [`predict`] the grading of 予想モード and [`questions`] the quiz
//! questions; [`ConntrackWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

pub mod engine;
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
pub use scenarios::simulate;

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The firewall comparison in the [registry](crate::widgets::registry).
pub struct ConntrackWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &ConntrackWidget;

impl Widget for ConntrackWidget {
    fn name(&self) -> &'static str {
        "conntrack"
    }

    fn label(&self) -> &'static str {
        "静的フィルタとステートフルフィルタ（conntrack）"
    }

    fn short_label(&self) -> &'static str {
        "conntrack"
    }

    fn scenarios(&self) -> Vec<ScenarioInfo> {
        ScenarioInfo::list(&Scenario::ALL, Scenario::name, Scenario::label)
    }

    fn scenario_json(&self, query: &[(String, String)]) -> Result<Json, WidgetError> {
        to_json(&simulate(&params_from_query(query)?))
    }

    fn check(&self, body: &serde_json::Value) -> Result<Graded, WidgetError> {
        predict::check(body)
    }

    /// A stored name (`stray-ack+strict`) in words.
    fn scenario_label(&self, scenario: &str) -> String {
        params_from_scenario_name(scenario)
            .map_or_else(|| scenario.to_owned(), |p| scenario_label(&p))
    }

    /// The packet's one-line note in that run.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let note = params_from_scenario_name(scenario)
            .and_then(|p| step_at(&simulate(&p).steps, step).map(|s| s.note.clone()));
        numbered_step(step, note)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == VERDICT_FIELD).then_some("静的フィルタと conntrack の判定・ct state")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
