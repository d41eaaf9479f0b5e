//! Grading a prediction in 予想モード: the value a step reads, computes, writes or prints; the value the
//! program prints at the end; or how many of the 20 orders lose an update.

use serde::{Deserialize, Serialize};

use super::model::{Field, Run};
use super::{Params, Scenario, parse_schedule, simulate};
use crate::widgets::{
    Graded, GradedItem, ParamError, WidgetError, answer_within, echo, not_allowed, parse_body,
    to_json,
};

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's value.
    pub expected: String,
    /// Why.
    pub explain: String,
    /// Where that is written.
    pub source: String,
}

/// Grades a prediction of `field` at `step` (the step about to be shown, from 0). `value` is asked of
/// the step itself; `final` and `lost_orders` of the whole run, at any step. A step that does not exist,
/// a field the step does not ask, or an answer that is not a whole number is a [`ParamError`].
pub fn predict_check(
    run: &Run,
    step: usize,
    field: Field,
    answer: &str,
) -> Result<PredictResult, ParamError> {
    let Some(s) = run.steps.get(step) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {step}）",
            run.steps.len().saturating_sub(1)
        )));
    };
    if !s.ask.contains(&field) {
        return Err(ParamError(format!(
            "パラメータ field: ステップ {} では「{}」を予想できません（値を読み書きしないステップです）",
            step + 1,
            field.label()
        )));
    }
    let digits: String = answer
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    let given: u64 = match digits.parse() {
        Ok(n) if digits.len() <= 6 && digits.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            return Err(ParamError(format!(
                "パラメータ answer: 「{}」は整数として読めません",
                echo(answer)
            )));
        }
    };
    let last = run.steps.last();
    let (expected, explain, source) = match field {
        Field::Value => (s.value.unwrap_or_default(), s.explain.clone(), s.source),
        Field::Final => (
            run.final_value,
            last.map_or_else(String::new, |l| l.explain.clone()),
            last.map_or("", |l| l.source),
        ),
        Field::LostOrders => (
            run.lost_orders as u64,
            format!(
                "20 通りの順番を全部たどると、{} 通りで最後の値が {} + 2 より小さくなります。{}",
                run.lost_orders, run.start, run.outcome
            ),
            last.map_or("", |l| l.source),
        ),
    };
    Ok(PredictResult {
        correct: given == expected,
        expected: expected.to_string(),
        explain,
        source: source.to_owned(),
    })
}

/// The body of `POST /api/widgets/race/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    schedule: Option<String>,
    start: Option<u64>,
    /// 0-based index of the step about to be shown.
    step: usize,
    field: String,
    answer: String,
}

/// Grades a check body. `final` and `lost_orders` are stored with step −1 (about the whole run).
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let scenario = Scenario::from_name(body.scenario.trim())
        .ok_or_else(|| not_allowed("scenario", &body.scenario, &["threads", "mutex", "fork"]))?;
    let schedule = match body.schedule.as_deref() {
        Some(text) => parse_schedule(text)?,
        None => Params::default().schedule,
    };
    let start = body.start.unwrap_or(0);
    if start > 1000 {
        return Err(ParamError(format!(
            "パラメータ start は 0〜1000 の整数で指定してください（指定値: {start}）"
        ))
        .into());
    }
    let field = Field::from_name(&body.field)
        .ok_or_else(|| not_allowed("field", &body.field, &["value", "final", "lost_orders"]))?;
    answer_within(&body.answer, 20)?;
    let run = simulate(&Params {
        scenario,
        schedule,
        start,
    });
    let verdict = predict_check(&run, body.step, field, &body.answer)?;
    let step = if field == Field::Value {
        i64::try_from(body.step).unwrap_or(i64::MAX)
    } else {
        -1
    };
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: scenario.name().to_owned(),
            step,
            field: field.name(),
            answer: body.answer.trim().to_owned(),
            correct: verdict.correct,
        },
    })
}
