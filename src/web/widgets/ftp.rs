//! FTP active vs passive in its topic page: the three modes, then the setups where a NAT or firewall
//! stops the data connection, each as its connections, transcript and walkthrough; and the route of
//! the PORT/PASV port calculator.

use super::{WidgetView, side_label, wire_name};
use crate::web::error::ApiError;
use crate::web::extract::QueryPairs;
use crate::web::state::AppState;
use crate::widgets::Widget;
use crate::widgets::ftp::{self, FtpWidget, PortCalc};
use askama::Template;
use axum::routing::get;
use axum::{Json, Router};

/// FTP's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &FtpWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }

    fn routes(&self) -> Router<AppState> {
        Router::new().route("/api/widgets/ftp/port", get(port))
    }
}

/// `GET /api/widgets/ftp/port?port=N`, `?p1=&p2=`, or `?reply=227 …|229 …`: the PORT/PASV arithmetic.
async fn port(QueryPairs(pairs): QueryPairs) -> Result<Json<PortCalc>, ApiError> {
    Ok(Json(ftp::port_calc(&pairs)?))
}

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
struct Page {
    name: &'static str,
    label: &'static str,
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

impl Page {
    fn new(widget: &dyn Widget) -> Self {
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
        Page {
            name: widget.name(),
            label: widget.label(),
            modes,
            failures,
        }
    }
}
