//! Grading predict mode (予想モード): before the timeline is shown, the learner counts the TCP
//! connections, the TLS handshakes that send a certificate, the HTTP requests and the login
//! sessions, and says whether the login survives; the model says which are right and why.

use serde::{Deserialize, Serialize};

use super::model::Timeline;
use super::{params_from_query, scenario_name, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, parse_body, to_json};

/// The field a prediction is stored under: the whole set of counts and the verdict.
pub const COUNTS_FIELD: &str = "counts";
/// Largest count accepted: anything above is a typo, and nothing is stored for it.
const MAX_COUNT: u64 = 99;

/// What the learner predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prediction {
    pub connections: u64,
    pub tls_full: u64,
    pub requests: u64,
    pub sessions: u64,
    pub survives: bool,
}

/// One predicted value and the model's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `connections`, `tls_full`, `requests`, `sessions` or `survives`.
    pub field: &'static str,
    /// The field in Japanese.
    pub label: &'static str,
    pub correct: bool,
    /// The learner's answer as shown.
    pub given: String,
    /// The model's value as shown.
    pub expected: String,
}

/// The grade of a whole prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// Every field right.
    pub correct: bool,
    pub verdicts: Vec<Verdict>,
    /// The run's outcome paragraph (why).
    pub explain: String,
}

fn yes_no(b: bool) -> String {
    if b { "続く" } else { "失われる" }.to_owned()
}

/// Grades `guess` against the run.
pub fn predict_check(run: &Timeline, guess: &Prediction) -> PredictResult {
    let c = &run.counts;
    let number = |field, label, given: u64, expected: u32| Verdict {
        field,
        label,
        correct: given == u64::from(expected),
        given: given.to_string(),
        expected: expected.to_string(),
    };
    let verdicts = vec![
        number(
            "connections",
            "TCP コネクション（本）",
            guess.connections,
            c.connections,
        ),
        number(
            "tls_full",
            "証明書を送る TLS ハンドシェイク（回）",
            guess.tls_full,
            c.tls_full,
        ),
        number(
            "requests",
            "HTTP リクエスト（件）",
            guess.requests,
            c.requests,
        ),
        number(
            "sessions",
            "ログインセッション（個）",
            guess.sessions,
            c.sessions,
        ),
        Verdict {
            field: "survives",
            label: "ログインは最後まで",
            correct: guess.survives == run.survives,
            given: yes_no(guess.survives),
            expected: yes_no(run.survives),
        },
    ];
    PredictResult {
        correct: verdicts.iter().all(|v| v.correct),
        verdicts,
        explain: run.outcome.clone(),
    }
}

/// The body of `POST /api/widgets/sessions/check`: the setup as in the scenario query, and the
/// prediction.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    http: Option<String>,
    #[serde(default)]
    balancer: Option<String>,
    #[serde(default)]
    store: Option<String>,
    #[serde(default)]
    sticky: Option<bool>,
    #[serde(default)]
    resume: Option<bool>,
    #[serde(default)]
    before: Option<u64>,
    #[serde(default)]
    after: Option<u64>,
    #[serde(default)]
    pause: Option<u64>,
    connections: u64,
    tls_full: u64,
    requests: u64,
    sessions: u64,
    survives: bool,
}

/// Grades a check body: the setup goes through the same parser as the scenario query, so both
/// accept and reject the same values; then [`predict_check`]. Stored as one item, step −1 (the
/// whole run), field [`COUNTS_FIELD`], under the setup's [`scenario_name`].
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    // An empty scenario would read as "missing" and default: refuse it instead.
    if body.scenario.trim().is_empty() {
        return Err(ParamError("パラメータ scenario を指定してください".to_owned()).into());
    }
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    let text = [
        ("http", body.http.clone()),
        ("balancer", body.balancer.clone()),
        ("store", body.store.clone()),
    ];
    for (key, value) in text {
        if let Some(v) = value {
            if v.trim().is_empty() {
                return Err(ParamError(format!("パラメータ {key} が空です")).into());
            }
            pairs.push((key.to_owned(), v));
        }
    }
    for (key, value) in [("sticky", body.sticky), ("resume", body.resume)] {
        if let Some(v) = value {
            pairs.push((key.to_owned(), v.to_string()));
        }
    }
    for (key, value) in [
        ("before", body.before),
        ("after", body.after),
        ("pause", body.pause),
    ] {
        if let Some(v) = value {
            pairs.push((key.to_owned(), v.to_string()));
        }
    }
    let params = params_from_query(&pairs)?;
    for (key, value) in [
        ("connections", body.connections),
        ("tls_full", body.tls_full),
        ("requests", body.requests),
        ("sessions", body.sessions),
    ] {
        if value > MAX_COUNT {
            return Err(ParamError(format!(
                "パラメータ {key} は 0〜{MAX_COUNT} の整数で答えてください（指定値: {value}）"
            ))
            .into());
        }
    }
    let guess = Prediction {
        connections: body.connections,
        tls_full: body.tls_full,
        requests: body.requests,
        sessions: body.sessions,
        survives: body.survives,
    };
    let run = simulate(&params);
    let result = predict_check(&run, &guess);
    let answer = format!(
        "connections={} tls_full={} requests={} sessions={} survives={}",
        guess.connections,
        guess.tls_full,
        guess.requests,
        guess.sessions,
        if guess.survives { "yes" } else { "no" }
    );
    Ok(Graded {
        reply: to_json(&result)?,
        item: GradedItem {
            scenario: scenario_name(&params),
            step: -1,
            field: COUNTS_FIELD,
            answer,
            correct: result.correct,
        },
    })
}
