//! The SNMP widget's scenarios against net-snmp: snmpd as the agent on the lab's server
//! (198.51.100.2, UDP 161), the client's snmpget / snmpwalk / snmpbulkget / snmpset as the manager
//! (192.0.2.2), snmptrapd on the client's UDP 162 receiving what snmptrap / snmpinform send from the
//! server. Every SNMP message of a capture is decoded (`captures::snmp`) and held against the model's
//! PDU of the same rank: sender, PDU type, the agent's and the receiver's ports, community,
//! request-ids (a Response repeats its request's, a resent Inform keeps its own), error-status and
//! -index, GetBulk's numbers, and each binding's OID, syntax and — where the lab's agent was given
//! the widget's values — its value.

use std::net::{IpAddr, Ipv4Addr};

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::captures::snmp::{self, Message, error_name};
use crate::widgets::snmp::mib::{self, Syntax};
use crate::widgets::snmp::{self as model, Params, Pdu, Role, Scenario, Step};

/// The scenarios the lab records: every one of the widget's. `inform+lost` and `trap+lost` are the
/// notifications with their first datagram dropped at the router; `poll+hc` is the poll of the 64-bit
/// ifHCInOctets. The polls carry the model's octets between them, but the lab waits seconds, not the
/// model's minute, so their sysUpTime and the bits/s are not the model's: what is compared is the
/// counter's movement — by how much it moved in each interval and whether it wrapped.
pub const RECORDED: &[&str] = &[
    "get",
    "walk-system",
    "walk-iftable",
    "bulk",
    "set",
    "trap",
    "inform",
    "inform+lost",
    "trap+lost",
    "poll",
    "poll+hc",
];

/// The manager (the lab's client).
const MANAGER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

/// How far the resent Inform may be from the model's timeout, in ms.
const RESEND_SLACK_MS: u64 = 200;

/// The widget's run a recorded name stands for; `None` for a name the lab does not record.
pub fn params(scenario: &str) -> Option<Params> {
    if !RECORDED.contains(&scenario) {
        return None;
    }
    let (base, lost) = match scenario.strip_suffix("+lost") {
        Some(base) => (base, true),
        None => (scenario, false),
    };
    let (base, hc) = match base.strip_suffix("+hc") {
        Some(base) => (base, true),
        None => (base, false),
    };
    Some(Params {
        lost,
        hc,
        ..Params::of(Scenario::from_name(base)?)
    })
}

/// Where the lab captures a scenario: on the agent's link for notifications (so a lost one is seen
/// leaving), on the manager's for requests.
fn captured_at(s: Scenario) -> Role {
    if matches!(s, Scenario::Trap | Scenario::Inform) {
        Role::Agent
    } else {
        Role::Manager
    }
}

/// The SNMP messages of a capture, with who sent them, their ports and time.
fn messages(packets: &[Packet]) -> Vec<(Role, u16, u16, u64, Message)> {
    packets
        .iter()
        .filter_map(|p| match &p.kind {
            Kind::Udp {
                sport,
                dport,
                payload,
                ..
            } => snmp::parse(payload).map(|m| {
                let from = if p.src == MANAGER {
                    Role::Manager
                } else {
                    Role::Agent
                };
                (from, *sport, *dport, p.time_us / 1000, m)
            }),
            _ => None,
        })
        .collect()
}

fn syntax_name(s: Syntax) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The model's value as the wire carries it: no quotes, an enumeration's number, an OID without
/// its name.
fn wire_value(value: &str) -> String {
    let v = value.trim_matches('"');
    if let (Some(open), Some(close)) = (v.find('('), v.rfind(')')) {
        return v[open + 1..close].to_owned();
    }
    v.split('（').next().unwrap_or(v).to_owned()
}

