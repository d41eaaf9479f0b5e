//! Grading a prediction in predict mode (予想モード): the learner names a step's seq, ack or one
//! end's state before it is revealed, and the model says whether that is right and why.

use serde::{Deserialize, Serialize};

use super::model::{Handshake, TcpState};
use super::{Params, Scenario, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, echo, parse_body, to_json};

/// Longest answer accepted, in characters: longer is a typo or an attack, never a number or state.
const ANSWER_LIMIT: usize = 40;

/// What a learner predicts for a step in predict-then-reveal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The step's sequence number.
    Seq,
    /// The step's acknowledgment number.
    Ack,
    /// The client's state after the step.
    ClientState,
    /// The server's state after the step.
    ServerState,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 4] = [
        Field::Seq,
        Field::Ack,
        Field::ClientState,
        Field::ServerState,
    ];

    /// The name used in forms and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Seq => "seq",
            Field::Ack => "ack",
            Field::ClientState => "client_state",
            Field::ServerState => "server_state",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field in Japanese, as the instructor's tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Seq => "seq 番号",
            Field::Ack => "ack 番号",
            Field::ClientState => "クライアントの状態",
            Field::ServerState => "サーバーの状態",
        }
    }
}

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's value as displayed (`なし` for a number the segment does not carry).
    pub expected: String,
    /// The step's explanation of why.
    pub explain: String,
}

/// What a learner writes for "this segment carries no such number".
const NONE_ANSWERS: [&str; 5] = ["なし", "-", "null", "none", "無し"];
/// How an absent number is shown as the expected answer.
const NONE_SHOWN: &str = "なし";

/// Grades a prediction of `field` at `step` (an index into `h.steps`, from 0). Numbers are
/// compared as displayed (relative when `h.relative`); `3,141,592,654` and full-width digits are
/// accepted; an absent number is answered with `なし`. A step that does not exist, or an answer
/// that is neither a number nor a state name, is a [`ParamError`] so nothing gets recorded.
pub fn predict_check(
    h: &Handshake,
    step: usize,
    field: Field,
    answer: &str,
) -> Result<PredictResult, ParamError> {
    let Some(s) = h.steps.get(step) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {step}）",
            h.steps.len().saturating_sub(1)
        )));
    };
    let (correct, expected) = match field {
        Field::Seq | Field::Ack => {
            let value = if field == Field::Seq { s.seq } else { s.ack };
            let given = parse_number_answer(answer)?;
            let expected = value.map_or_else(|| NONE_SHOWN.to_owned(), |v| v.to_string());
            (given == value, expected)
        }
        Field::ClientState | Field::ServerState => {
            let value = if field == Field::ClientState {
                s.client_state
            } else {
                s.server_state
            };
            let Some(given) = TcpState::from_answer(answer) else {
                let names: Vec<&str> = TcpState::ALL.iter().map(|s| s.as_str()).collect();
                return Err(ParamError(format!(
                    "状態「{}」は TCP の状態ではありません。使える値: {}",
                    echo(answer),
                    names.join(", ")
                )));
            };
            (given == value, value.as_str().to_owned())
        }
    };
    Ok(PredictResult {
        correct,
        expected,
        explain: s.explain.clone(),
    })
}

/// A learner's number: `None` for "no number", else a u32 with `,`, `_` and spaces ignored.
fn parse_number_answer(answer: &str) -> Result<Option<u32>, ParamError> {
    let trimmed = answer.trim();
    if trimmed.is_empty() || NONE_ANSWERS.iter().any(|n| n.eq_ignore_ascii_case(trimmed)) {
        return Ok(None);
    }
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '，'))
        // Full-width digits, as a Japanese IME may type them.
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = digits.parse::<u32>()
    {
        return Ok(Some(n));
    }
    Err(ParamError(format!(
        "答え「{}」は 0〜4294967295 の整数ではありません（番号が無い場合は「なし」）",
        echo(answer)
    )))
}

/// The body of `POST /api/widgets/handshake/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    relative: bool,
    /// 0-based index into `steps`.
    step: usize,
    /// `seq`, `ack`, `client_state` or `server_state`.
    field: String,
    answer: String,
}

/// Grades a check body: the run it names, then [`predict_check`]. The reply is the
/// [`PredictResult`]; the stored item is the step and field with the answer as typed.
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let scenario = Scenario::from_name(&body.scenario).ok_or_else(|| {
        ParamError(format!(
            "scenario \"{}\" はありません",
            body.scenario.chars().take(40).collect::<String>()
        ))
    })?;
    let field = Field::from_name(&body.field).ok_or_else(|| {
        ParamError("field は seq, ack, client_state, server_state のどれかです".to_owned())
    })?;
    if body.answer.chars().count() > ANSWER_LIMIT {
        return Err(ParamError(format!("answer が長すぎます（{ANSWER_LIMIT} 文字まで）")).into());
    }
    let run = simulate(&Params {
        scenario,
        seed: body.seed,
        relative: body.relative,
    });
    let verdict = predict_check(&run, body.step, field, &body.answer)?;
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: scenario.name().to_owned(),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: field.name(),
            answer: body.answer,
            correct: verdict.correct,
        },
    })
}
