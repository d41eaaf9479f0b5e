//! The firewall comparison in its topic page: both rule tables, then every scenario as a table of
//! packets — each filter's verdict, the `ct state`, and `conntrack -L` after the packet — with its
//! outcome, for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::conntrack::{self, ConntrackWidget, Dir, Params, Rule, Scenario};
use askama::Template;

/// conntrack's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &ConntrackWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    packet: String,
    what: String,
    static_verdict: String,
    static_ok: bool,
    state: &'static str,
    stateful: String,
    stateful_ok: bool,
    table: Vec<String>,
    expect: Vec<String>,
    explain: String,
    source: String,
}

struct Case {
    name: &'static str,
    label: &'static str,
    initial: Vec<String>,
    helper_rule: Option<String>,
    rows: Vec<Row>,
    summary: String,
}

#[derive(Template)]
#[template(path = "widgets/conntrack.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    static_rules: Vec<Rule>,
    stateful_rules: Vec<Rule>,
    cases: Vec<Case>,
}

fn endpoint(addr: &str, port: Option<u16>) -> String {
    port.map_or_else(|| addr.to_owned(), |p| format!("{addr}:{p}"))
}

fn verdict(accept: bool, rule: &str) -> String {
    let rule = if rule == "policy" { "既定" } else { rule };
    if accept {
        format!("✓ 通す（{rule}）")
    } else {
        format!("✗ 破棄（{rule}）")
    }
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let base = conntrack::simulate(&Params::default());
        let cases = Scenario::ALL
            .iter()
            .map(|&scenario| {
                let run = conntrack::simulate(&Params {
                    scenario,
                    loose: true,
                });
                Case {
                    name: scenario.name(),
                    label: scenario.label(),
                    initial: run.initial_table.clone(),
                    helper_rule: run
                        .stateful_rules
                        .iter()
                        .find(|r| r.id == "H")
                        .map(|r| r.text.clone()),
                    rows: run
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Row {
                            number: i + 1,
                            packet: format!(
                                "{} {} → {}",
                                if s.packet.dir == Dir::Out {
                                    "出"
                                } else {
                                    "入"
                                },
                                endpoint(&s.packet.src, s.packet.sport),
                                endpoint(&s.packet.dst, s.packet.dport)
                            ),
                            what: s.packet.what.clone(),
                            static_verdict: verdict(s.static_verdict.accept, s.static_verdict.rule),
                            static_ok: s.static_verdict.accept,
                            state: s.ct_state.as_str(),
                            stateful: verdict(s.stateful.accept, s.stateful.rule),
                            stateful_ok: s.stateful.accept,
                            table: s.table.clone(),
                            expect: s.expect.clone(),
                            explain: s.explain.clone(),
                            source: s.source.clone(),
                        })
                        .collect(),
                    summary: run.outcome.summary,
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            static_rules: base.static_rules,
            stateful_rules: base.stateful_rules,
            cases,
        }
    }
}
