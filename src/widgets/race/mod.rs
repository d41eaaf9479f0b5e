//! W12: threads vs processes, and a lost update.
//!
//! It owns the truth the widget shows and grades: two threads doing `counter++` as load, add, store in
//! an order the learner picks (one of the C(6,3) = 20 interleavings), which lose an update unless one
//! finishes before the other starts; the same with a mutex, where a thread that finds it taken sleeps
//! (pthread_mutex_lock(3p)) so every order gives 2; and the same program with fork, where the child's
//! increment lands in its own copy of the page (copy-on-write, fork(2)) and never reaches the parent
//! (facts.md §11 and W12).
//!
//! [`model`] holds the types, [`params`] what a run is asked for, [`scenarios`] the engine and the
//! words, [`predict`] the grading of predictions and [`questions`] the quiz questions; [`RaceWidget`] is
//! the widget as the [registry](crate::widgets::registry) lists it.

pub mod model;
pub mod params;
pub mod predict;
pub mod questions;
pub mod scenarios;
#[cfg(test)]
mod tests;

pub use model::*;
pub use params::*;
pub use predict::predict_check;
pub use scenarios::simulate;

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The race widget in the [registry](crate::widgets::registry).
pub struct RaceWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &RaceWidget;

impl Widget for RaceWidget {
    fn name(&self) -> &'static str {
        "race"
    }

    fn label(&self) -> &'static str {
        "スレッドとプロセス、そして消える更新"
    }

    fn short_label(&self) -> &'static str {
        "競合状態"
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

    /// The step's note in the default schedule (121212); −1 is the whole run.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        if step < 0 {
            return "実行全体".to_owned();
        }
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
