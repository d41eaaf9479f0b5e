//! Grading a prediction in predict mode (予想モード): before a step is revealed the learner names a
//! task's `ps` STAT letter after it, how many tasks run at once, or what the load average counts;
//! the server recomputes the run and says whether that is right and why.

use serde::{Deserialize, Serialize};

use super::model::{Sched, Stat};
use super::{params_from_query, simulate};
use crate::widgets::{
    Graded, GradedItem, ParamError, WidgetError, answer_within, echo, not_allowed, parse_body,
    to_json,
};

/// Longest answer accepted, in characters.
const ANSWER_LIMIT: usize = 20;

/// What a learner predicts about a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A task's STAT letter after the step.
    Stat,
    /// Tasks on a CPU after the step.
    Running,
    /// R + D after the step.
    Load,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 3] = [Field::Stat, Field::Running, Field::Load];

    /// The name used in JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Field::Stat => "stat",
            Field::Running => "running",
            Field::Load => "load",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field in Japanese, as the widget and the instructor's tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Stat => "タスクの状態（ps の STAT）",
            Field::Running => "同時に実行中のタスク数",
            Field::Load => "ロードアベレージが数えるタスク数（R + D）",
        }
    }
}

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's value as shown (`S`, `3`).
    pub expected: String,
    /// The step's explanation.
    pub explain: String,
    /// The step's sources.
    pub source: String,
}

/// Grades `answer` for `field` after step `step` (from 0) of `run`; `pid` names the task for
/// [`Field::Stat`]. A step or task that does not exist, or an answer that is not a STAT letter or a
/// whole number, is a [`ParamError`] naming the parameter, so nothing is recorded.
pub fn predict_check(
    run: &Sched,
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
    let (correct, expected, stored) = match field {
        Field::Stat => {
            let pid = pid.ok_or_else(|| {
                ParamError("パラメータ pid を指定してください（STAT を予想するタスク）".to_owned())
            })?;
            let task = s.tasks.iter().find(|t| t.pid == pid).ok_or_else(|| {
                let pids: Vec<String> = s.tasks.iter().map(|t| t.pid.to_string()).collect();
                ParamError(format!(
                    "パラメータ pid の値 {pid} のタスクはありません。使える値: {}",
                    pids.join(", ")
                ))
            })?;
            let given = Stat::from_answer(answer).ok_or_else(|| {
                ParamError(format!(
                    "パラメータ answer の値「{}」は STAT の文字ではありません。使える値: R, S, D, T, Z, -（回収済み）",
                    echo(answer)
                ))
            })?;
            (
                given == task.stat,
                task.stat.letter().to_owned(),
                format!("{pid}:{}", given.letter()),
            )
        }
        Field::Running | Field::Load => {
            let given = parse_count(answer)?;
            let value = if field == Field::Running {
                s.running
            } else {
                s.load
            };
            (given == value, value.to_string(), given.to_string())
        }
    };
    Ok((
        PredictResult {
            correct,
            expected,
            explain: s.explain.clone(),
            source: s.source.clone(),
        },
        stored,
    ))
}

/// A learner's count: ASCII or full-width digits, 0–99.
fn parse_count(answer: &str) -> Result<usize, ParamError> {
    let digits: String = answer
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    match digits.parse::<usize>() {
        Ok(n) if n <= 99 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(ParamError(format!(
            "パラメータ answer は 0〜99 の整数で指定してください（指定値:「{}」）",
            echo(answer)
        ))),
    }
}

/// The body of `POST /api/widgets/sched/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    cpus: Option<u64>,
    #[serde(default)]
    tasks: Option<u64>,
    /// 0-based index into `steps`.
    step: usize,
    /// `stat`, `running` or `load`.
    field: String,
    /// The task whose STAT is predicted (field `stat` only).
    #[serde(default)]
    pid: Option<u32>,
    answer: String,
}

/// Grades a check body: the run it names (read by the same parser as the query), then
/// [`predict_check`]. Stored as the step and field, with the answer in one fixed form
/// (`103:S` for a STAT, the number for a count).
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    for (k, v) in [("cpus", body.cpus), ("tasks", body.tasks)] {
        if let Some(v) = v {
            pairs.push((k.to_owned(), v.to_string()));
        }
    }
    let params = params_from_query(&pairs)?;
    let field = Field::from_name(&body.field)
        .ok_or_else(|| not_allowed("field", &body.field, &["stat", "running", "load"]))?;
    answer_within(&body.answer, ANSWER_LIMIT)?;
    let run = simulate(&params);
    let (verdict, answer) = predict_check(&run, body.step, field, body.pid, &body.answer)?;
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: params.stored_name(),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: field.name(),
            answer,
            correct: verdict.correct,
        },
    })
}
