//! W10: connection vs session on one timeline.
//!
//! It owns what the widget shows and grades (facts.md §6 and W10): a browser logs in to a site
//! behind a balancer with two backends, makes requests, pauses and makes more, and the model says
//! which TCP connections open and close (HTTP/1.1 keep-alive, the idle timeout), which TLS
//! handshakes send a certificate and which resume from a ticket, which HTTP/2 stream carries each
//! request, which backend an L4 (per connection) or L7 (per request) balancer picks, and whether
//! that backend finds the login session (in its memory, with sticky sessions, or in a shared
//! store). Every step carries its RFC sections.
//!
//! [`model`] holds the types, [`params`] the settings and the names a setup is stored under,
//! [`scenarios`] the story, [`predict`] the grading of the counts and [`questions`] the quiz
//! questions; [`SessionsWidget`] is the widget as the [registry](crate::widgets::registry) lists it.

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
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, to_json,
};

/// The connection-vs-session timeline in the [registry](crate::widgets::registry).
pub struct SessionsWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &SessionsWidget;

impl Widget for SessionsWidget {
    fn name(&self) -> &'static str {
        "sessions"
    }

    fn label(&self) -> &'static str {
        "コネクションとセッションのタイムライン"
    }

    fn short_label(&self) -> &'static str {
        "コネクションとセッション"
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

    /// A setup as [`scenario_name`] wrote it, in words.
    fn scenario_label(&self, scenario: &str) -> String {
        params_from_scenario_name(scenario)
            .map_or_else(|| scenario.to_owned(), |p| scenario_label(&p))
    }

    /// Predictions are about the whole run (step −1); a step of a run is its title.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        if step < 0 {
            return "タイムライン全体（数と結末）".to_owned();
        }
        let title = params_from_scenario_name(scenario).and_then(|p| {
            crate::widgets::step_at(&simulate(&p).steps, step).map(|s| s.title.clone())
        });
        numbered_step(step, title)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == COUNTS_FIELD)
            .then_some("接続・証明書つき TLS・リクエスト・セッションの数と、ログインが続くか")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
