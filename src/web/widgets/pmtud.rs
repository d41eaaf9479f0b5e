//! The PMTUD simulator in its topic page: every named setup as a table of packets — who sends
//! what, how big, where it ends up, A's path MTU and MSS after it, why and from which source —
//! with its outcome, for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::pmtud::{self, Fate, Node, PmtudWidget};
use askama::Template;

/// PMTUD's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &PmtudWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    path: String,
    label: String,
    df: &'static str,
    fate: String,
    bad: bool,
    pmtu: u16,
    mss: u16,
    note: String,
    explain: String,
    source: String,
}

struct Setup {
    name: &'static str,
    label: &'static str,
    rows: Vec<Row>,
    summary: String,
}

#[derive(Template)]
#[template(path = "widgets/pmtud.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    setups: Vec<Setup>,
}

/// A node as the tables name it.
pub(super) fn node_label(node: Node) -> &'static str {
    match node {
        Node::A => "A",
        Node::Fw => "FW",
        Node::R1 => "R1",
        Node::R2 => "R2",
        Node::B => "B",
    }
}

fn fate_label(fate: Fate, stops_at: Node, fragments: &[u16]) -> String {
    match fate {
        Fate::Delivered => format!("✓ {} に届く", node_label(stops_at)),
        Fate::TooBig => "✗ R1 で破棄（大きすぎる）".to_owned(),
        Fate::Filtered => "✗ FW で破棄（フィルタ）".to_owned(),
        Fate::Fragmented => {
            let sizes: Vec<String> = fragments.iter().map(u16::to_string).collect();
            format!("R1 で分割（{}）して届く", sizes.join(" + "))
        }
        Fate::Event => "—".to_owned(),
    }
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let setups = pmtud::PRESETS
            .iter()
            .map(|preset| {
                let run = pmtud::simulate(&preset.params);
                Setup {
                    name: preset.name,
                    label: preset.label,
                    rows: run
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Row {
                            number: i + 1,
                            path: if s.fate == Fate::Event {
                                node_label(s.from).to_owned()
                            } else {
                                format!("{} → {}", node_label(s.from), node_label(s.to))
                            },
                            label: s.label.clone(),
                            df: match s.df {
                                Some(true) => "1",
                                Some(false) => "0",
                                None => "—",
                            },
                            fate: fate_label(s.fate, s.stops_at, &s.fragments),
                            bad: matches!(s.fate, Fate::TooBig | Fate::Filtered),
                            pmtu: s.pmtu,
                            mss: s.mss,
                            note: s.note.clone(),
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
            setups,
        }
    }
}
