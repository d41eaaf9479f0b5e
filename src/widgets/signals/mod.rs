//! W5: who gets a signal and what happens.
//!
//! It owns the truth the `signals` widget shows and grades (facts.md W5, §12): a shell with a
//! foreground pipeline (one process group) and a background job; Ctrl-C, Ctrl-Z, Ctrl-\ going to the
//! whole foreground group; `kill`, `kill -9`, `kill -STOP`/`-CONT` going to one PID; a program that
//! catches, ignores or blocks SIGINT or SIGTERM (pending until unblocked); SIGCHLD to the parent, who
//! reaps; and the disposition table with the numbers per architecture (signal(7)).
//!
//! [`model`] holds the types and the signal table, [`engine`] what a signal does to a process,
//! [`params`] what a run is asked for, [`scenarios`] the stories, [`predict`] the grading and
//! [`questions`] the quiz questions; [`SignalsWidget`] is the widget as the
//! [registry](crate::widgets::registry) lists it.

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

/// The signals widget in the [registry](crate::widgets::registry).
pub struct SignalsWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &SignalsWidget;

/// A stored scenario (`ctrl-c+catch`) read back; a bare scenario name has the default handler.
fn from_stored(stored: &str) -> Option<Params> {
    let (scenario, handler) = stored.split_once('+').unwrap_or((stored, "default"));
    Some(Params {
        scenario: Scenario::from_name(scenario)?,
        handler: Handler::ALL.into_iter().find(|h| h.name() == handler)?,
    })
}

impl Widget for SignalsWidget {
    fn name(&self) -> &'static str {
        "signals"
    }

    fn label(&self) -> &'static str {
        "シグナルは誰に届き、どうなるか"
    }

    fn short_label(&self) -> &'static str {
        "シグナル"
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

    /// 「Ctrl-C とパイプライン（ハンドラで捕捉する…）」: the handler changes every step after the first.
    fn scenario_label(&self, scenario: &str) -> String {
        match from_stored(scenario) {
            Some(p) if scenario.contains('+') => {
                format!("{}（{}）", p.scenario.label(), p.handler.label())
            }
            Some(p) => p.scenario.label().to_owned(),
            None => scenario.to_owned(),
        }
    }

    /// The step's action in the stored run: 「1. Ctrl-C を押す」.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let action = from_stored(scenario)
            .and_then(|p| step_at(&simulate(&p).steps, step).map(|s| s.action.clone()));
        numbered_step(step, action)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        Field::from_name(field).map(Field::label)
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
