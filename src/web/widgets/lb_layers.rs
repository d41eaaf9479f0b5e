//! The L3/L4/L7 decision widget in its topic pages (load balancers, custom protocols): every scenario
//! as its packet (field by field, by layer) and a table of the three devices' verdicts, for reading
//! without JavaScript and on paper. The same block appears on both topics' pages.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::lb_layers::{self, LbLayersWidget, Part};
use askama::Template;

/// The widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &LbLayersWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct FieldRow {
    part: &'static str,
    label: &'static str,
    value: String,
    encrypted: bool,
}

struct DeviceRow {
    layer: u8,
    label: &'static str,
    can: bool,
    decision: String,
    explain: String,
    source: String,
}

struct ScenarioView {
    name: &'static str,
    label: &'static str,
    packet: String,
    rule: &'static str,
    fields: Vec<FieldRow>,
    devices: Vec<DeviceRow>,
    outcome: String,
}

#[derive(Template)]
#[template(path = "widgets/lb-layers.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    scenarios: Vec<ScenarioView>,
}

fn part_label(part: Part) -> &'static str {
    match part {
        Part::Ip => "IP（L3）",
        Part::Tcp => "TCP（L4）",
        Part::Tls => "TLS の ClientHello",
        Part::App => "アプリケーション（L7）",
    }
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = lb_layers::Scenario::ALL
            .iter()
            .map(|&s| {
                let e = lb_layers::evaluate(&s.params());
                ScenarioView {
                    name: s.name(),
                    label: s.label(),
                    packet: e.packet_line.clone(),
                    rule: e.rule_label,
                    fields: e
                        .fields
                        .iter()
                        .map(|f| FieldRow {
                            part: part_label(f.part),
                            label: f.label,
                            value: f.value.clone(),
                            encrypted: f.encrypted,
                        })
                        .collect(),
                    devices: e
                        .devices
                        .iter()
                        .map(|d| DeviceRow {
                            layer: d.layer,
                            label: d.label,
                            can: d.can_apply,
                            decision: d.decision.clone().unwrap_or_default(),
                            explain: d.explain.clone(),
                            source: d.source.clone(),
                        })
                        .collect(),
                    outcome: e.outcome.clone(),
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
