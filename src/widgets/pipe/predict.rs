//! Grading 予想モード: before a step is shown the learner predicts one process's descriptors 0…4
//! after it, how the pipeline will end, or its exit status; the model says whether that is right.

use serde::{Deserialize, Serialize};

use super::model::*;
use super::{params_from_query, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, echo, parse_body, to_json};

/// Longest answer accepted, in characters (5 descriptor names and commas fit easily).
const ANSWER_LIMIT: usize = 60;

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// What was predicted.
    pub field: Field,
    /// The model's answer as an answer spells it (`tty,pipe-w,tty,none,none`, `sigpipe`, `141`).
    pub expected: String,
    /// The same in Japanese (「0: 端末、1: パイプの書き口、…」).
    pub expected_label: String,
    /// For descriptors: the numbers the learner got wrong.
    pub wrong_fds: Vec<u32>,
    /// Why, from the step (or the run's ending).
    pub explain: String,
    /// Where it is written down.
    pub source: String,
}

/// A descriptor table in Japanese: 「0: 端末、1: パイプの書き口、2: 端末、3: 閉じている、4: 閉じている」.
pub fn fd_label(answer: &str) -> String {
    answer
        .split(',')
        .enumerate()
        .map(|(i, name)| {
            let what = FdKind::from_name(name).map_or("閉じている", FdKind::label);
            format!("{i}: {what}")
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Reads a learner's table: exactly [`FD_SLOTS`] names from `tty`, `pipe-r`, `pipe-w`, `file` and
/// `none`, comma-separated, spaces forgiven.
fn parse_fds(answer: &str) -> Result<Vec<String>, ParamError> {
    let names: Vec<String> = answer.split(',').map(|s| s.trim().to_owned()).collect();
    let known = |n: &str| n == CLOSED || FdKind::from_name(n).is_some();
    if names.len() != FD_SLOTS as usize || !names.iter().all(|n| known(n)) {
        return Err(ParamError(format!(
            "answer「{}」はファイル記述子 0〜{} の {} 個を tty, pipe-r, pipe-w, file, none のどれかでカンマ区切りで指定してください",
            echo(answer),
            FD_SLOTS - 1,
            FD_SLOTS
        )));
    }
    Ok(names)
}

/// Grades `answer` for `field` before step `k` of `run`. A step that does not exist, a field the
/// step does not ask, or an answer of the wrong form is a [`ParamError`], so nothing is recorded.
pub fn predict_check(
    run: &PipeRun,
    k: usize,
    field: Field,
    answer: &str,
) -> Result<PredictResult, ParamError> {
    let Some(step) = run.steps.get(k) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {k}）",
            run.steps.len().saturating_sub(1)
        )));
    };
    if step.ask != Some(field) {
        return Err(ParamError(format!(
            "ステップ {k} では field「{}」を予想できません",
            field.name()
        )));
    }
    match field {
        Field::Fds => {
            let given = parse_fds(answer)?;
            let pid = step.subject.unwrap_or(SHELL_PID);
            let expected = run.fd_answer(k, pid).unwrap_or_default();
            let wrong_fds: Vec<u32> = expected
                .split(',')
                .zip(&given)
                .enumerate()
                .filter(|(_, (e, g))| e != g)
                .map(|(i, _)| i as u32)
                .collect();
            Ok(PredictResult {
                correct: wrong_fds.is_empty(),
                field,
                expected_label: format!("PID {pid} — {}", fd_label(&expected)),
                expected,
                wrong_fds,
                explain: step.explain.clone(),
                source: step.source.to_owned(),
            })
        }
        Field::Outcome => {
            let given = Outcome::from_name(answer.trim()).ok_or_else(|| {
                let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
                ParamError(format!(
                    "answer「{}」は終わり方ではありません。使える値: {}",
                    echo(answer),
                    names.join(", ")
                ))
            })?;
            Ok(PredictResult {
                correct: given == run.outcome,
                field,
                expected: run.outcome.name().to_owned(),
                expected_label: run.outcome.label().to_owned(),
                wrong_fds: Vec::new(),
                explain: format!("{}{}", run.summary, outcome_reason(run)),
                source: "pipe(7), signal(7), bash(1)".to_owned(),
            })
        }
        Field::Status => {
            let trimmed = answer.trim();
            let given = trimmed
                .parse::<u8>()
                .ok()
                .filter(|_| trimmed.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ParamError(format!(
                        "answer「{}」は 0〜255 の整数で指定してください",
                        echo(answer)
                    ))
                })?;
            let expected = run.status.unwrap_or_default();
            Ok(PredictResult {
                correct: i32::from(given) == expected,
                field,
                expected: expected.to_string(),
                expected_label: format!("$? = {expected}"),
                wrong_fds: Vec::new(),
                explain: step.explain.clone(),
                source: step.source.to_owned(),
            })
        }
    }
}

/// Why the run ends as it does, in one sentence after its summary.
fn outcome_reason(run: &PipeRun) -> &'static str {
    match run.outcome {
        Outcome::Completes => {
            "書き口がすべて閉じたので grep は EOF を受け取り（または -m 1 で自分から終わり）、cat も書き終えて終わります。"
        }
        Outcome::Sigpipe => {
            "grep が終わって読み口がすべて閉じたので、cat の次の write() で SIGPIPE が届きます。"
        }
        Outcome::GrepHangs => {
            "書き口を指す記述子がどこかに残っているので、grep の read() は EOF を返さずにブロックし続けます。"
        }
        Outcome::CatHangs => {
            "cat 自身が読み口を持っているので読み手がいることになり、SIGPIPE は来ず、いっぱいのパイプへの write() で待ち続けます。"
        }
    }
}

/// The body of `POST /api/widgets/pipe/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    pipefail: bool,
    #[serde(default)]
    matches: Option<bool>,
    /// 0-based index into `steps`: the step about to be shown.
    step: usize,
    /// `fds`, `outcome` or `status`.
    field: String,
    answer: String,
}

/// Grades a check body: the run it names (read by the same parser as the query), then
/// [`predict_check`]. Stored as one item: the step, the field and the answer as given.
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    if body.answer.chars().count() > ANSWER_LIMIT {
        return Err(ParamError(format!("answer が長すぎます（{ANSWER_LIMIT} 文字まで）")).into());
    }
    let mut pairs = vec![
        ("scenario".to_owned(), body.scenario.clone()),
        ("pipefail".to_owned(), body.pipefail.to_string()),
    ];
    if let Some(size) = body.size {
        pairs.push(("size".to_owned(), size.to_string()));
    }
    if let Some(m) = body.matches {
        pairs.push(("matches".to_owned(), m.to_string()));
    }
    let params = params_from_query(&pairs)?;
    let field = Field::from_name(&body.field).ok_or_else(|| {
        ParamError("パラメータ field は fds, outcome, status のどれかです".to_owned())
    })?;
    let run = simulate(&params);
    let verdict = predict_check(&run, body.step, field, &body.answer)?;
    let answer = match field {
        // One fixed form, so the analysis groups equal answers.
        Field::Fds => parse_fds(&body.answer)?.join(","),
        _ => body.answer.trim().to_owned(),
    };
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: params.scenario.name().to_owned(),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: field.name(),
            answer,
            correct: verdict.correct,
        },
    })
}