/// Compares a capture of `scenario` with the model.
pub fn compare(scenario: &str, packets: &[Packet]) -> Option<Comparison> {
    let p = params(scenario)?;
    let run = model::simulate(&p);
    let side = captured_at(p.scenario);
    let expected: Vec<&Step> = run
        .steps
        .iter()
        .filter(|s| s.kind == model::Kind::Pdu && (s.from == side || !s.lost))
        .collect();
    let seen = messages(packets);
    let mut cmp = Comparison::default();
    cmp.check(expected.len() == seen.len(), || {
        format!(
            "SNMP のメッセージの数: モデルは {}、実際は {}",
            expected.len(),
            seen.len()
        )
    });
    let pairs: Vec<_> = expected.iter().zip(&seen).collect();
    for (i, (step, (from, sport, dport, _, m))) in pairs.iter().enumerate() {
        let at = format!("{} 番目のメッセージ（{}）", i + 1, step.note);
        let pdu = step.pdu.map_or("?", Pdu::as_str);
        cmp.check(m.pdu == pdu, || {
            format!("{at}の PDU: モデルは {pdu}、実際は {}", m.pdu)
        });
        cmp.check(*from == step.from, || {
            format!("{at}の送り手: モデルは {:?}、実際は {from:?}", step.from)
        });
        // The agent's 161 and the receiver's 162 are fixed; the other end's port is ephemeral.
        let fixed = |port: Option<u16>| port.filter(|p| matches!(p, 161 | 162));
        if let Some(port) = fixed(step.dst_port) {
            cmp.check(*dport == port, || {
                format!("{at}の宛先ポート: モデルは {port}、実際は {dport}")
            });
        }
        if let Some(port) = fixed(step.src_port) {
            cmp.check(*sport == port, || {
                format!("{at}の送信元ポート: モデルは {port}、実際は {sport}")
            });
        }
        if let Some(community) = step.community {
            cmp.check(m.community == community, || {
                format!(
                    "{at}のコミュニティ: モデルは {community}、実際は {}",
                    m.community
                )
            });
        }
        if let Some(status) = step.error_status {
            let real = error_name(m.error_status);
            cmp.check(real == status.as_str(), || {
                format!(
                    "{at}の error-status: モデルは {}、実際は {real}",
                    status.as_str()
                )
            });
            let index = step.error_index.unwrap_or(0);
            cmp.check(m.error_index == index, || {
                format!(
                    "{at}の error-index: モデルは {index}、実際は {}",
                    m.error_index
                )
            });
        }
        if let (Some(n), Some(r)) = (step.non_repeaters, step.max_repetitions) {
            cmp.check(m.bulk == Some((n, r)), || {
                format!(
                    "{at}の non-repeaters と max-repetitions: モデルは ({n}, {r})、実際は {:?}",
                    m.bulk
                )
            });
        }
        varbinds(&mut cmp, &at, p.scenario, step, m);
    }
    // A Response repeats its request's request-id; a resent Inform keeps its own. The model's ids are
    // examples (net-snmp picks random ones), so what is compared is which messages share one.
    for (i, (a, (.., ma))) in pairs.iter().enumerate() {
        for (b, (.., mb)) in pairs.iter().skip(i + 1) {
            let same_model = a.request_id == b.request_id;
            let same_real = ma.request_id == mb.request_id;
            if same_model || same_real {
                cmp.check(same_model == same_real, || {
                    format!(
                        "request-id: モデルでは「{}」と「{}」で{}、実際は{}",
                        a.note,
                        b.note,
                        if same_model { "同じ" } else { "別" },
                        if same_real { "同じ" } else { "別" }
                    )
                });
            }
        }
    }
    if p.scenario == Scenario::Inform && p.lost {
        // net-snmp's snmpinform resends after its timeout (1 s, its default and the model's example).
        let sent: Vec<u64> = seen
            .iter()
            .filter(|(_, _, _, _, m)| m.pdu == "InformRequest")
            .map(|(.., t, _)| *t)
            .collect();
        let gap = sent.get(1).zip(sent.first()).map(|(b, a)| b - a);
        cmp.check(
            gap.is_some_and(|g| g.abs_diff(model::INFORM_TIMEOUT_MS) <= RESEND_SLACK_MS),
            || {
                format!(
                    "Inform の再送までの時間: モデルは {} ms、実際は {gap:?} ms",
                    model::INFORM_TIMEOUT_MS
                )
            },
        );
    }
    if p.scenario == Scenario::Poll {
        poll(&mut cmp, &run, &seen);
    }
    Some(cmp)
}

/// How far a poll's counter may move from the model's octets: the lab tops the counter up in whole
/// TCP segments and the polls' own datagrams count too (0.2 %).
const POLL_SLACK_PER_MILLE: u64 = 2;

