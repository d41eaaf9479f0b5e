//! Grading a prediction in predict mode (予想モード): before a step is revealed the learner names what
//! happens to one process (its fate) or the number of the signal sent (on x86); the server recomputes
//! the run and says whether that is right and why.

use serde::{Deserialize, Serialize};

use super::model::{Fate, Signals};
use super::{params_from_query, simulate};
use crate::widgets::{
    Graded, GradedItem, ParamError, WidgetError, answer_within, echo, not_allowed, parse_body,
    to_json,
};

/// Longest answer accepted, in characters.
const ANSWER_LIMIT: usize = 20;

/// What a learner predicts about a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// What happens to process `pid`.
    Fate,
    /// The number of the signal sent, on x86.
    Signo,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 2] = [Field::Fate, Field::Signo];

    /// The name in JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Field::Fate => "fate",
            Field::Signo => "signo",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Field::Fate => "プロセスの運命",
            Field::Signo => "シグナル番号（x86）",
        }
    }
}

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's answer (a fate's name, or a number).
    pub expected: String,
    /// The same in Japanese.
    pub expected_label: String,
    /// The step's explanation.
    pub explain: String,
    /// The step's sources.
    pub source: String,
}

/// Grades `answer` for `field` at step `step` of `run`; `pid` names the process for [`Field::Fate`].
/// Returns the verdict and the answer as stored (`202:handled`, `2`).
pub fn predict_check(
    run: &Signals,
    step: usize,
    field: Field,
    pid: Option<u32>,
    answer: &str,
) -> Result<(PredictResult, String), ParamError> {
    let Some(s) = run.steps.get(step) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {step}）",
            run.steps.len().saturating_sub(1)
        )));
    };
    let (correct, expected, label, stored) = match field {
        Field::Fate => {
            let pid = pid.ok_or_else(|| {
                ParamError("パラメータ pid を指定してください（運命を予想するプロセス）".to_owned())
            })?;
            let d = s.deliveries.iter().find(|d| d.pid == pid).ok_or_else(|| {
                let pids: Vec<String> = s.deliveries.iter().map(|d| d.pid.to_string()).collect();
                ParamError(format!(
                    "パラメータ pid の値 {pid} のプロセスはありません。使える値: {}",
                    pids.join(", ")
                ))
            })?;
            let given = Fate::from_name(answer).ok_or_else(|| {
                let names: Vec<&str> = Fate::ALL.iter().map(|f| f.name()).collect();
                not_allowed("answer", answer, &names)
            })?;
            (
                given == d.fate,
                d.fate.name().to_owned(),
                d.fate.label().to_owned(),
                format!("{pid}:{}", given.name()),
            )
        }
        Field::Signo => {
            let Some(n) = s.signo else {
                return Err(ParamError(format!(
                    "パラメータ field: ステップ {step} ではシグナルを送らないので、signo は予想できません"
                )));
            };
            let given: u8 = answer
                .trim()
                .parse()
                .ok()
                .filter(|v| (1..=64).contains(v))
                .ok_or_else(|| {
                    ParamError(format!(
                        "パラメータ answer は 1〜64 の整数で指定してください（指定値:「{}」）",
                        echo(answer)
                    ))
                })?;
            let name = s.signal.map_or("", |g| g.name());
            (
                given == n,
                n.to_string(),
                format!("{name}（{n} 番）"),
                given.to_string(),
            )
        }
    };
    Ok((
        PredictResult {
            correct,
            expected,
            expected_label: label,
            explain: s.explain.clone(),
            source: s.source.clone(),
        },
        stored,
    ))
}

/// The body of `POST /api/widgets/signals/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    handler: Option<String>,
    step: usize,
    field: String,
    #[serde(default)]
    pid: Option<u32>,
    answer: String,
}

/// Grades a check body. Stored with the scenario as `ctrl-c+catch` (the handler matters to every step).
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    if let Some(h) = &body.handler {
        pairs.push(("handler".to_owned(), h.clone()));
    }
    let params = params_from_query(&pairs)?;
    let field = Field::from_name(&body.field)
        .ok_or_else(|| not_allowed("field", &body.field, &["fate", "signo"]))?;
    answer_within(&body.answer, ANSWER_LIMIT)?;
    let run = simulate(&params);
    let (verdict, answer) = predict_check(&run, body.step, field, body.pid, &body.answer)?;
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: format!("{}+{}", params.scenario.name(), params.handler.name()),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: field.name(),
            answer,
            correct: verdict.correct,
        },
    })
}
