//! The widgets on topic pages, server side: each widget's HTML as placed in its page (every scenario as a
//! table or list, so the page teaches without JavaScript and on paper), and the JSON API the scripts use
//! for other scenarios and for checking a learner's prediction (handshake numbers and states, the fork tree,
//! and the FTP data connection). The truth is always the model in
//! [`crate::widgets`]; this module only presents it.

use crate::auth::Visitor;
use crate::error::{ApiError, AppError};
use crate::state::AppState;
use crate::store;
use crate::web::extract::{JsonBody, QueryPairs};
use crate::widgets::{ParamError, forktree, ftp, handshake};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

impl From<ParamError> for AppError {
    fn from(e: ParamError) -> Self {
        AppError::bad_request(e.0)
    }
}

/// Every widget this build has: (name, label). `course.toml` names them.
pub const WIDGETS: [(&str, &str); 3] = [
    ("handshake", "TCP 3-way ハンドシェイク"),
    ("ftp", "FTP アクティブ / パッシブ"),
    ("forktree", "fork と exec のプロセスツリー"),
];

/// The label and HTML of widget `name` as placed in a topic page, or `None` if no such widget exists.
pub fn render_for_page(name: &str) -> Option<(String, String)> {
    let label = WIDGETS.iter().find(|(n, _)| *n == name)?.1.to_string();
    let html = match name {
        "handshake" => HandshakeWidget::new().render(),
        "ftp" => FtpWidget::new().render(),
        "forktree" => ForkTreeWidget::new().render(),
        _ => return None,
    };
    match html {
        Ok(html) => Some((label, html)),
        Err(e) => {
            tracing::error!(widget = name, error = %e, "widget failed to render");
            None
        }
    }
}

/// The name serde gives a value (enum variants as in the JSON API), so tables and JSON agree.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn side_label(side: &str) -> &'static str {
    if side == "client" {
        "クライアント"
    } else {
        "サーバー"
    }
}

// ---------------------------------------------------------------- handshake

struct HandshakeRow {
    number: usize,
    arrow: String,
    flags: String,
    seq: String,
    ack: String,
    len: u32,
    client_state: &'static str,
    server_state: &'static str,
    note: String,
    explain: String,
    lost: bool,
    time: String,
}

struct HandshakeScenarioView {
    name: &'static str,
    label: &'static str,
    client_isn: u32,
    server_isn: u32,
    initial_client: &'static str,
    initial_server: &'static str,
    rows: Vec<HandshakeRow>,
}

#[derive(Template)]
#[template(path = "widgets/handshake.html")]
struct HandshakeWidget {
    scenarios: Vec<HandshakeScenarioView>,
}

