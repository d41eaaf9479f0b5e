//! The conntrack widget's scenarios against the lab's router, packet by packet: the `ct state` each
//! packet met and the rule that decided (the ruleset's named counters), whether it left the router
//! (the capture on both of its sides: a dropped packet arrives and never leaves), and after each
//! packet `conntrack -L` and `conntrack -L expect` — TCP state column, [UNREPLIED], [ASSURED],
//! helper=ftp, use=, and the timeout, which the kernel prints counting down.
//!
//! The lab's client is 192.0.2.2 (the widget's 192.168.1.10) and the path router that sends the ICMP
//! error 198.51.100.254 (the widget's 198.51.100.1, which is the lab router's own address); lines are
//! compared after putting the widget's addresses back.

use std::net::IpAddr;

use serde_json::Value;

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::widgets::conntrack::{self, params_from_scenario_name};

/// The scenarios the lab records: all of the widget's, and the stray ACK with
/// `nf_conntrack_tcp_loose` = 0 too. The packets are made by hand (the lab's `craft.py`), so every
/// one of them can be real; the FTP runs add a 220 greeting before the 227 that the model leaves
/// out, since Linux's helper reads no line it did not see begin (see the 227 step's explanation).
pub const RECORDED: &[&str] = &[
    "https",
    "dns",
    "ftp-passive",
    "ftp-helper",
    "unsolicited-syn",
    "icmp-error",
    "stray-ack",
    "stray-ack+strict",
];

/// How far below the model's timeout the printed one may be: the kernel prints what is left, a
/// second or so after the packet refreshed it.
const TIMEOUT_SLACK: i64 = 5;

/// The lab's addresses as the widget writes them.
fn widget_address(word: &str) -> String {
    let mut out = word.to_owned();
    for (lab, widget) in [
        ("=192.0.2.2", "=192.168.1.10"),
        ("=198.51.100.254", "=198.51.100.1"),
    ] {
        if out.ends_with(lab) {
            out = format!("{}{widget}", &out[..out.len() - lab.len()]);
        }
    }
    out
}

/// A `conntrack -L` (or `-L expect`) line split into its timeout and the rest, with the widget's
/// addresses: `tcp 6 T SYN_SENT src=… … use=1`. `timeout_at` is the timeout's position (2 for an
/// entry, 0 for an expectation).
fn split(line: &str, timeout_at: usize) -> (Option<i64>, String) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let timeout = words.get(timeout_at).and_then(|t| t.parse().ok());
    let rest: Vec<String> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != timeout_at)
        .map(|(_, w)| widget_address(w))
        .collect();
    (timeout, rest.join(" "))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Compares the model's table (or expectations) after one packet with what the kernel printed: the
/// same entries (in any order: `conntrack -L` walks a hash table), each with a timeout between the
/// model's less [`TIMEOUT_SLACK`] and the model's.
fn compare_lines(
    cmp: &mut Comparison,
    at: &str,
    what: &str,
    model: &[String],
    seen: &[String],
    timeout_at: usize,
) {
    cmp.check(model.len() == seen.len(), || {
        format!(
            "{at}の {what} の行数: モデルは {}、実際は {}",
            model.len(),
            seen.len()
        )
    });
    let seen: Vec<(Option<i64>, String)> = seen.iter().map(|l| split(l, timeout_at)).collect();
    for line in model {
        let (timeout, rest) = split(line, timeout_at);
        let found = seen.iter().find(|(_, r)| *r == rest);
        cmp.check(found.is_some(), || {
            format!("{at}の {what} に、モデルの行「{line}」がありません（実際: {seen:?}）")
        });
        if let (Some((Some(real), _)), Some(model)) = (found, timeout) {
            cmp.check(*real <= model && *real >= model - TIMEOUT_SLACK, || {
                format!("{at}の {what} のタイムアウト: モデルは {model}、実際は {real}（{rest}）")
            });
        }
    }
}

/// Which of the router's arriving packets left it again, in order: one entry per arriving packet
/// ("In"), true when the same packet (addresses and ports) left ("Out") right after.
fn forwarded(packets: &[Packet]) -> Vec<bool> {
    let key = |p: &Packet| -> (IpAddr, IpAddr, u16, u16) {
        let (s, d) = match &p.kind {
            Kind::Tcp(t) => (t.sport, t.dport),
            Kind::Udp { sport, dport, .. } => (*sport, *dport),
            _ => (0, 0),
        };
        (p.src, p.dst, s, d)
    };
    let mut out: Vec<bool> = Vec::new();
    let mut last = None;
    for p in packets {
        match p.outgoing {
            Some(false) => {
                out.push(false);
                last = Some(key(p));
            }
            Some(true) if last == Some(key(p)) => {
                if let Some(f) = out.last_mut() {
                    *f = true;
                }
            }
            _ => {}
        }
    }
    out
}

/// Compares the lab's run of `scenario` (the capture on the router and what `conntrack.py` read after
/// each packet) with the model. `None` for a scenario the widget does not have.
pub fn compare(scenario: &str, packets: &[Packet], seen: &Value) -> Option<Comparison> {
    let params = params_from_scenario_name(scenario)?;
    let model = conntrack::simulate(&params);
    let mut cmp = Comparison::default();
    let Some(steps) = seen["steps"].as_array() else {
        cmp.check(false, || "実機の記録がありません".to_owned());
        return Some(cmp);
    };
    compare_lines(
        &mut cmp,
        "最初の表",
        "conntrack -L",
        &model.initial_table,
        &strings(&seen["initial_table"]),
        2,
    );
    let left = forwarded(packets);
    cmp.check(left.len() == steps.len(), || {
        format!(
            "ルータに届いたパケット: 実機で送ったのは {} 個、キャプチャでは {} 個",
            steps.len(),
            left.len()
        )
    });
    let mut matched = 0;
    for (i, real) in steps.iter().enumerate() {
        let Some(n) = real["model_step"].as_u64() else {
            continue; // a packet only the lab sends (the HTTPS set-up, the FTP greeting)
        };
        let Some(step) = model.steps.get(n as usize - 1) else {
            cmp.check(false, || format!("モデルに {n} 番目のパケットがありません"));
            continue;
        };
        matched += 1;
        let at = format!("{n} 番目（{}）", step.packet.what);
        let state = real["ct_state"].as_str().unwrap_or("?");
        cmp.check(state == step.ct_state.as_str(), || {
            format!(
                "{at}の ct state: モデルは {}、実際は {state}",
                step.ct_state.as_str()
            )
        });
        let rule = real["rule"].as_str().unwrap_or("?");
        cmp.check(rule == step.stateful.rule, || {
            format!(
                "{at}を決めたルール: モデルは {}、実際は {rule}",
                step.stateful.rule
            )
        });
        let passed = left.get(i).copied();
        cmp.check(passed == Some(step.stateful.accept), || {
            format!(
                "{at}がルータを通ったか: モデルは {}、キャプチャでは {passed:?}",
                step.stateful.accept
            )
        });
        compare_lines(
            &mut cmp,
            &at,
            "conntrack -L",
            &step.table,
            &strings(&real["table"]),
            2,
        );
        compare_lines(
            &mut cmp,
            &at,
            "conntrack -L expect",
            &step.expect,
            &strings(&real["expect"]),
            0,
        );
    }
    cmp.check(matched == model.steps.len(), || {
        format!(
            "パケットの数: モデルは {}、実機は {matched}",
            model.steps.len()
        )
    });
    Some(cmp)
}
