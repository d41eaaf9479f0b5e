//! The handshake stepper in its topic page: every scenario as a table of segments with both ends'
//! states (seed 0, the fact sheet's ISNs), for reading without JavaScript and on paper.

use super::{WidgetView, wire_name};
use crate::widgets::Widget;
use crate::widgets::handshake::{self, HandshakeWidget};
use askama::Template;

/// The handshake's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &HandshakeWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

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
struct Page {
    name: &'static str,
    label: &'static str,
    scenarios: Vec<HandshakeScenarioView>,
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
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
        Page {
            name: widget.name(),
            label: widget.label(),
            scenarios,
        }
    }
}

fn format_ms(ms: u64) -> String {
    if ms >= 1000 {
        format!("{:.1} 秒", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}
