//! Grading 予想モード: before a packet is revealed, the learner predicts what the static filter does
//! with it, what the stateful filter does, and the packet's `ct state`.

use serde::{Deserialize, Serialize};

use super::model::{Conntrack, CtState};
use super::{Params, Scenario, scenario_name, simulate};
use crate::widgets::{
    Graded, GradedItem, ParamError, WidgetError, not_allowed, parse_body, to_json,
};

/// The field a prediction is stored under: both verdicts and the state in one item.
pub const VERDICT_FIELD: &str = "verdict";

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// All three parts matched the model.
    pub correct: bool,
    /// The static filter's verdict was right.
    pub static_correct: bool,
    /// The stateful filter's verdict was right.
    pub stateful_correct: bool,
    /// The `ct state` was right.
    pub state_correct: bool,
    /// The model's answer in Japanese.
    pub expected: String,
    /// The step's explanation.
    pub explain: String,
    /// The prediction in one fixed form: `static:accept,stateful:drop,state:NEW`.
    pub answer: String,
}

fn verdict(answer: &str, key: &str) -> Result<bool, ParamError> {
    match answer.trim() {
        "accept" => Ok(true),
        "drop" => Ok(false),
        other => Err(not_allowed(key, other, &["accept", "drop"])),
    }
}

fn word(accept: bool) -> &'static str {
    if accept { "通す" } else { "破棄" }
}

/// Grades a prediction for packet `step` (from 0) of `run`. A step that does not exist, or a value
/// that is not `accept`/`drop` or a `ct state`, is a [`ParamError`], so nothing gets recorded.
pub fn predict_check(
    run: &Conntrack,
    step: usize,
    static_answer: &str,
    stateful_answer: &str,
    state_answer: &str,
) -> Result<PredictResult, ParamError> {
    let s = run.steps.get(step).ok_or_else(|| {
        ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {step}）",
            run.steps.len().saturating_sub(1)
        ))
    })?;
    let given_static = verdict(static_answer, "static")?;
    let given_stateful = verdict(stateful_answer, "stateful")?;
    let given_state = CtState::from_answer(state_answer).ok_or_else(|| {
        not_allowed(
            "state",
            state_answer,
            &["NEW", "ESTABLISHED", "RELATED", "INVALID"],
        )
    })?;
    let static_correct = given_static == s.static_verdict.accept;
    let stateful_correct = given_stateful == s.stateful.accept;
    let state_correct = given_state == s.ct_state;
    Ok(PredictResult {
        correct: static_correct && stateful_correct && state_correct,
        static_correct,
        stateful_correct,
        state_correct,
        expected: format!(
            "静的フィルタ: {}（{}）、conntrack: {} で{}（{}）",
            word(s.static_verdict.accept),
            s.static_verdict.rule,
            s.ct_state.as_str(),
            word(s.stateful.accept),
            s.stateful.rule
        ),
        explain: s.explain.clone(),
        answer: format!(
            "static:{},stateful:{},state:{}",
            if given_static { "accept" } else { "drop" },
            if given_stateful { "accept" } else { "drop" },
            given_state.as_str()
        ),
    })
}

/// The body of `POST /api/widgets/conntrack/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default = "yes")]
    loose: bool,
    /// 0-based index into `steps`.
    step: usize,
    /// `accept` or `drop`.
    #[serde(rename = "static")]
    static_verdict: String,
    /// `accept` or `drop`.
    stateful: String,
    /// `NEW`, `ESTABLISHED`, `RELATED` or `INVALID`.
    state: String,
}

fn yes() -> bool {
    true
}

/// What the learner is told.
#[derive(Serialize)]
struct Reply<'a> {
    correct: bool,
    static_correct: bool,
    stateful_correct: bool,
    state_correct: bool,
    expected: &'a str,
    explain: &'a str,
}

/// Grades a check body: the run it names, then [`predict_check`]; stored as one item, field
/// [`VERDICT_FIELD`], under [`scenario_name`].
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let scenario = Scenario::from_name(body.scenario.trim()).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        not_allowed("scenario", &body.scenario, &names)
    })?;
    let params = Params {
        scenario,
        loose: body.loose,
    };
    let run = simulate(&params);
    let r = predict_check(
        &run,
        body.step,
        &body.static_verdict,
        &body.stateful,
        &body.state,
    )?;
    let reply = to_json(&Reply {
        correct: r.correct,
        static_correct: r.static_correct,
        stateful_correct: r.stateful_correct,
        state_correct: r.state_correct,
        expected: &r.expected,
        explain: &r.explain,
    })?;
    Ok(Graded {
        reply,
        item: GradedItem {
            scenario: scenario_name(&params),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: VERDICT_FIELD,
            answer: r.answer,
            correct: r.correct,
        },
    })
}
