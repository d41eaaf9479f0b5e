//! The lab's judge: reads the captures `scripts/lab` just recorded (`DIR/<widget>/<scenario>.pcap`,
//! and `close.ss.txt`), holds each against its model with `infra_dojo::captures::compare`, and prints
//! the report — scenarios run, fields compared, every disagreement — as Markdown. Exit status 1 when
//! a capture is missing or disagrees, so `scripts/lab` fails.
//!
//! Usage: `cargo run --example lab_check -- DIR`

use infra_dojo::captures::compare::os::WIDGETS as OS_WIDGETS;
use infra_dojo::captures::compare::pmtud::{RECORDED as PMTUD, compare as compare_pmtud};
use infra_dojo::captures::compare::{RECORDED, compare, compare_time_wait};
use infra_dojo::captures::decode::{decode, tcpdump_lines};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: lab_check DIR");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(&dir);
    let mut failed = 0;
    let mut scenarios = RECORDED.len();
    let mut fields = 0;
    println!("# Lab report\n");
    println!("| widget | scenario | packets | fields compared | disagreements |");
    println!("|---|---|---:|---:|---:|");
    let mut details = String::new();
    for (widget, scenario) in RECORDED {
        let path = dir.join(widget).join(format!("{scenario}.pcap"));
        let packets = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| decode(&b).map_err(|e| e.to_string()))
        {
            Ok(p) => p,
            Err(e) => {
                failed += 1;
                println!("| {widget} | {scenario} | – | 0 | capture missing: {e} |");
                continue;
            }
        };
        let mut cmp = compare(widget, scenario, &packets).unwrap_or_default();
        if (*widget, *scenario) == ("handshake", "close") {
            let ss =
                std::fs::read_to_string(dir.join(widget).join("close.ss.txt")).unwrap_or_default();
            let tw = compare_time_wait(&ss);
            cmp.fields += tw.fields;
            cmp.disagreements.extend(tw.disagreements);
        }
        fields += cmp.fields;
        if !cmp.disagreements.is_empty() {
            failed += 1;
        }
        println!(
            "| {widget} | {scenario} | {} | {} | {} |",
            packets.len(),
            cmp.fields,
            cmp.disagreements.len()
        );
        details.push_str(&format!("\n## {widget} / {scenario}\n\n```\n"));
        for line in tcpdump_lines(&packets) {
            details.push_str(&line);
            details.push('\n');
        }
        details.push_str("```\n");
        for d in &cmp.disagreements {
            details.push_str(&format!("- 不一致: {d}\n"));
        }
    }
    // PMTUD through the router's 1400-byte link.
    for scenario in PMTUD {
        let dir = dir.join("pmtud");
        let packets = std::fs::read(dir.join(format!("{scenario}.pcap")))
            .ok()
            .and_then(|b| decode(&b).ok());
        let seen: Option<serde_json::Value> =
            std::fs::read_to_string(dir.join(format!("{scenario}.json")))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
        let (Some(packets), Some(seen)) = (packets, seen) else {
            failed += 1;
            println!("| pmtud | {scenario} | – | 0 | capture missing |");
            continue;
        };
        let cmp = compare_pmtud(scenario, &packets, &seen).unwrap_or_default();
        scenarios += 1;
        fields += cmp.fields;
        if !cmp.disagreements.is_empty() {
            failed += 1;
        }
        println!(
            "| pmtud | {scenario} | {} | {} | {} |",
            packets.len(),
            cmp.fields,
            cmp.disagreements.len()
        );
        details.push_str(&format!("\n## pmtud / {scenario}\n\n{seen}\n\n```\n"));
        for line in tcpdump_lines(&packets) {
            details.push_str(&line);
            details.push('\n');
        }
        details.push_str("```\n");
        for d in &cmp.disagreements {
            details.push_str(&format!("- 不一致: {d}\n"));
        }
    }

    // The OS widgets' scenarios against real processes (the fork tree, the pipe, signals, the
    // scheduler, the race, the process's components).
    for os_widget in OS_WIDGETS {
        let widget = os_widget.widget;
        for experiment in os_widget.experiments {
            let path = dir.join(widget).join(format!("{experiment}.json"));
            let seen: Option<serde_json::Value> = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            let Some(cmp) = seen
                .as_ref()
                .and_then(|v| (os_widget.compare)(experiment, v))
            else {
                failed += 1;
                println!("| {widget} | {experiment} | – | 0 | observation missing |");
                continue;
            };
            scenarios += 1;
            fields += cmp.fields;
            if !cmp.disagreements.is_empty() {
                failed += 1;
            }
            println!(
                "| {widget} | {experiment} | – | {} | {} |",
                cmp.fields,
                cmp.disagreements.len()
            );
            details.push_str(&format!(
                "\n## {widget} / {experiment}\n\n```\n{}\n```\n",
                seen.unwrap_or_default()
            ));
            for d in &cmp.disagreements {
                details.push_str(&format!("- 不一致: {d}\n"));
            }
        }
    }

    // conntrack through the router, SNMP against net-snmp (captures::compare::network).
    for row in infra_dojo::captures::compare::network::rows(dir) {
        scenarios += 1;
        fields += row.cmp.fields;
        if !row.cmp.disagreements.is_empty() {
            failed += 1;
        }
        let packets = row.packets.map_or("–".to_owned(), |n| n.to_string());
        println!(
            "| {} | {} | {packets} | {} | {} |",
            row.widget,
            row.scenario,
            row.cmp.fields,
            row.cmp.disagreements.len()
        );
        details.push_str(&format!(
            "\n## {} / {}\n\n{}",
            row.widget, row.scenario, row.details
        ));
        for d in &row.cmp.disagreements {
            details.push_str(&format!("- 不一致: {d}\n"));
        }
    }

    // vsftpd's default behind a NAT without a helper: the model says the PORT is refused with 500
    // (RFC 2577 §3) before it follows a server that accepts it; the lab ran the default too.
    if let Ok(result) = std::fs::read_to_string(dir.join("ftp-default.result")) {
        scenarios += 1;
        fields += 2;
        let params = infra_dojo::widgets::ftp::params_from_scenario_name("active+nat")
            .expect("a scenario name the model writes");
        let model = infra_dojo::widgets::ftp::simulate(&params);
        let says_500 = model
            .steps
            .iter()
            .any(|s| s.explain.contains("500 Illegal PORT"));
        let refused = result.trim_start().starts_with("FAILED 500");
        if !(says_500 && refused) {
            failed += 1;
        }
        println!(
            "| ftp | active+nat (vsftpd の既定) | – | 2 | {} |",
            usize::from(!says_500) + usize::from(!refused)
        );
        details.push_str(&format!(
            "\n## ftp / active+nat (vsftpd の既定 port_promiscuous=NO)\n\nクライアントの結果: `{}`\n",
            result.trim()
        ));
        if !refused {
            details.push_str(
                "- 不一致: vsftpd の既定が NAT 越しの PORT を 500 で拒否しませんでした\n",
            );
        }
        if !says_500 {
            details
                .push_str("- 不一致: モデルの説明が vsftpd の 500 Illegal PORT に触れていません\n");
        }
    }
    println!("\n{scenarios} scenarios, {fields} fields compared, {failed} with a disagreement.");
    print!("{details}");
    if failed > 0 {
        std::process::exit(1);
    }
}
