//! The network widgets added to the lab after the handshake, FTP and PMTUD — conntrack, SNMP —
//! in one place: which scenarios the lab records for each, how a capture and what the lab read beside
//! it (`<scenario>.json`) are compared with the model, how the widget's captures section says where
//! they were taken, and the lab report's rows for them (`examples/lab_check.rs`).

use std::path::Path;

use serde_json::Value;

use super::{Comparison, conntrack, snmp};
use crate::captures::decode::{Packet, decode, tcpdump_lines};

/// Every (widget, scenario) recorded here.
pub fn recorded() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    all.extend(conntrack::RECORDED.iter().map(|s| ("conntrack", *s)));
    all.extend(snmp::RECORDED.iter().map(|s| ("snmp", *s)));
    all
}

/// Recorded runs that are not one of the widget's picker scenarios, so the captures section lists
/// them after those (the widget's `scenario_label` names them).
pub const VARIANTS: &[(&str, &str)] = &[("conntrack", "stray-ack+strict"), ("snmp", "inform+lost")];

/// Whether the comparison needs what the lab read beside the capture (`<scenario>.json`).
pub fn needs_observation(widget: &str) -> bool {
    widget == "conntrack"
}

/// Compares one recorded scenario with its model: the capture, and for conntrack the lab's reading
/// of the router after each packet. `None` for a scenario not recorded here, or without its reading.
pub fn compare(
    widget: &str,
    scenario: &str,
    packets: &[Packet],
    seen: Option<&Value>,
) -> Option<Comparison> {
    match widget {
        "conntrack" => conntrack::compare(scenario, packets, seen?),
        "snmp" => snmp::compare(scenario, packets),
        _ => None,
    }
}

/// Where a widget's captures were taken, when that is not the client's link (the captures section
/// says it under its general text); empty otherwise.
pub fn capture_note(widget: &str) -> &'static str {
    match widget {
        "conntrack" => {
            "この図解のキャプチャは、フィルタ役のルータの両側で記録しました（tcpdump -i any）。In はルータに届いたパケット、Out はフィルタを通って出ていったパケットで、Out の無い In はフィルタが捨てたものです。パケットは図解の順に 1 つずつ手作りで送り（両端のホストは応答しません）、図解のクライアント 192.168.1.10 は 192.0.2.2、ICMP エラーを返すルータ 198.51.100.1 は 198.51.100.254 です。各パケットの後のルータの conntrack -L も並べています。"
        }
        "snmp" => {
            "この図解のキャプチャは、Linux の net-snmp で記録しました。エージェントはサーバー 198.51.100.2 の snmpd（UDP 161）、マネージャーはクライアント 192.0.2.2 の snmpget・snmpwalk・snmpbulkget・snmpset と、通知を受ける snmptrapd（UDP 162）です。linkDown の Trap と Inform はサーバーから snmptrap・snmpinform で送り、エージェント側のリンクで記録しました。request-id は net-snmp が乱数で選ぶので図解の値とは違います。"
        }
        _ => "",
    }
}

/// One row of the lab report.
#[derive(Debug)]
pub struct Row {
    /// The widget.
    pub widget: &'static str,
    /// The recorded scenario.
    pub scenario: &'static str,
    /// Packets in the capture; `None` when it is missing.
    pub packets: Option<usize>,
    /// The comparison (one disagreement naming the missing file when it is missing).
    pub cmp: Comparison,
    /// The capture in tcpdump's words and what the lab read, for the report's details.
    pub details: String,
}

/// The report's rows for every scenario recorded here, from the lab's output directory.
pub fn rows(dir: &Path) -> Vec<Row> {
    recorded()
        .into_iter()
        .map(|(widget, scenario)| {
            let base = dir.join(widget).join(scenario);
            let packets = std::fs::read(base.with_extension("pcap"))
                .ok()
                .and_then(|b| decode(&b).ok());
            let seen: Option<Value> = std::fs::read_to_string(format!("{}.json", base.display()))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            let observed =
                std::fs::read_to_string(format!("{}.txt", base.display())).unwrap_or_default();
            let cmp = packets
                .as_deref()
                .and_then(|p| compare(widget, scenario, p, seen.as_ref()));
            let Some(cmp) = cmp else {
                let mut cmp = Comparison::default();
                cmp.check(false, || "キャプチャか実機の記録がありません".to_owned());
                return Row {
                    widget,
                    scenario,
                    packets: None,
                    cmp,
                    details: String::new(),
                };
            };
            let packets = packets.unwrap_or_default();
            let mut details = String::from("```\n");
            for line in tcpdump_lines(&packets) {
                details.push_str(&line);
                details.push('\n');
            }
            details.push_str("```\n");
            if !observed.trim().is_empty() {
                details.push_str(&format!("\n```\n{}\n```\n", observed.trim_end()));
            }
            Row {
                widget,
                scenario,
                packets: Some(packets.len()),
                cmp,
                details,
            }
        })
        .collect()
}
