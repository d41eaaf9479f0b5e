//! Grading a prediction in 予想モード: before a step is shown, the learner names what it will carry —
//! the next OID of a walk, an error-status, how many bindings a GetBulk returns, the bits/s a poll
//! computes, the destination port, or whether a notification is answered — and the model says whether
//! that is right and why.

use serde::{Deserialize, Serialize};

use super::mib::parse_oid;
use super::model::{ERROR_STATUS_NAMES, Field, Pdu, Run};
use super::{Scenario, params_from_query, simulate};
use crate::widgets::{
    Graded, GradedItem, ParamError, WidgetError, answer_within, echo, not_allowed, parse_body,
    to_json,
};

/// Longest answer accepted, in characters: an OID by number is the longest thing anyone types.
const ANSWER_LIMIT: usize = 80;

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's value as shown.
    pub expected: String,
    /// The step's explanation.
    pub explain: String,
    /// Where that is written.
    pub source: String,
}

/// A learner's whole number: digits with `,`/`_`/spaces, full-width digits, a unit after it ignored
/// (`bit/s`, `bps`).
fn parse_number(answer: &str, max: u64) -> Result<u64, ParamError> {
    let digits: String = answer
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '/' || c == ' ')
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '，'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    match digits.parse::<u64>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && n <= max => {
            Ok(n)
        }
        _ => Err(ParamError(format!(
            "答え「{}」は 0〜{max} の整数として読めません",
            echo(answer)
        ))),
    }
}

/// Grades a prediction of `field` at `step` (an index into `run.steps`). A step that does not exist, a
/// field the step does not ask, or an answer that cannot be read is a [`ParamError`], so nothing is
/// recorded.
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
        let asked: Vec<&str> = s.ask.iter().map(|f| f.name()).collect();
        return Err(ParamError(format!(
            "パラメータ field: ステップ {} では「{}」を予想できません（使える値: {}）",
            step + 1,
            field.label(),
            if asked.is_empty() {
                "なし".to_owned()
            } else {
                asked.join(", ")
            }
        )));
    }
    let (correct, expected) = match field {
        Field::Oid => {
            let vb = s.varbinds.first();
            let expected_oid = vb.and_then(|v| parse_oid(&v.oid));
            let given = parse_oid(answer).ok_or_else(|| {
                ParamError(format!(
                    "答え「{}」は OID として読めません（例: 1.3.6.1.2.1.1.1.0 や sysDescr.0）",
                    echo(answer)
                ))
            })?;
            (
                expected_oid.as_ref() == Some(&given),
                vb.map_or_else(String::new, |v| format!("{}（{}）", v.oid, v.name)),
            )
        }
        Field::ErrorStatus => {
            let given = ERROR_STATUS_NAMES
                .iter()
                .find(|n| n.eq_ignore_ascii_case(answer.trim()))
                .ok_or_else(|| {
                    ParamError(format!(
                        "答え「{}」は error-status の名前ではありません（noError, noAccess, notWritable など RFC 3416 の名前）",
                        echo(answer)
                    ))
                })?;
            let expected = s.error_status.map_or("", |e| e.as_str());
            (*given == expected, expected.to_owned())
        }
        Field::Count => {
            let given = parse_number(answer, 10_000)?;
            (
                given == s.varbinds.len() as u64,
                s.varbinds.len().to_string(),
            )
        }
        Field::Rate => {
            let given = parse_number(answer, u64::MAX / 2)?;
            let expected = s.rate.map_or(0, |r| r.bits_per_second);
            // The learner may round differently: within 0.1 % (at least 1 bit/s) counts.
            let tolerance = (expected / 1000).max(1);
            (
                given.abs_diff(expected) <= tolerance,
                format!("{expected} bit/s"),
            )
        }
        Field::Port => {
            let given = parse_number(answer, 65_535)?;
            let expected = s.dst_port.unwrap_or_default();
            (given == u64::from(expected), format!("UDP {expected}"))
        }
        Field::Acked => {
            let yes = ["はい", "yes", "true", "返る", "y"];
            let no = ["いいえ", "no", "false", "返らない", "n"];
            let a = answer.trim();
            let given = if yes.iter().any(|y| y.eq_ignore_ascii_case(a)) {
                true
            } else if no.iter().any(|n| n.eq_ignore_ascii_case(a)) {
                false
            } else {
                return Err(ParamError(format!(
                    "答え「{}」は「はい」か「いいえ」で答えてください",
                    echo(answer)
                )));
            };
            let expected = s.pdu == Some(Pdu::InformRequest) && !s.lost;
            (
                given == expected,
                if expected {
                    "はい（Response が返る）"
                } else {
                    "いいえ（Response は返らない）"
                }
                .to_owned(),
            )
        }
    };
    Ok(PredictResult {
        correct,
        expected,
        explain: s.explain.clone(),
        source: s.source.clone(),
    })
}

/// The body of `POST /api/widgets/snmp/check`: the run's parameters as in the query, then the step,
/// the field and the answer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    interfaces: Option<u64>,
    non_repeaters: Option<u64>,
    max_repetitions: Option<u64>,
    lost: Option<bool>,
    interval: Option<u64>,
    rate_mbps: Option<u64>,
    hc: Option<bool>,
    /// 0-based index into `steps`.
    step: usize,
    field: String,
    answer: String,
}

/// Grades a check body: the run it names (its numbers checked as the query's are), then
/// [`predict_check`].
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let scenario = Scenario::from_name(body.scenario.trim()).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        not_allowed("scenario", &body.scenario, &names)
    })?;
    let mut pairs = vec![("scenario".to_owned(), scenario.name().to_owned())];
    for (key, value) in [
        ("interfaces", body.interfaces),
        ("non_repeaters", body.non_repeaters),
        ("max_repetitions", body.max_repetitions),
        ("interval", body.interval),
        ("rate_mbps", body.rate_mbps),
    ] {
        if let Some(v) = value {
            pairs.push((key.to_owned(), v.to_string()));
        }
    }
    for (key, value) in [("lost", body.lost), ("hc", body.hc)] {
        if let Some(v) = value {
            pairs.push((key.to_owned(), v.to_string()));
        }
    }
    let params = params_from_query(&pairs)?;
    let field = Field::from_name(&body.field).ok_or_else(|| {
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        not_allowed("field", &body.field, &names)
    })?;
    answer_within(&body.answer, ANSWER_LIMIT)?;
    let run = simulate(&params);
    let verdict = predict_check(&run, body.step, field, &body.answer)?;
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: scenario.name().to_owned(),
            step: i64::try_from(body.step).unwrap_or(i64::MAX),
            field: field.name(),
            answer: body.answer.trim().to_owned(),
            correct: verdict.correct,
        },
    })
}
