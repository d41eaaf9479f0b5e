//! W1: the TCP 3-way handshake stepper model.
//!
//! It owns the truth the widget shows and grades: for each scenario (normal open, lost SYN,
//! lost final ACK, closed port, simultaneous open, close) the segments in order with their
//! flags, sequence and acknowledgment numbers, the time they leave their sender, and both
//! ends' RFC 9293 states after each one. Numbers follow the fact sheet (facts.md §4 and W1):
//! SYN and FIN each use one sequence number, a pure ACK uses none, all arithmetic is mod 2³².
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`scenarios`] the stories,
//! [`predict`] the grading of predictions and [`questions`] the quiz questions; [`HandshakeWidget`]
//! is the widget as the [registry](crate::widgets::registry) lists it.

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
pub use scenarios::{linux_syn_rto_ms, simulate, simulate_with_isns};

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The handshake stepper in the [registry](crate::widgets::registry).
pub struct HandshakeWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &HandshakeWidget;

impl Widget for HandshakeWidget {
    fn name(&self) -> &'static str {
        "handshake"
    }

    fn label(&self) -> &'static str {
        "TCP 3-way ハンドシェイク"
    }

    fn short_label(&self) -> &'static str {
        "TCP ハンドシェイク"
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

    /// The step's note in the default run (seed 0): 「2. サーバーが SYN,ACK を返す（…）」.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let note = Scenario::from_name(scenario).and_then(|s| {
            let run = simulate(&Params {
                scenario: s,
                ..Params::default()
            });
            step_at(&run.steps, step).map(|st| st.note.clone())
        });
        numbered_step(step, note)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        Field::from_name(field).map(Field::label)
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
