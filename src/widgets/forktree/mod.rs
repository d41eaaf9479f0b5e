//! W3: the fork/exec process tree model.
//!
//! It owns the rules of the process tree (facts.md §10 and W3): what fork, execve, exit and
//! wait do to it ([`apply`]), and the scenarios the widget steps through — bash running `ls`,
//! the `fork()` loop, the shell pipeline of W8, an orphan adopted by init or a subreaper, and
//! seeded random trees in the style of OSTEP's `fork.py`. PID 1 (init) is implicit: it is never
//! in a process list, and a process whose `ppid` is 1 hangs under it.
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`rules`] the system calls,
//! [`scenarios`] the stories, [`predict`] the grading of a learner's tree and [`questions`] the
//! quiz questions; [`ForkTreeWidget`] is the widget as the [registry](crate::widgets::registry)
//! lists it.

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
pub use rules::{apply, same_tree};
pub use scenarios::{FORK_LOOP_CODE, simulate};

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, step_at, to_json,
};

/// The process tree in the [registry](crate::widgets::registry).
pub struct ForkTreeWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &ForkTreeWidget;

impl Widget for ForkTreeWidget {
    fn name(&self) -> &'static str {
        "forktree"
    }

    fn label(&self) -> &'static str {
        "fork と exec のプロセスツリー"
    }

    fn short_label(&self) -> &'static str {
        "プロセスツリー"
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

    /// "After step N": a learner checks the tree after a step, or (step −1) the final tree. The
    /// step's description comes from the default run; a random tree depends on a seed that is
    /// not stored, so it gets the number only.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        if step < 0 {
            return "最終的なツリー".to_owned();
        }
        let number = step.saturating_add(1);
        let description = Scenario::from_name(scenario)
            .filter(|s| *s != Scenario::Random)
            .and_then(|s| {
                let run = simulate(&Params {
                    scenario: s,
                    ..Params::default()
                });
                step_at(&run.steps, step).map(|st| st.description.clone())
            });
        match description {
            Some(d) => format!("{number}. {d} の後"),
            None => format!("手順 {number} の後"),
        }
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == TREE_FIELD).then_some("プロセスツリー")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
