//! Grading 予想モード's question, asked just before the first full-sized segment: does the
//! transfer complete, and what does A's path MTU become?

use serde::{Deserialize, Serialize};

use super::model::{ASK_STEP, LINK_MTU, Pmtud};
use super::{MIN_MTU, params_from_query, scenario_name, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, parse_body, to_json};

/// The field a prediction is stored under: the outcome, both parts in one item.
pub const OUTCOME_FIELD: &str = "outcome";

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// Both parts matched the model.
    pub correct: bool,
    /// Whether the transfer completes was answered right.
    pub completes_correct: bool,
    /// A's path MTU was answered right.
    pub pmtu_correct: bool,
    /// The model's answer in Japanese.
    pub expected: String,
    /// Why, from the model's steps.
    pub explain: String,
    /// The step asked before (0-based).
    pub step: usize,
    /// The prediction in one fixed form for storage: `completes:1400` or `stalls:1500`.
    pub answer: String,
}

/// Grades a prediction for the run `run`: `completes` (does the bulk transfer finish) and `pmtu`
/// (A's path MTU to B at the end, 1280–1500). A PMTU outside that range is a [`ParamError`], so
/// nothing gets recorded.
pub fn predict_check(run: &Pmtud, completes: bool, pmtu: i64) -> Result<PredictResult, ParamError> {
    let given = u16::try_from(pmtu)
        .ok()
        .filter(|m| (MIN_MTU..=LINK_MTU).contains(m))
        .ok_or_else(|| {
            ParamError(format!(
                "パラメータ pmtu は {MIN_MTU}〜{LINK_MTU} の整数で指定してください（指定値: {pmtu}）"
            ))
        })?;
    let o = &run.outcome;
    let completes_correct = completes == o.completes;
    let pmtu_correct = given == o.pmtu;
    let expected = format!(
        "転送は{}。A の経路 MTU は {}",
        if o.completes {
            "完了する"
        } else {
            "完了しない"
        },
        o.pmtu
    );
    let mut explain = String::new();
    if let Some(asked) = run.steps.get(ASK_STEP) {
        explain.push_str(&asked.explain);
    }
    if let Some(next) = run.steps.get(ASK_STEP + 1) {
        explain.push_str(&next.explain);
    }
    if !pmtu_correct && o.pmtu == LINK_MTU {
        explain.push_str(
            "A の経路 MTU が小さくなるのは、ICMP（type 3 code 4 か Packet Too Big）を受け取ったときだけです。",
        );
    }
    explain.push_str(&o.summary);
    Ok(PredictResult {
        correct: completes_correct && pmtu_correct,
        completes_correct,
        pmtu_correct,
        expected,
        explain,
        step: ASK_STEP,
        answer: format!("{}:{given}", if completes { "completes" } else { "stalls" }),
    })
}

/// The body of `POST /api/widgets/pmtud/check`: the setup as in the scenario query (every key
/// optional, as there), then the two predicted values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    filter: Option<String>,
    /// 4 or 6; a number, so 5 is a 400 naming `ip` rather than a shape error.
    #[serde(default)]
    ip: Option<i64>,
    #[serde(default)]
    clamp: Option<bool>,
    #[serde(default)]
    plpmtud: Option<bool>,
    #[serde(default)]
    df: Option<bool>,
    #[serde(default)]
    mtu: Option<i64>,
    /// Does the transfer complete?
    completes: bool,
    /// A's path MTU at the end.
    pmtu: i64,
}

/// What the learner is told: the [`PredictResult`] without its storage form.
#[derive(Serialize)]
struct Reply<'a> {
    correct: bool,
    completes_correct: bool,
    pmtu_correct: bool,
    expected: &'a str,
    explain: &'a str,
    step: usize,
}

/// Grades a check body: the setup goes through the same parser as the scenario query, then
/// [`predict_check`]. Stored as one item, field [`OUTCOME_FIELD`], under [`scenario_name`].
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    let mut pairs = Vec::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            // An empty string would read as "missing" and take the default: refuse it instead.
            let v = if v.trim().is_empty() {
                "（空）".to_owned()
            } else {
                v
            };
            pairs.push((k.to_owned(), v));
        }
    };
    put("scenario", body.scenario);
    put("filter", body.filter);
    put("ip", body.ip.map(|v| v.to_string()));
    put("clamp", body.clamp.map(|v| v.to_string()));
    put("plpmtud", body.plpmtud.map(|v| v.to_string()));
    put("df", body.df.map(|v| v.to_string()));
    put("mtu", body.mtu.map(|v| v.to_string()));
    let params = params_from_query(&pairs)?;
    let run = simulate(&params);
    let r = predict_check(&run, body.completes, body.pmtu)?;
    let reply = to_json(&Reply {
        correct: r.correct,
        completes_correct: r.completes_correct,
        pmtu_correct: r.pmtu_correct,
        expected: &r.expected,
        explain: &r.explain,
        step: r.step,
    })?;
    Ok(Graded {
        reply,
        item: GradedItem {
            scenario: scenario_name(&params),
            step: i64::try_from(r.step).unwrap_or(i64::MAX),
            field: OUTCOME_FIELD,
            answer: r.answer,
            correct: r.correct,
        },
    })
}