/// A poll's counter against the model's: in each interval the real counter moved by the model's
/// octets (the difference taken modulo 2^bits, as the manager does) and wrapped where the model's did.
fn poll(cmp: &mut Comparison, run: &model::Run, seen: &[(Role, u16, u16, u64, Message)]) {
    let bits = if run.hc { 64 } else { 32 };
    let counters: Vec<u64> = seen
        .iter()
        .filter(|(from, ..)| *from == Role::Agent)
        .filter_map(|(.., m)| m.varbinds.get(1)?.value.parse().ok())
        .collect();
    let rates: Vec<&model::Rate> = run.steps.iter().filter_map(|s| s.rate.as_ref()).collect();
    cmp.check(counters.len() == rates.len() + 1, || {
        format!(
            "ポーリングで読めたカウンタの値: モデルは {} 個、実際は {} 個",
            rates.len() + 1,
            counters.len()
        )
    });
    // The first poll finds the counter where the model starts it (the lab brings it there).
    let start: Option<u64> = run
        .steps
        .iter()
        .find(|s| s.pdu == Some(Pdu::Response))
        .and_then(|s| s.varbinds.get(1)?.value.parse().ok());
    if let (Some(want), Some(&real)) = (start, counters.first()) {
        cmp.check(
            real.abs_diff(want) <= want / 1000 * POLL_SLACK_PER_MILLE,
            || format!("最初のポーリングのカウンタ: モデルは {want}、実際は {real}"),
        );
    }
    let modulus: u128 = 1u128 << bits;
    for (i, (pair, want)) in counters.windows(2).zip(&rates).enumerate() {
        let (previous, current) = (pair[0], pair[1]);
        let delta = ((u128::from(current) + modulus - u128::from(previous)) % modulus) as u64;
        let at = format!("{} 回目と {} 回目のポーリングの間", i + 1, i + 2);
        let slack = want.delta / 1000 * POLL_SLACK_PER_MILLE;
        cmp.check(delta.abs_diff(want.delta) <= slack, || {
            format!(
                "{at}のカウンタの増え方: モデルは {}、実際は {delta}（{previous} → {current}）",
                want.delta
            )
        });
        let wrapped = current < previous;
        cmp.check(wrapped == want.wrapped, || {
            format!(
                "{at}: モデルではカウンタが{}、実際は{}（{previous} → {current}）",
                if want.wrapped {
                    "1 周する"
                } else {
                    "1 周しない"
                },
                if wrapped {
                    "1 周した"
                } else {
                    "1 周しなかった"
                }
            )
        });
    }
}

fn varbinds(cmp: &mut Comparison, at: &str, scenario: Scenario, step: &Step, m: &Message) {
    cmp.check(step.varbinds.len() == m.varbinds.len(), || {
        format!(
            "{at}の variable binding の数: モデルは {}、実際は {}",
            step.varbinds.len(),
            m.varbinds.len()
        )
    });
    // The GetBulk Response's last repetition runs past the requested columns into the next object of
    // the agent's MIB: ifAdminStatus in the widget's six-column ifTable, ifType in a real one.
    let past_columns = |i: usize| {
        scenario == Scenario::Bulk
            && step.pdu == Some(Pdu::Response)
            && i + 2 >= step.varbinds.len()
    };
    for (i, (want, real)) in step.varbinds.iter().zip(&m.varbinds).enumerate() {
        if past_columns(i) {
            let column = &want.oid[..want.oid.rfind('.').unwrap_or(0)];
            let asked = crate::widgets::snmp::scenarios::bulk_request();
            let inside = asked
                .iter()
                .skip(1)
                .any(|c| real.oid.starts_with(&format!("{}.", mib::dotted(c))));
            cmp.check(!inside, || {
                format!(
                    "{at}の {} 番目: 繰り返しが列の終わりを越えるはずが、実際は {}（モデルでは {column} の次の列）",
                    i + 1,
                    real.oid
                )
            });
            continue;
        }
        cmp.check(want.oid == real.oid, || {
            format!(
                "{at}の {} 番目の OID: モデルは {}（{}）、実際は {}",
                i + 1,
                want.oid,
                want.name,
                real.oid
            )
        });
        let syntax = syntax_name(want.syntax);
        cmp.check(syntax == real.syntax, || {
            format!(
                "{at}の {} の型: モデルは {syntax}、実際は {}",
                want.name, real.syntax
            )
        });
        // Values the lab's agent was given or that a real Linux shares with the model; not the clock,
        // the counters, or ifDescr.2 (the lab's interface is s0, the widget's eth0).
        let stable = matches!(
            want.syntax,
            Syntax::OctetString | Syntax::Integer | Syntax::ObjectIdentifier
        ) && want.name != "ifDescr.2";
        if stable {
            let value = wire_value(&want.value);
            cmp.check(value == real.value, || {
                format!(
                    "{at}の {} の値: モデルは {value}、実際は {}",
                    want.name, real.value
                )
            });
        }
    }
}
