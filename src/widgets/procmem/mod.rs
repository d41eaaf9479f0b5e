//! W13: what a process is made of, and what fork, execve and a second thread do to it.
//!
//! It owns the truth the widget shows and grades (facts.md W13, §10 and §11): a process as /proc
//! shows it — /proc/PID/maps (text, data, bss, heap, the mmap area, the stack), the descriptor table
//! with FD_CLOEXEC, credentials, cwd, signal dispositions and each thread's mask — and, component by
//! component, what fork copies, what execve replaces or keeps (PID, descriptors without FD_CLOEXEC,
//! cwd, the mask; caught handlers reset, ignored signals stay ignored) and what threads share.
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`rules`] the operations,
//! [`scenarios`] the stories, [`predict`] the grading of 予想モード and [`questions`] the quiz
//! questions; [`ProcMemWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

pub mod model;
pub mod params;
pub mod predict;
pub mod questions;
pub mod rules;
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

/// The process-components widget in the [registry](crate::widgets::registry).
pub struct ProcMemWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &ProcMemWidget;

impl Widget for ProcMemWidget {
    fn name(&self) -> &'static str {
        "procmem"
    }

    fn label(&self) -> &'static str {
        "プロセスの中身と fork・execve・スレッド"
    }

    fn short_label(&self) -> &'static str {
        "プロセスの構成要素"
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

    /// The step's call and note in the default run: 「1. fork(): server（200）が…」.
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
        (field == FATES_FIELD).then_some("各構成要素がどうなるか")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
