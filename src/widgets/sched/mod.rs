//! W7: process states on a multicore machine.
//!
//! It owns the truth the `sched` widget shows and grades (facts.md W7, §10, §12): tasks that
//! compute, read an empty pipe (S), wait for the disk (D), are stopped and continued (T), exit (Z)
//! and are reaped; one run queue per CPU with at most one running task each, and idle CPUs pulling
//! waiting tasks from busy ones; each task's `ps` STAT letter and what the load average counts
//! (R + D, proc(5)).
//!
//! [`model`] holds the types, [`engine`] the machine and what each event does, [`params`] what a
//! run is asked for, [`scenarios`] the stories, [`predict`] the grading of predictions and
//! [`questions`] the quiz questions; [`SchedWidget`] is the widget as the
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

/// The scheduler widget in the [registry](crate::widgets::registry).
pub struct SchedWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &SchedWidget;

impl Params {
    /// The scenario as stored with a graded prediction: its name, the CPU count and, for the
    /// balance scenario, the task count (`balance/3cpu/5tasks`), since the steps depend on them.
    pub fn stored_name(&self) -> String {
        match self.scenario {
            Scenario::Balance => format!(
                "{}/{}cpu/{}tasks",
                self.scenario.name(),
                self.cpus,
                self.tasks
            ),
            _ => format!("{}/{}cpu", self.scenario.name(), self.cpus),
        }
    }

    /// Reads a [`stored_name`](Self::stored_name) back; `None` for anything else.
    pub fn from_stored(stored: &str) -> Option<Params> {
        let mut parts = stored.split('/');
        let scenario = Scenario::from_name(parts.next()?)?;
        let number = |part: Option<&str>, unit: &str, lo: u64, hi: u64| -> Option<usize> {
            let n: u64 = part?.strip_suffix(unit)?.parse().ok()?;
            (lo..=hi).contains(&n).then_some(n as usize)
        };
        let cpus = number(parts.next(), "cpu", CPUS_RANGE.0, CPUS_RANGE.1)?;
        let tasks = if scenario == Scenario::Balance {
            number(parts.next(), "tasks", TASKS_RANGE.0, TASKS_RANGE.1)?
        } else {
            Params::default().tasks
        };
        parts.next().is_none().then_some(Params {
            scenario,
            cpus,
            tasks,
        })
    }
}

impl Widget for SchedWidget {
    fn name(&self) -> &'static str {
        "sched"
    }

    fn label(&self) -> &'static str {
        "マルチコアのプロセス状態と実行待ちキュー"
    }

    fn short_label(&self) -> &'static str {
        "プロセス状態と実行待ちキュー"
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

    /// 「バランス（CPU 3 個・タスク 5 個）」: the label and the numbers the steps depend on.
    fn scenario_label(&self, scenario: &str) -> String {
        match Params::from_stored(scenario) {
            Some(p) if p.scenario == Scenario::Balance => format!(
                "{}（CPU {} 個・タスク {} 個）",
                p.scenario.label(),
                p.cpus,
                p.tasks
            ),
            Some(p) => format!("{}（CPU {} 個）", p.scenario.label(), p.cpus),
            None => Scenario::from_name(scenario)
                .map_or_else(|| scenario.to_owned(), |s| s.label().to_owned()),
        }
    }

    /// The step's event in the stored run: 「3. grep (PID 103) が空のパイプから read() する」.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let event = Params::from_stored(scenario)
            .or_else(|| {
                Scenario::from_name(scenario).map(|scenario| Params {
                    scenario,
                    ..Params::default()
                })
            })
            .and_then(|p| step_at(&simulate(&p).steps, step).map(|s| s.event.clone()));
        numbered_step(step, event)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        Field::from_name(field).map(Field::label)
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