impl HandshakeWidget {
    fn new() -> Self {
        let scenarios = handshake::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let h = handshake::simulate(&handshake::Params {
                    scenario,
                    seed: 0,
                    relative: false,
                });
                HandshakeScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    client_isn: h.client_isn,
                    server_isn: h.server_isn,
                    initial_client: h.initial.client_state.as_str(),
                    initial_server: h.initial.server_state.as_str(),
                    rows: h
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let from = wire_name(&s.from);
                            HandshakeRow {
                                number: i + 1,
                                arrow: if s.flags.is_empty() {
                                    "—".into()
                                } else if from == "client" {
                                    "クライアント → サーバー".into()
                                } else {
                                    "サーバー → クライアント".into()
                                },
                                flags: s.flags.iter().map(wire_name).collect::<Vec<_>>().join(","),
                                seq: s.seq.map_or("—".into(), |v| v.to_string()),
                                ack: s.ack.map_or("—".into(), |v| v.to_string()),
                                len: s.len,
                                client_state: s.client_state.as_str(),
                                server_state: s.server_state.as_str(),
                                note: s.note.clone(),
                                explain: s.explain.clone(),
                                lost: s.lost,
                                time: format_ms(s.time_ms),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        HandshakeWidget { scenarios }
    }
}

fn format_ms(ms: u64) -> String {
    if ms >= 1000 {
        format!("{:.1} 秒", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

// ---------------------------------------------------------------- ftp

struct FtpConnectionView {
    purpose: &'static str,
    opener: &'static str,
    from: String,
    to: String,
    blocked: bool,
    reason: String,
    related: bool,
}

struct FtpLineView {
    who: &'static str,
    text: String,
}

struct FtpCaseView {
    id: String,
    title: String,
    connections: Vec<FtpConnectionView>,
    transcript: Vec<FtpLineView>,
    steps: Vec<(String, String)>,
    outcome: String,
}

#[derive(Template)]
#[template(path = "widgets/ftp.html")]
struct FtpWidget {
    modes: Vec<FtpCaseView>,
    failures: Vec<FtpCaseView>,
}

fn ftp_case(id: &str, title: &str, p: ftp::Params) -> FtpCaseView {
    let s = ftp::simulate(&p);
    FtpCaseView {
        id: id.to_string(),
        title: title.to_string(),
        connections: s
            .connections
            .iter()
            .map(|c| FtpConnectionView {
                purpose: if wire_name(&c.purpose) == "control" {
                    "制御"
                } else {
                    "データ"
                },
                opener: side_label(&wire_name(&c.opener)),
                from: format!("{}:{}", c.from_addr, c.from_port),
                to: format!("{}:{}", c.to_addr, c.to_port),
                blocked: c.blocked,
                reason: c.reason.clone().unwrap_or_default(),
                related: c.related,
            })
            .collect(),
        transcript: s
            .transcript
            .iter()
            .map(|l| FtpLineView {
                who: side_label(&wire_name(&l.from)),
                text: l.text.clone(),
            })
            .collect(),
        steps: s
            .steps
            .iter()
            .map(|st| (st.title.clone(), st.explain.clone()))
            .collect(),
        outcome: s.outcome,
    }
}

impl FtpWidget {
    fn new() -> Self {
        use ftp::{ClientFw, Mode, Params, ServerFw};
        let open = Params {
            mode: Mode::Active,
            client_nat: false,
            client_fw: ClientFw::None,
            server_fw: ServerFw::PassiveRange,
        };
        let modes = Mode::ALL
            .iter()
            .map(|&mode| ftp_case(mode.name(), mode.label(), Params { mode, ..open }))
            .collect();
        let failures = vec![
            ftp_case(
                "active-nat",
                "アクティブ + クライアントが NAT の内側",
                Params {
                    client_nat: true,
                    ..open
                },
            ),
            ftp_case(
                "active-stateful",
                "アクティブ + クライアント側ステートフル FW",
                Params {
                    client_fw: ClientFw::Stateful,
                    ..open
                },
            ),
            ftp_case(
                "active-helper",
                "アクティブ + ステートフル FW（FTP ヘルパーあり）",
                Params {
                    client_fw: ClientFw::StatefulHelper,
                    client_nat: true,
                    ..open
                },
            ),
            ftp_case(
                "passive-only21",
                "パッシブ + サーバー FW が 21 番だけ開放",
                Params {
                    mode: Mode::Passive,
                    server_fw: ServerFw::Only21,
                    ..open
                },
            ),
            ftp_case(
                "passive-nat",
                "パッシブ + クライアントが NAT の内側",
                Params {
                    mode: Mode::Passive,
                    client_nat: true,
                    client_fw: ClientFw::Stateful,
                    ..open
                },
            ),
        ];
        FtpWidget { modes, failures }
    }
}

// ---------------------------------------------------------------- fork tree

/// A process in a nested, pstree-like list.
struct TreeNode {
    label: String,
    state: &'static str,
}

struct ForkStepView {
    number: usize,
    action: String,
    description: String,
    returns: String,
    alive: usize,
    code_line: Option<u32>,
}

struct ForkScenarioView {
    name: &'static str,
    label: &'static str,
    code: Option<String>,
    steps: Vec<ForkStepView>,
    /// The final tree, flattened with depth for the template (askama has no recursion).
    tree: Vec<(usize, TreeNode)>,
    count: usize,
}

#[derive(Template)]
#[template(path = "widgets/forktree.html")]
struct ForkTreeWidget {
    scenarios: Vec<ForkScenarioView>,
}

fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "実行中",
        "zombie" => "ゾンビ (Z)",
        _ => "消滅",
    }
}

/// The live processes (not reaped) as (depth, node) in pre-order, under init.
fn flatten_tree(processes: &[forktree::Process]) -> Vec<(usize, TreeNode)> {
    fn walk(
        processes: &[forktree::Process],
        parent: u32,
        depth: usize,
        out: &mut Vec<(usize, TreeNode)>,
    ) {
        let mut children: Vec<&forktree::Process> = processes
            .iter()
            .filter(|p| p.ppid == parent && wire_name(&p.state) != "exited")
            .collect();
        children.sort_by_key(|p| p.pid);
        for p in children {
            let state = wire_name(&p.state);
            out.push((
                depth,
                TreeNode {
                    label: format!("{}({})", p.program, p.pid),
                    state: state_label(&state),
                },
            ));
            walk(processes, p.pid, depth + 1, out);
        }
    }
    let mut out = vec![(
        0,
        TreeNode {
            label: "init(1)".into(),
            state: "実行中",
        },
    )];
    walk(processes, forktree::INIT_PID, 1, &mut out);
    out
}

impl ForkTreeWidget {
    fn new() -> Self {
        let cases = [
            forktree::Params {
                scenario: forktree::Scenario::BashLs,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::ForkLoop,
                n: 3,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::Pipeline,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::Orphan,
                ..Default::default()
            },
        ];
        let scenarios = cases
            .iter()
            .map(|p| {
                let t = forktree::simulate(p);
                let live = |ps: &[forktree::Process]| {
                    ps.iter()
                        .filter(|p| wire_name(&p.state) != "exited")
                        .count()
                };
                ForkScenarioView {
                    name: p.scenario.name(),
                    label: p.scenario.label(),
                    code: t.code.clone(),
                    steps: t
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| ForkStepView {
                            number: i + 1,
                            action: wire_name(&s.action),
                            description: s.description.clone(),
                            returns: s
                                .returns
                                .iter()
                                .map(|r| format!("PID {} では {}", r.pid, r.value))
                                .collect::<Vec<_>>()
                                .join("、"),
                            alive: live(&s.processes),
                            code_line: s.code_line,
                        })
                        .collect(),
                    count: live(&t.processes),
                    tree: flatten_tree(&t.processes),
                }
            })
            .collect();
        ForkTreeWidget { scenarios }
    }
}

// ---------------------------------------------------------------- JSON API

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/widgets/{name}", get(scenario))
        .route("/api/widgets/handshake/check", post(handshake_check))
        .route("/api/widgets/forktree/check", post(forktree_check))
        .route("/api/widgets/ftp/check", post(ftp_check))
        .route("/api/widgets/ftp/port", get(ftp_port))
}

