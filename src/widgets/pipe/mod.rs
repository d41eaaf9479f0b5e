//! W8: the pipe `cat /var/log/messages | grep Error`, system call by system call.
//!
//! It owns the truth the widget shows and grades (facts.md W8 and §12): how the shell builds the
//! pipeline — pipe, fork, dup2, close, execve, and the shell's own closes — with every process's
//! descriptor table after each call; the data flowing through the 65,536-byte pipe, cat blocking
//! when it is full; EOF once the last write end closes; SIGPIPE when grep quits first; hangs when a
//! close is forgotten; and the pipeline's `$?` with and without `pipefail` (bash(1)).
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`scenarios`] the stories (their
//! data phase in `flow`),
//! [`predict`] the grading of 予想モード and [`questions`] the quiz questions; [`PipeWidget`] is the
//! widget as the [registry](crate::widgets::registry) lists it.

mod flow;
pub mod model;
pub mod params;
pub mod predict;
pub mod questions;
pub mod scenarios;
#[cfg(test)]
mod tests;

pub use flow::pipeline_status;
pub use model::*;
pub use params::*;
pub use predict::*;
pub use scenarios::{bytes, simulate};

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The pipe widget in the [registry](crate::widgets::registry).
pub struct PipeWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &PipeWidget;

impl Widget for PipeWidget {
    fn name(&self) -> &'static str {
        "pipe"
    }

    fn label(&self) -> &'static str {
        "パイプ cat | grep のファイル記述子"
    }

    fn short_label(&self) -> &'static str {
        "パイプ"
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

    /// The step's call and note in the default run: 「3. dup2(4, 1): 子 101 が…」.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let note = Scenario::from_name(scenario).and_then(|s| {
            let run = simulate(&Params {
                scenario: s,
                ..Params::default()
            });
            step_at(&run.steps, step).map(|st| format!("{}: {}", st.call, st.note))
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
