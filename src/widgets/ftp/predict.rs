//! Grading the predict mode's question (予想モード) "which connection does the server open?": who
//! opens the data connection, to which port, and whether it gets through.

use serde::{Deserialize, Serialize};

use super::model::*;
use super::{Mode, params_from_query, scenario_name, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, echo, parse_body, to_json};

/// The field a prediction is stored under: the whole data connection in one item.
pub const DATA_FIELD: &str = "data";

/// The verdict on a prediction of the data connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// Every part the learner answered matched the model.
    pub correct: bool,
    /// The learner named the side that opens the data connection.
    pub opener_correct: bool,
    /// The learner named the destination port of its SYN.
    pub port_correct: bool,
    /// Whether it gets through was answered right; `None` when it was not asked.
    pub reaches_correct: Option<bool>,
    /// The model's answer in Japanese: who opens it, from where to where, and whether it arrives.
    pub expected: String,
    /// One paragraph on why, agreeing with facts.md §7 and W2.
    pub explain: String,
    /// Index into `steps` of the step that shows the data connection (where the widget asks).
    pub step: usize,
    /// The prediction in one fixed ASCII form for storage: `opener:port[:reaches|:blocked]`.
    pub answer: String,
}

/// How a side is written in Japanese.
fn side_label(side: Side) -> &'static str {
    match side {
        Side::Client => "クライアント",
        Side::Server => "サーバー",
    }
}

/// Grades a prediction of `s`'s data connection: which side sends the SYN (`opener`, `client` or
/// `server`), to which destination port, and, when `reaches` is given, whether it gets through.
/// A side that is neither name, or a port outside 1–65535, is a [`ParamError`] so nothing gets
/// recorded.
pub fn predict_check(
    s: &FtpSession,
    opener: &str,
    port: i64,
    reaches: Option<bool>,
) -> Result<PredictResult, ParamError> {
    let given_opener = match opener.trim() {
        "client" | "クライアント" => Side::Client,
        "server" | "サーバー" | "サーバ" => Side::Server,
        other => {
            return Err(ParamError(format!(
                "opener「{}」は使えません。使える値: client, server",
                echo(other)
            )));
        }
    };
    let given_port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| {
            ParamError(format!(
                "port は 1〜65535 の整数で指定してください（指定値: {port}）"
            ))
        })?;
    let (index, data) = s
        .connections
        .iter()
        .enumerate()
        .find(|(_, c)| c.purpose == Purpose::Data)
        .ok_or_else(|| ParamError("このシナリオにはデータ接続がありません".to_owned()))?;
    let step = s
        .steps
        .iter()
        .position(|st| st.connection == Some(index))
        .ok_or_else(|| ParamError("このシナリオにはデータ接続のステップがありません".to_owned()))?;

    let opener_correct = given_opener == data.opener;
    let port_correct = given_port == data.to_port;
    // `reaches` means "gets through", the opposite of `blocked`.
    let reaches_correct = reaches.map(|r| r != data.blocked);
    let correct = opener_correct && port_correct && reaches_correct.unwrap_or(true);
    let answer = format!(
        "{}:{given_port}{}",
        match given_opener {
            Side::Client => "client",
            Side::Server => "server",
        },
        match reaches {
            Some(true) => ":reaches",
            Some(false) => ":blocked",
            None => "",
        }
    );

    let mut expected = format!(
        "{}が開く。接続先ポートは {}（{}:{} → {}:{}）",
        side_label(data.opener),
        data.to_port,
        data.from_addr,
        data.from_port,
        data.to_addr,
        data.to_port
    );
    if reaches.is_some() {
        expected.push_str(if data.blocked {
            "。ブロックされる"
        } else {
            "。届く"
        });
    }

    let announced = match s.mode {
        Mode::Active => format!(
            "アクティブモードでは、クライアントが PORT で知らせたポート {ACTIVE_DATA_PORT} へ、サーバーが送信元ポート {ACTIVE_SERVER_PORT} から自分でデータ接続を開きます（RFC 959 §3.2, §4.1.2）。"
        ),
        Mode::Passive => format!(
            "パッシブモードでは、サーバーが 227 応答で知らせたポート {PASSIVE_PORT}（195×256 + 80）へ、クライアントが自分の一時ポートからデータ接続を開きます（RFC 959 §4.1.2）。"
        ),
        Mode::Epsv => format!(
            "拡張パッシブモードでは、サーバーが 229 応答で知らせたポート {PASSIVE_PORT} へ、クライアントが制御接続と同じ相手に自分の一時ポートからデータ接続を開きます（RFC 2428 §3）。"
        ),
    };
    let mut explain = announced;
    // The classic slip (facts.md §7): "FTP uses 20 and 21".
    if !port_correct {
        match given_port {
            CONTROL_PORT => explain.push_str("21 番は制御接続のポートで、データ接続には使いません。"),
            ACTIVE_SERVER_PORT if s.mode == Mode::Active => explain.push_str(
                "20 番はサーバー側の送信元ポートで、接続先ではありません。",
            ),
            ACTIVE_SERVER_PORT => explain.push_str(
                "20 番が出てくるのはアクティブモードのサーバー側の送信元ポートとしてだけで、パッシブモードのデータ接続はサーバーの一時ポートへ向かいます。",
            ),
            _ => {}
        }
    }
    match &data.reason {
        Some(reason) => explain.push_str(&format!("この SYN は届かない: {reason}")),
        None if data.related => {
            let read = match s.mode {
                Mode::Active => "PORT",
                Mode::Passive => "227 応答",
                Mode::Epsv => "229 応答",
            };
            explain.push_str(&format!(
                "クライアント側の FTP ヘルパーが制御接続の {read}を読んで予期していた接続なので、conntrack が RELATED として通し、届きます。"
            ));
        }
        None if data.opener == Side::Server => explain.push_str(
            "クライアントから見ると外から入ってくる新しい接続ですが、この設定では止めるものが無いので届きます。",
        ),
        None => explain.push_str(
            "クライアントから見ると外向きの接続なので、クライアント側の NAT やファイアウォールは通します。サーバー側もパッシブ用ポート範囲を開けているので届きます。",
        ),
    }

    Ok(PredictResult {
        correct,
        opener_correct,
        port_correct,
        reaches_correct,
        expected,
        explain,
        step,
        answer,
    })
}