/// `GET /api/widgets/{name}?…`: a whole scenario from the model.
async fn scenario(
    Path(name): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    Ok(match name.as_str() {
        "handshake" => {
            Json(handshake::simulate(&handshake::params_from_query(&pairs)?)).into_response()
        }
        "ftp" => Json(ftp::simulate(&ftp::params_from_query(&pairs)?)).into_response(),
        "forktree" => {
            Json(forktree::simulate(&forktree::params_from_query(&pairs)?)).into_response()
        }
        _ => {
            let names: Vec<&str> = WIDGETS.iter().map(|(n, _)| *n).collect();
            return Err(ApiError(AppError::Invalid {
                status: axum::http::StatusCode::NOT_FOUND,
                message: format!(
                    "ウィジェット \"{}\" はありません（{}）",
                    name.chars().take(40).collect::<String>(),
                    names.join(", ")
                ),
            }));
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandshakeCheck {
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

#[derive(Serialize)]
struct CheckResult {
    correct: bool,
    expected: String,
    explain: String,
}

/// Stores a signed-in learner's prediction as a graded item (anonymous predictions are graded, not kept).
#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    visitor: &Visitor,
    widget: &str,
    scenario: &str,
    step: i64,
    field: &str,
    answer: &str,
    correct: bool,
) -> Result<(), ApiError> {
    if let Some(user) = &visitor.signed_in {
        store::quiz::record_widget_answer(
            &state.db,
            user.user_id,
            widget,
            scenario,
            step,
            field,
            answer,
            correct,
            store::now(),
        )
        .await?;
    }
    Ok(())
}

/// `POST /api/widgets/handshake/check`: is the learner's prediction for a step right, and why. JSON only:
/// a cross-site form cannot send `application/json` without a CORS preflight this server never allows,
/// which is this endpoint's CSRF protection.
async fn handshake_check(
    State(state): State<AppState>,
    visitor: Visitor,
    JsonBody(body): JsonBody<HandshakeCheck>,
) -> Result<Json<CheckResult>, ApiError> {
    let scenario = handshake::Scenario::from_name(&body.scenario).ok_or_else(|| {
        AppError::bad_request(format!(
            "scenario \"{}\" はありません",
            body.scenario.chars().take(40).collect::<String>()
        ))
    })?;
    let field = handshake::Field::from_name(&body.field).ok_or_else(|| {
        AppError::bad_request("field は seq, ack, client_state, server_state のどれかです")
    })?;
    if body.answer.chars().count() > 40 {
        return Err(AppError::bad_request("answer が長すぎます（40 文字まで）").into());
    }
    let h = handshake::simulate(&handshake::Params {
        scenario,
        seed: body.seed,
        relative: body.relative,
    });
    let r = handshake::predict_check(&h, body.step, field, &body.answer)?;
    record(
        &state,
        &visitor,
        "handshake",
        scenario.name(),
        body.step as i64,
        field.name(),
        &body.answer,
        r.correct,
    )
    .await?;
    Ok(Json(CheckResult {
        correct: r.correct,
        expected: r.expected,
        explain: r.explain,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForkTreeCheck {
    scenario: String,
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    actions: Option<u32>,
    #[serde(default)]
    fork_share: Option<u32>,
    #[serde(default)]
    subreaper: bool,
    /// Compare with the tree after this step (0-based); absent: the final tree.
    #[serde(default)]
    step: Option<usize>,
    /// The learner's tree: live processes as (pid, ppid).
    processes: Vec<PidPair>,
}

#[derive(Deserialize, Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PidPair {
    pid: u32,
    ppid: u32,
}

#[derive(Serialize)]
struct TreeCheckResult {
    correct: bool,
    /// Processes the model has and the learner does not.
    missing: Vec<PidPair>,
    /// Processes the learner drew that the model does not have.
    extra: Vec<PidPair>,
    explain: String,
}

/// `POST /api/widgets/forktree/check`: does the learner's tree match the model's (by PID and parent)?
async fn forktree_check(
    State(state): State<AppState>,
    visitor: Visitor,
    JsonBody(body): JsonBody<ForkTreeCheck>,
) -> Result<Json<TreeCheckResult>, ApiError> {
    if body.processes.len() > 200 {
        return Err(AppError::bad_request("processes が多すぎます（200 個まで）").into());
    }
    let mut pairs = vec![("scenario".to_string(), body.scenario.clone())];
    let numbers = [
        ("n", body.n.map(u64::from)),
        ("seed", body.seed),
        ("actions", body.actions.map(u64::from)),
        ("fork_share", body.fork_share.map(u64::from)),
    ];
    pairs.extend(
        numbers
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string()))),
    );
    pairs.push(("subreaper".into(), body.subreaper.to_string()));
    let tree = forktree::simulate(&forktree::params_from_query(&pairs)?);
    let processes = match body.step {
        None => &tree.processes,
        Some(k) => {
            &tree
                .steps
                .get(k)
                .ok_or_else(|| {
                    AppError::bad_request(format!(
                        "step は 0〜{} です",
                        tree.steps.len().saturating_sub(1)
                    ))
                })?
                .processes
        }
    };
    let mut expected: Vec<PidPair> = processes
        .iter()
        .filter(|p| wire_name(&p.state) != "exited")
        .map(|p| PidPair {
            pid: p.pid,
            ppid: p.ppid,
        })
        .collect();
    expected.sort();
    let mut given = body.processes.clone();
    given.sort();
    given.dedup();
    let missing: Vec<PidPair> = expected
        .iter()
        .filter(|p| !given.contains(p))
        .copied()
        .collect();
    let extra: Vec<PidPair> = given
        .iter()
        .filter(|p| !expected.contains(p))
        .copied()
        .collect();
    let correct = missing.is_empty() && extra.is_empty();
    let answer = given
        .iter()
        .map(|p| format!("{}<{}", p.pid, p.ppid))
        .collect::<Vec<_>>()
        .join(",");
    let step = body.step.map_or(-1, |k| k as i64);
    record(
        &state,
        &visitor,
        "forktree",
        &body.scenario,
        step,
        "tree",
        &answer,
        correct,
    )
    .await?;
    let explain = if correct {
        format!(
            "正解です。プロセスは {} 個（init を除く）です。",
            expected.len()
        )
    } else {
        format!(
            "{} 個のプロセスが足りず、{} 個が余分です。fork は呼んだプロセスの子を 1 つだけ作ります。",
            missing.len(),
            extra.len()
        )
    };
    Ok(Json(TreeCheckResult {
        correct,
        missing,
        extra,
        explain,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FtpCheck {
    /// `active`, `passive` or `epsv`; required, since the whole answer depends on it.
    mode: String,
    #[serde(default)]
    client_nat: bool,
    /// As in the scenario query; absent: `none`.
    #[serde(default)]
    client_fw: Option<String>,
    /// As in the scenario query; absent: `passive-range`.
    #[serde(default)]
    server_fw: Option<String>,
    /// `client` or `server`: who the learner thinks sends the data connection's SYN.
    opener: String,
    /// The destination port the learner predicts.
    port: i64,
    /// Whether the learner thinks it gets through; absent when the widget did not ask.
    #[serde(default)]
    reaches: Option<bool>,
}

#[derive(Serialize)]
struct FtpCheckResult {
    correct: bool,
    opener_correct: bool,
    port_correct: bool,
    reaches_correct: Option<bool>,
    expected: String,
    explain: String,
    /// The step (0-based) that shows the data connection.
    step: usize,
}

/// `POST /api/widgets/ftp/check`: the predict mode's "which connection does the server open?" — who opens
/// the data connection, to which port, and (optionally) whether it gets through. JSON only, like
/// [`handshake_check`], which is its CSRF protection.
async fn ftp_check(
    State(state): State<AppState>,
    visitor: Visitor,
    JsonBody(body): JsonBody<FtpCheck>,
) -> Result<Json<FtpCheckResult>, ApiError> {
    // The same parser as the scenario query, so both accept and reject the same values.
    let mut pairs = vec![
        ("mode".to_string(), body.mode.clone()),
        ("client_nat".to_string(), body.client_nat.to_string()),
    ];
    if let Some(v) = &body.client_fw {
        pairs.push(("client_fw".into(), v.clone()));
    }
    if let Some(v) = &body.server_fw {
        pairs.push(("server_fw".into(), v.clone()));
    }
    if body.mode.trim().is_empty() {
        return Err(AppError::bad_request("mode は active, passive, epsv のどれかです").into());
    }
    let params = ftp::params_from_query(&pairs)?;
    let session = ftp::simulate(&params);
    let r = ftp::predict_check(&session, &body.opener, body.port, body.reaches)?;
    // Stored as one graded item.
    record(
        &state,
        &visitor,
        "ftp",
        &ftp::scenario_name(&params),
        r.step as i64,
        "data",
        &r.answer,
        r.correct,
    )
    .await?;
    Ok(Json(FtpCheckResult {
        correct: r.correct,
        opener_correct: r.opener_correct,
        port_correct: r.port_correct,
        reaches_correct: r.reaches_correct,
        expected: r.expected,
        explain: r.explain,
        step: r.step,
    }))
}

#[derive(Serialize)]
struct PortCalc {
    addr: Option<String>,
    port: u16,
    p1: u8,
    p2: u8,
    /// The arithmetic, shown to the learner.
    arithmetic: String,
}

/// `GET /api/widgets/ftp/port?port=N`, `?p1=&p2=`, or `?reply=227 …|229 …`: the PORT/PASV arithmetic.
async fn ftp_port(QueryPairs(pairs): QueryPairs) -> Result<Json<PortCalc>, ApiError> {
    let value = |k: &str| crate::widgets::query_value(&pairs, k);
    let calc = |addr: Option<String>, port: u16| {
        let (p1, p2) = ftp::encode_port(port);
        PortCalc {
            addr,
            port,
            p1,
            p2,
            arithmetic: format!(
                "{p1} × 256 + {p2} = {port}（p1 = ⌊{port} ÷ 256⌋ = {p1}、p2 = {port} mod 256 = {p2}）"
            ),
        }
    };
    if let Some(reply) = value("reply") {
        let reply = reply.trim();
        if reply.starts_with("229") {
            return Ok(Json(calc(None, ftp::parse_229(reply)?)));
        }
        let (addr, port) = ftp::parse_227(reply)?;
        return Ok(Json(calc(Some(addr.to_string()), port)));
    }
    if value("port").is_some() {
        let port = crate::widgets::query_u64(&pairs, "port", 0, 0, 65535)?;
        return Ok(Json(calc(None, port as u16)));
    }
    if value("p1").is_some() || value("p2").is_some() {
        let p1 = crate::widgets::query_u64(&pairs, "p1", 0, 0, 255)? as u8;
        let p2 = crate::widgets::query_u64(&pairs, "p2", 0, 0, 255)? as u8;
        return Ok(Json(calc(None, ftp::decode_port(p1, p2))));
    }
    Err(AppError::bad_request(
        "port、p1 と p2、または reply（227/229 の応答行）のどれかを指定してください",
    )
    .into())
}
