//! Widgets: one pure, seeded model per teaching widget (DESIGN principle 2), and the [`Widget`]
//! trait and [`registry`] every other layer looks them up in.
//!
//! Each widget is a folder — the TCP handshake stepper (W1, [`handshake`]), FTP active vs passive
//! (W2, [`ftp`]), the fork/exec process tree (W3, [`forktree`]), what an L3/L4/L7 device decides on
//! (W6, [`lb_layers`]), connection vs session on one timeline (W10, [`sessions`]), the SNMP manager and
//! agent (W11, [`snmp`]), path MTU discovery (W4, [`pmtud`]), static vs stateful filtering (W9,
//! [`conntrack`]), process states on several CPUs (W7, [`sched`]), who gets a signal (W5,
//! [`signals`]), a pipe's descriptors (W8, [`pipe`]), the thread race (W12, [`race`]) and what a
//! process is made of (W13, [`procmem`]) — holding its model, its
//! parameters, its scenarios, the grading of predictions and the quiz questions it generates, and
//! one unit struct implementing [`Widget`]. Every model is a pure function of its parameters and a
//! seed (see [`rng`]), so the server can render a scenario as HTML, serve the same scenario as
//! JSON, grade answers and generate quiz questions against it. Nothing here does I/O or knows
//! about axum: the web layer (`web::widgets`) routes requests to the registry, the quiz takes its
//! generators from it, and the instructor's analysis its labels.
//!
//! The shape is mdBook's `Renderer` trait and list: adding a widget is its folders and one name in
//! [`for_each_widget`](crate::for_each_widget), the list [`REGISTRY`] is made from; nothing outside the
//! registry matches on widget names.

pub mod conntrack;
pub mod forktree;
pub mod ftp;
pub mod handshake;
pub mod labels;
pub mod lb_layers;
pub mod pipe;
pub mod pmtud;
pub mod procmem;
mod query;
pub mod race;
pub mod rng;
pub mod sched;
pub mod sessions;
pub mod signals;
pub mod snmp;
#[cfg(test)]
mod testing;

pub use query::{ParamError, query_bool, query_choice, query_u64, query_value};
pub(crate) use query::{answer_within, echo, not_allowed};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// A JSON document already written out, so the widget's own types keep their field order (a
/// `serde_json::Value` would sort the keys).
pub type Json = Box<RawValue>;

/// A scenario a widget offers by name: what the picker and the instructor's tables show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioInfo {
    /// The name in URLs, JSON and the database (`lost-syn`).
    pub name: &'static str,
    /// The Japanese label (「SYN が失われる」).
    pub label: &'static str,
}

impl ScenarioInfo {
    /// The infos of a widget's scenario enum: every value in `all`, named and labelled by `name` and
    /// `label` (the enum's own methods).
    pub fn list<S: Copy>(
        all: &[S],
        name: fn(S) -> &'static str,
        label: fn(S) -> &'static str,
    ) -> Vec<ScenarioInfo> {
        all.iter()
            .map(|&s| ScenarioInfo {
                name: name(s),
                label: label(s),
            })
            .collect()
    }
}

/// The step a stored index (from 0) points at in a run, if the run has it.
pub fn step_at<T>(steps: &[T], step: i64) -> Option<&T> {
    usize::try_from(step).ok().and_then(|i| steps.get(i))
}

/// A step as the instructor's tables name it: 「N. what happens」, or 「ステップ N」 when nothing is known
/// about it. N counts from 1.
pub fn numbered_step(step: i64, what: Option<String>) -> String {
    let number = step.saturating_add(1);
    match what {
        Some(what) => format!("{number}. {what}"),
        None => format!("ステップ {number}"),
    }
}

/// A graded prediction: what the learner is told, and what is stored for a signed-in learner.
#[derive(Debug)]
pub struct Graded {
    /// The verdict as the widget's script reads it (the widget's own JSON shape).
    pub reply: Json,
    /// The graded item kept in `widget_answer`.
    pub item: GradedItem,
}

/// One graded prediction as stored, and as the instructor's analysis groups it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradedItem {
    /// The scenario's canonical name (see [`Widget::scenario_label`]).
    pub scenario: String,
    /// The step asked about, from 0; −1 when the question is about the whole run.
    pub step: i64,
    /// What was predicted (see [`Widget::field_label`]).
    pub field: &'static str,
    /// The learner's answer, in one fixed form.
    pub answer: String,
    /// Whether it matched the model.
    pub correct: bool,
}

/// A quiz question generator a widget offers: its numbers and its answer come from the widget's
/// model and a seed, so the quiz and the widget can never disagree.
#[derive(Debug)]
pub struct QuestionGenerator {
    /// The id a question bank names (`generator = "pasv-port"`). Banks depend on it: never rename.
    pub id: &'static str,
    /// The question for a seed (per learner and attempt).
    pub make: fn(u64) -> GeneratedQuestion,
}

/// A generated question, ready to show and grade.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedQuestion {
    /// The question as shown.
    pub prompt: String,
    /// The answer, a whole number.
    pub answer: u64,
    /// Placeholders for the bank's explanation: (name, value).
    pub values: Vec<(&'static str, String)>,
}

/// Why a widget refused a request. The web layer maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum WidgetError {
    /// A parameter or answer the model rejects (400), with the Japanese message.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A check body of the wrong shape — a missing or unknown field, a wrong type (422).
    #[error("JSON の項目が正しくありません: {0}")]
    Shape(String),
    /// The widget grades no predictions (404).
    #[error("ウィジェット {0} には答え合わせがありません")]
    NoCheck(&'static str),
    /// The model's answer could not be written as JSON: a bug (500).
    #[error("JSON を書けませんでした: {0}")]
    Internal(String),
}

