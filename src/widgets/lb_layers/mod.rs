//! W6: what an L3, an L4 and an L7 device can see and decide on.
//!
//! The learner builds a packet — HTTP, a custom protocol over HTTP, PostgreSQL's or a game's own
//! protocol over raw TCP; plain or in TLS (with ECH or not); port, method, Host, path, cookie — and a
//! rule (「/api → プール B」, 「5432 番 → DB プール」, 「Cookie → 同じバックエンド」…). The model
//! (facts.md §1, §2 and W6) says, layer by layer, which fields the device reads in this packet,
//! whether it can apply the rule and why (TLS termination, SNI, ECH's outer name), and where the
//! packet goes. Every verdict carries its sources.
//!
//! [`model`] holds the types, [`params`] the packet and rule and their stored names, [`scenarios`]
//! the evaluation, [`predict`] the grading of "which layers can?" and [`questions`] the quiz
//! questions; [`LbLayersWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

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
pub use scenarios::evaluate;

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// The L3/L4/L7 decision widget in the [registry](crate::widgets::registry).
pub struct LbLayersWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &LbLayersWidget;

impl Widget for LbLayersWidget {
    fn name(&self) -> &'static str {
        "lb-layers"
    }

    fn label(&self) -> &'static str {
        "L3・L4・L7 の装置が見るもの・決められること"
    }

    fn short_label(&self) -> &'static str {
        "L3/L4/L7 の判断"
    }

    fn scenarios(&self) -> Vec<ScenarioInfo> {
        ScenarioInfo::list(&Scenario::ALL, Scenario::name, Scenario::label)
    }

    fn scenario_json(&self, query: &[(String, String)]) -> Result<Json, WidgetError> {
        to_json(&evaluate(&params_from_query(query)?))
    }

    fn check(&self, body: &serde_json::Value) -> Result<Graded, WidgetError> {
        predict::check(body)
    }

    /// Also the lab's runs of a scenario through one real balancer (`path-http+l4`, `+l7`).
    fn scenario_label(&self, scenario: &str) -> String {
        if let Some(p) = params_from_scenario_name(scenario) {
            return scenario_label(&p);
        }
        let device = |base: &str, what: &str| {
            Scenario::from_name(base).map(|s| format!("{}：{what}で実行", s.label()))
        };
        let lab = match scenario.rsplit_once('+') {
            Some((base, "l4")) => device(base, "L4 ロードバランサー（nftables の DNAT）"),
            // Without TLS termination the lab's L7 device reads the SNI and passes the bytes on.
            Some((base, "l7"))
                if Scenario::from_name(base).is_some_and(|s| !s.params().terminate) =>
            {
                device(base, "L7 ロードバランサー（SNI を読む TLS パススルー）")
            }
            Some((base, "l7")) => device(base, "L7 ロードバランサー（HTTP のリバースプロキシ）"),
            _ => None,
        };
        lab.unwrap_or_else(|| scenario.to_owned())
    }

    /// Predictions are about all three devices (step −1); steps are the devices, L3 first.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        if step < 0 {
            return "3 つの層すべて（どの装置が使えるか）".to_owned();
        }
        let what = params_from_scenario_name(scenario)
            .and_then(|p| step_at(&evaluate(&p).devices, step).map(|d| d.label.to_owned()));
        numbered_step(step, what)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == LAYERS_FIELD).then_some("ルールを適用できる層")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
