//! Grading predict mode (予想モード): before any device's verdict is shown, the learner ticks the
//! layers (L3, L4, L7) whose device can apply the rule to the packet; the model says which are right.

use serde::{Deserialize, Serialize};

use super::model::Evaluation;
use super::{evaluate, params_from_query, scenario_name};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, parse_body, to_json};

/// The field a prediction is stored under.
pub const LAYERS_FIELD: &str = "layers";

/// The verdict on one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerVerdict {
    pub layer: u8,
    /// The learner said this device can apply the rule.
    pub given: bool,
    /// The model's answer.
    pub expected: bool,
    pub correct: bool,
}

/// The grade of a prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    pub correct: bool,
    pub layers: Vec<LayerVerdict>,
    /// The layers that can, as shown: 「L4・L7」 or 「なし」.
    pub expected: String,
    /// The summary of why.
    pub explain: String,
}

/// How a set of layers is written: 「L4・L7」, or 「なし」.
pub fn layers_text(layers: &[u8]) -> String {
    if layers.is_empty() {
        "なし".to_owned()
    } else {
        layers
            .iter()
            .map(|l| format!("L{l}"))
            .collect::<Vec<_>>()
            .join("・")
    }
}

/// Grades the layers the learner ticked (each 3, 4 or 7, no repeats).
pub fn predict_check(e: &Evaluation, given: &[u8]) -> PredictResult {
    let layers: Vec<LayerVerdict> = e
        .devices
        .iter()
        .map(|d| {
            let g = given.contains(&d.layer);
            LayerVerdict {
                layer: d.layer,
                given: g,
                expected: d.can_apply,
                correct: g == d.can_apply,
            }
        })
        .collect();
    let can: Vec<u8> = e
        .devices
        .iter()
        .filter(|d| d.can_apply)
        .map(|d| d.layer)
        .collect();
    PredictResult {
        correct: layers.iter().all(|l| l.correct),
        layers,
        expected: layers_text(&can),
        explain: e.outcome.clone(),
    }
}

/// The body of `POST /api/widgets/lb-layers/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    tls: Option<String>,
    #[serde(default)]
    terminate: Option<bool>,
    #[serde(default)]
    port: Option<u64>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    cookie: Option<bool>,
    #[serde(default)]
    rule: Option<String>,
    /// The layers the learner thinks can apply the rule: each 3, 4 or 7.
    layers: Vec<u8>,
}

/// Grades a check body: the setup goes through the same parser as the scenario query; then
/// [`predict_check`]. Stored as one item, step −1, field [`LAYERS_FIELD`], answer 「L4・L7」.
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    if body.scenario.trim().is_empty() {
        return Err(ParamError("パラメータ scenario を指定してください".to_owned()).into());
    }
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    for (key, value) in [
        ("payload", body.payload),
        ("tls", body.tls),
        ("method", body.method),
        ("host", body.host),
        ("path", body.path),
        ("rule", body.rule),
    ] {
        if let Some(v) = value {
            if v.trim().is_empty() {
                return Err(ParamError(format!("パラメータ {key} が空です")).into());
            }
            pairs.push((key.to_owned(), v));
        }
    }
    for (key, value) in [("terminate", body.terminate), ("cookie", body.cookie)] {
        if let Some(v) = value {
            pairs.push((key.to_owned(), v.to_string()));
        }
    }
    if let Some(port) = body.port {
        pairs.push(("port".to_owned(), port.to_string()));
    }
    let params = params_from_query(&pairs)?;
    let mut layers = body.layers.clone();
    layers.sort_unstable();
    if layers.iter().any(|l| ![3, 4, 7].contains(l)) || layers.windows(2).any(|w| w[0] == w[1]) {
        return Err(ParamError(
            "パラメータ layers は 3, 4, 7 から重複なしで選んでください".to_owned(),
        )
        .into());
    }
    let e = evaluate(&params);
    let result = predict_check(&e, &layers);
    Ok(Graded {
        reply: to_json(&result)?,
        item: GradedItem {
            scenario: scenario_name(&params),
            step: -1,
            field: LAYERS_FIELD,
            answer: layers_text(&layers),
            correct: result.correct,
        },
    })
}