/// One interactive widget, as every layer outside its folder sees it. Implemented by a unit struct
/// in the widget's `mod.rs`, whose `WIDGET` static the [`REGISTRY`] lists.
pub trait Widget: Sync {
    /// The name in URLs (`/api/widgets/{name}`), `course.toml`, the database, the template
    /// (`templates/widgets/{name}.html`), the script and the stylesheet (`{name}.js`, `{name}.css`).
    fn name(&self) -> &'static str;

    /// The title on the topic page and in its table of contents (「TCP 3-way ハンドシェイク」).
    fn label(&self) -> &'static str;

    /// The short name the instructor's tables use (「TCP ハンドシェイク」).
    fn short_label(&self) -> &'static str;

    /// The named scenarios, in picker order.
    fn scenarios(&self) -> Vec<ScenarioInfo>;

    /// One run of the model as JSON, for `GET /api/widgets/{name}?…`. Missing parameters take
    /// their defaults; a bad value is a [`WidgetError::Param`].
    fn scenario_json(&self, query: &[(String, String)]) -> Result<Json, WidgetError>;

    /// Grades a learner's prediction, the JSON body of `POST /api/widgets/{name}/check`.
    fn check(&self, body: &serde_json::Value) -> Result<Graded, WidgetError> {
        let _ = body;
        Err(WidgetError::NoCheck(self.name()))
    }

    /// A stored scenario name in Japanese; an unknown name is shown as it is.
    fn scenario_label(&self, scenario: &str) -> String {
        self.scenarios()
            .into_iter()
            .find(|s| s.name == scenario)
            .map_or_else(|| scenario.to_owned(), |s| s.label.to_owned())
    }

    /// A stored step (from 0) as the widget shows it: its number and what happens there.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let _ = scenario;
        numbered_step(step, None)
    }

    /// A stored field (what was predicted) in Japanese, if the widget has it.
    fn field_label(&self, field: &str) -> Option<&'static str> {
        let _ = field;
        None
    }

    /// The quiz question generators this widget offers.
    fn generators(&self) -> &'static [QuestionGenerator] {
        &[]
    }
}

/// Calls the macro `$then` with every widget's module name, in the order pages and errors list them:
/// `$then!(handshake, ftp, forktree)`. This is the one list of widgets: [`REGISTRY`] here and the views
/// in `web::widgets` are both made from it, so a widget cannot be listed without its view, nor a view
/// without its model. Each name is a module here (with its `WIDGET`) and one in `web::widgets` (with its
/// `View`).
#[macro_export]
macro_rules! for_each_widget {
    ($then:ident) => {
        $then!(
            handshake, ftp, forktree, lb_layers, sessions, snmp, pmtud, conntrack, sched, signals,
            pipe, race, procmem
        )
    };
}

macro_rules! models {
    ($($name:ident),*) => { [$($name::WIDGET),*] };
}

/// Every widget this build has, one per name in [`for_each_widget`](crate::for_each_widget).
pub static REGISTRY: &[&dyn Widget] = &crate::for_each_widget!(models);

/// Every widget this build has.
pub fn registry() -> &'static [&'static dyn Widget] {
    REGISTRY
}

/// The widget called `name`, if this build has it.
pub fn find(name: &str) -> Option<&'static dyn Widget> {
    registry().iter().copied().find(|w| w.name() == name)
}

/// Writes a model's value as JSON for a [`Widget`] answer.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Json, WidgetError> {
    serde_json::value::to_raw_value(value).map_err(|e| WidgetError::Internal(e.to_string()))
}

/// Reads a check body into the widget's own type; a body of the wrong shape is a
/// [`WidgetError::Shape`], as axum's `Json` extractor would have said.
pub fn parse_body<T: DeserializeOwned>(body: &serde_json::Value) -> Result<T, WidgetError> {
    T::deserialize(body).map_err(|e| WidgetError::Shape(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_generator_ids_are_unique_and_url_safe() {
        let names: HashSet<&str> = registry().iter().map(|w| w.name()).collect();
        assert_eq!(names.len(), registry().len());
        for w in registry() {
            // The name is a path segment, a file name and a CSS id: lowercase letters and '-'.
            assert!(
                w.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                w.name()
            );
            assert!(!w.label().is_empty() && !w.short_label().is_empty());
            assert!(!w.scenarios().is_empty(), "{}", w.name());
        }
        let ids: Vec<&str> = registry()
            .iter()
            .flat_map(|w| w.generators())
            .map(|g| g.id)
            .collect();
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            ids.len(),
            "{ids:?}"
        );
    }

    #[test]
    fn find_looks_up_by_name() {
        assert_eq!(find("ftp").map(|w| w.name()), Some("ftp"));
        assert!(find("nope").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn defaults_serve_as_json_and_scenarios_read_back_in_japanese() {
        for w in registry() {
            let json = w.scenario_json(&[]).expect("the defaults are a scenario");
            assert!(json.get().starts_with('{'), "{}", w.name());
            for s in w.scenarios() {
                assert_eq!(w.scenario_label(s.name), s.label, "{}", w.name());
            }
        }
    }

    #[test]
    fn a_bad_check_body_is_a_shape_error() {
        for w in registry() {
            let err = w.check(&serde_json::json!({"nope": 1})).unwrap_err();
            assert!(matches!(err, WidgetError::Shape(_)), "{}: {err}", w.name());
            assert!(err.to_string().starts_with("JSON の項目"), "{err}");
        }
    }
}