/// The body of `POST /api/widgets/ftp/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
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

/// What the learner is told: the [`PredictResult`] without its storage form.
#[derive(Serialize)]
struct Reply<'a> {
    correct: bool,
    opener_correct: bool,
    port_correct: bool,
    reaches_correct: Option<bool>,
    expected: &'a str,
    explain: &'a str,
    /// The step (0-based) that shows the data connection.
    step: usize,
}

/// Grades a check body: the setup goes through the same parser as the scenario query, so both
/// accept and reject the same values; then [`predict_check`]. Stored as one item, field
/// [`DATA_FIELD`], under the setup's [`scenario_name`].
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    // An empty mode would read as "missing" and default to active: refuse it instead.
    if body.mode.trim().is_empty() {
        return Err(ParamError("mode は active, passive, epsv のどれかです".to_owned()).into());
    }
    let mut pairs = vec![
        ("mode".to_owned(), body.mode.clone()),
        ("client_nat".to_owned(), body.client_nat.to_string()),
    ];
    if let Some(v) = &body.client_fw {
        pairs.push(("client_fw".to_owned(), v.clone()));
    }
    if let Some(v) = &body.server_fw {
        pairs.push(("server_fw".to_owned(), v.clone()));
    }
    let params = params_from_query(&pairs)?;
    let session = simulate(&params);
    let r = predict_check(&session, &body.opener, body.port, body.reaches)?;
    let reply = to_json(&Reply {
        correct: r.correct,
        opener_correct: r.opener_correct,
        port_correct: r.port_correct,
        reaches_correct: r.reaches_correct,
        expected: &r.expected,
        explain: &r.explain,
        step: r.step,
    })?;
    Ok(Graded {
        reply,
        item: GradedItem {
            scenario: scenario_name(&params),
            step: i64::try_from(r.step).unwrap_or(i64::MAX),
            field: DATA_FIELD,
            answer: r.answer,
            correct: r.correct,
        },
    })
}
