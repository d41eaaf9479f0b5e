//! Grading 予想モード: before an operation (fork, execve, a second thread) is shown the learner says
//! what happens to each component — kept, shared, copied, new, replaced, reset, closed — and the
//! model says which are right and why.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::*;
use super::{params_from_query, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, echo, parse_body, to_json};

/// The field every prediction is stored under.
pub const FATES_FIELD: &str = "fates";

/// The verdict on one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowVerdict {
    /// The component.
    pub component: Component,
    /// Its label.
    pub label: &'static str,
    /// What the learner said.
    pub given: Fate,
    /// What the model says.
    pub expected: Fate,
    /// The model's fate in Japanese.
    pub expected_label: &'static str,
    /// They agree.
    pub correct: bool,
    /// The value after the operation.
    pub after: String,
    /// Why.
    pub why: String,
    /// Where it is written down.
    pub source: &'static str,
}

/// The verdict on a whole prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// Every component right.
    pub correct: bool,
    /// How many are right.
    pub score: usize,
    /// How many were asked.
    pub total: usize,
    /// Component by component, in the form's order.
    pub rows: Vec<RowVerdict>,
    /// The step's explanation.
    pub explain: String,
}

/// Grades `answer` (a fate for every component) before step `k` of `run`. A step that asks
/// nothing, a missing or unknown component, or an unknown fate is a [`ParamError`].
pub fn predict_check(
    run: &ProcRun,
    k: usize,
    answer: &BTreeMap<String, String>,
) -> Result<PredictResult, ParamError> {
    let Some(step) = run.steps.get(k) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {k}）",
            run.steps.len().saturating_sub(1)
        )));
    };
    if !step.ask {
        return Err(ParamError(format!(
            "ステップ {k} には予想する問いがありません"
        )));
    }
    let given = parse_answer(answer)?;
    let rows: Vec<RowVerdict> = step
        .fates
        .iter()
        .zip(given)
        .map(|(row, given)| RowVerdict {
            component: row.component,
            label: row.label,
            given,
            expected: row.fate,
            expected_label: row.fate.label(),
            correct: given == row.fate,
            after: row.after.clone(),
            why: row.why.clone(),
            source: row.source,
        })
        .collect();
    let score = rows.iter().filter(|r| r.correct).count();
    Ok(PredictResult {
        correct: score == rows.len(),
        score,
        total: rows.len(),
        rows,
        explain: step.explain.clone(),
    })
}

/// The learner's fates in [`Component::ALL`] order: every component exactly once, each a known fate.
fn parse_answer(answer: &BTreeMap<String, String>) -> Result<Vec<Fate>, ParamError> {
    if let Some(unknown) = answer.keys().find(|k| Component::from_name(k).is_none()) {
        return Err(ParamError(format!(
            "answer の項目「{}」はありません。使える項目: {}",
            echo(unknown),
            names(Component::ALL.iter().map(|c| c.name()))
        )));
    }
    Component::ALL
        .iter()
        .map(|c| {
            let raw = answer
                .get(c.name())
                .ok_or_else(|| ParamError(format!("answer に項目「{}」がありません", c.name())))?;
            Fate::from_name(raw.trim()).ok_or_else(|| {
                ParamError(format!(
                    "answer の {} の値「{}」は使えません。使える値: {}",
                    c.name(),
                    echo(raw),
                    names(Fate::ALL.iter().map(|f| f.name()))
                ))
            })
        })
        .collect()
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// The body of `POST /api/widgets/procmem/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    cloexec: Option<bool>,
    #[serde(default)]
    sigint: Option<String>,
    /// 0-based index into `steps`: the operation's step.
    step: usize,
    /// A fate name for every component name.
    answer: BTreeMap<String, String>,
}

/// Grades a check body: the run it names (read by the same parser as the query), then
/// [`predict_check`]. Stored as one item, field [`FATES_FIELD`], the answer as `pid=new,…`.
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    if body.answer.len() > Component::ALL.len() {
        return Err(ParamError(format!(
            "answer の項目が多すぎます（{} 個まで）",
            Component::ALL.len()
        ))
        .into());
    }
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    if let Some(c) = body.cloexec {
        pairs.push(("cloexec".to_owned(), c.to_string()));
    }
    if let Some(s) = &body.sigint {
        pairs.push(("sigint".to_owned(), s.clone()));
    }
    let params = params_from_query(&pairs)?;
    let run = simulate(&params);
    let verdict = predict_check(&run, body.step, &body.answer)?;
    let answer = verdict
        .rows
        .iter()
        .map(|r| format!("{}={}", r.component_name(), r.given.name()))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: params.scenario.name().to_owned(),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: FATES_FIELD,
            answer,
            correct: verdict.correct,
        },
    })
}

impl RowVerdict {
    fn component_name(&self) -> &'static str {
        self.component.name()
    }
}
