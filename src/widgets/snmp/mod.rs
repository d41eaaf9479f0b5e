//! W11: the SNMP manager and agent model.
//!
//! It owns the truth the widget shows and grades: a manager and an agent exchanging PDUs over UDP
//! (requests to 161, notifications to 162, RFC 3417 §3.2), the agent's small MIB (the system group and
//! ifTable, RFC 3418 / RFC 1213 / RFC 2863) walked in lexicographic order with GetNext, GetBulk's
//! N + M × R bindings, SET refused by a read-only community (noAccess) or a read-only object
//! (notWritable), a linkDown Trap (never answered) against an Inform (answered, resent when lost), and a
//! poll turning Counter32 or Counter64 samples into bits/s across the 32-bit wrap (facts.md §8 and W11).
//!
//! [`mib`] holds the agent's objects and OID names, [`model`] the types, [`params`] what a run is
//! asked for, [`scenarios`] the stories, [`predict`] the grading of predictions and [`questions`] the
//! quiz questions; [`SnmpWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

pub mod mib;
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

/// The SNMP widget in the [registry](crate::widgets::registry).
pub struct SnmpWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &SnmpWidget;

impl Widget for SnmpWidget {
    fn name(&self) -> &'static str {
        "snmp"
    }

    fn label(&self) -> &'static str {
        "SNMP のマネージャーとエージェント"
    }

    fn short_label(&self) -> &'static str {
        "SNMP"
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

    /// A recorded variant in words: `inform+lost` is the Inform whose first datagram is lost,
    /// `poll+hc` the poll of the 64-bit ifHCInOctets.
    fn scenario_label(&self, scenario: &str) -> String {
        let variant = |suffix: &str, words: &str| {
            let s = Scenario::from_name(scenario.strip_suffix(suffix)?)?;
            Some(format!("{}・{words}", s.label()))
        };
        variant("+lost", "最初の通知が失われる")
            .or_else(|| variant("+hc", "64 ビットの ifHCInOctets"))
            .or_else(|| Scenario::from_name(scenario).map(|s| s.label().to_owned()))
            .unwrap_or_else(|| scenario.to_owned())
    }

    /// The step's note in the scenario's default run: 「2. Response sysDescr.0 = …」.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let note = Scenario::from_name(scenario).and_then(|s| {
            let run = simulate(&Params::of(s));
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
