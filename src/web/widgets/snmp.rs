//! The SNMP widget in its topic page: every scenario (default parameters) as a table of PDUs and
//! events with ports, variable bindings, error-status and sources, and the agent's MIB in OID order —
//! for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::snmp::{self, Kind, Role, SnmpWidget, Step};
use askama::Template;

/// The SNMP widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &SnmpWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct SnmpRow {
    number: usize,
    time: String,
    arrow: String,
    ports: String,
    what: String,
    community: String,
    varbinds: Vec<String>,
    status: String,
    note: String,
    explain: String,
    source: String,
    lost: bool,
}

struct SnmpScenarioView {
    name: &'static str,
    label: &'static str,
    rows: Vec<SnmpRow>,
    outcome: String,
}

struct MibView {
    oid: String,
    name: String,
    syntax: String,
    value: String,
    access: &'static str,
}

#[derive(Template)]
#[template(path = "widgets/snmp.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    mib: Vec<MibView>,
    scenarios: Vec<SnmpScenarioView>,
}

fn who(role: Role) -> &'static str {
    match role {
        Role::Manager => "マネージャー",
        Role::Agent => "エージェント",
    }
}

fn syntax_name(s: snmp::mib::Syntax) -> String {
    super::wire_name(&s)
}

fn row(number: usize, s: &Step) -> SnmpRow {
    let (arrow, ports, what) = match (s.kind, s.pdu) {
        (Kind::Pdu, Some(pdu)) => {
            let to = if s.from == Role::Manager {
                Role::Agent
            } else {
                Role::Manager
            };
            (
                format!("{} → {}", who(s.from), who(to)),
                format!(
                    "{} → {}",
                    s.src_port.unwrap_or_default(),
                    s.dst_port.unwrap_or_default()
                ),
                match (s.non_repeaters, s.max_repetitions) {
                    (Some(n), Some(m)) => format!("{}（N={n}, M={m}）", pdu.as_str()),
                    _ => pdu.as_str().to_owned(),
                },
            )
        }
        _ => (
            format!("{}（イベント）", who(s.from)),
            "—".into(),
            "—".into(),
        ),
    };
    SnmpRow {
        number,
        time: format_ms(s.time_ms),
        arrow,
        ports,
        what,
        community: s.community.unwrap_or("").to_owned(),
        varbinds: s
            .varbinds
            .iter()
            .map(|v| {
                if v.value.is_empty() {
                    format!("{} = {}", v.name, syntax_name(v.syntax))
                } else {
                    format!("{} = {}: {}", v.name, syntax_name(v.syntax), v.value)
                }
            })
            .collect(),
        status: match (s.error_status, s.error_index) {
            (Some(e), Some(i)) => format!("{} / {i}", e.as_str()),
            _ => String::new(),
        },
        note: s.note.clone(),
        explain: s.explain.clone(),
        source: s.source.clone(),
        lost: s.lost,
    }
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = snmp::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let run = snmp::simulate(&snmp::Params::of(scenario));
                SnmpScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    rows: run
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| row(i + 1, s))
                        .collect(),
                    outcome: run.outcome,
                }
            })
            .collect();
        let mib = snmp::simulate(&snmp::Params::default())
            .mib
            .into_iter()
            .map(|m| MibView {
                oid: m.oid,
                name: m.name,
                syntax: syntax_name(m.syntax),
                value: m.value,
                access: m.access,
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            mib,
            scenarios,
        }
    }
}

fn format_ms(ms: u64) -> String {
    if ms >= 1000 {
        let s = ms as f64 / 1000.0;
        format!(
            "{} 秒",
            format!("{s:.3}")
                .trim_end_matches('0')
                .trim_end_matches('.')
        )
    } else {
        format!("{ms} ms")
    }
}
