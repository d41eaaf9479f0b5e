//! Unit tests of the firewall comparison against facts.md §9 and W9 and the namespace lab on Linux
//! 6.18: each packet's verdicts and `ct state`, the `conntrack -L` lines byte for byte, the ftp
//! helper's expectation, parameters, grading, and the quiz generators.

use super::*;
use crate::widgets::testing::assert_bad_parameters_named;
use crate::widgets::{Widget, WidgetError};

fn run(scenario: Scenario) -> Conntrack {
    simulate(&Params {
        scenario,
        loose: true,
    })
}

/// (static rule, ct state, stateful rule) per packet.
fn verdicts(c: &Conntrack) -> Vec<(&'static str, &'static str, &'static str)> {
    c.steps
        .iter()
        .map(|s| (s.static_verdict.rule, s.ct_state.as_str(), s.stateful.rule))
        .collect()
}

#[test]
fn https_goes_new_then_established_and_prints_like_conntrack() {
    let c = run(Scenario::Https);
    assert_eq!(
        verdicts(&c),
        [
            ("S1", "NEW", "F3"),
            ("S2", "ESTABLISHED", "F1"),
            ("S1", "ESTABLISHED", "F1"),
            ("S2", "ESTABLISHED", "F1")
        ]
    );
    assert!(
        c.steps
            .iter()
            .all(|s| s.static_verdict.accept && s.stateful.accept)
    );
    // The lines as conntrack-tools printed them in the lab (its ports substituted).
    assert_eq!(
        c.steps[0].table,
        [
            "tcp      6 120 SYN_SENT src=192.168.1.10 dst=198.51.100.7 sport=50100 dport=443 [UNREPLIED] src=198.51.100.7 dst=192.168.1.10 sport=443 dport=50100 mark=0 use=1"
        ]
    );
    assert_eq!(
        c.steps[1].table,
        [
            "tcp      6 60 SYN_RECV src=192.168.1.10 dst=198.51.100.7 sport=50100 dport=443 src=198.51.100.7 dst=192.168.1.10 sport=443 dport=50100 mark=0 use=1"
        ]
    );
    assert_eq!(
        c.steps[2].table,
        [
            "tcp      6 300 ESTABLISHED src=192.168.1.10 dst=198.51.100.7 sport=50100 dport=443 src=198.51.100.7 dst=192.168.1.10 sport=443 dport=50100 [ASSURED] mark=0 use=1"
        ]
    );
    assert_eq!(c.steps[3].table, c.steps[2].table);
    assert!(c.initial_table.is_empty());
    // The ct state and the TCP state column differ after the SYN,ACK: said in the text.
    assert!(c.steps[1].explain.contains("SYN_RECV"));
}

#[test]
fn udp_dns_gets_an_entry_from_the_query_and_the_reply_is_established() {
    let c = run(Scenario::Dns);
    assert_eq!(
        verdicts(&c),
        [("S3", "NEW", "F4"), ("S4", "ESTABLISHED", "F1")]
    );
    assert_eq!(
        c.steps[0].table,
        [
            "udp      17 30 src=192.168.1.10 dst=203.0.113.53 sport=53124 dport=53 [UNREPLIED] src=203.0.113.53 dst=192.168.1.10 sport=53 dport=53124 mark=0 use=1"
        ]
    );
    assert_eq!(
        c.steps[1].table,
        [
            "udp      17 30 src=192.168.1.10 dst=203.0.113.53 sport=53124 dport=53 src=203.0.113.53 dst=192.168.1.10 sport=53 dport=53124 mark=0 use=1"
        ]
    );
}

#[test]
fn passive_ftp_needs_the_helper_and_its_data_connection_is_related() {
    let without = run(Scenario::FtpPassive);
    let data = without.steps.last().unwrap();
    assert_eq!(
        (data.static_verdict.rule, data.ct_state, data.stateful.rule),
        ("S7", CtState::New, "policy")
    );
    assert!(!data.stateful.accept && data.static_verdict.accept);
    assert_eq!(data.table.len(), 1, "only the control connection");
    assert!(data.expect.is_empty());
    assert!(!without.stateful_rules.iter().any(|r| r.id == "H"));

    let with = run(Scenario::FtpHelper);
    assert!(with.helper && with.stateful_rules[0].text.contains("ct helper set"));
    let pasv = &with.steps[3];
    assert_eq!(
        pasv.expect,
        [
            "300 proto=6 src=192.168.1.10 dst=198.51.100.7 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.168.1.10 master-dst=198.51.100.7 sport=50123 dport=21 class=0 helper=ftp"
        ]
    );
    assert!(
        pasv.table[0].ends_with("[ASSURED] mark=0 helper=ftp use=1"),
        "{}",
        pasv.table[0]
    );
    let data = &with.steps[4];
    assert_eq!(
        (data.ct_state, data.stateful.rule),
        (CtState::Related, "F1")
    );
    assert!(data.expect.is_empty(), "the expectation is used once");
    assert_eq!(data.table.len(), 2);
    assert!(data.table[0].starts_with("tcp      6 120 SYN_SENT src=192.168.1.10 dst=198.51.100.7 sport=50124 dport=50000 [UNREPLIED]"));
    let reply = &with.steps[5];
    assert_eq!(
        (reply.ct_state, reply.stateful.accept),
        (CtState::Established, true)
    );
    assert_eq!(reply.static_verdict.rule, "S8");
}

#[test]
fn an_unsolicited_syn_is_new_and_dropped_but_port_443_slips_through_the_static_hole() {
    let c = run(Scenario::UnsolicitedSyn);
    assert_eq!(
        verdicts(&c),
        [("policy", "NEW", "policy"), ("S2", "NEW", "policy")]
    );
    assert!(!c.steps[0].static_verdict.accept && c.steps[1].static_verdict.accept);
    assert!(
        c.steps
            .iter()
            .all(|s| !s.stateful.accept && s.table.is_empty())
    );
}

#[test]
fn an_icmp_error_about_a_tracked_flow_is_related() {
    let c = run(Scenario::IcmpError);
    assert_eq!(verdicts(&c), [("policy", "RELATED", "F1")]);
    assert_eq!(c.initial_table.len(), 1);
    assert_eq!(c.steps[0].table, c.initial_table, "no entry of its own");
    assert_eq!(c.steps[0].packet.sport, None);
}

#[test]
fn a_stray_ack_is_new_when_loose_invalid_when_strict_and_static_lets_it_in() {
    let loose = run(Scenario::StrayAck);
    assert_eq!(verdicts(&loose), [("S2", "NEW", "policy")]);
    assert!(loose.steps[0].table.is_empty());
    let strict = simulate(&Params {
        scenario: Scenario::StrayAck,
        loose: false,
    });
    assert_eq!(verdicts(&strict), [("S2", "INVALID", "F2")]);
    assert_eq!(strict.name, "stray-ack+strict");
    assert!(strict.outcome.summary.contains("INVALID"));
    // Without loose, TCP met mid-stream is never picked up; the other scenarios do not change.
    for s in Scenario::ALL {
        if s != Scenario::StrayAck {
            let a = run(s);
            let b = simulate(&Params {
                scenario: s,
                loose: false,
            });
            assert_eq!(verdicts(&a), verdicts(&b), "{s:?}");
        }
    }
}

#[test]
fn every_step_explains_both_filters_and_cites_sources() {
    for s in Scenario::ALL {
        let c = run(s);
        assert!(!c.steps.is_empty());
        for st in &c.steps {
            assert!(
                st.explain.contains("静的フィルタ") && st.explain.contains("conntrack"),
                "{s:?}"
            );
            assert!(st.source.contains("conntrack(8)"));
            assert!(!st.note.is_empty());
        }
        assert_eq!(
            c.outcome.static_accepted,
            c.steps.iter().filter(|x| x.static_verdict.accept).count()
        );
        assert!(!c.outcome.summary.is_empty());
    }
}

#[test]
fn parameters_are_checked_in_japanese() {
    assert_bad_parameters_named(params_from_query, &[("scenario", "nope"), ("loose", "2")]);
    for s in Scenario::ALL {
        for loose in [true, false] {
            let p = Params { scenario: s, loose };
            assert_eq!(params_from_scenario_name(&scenario_name(&p)), Some(p));
        }
        assert_eq!(ConntrackWidget.scenario_label(s.name()), s.label());
    }
    assert_eq!(params_from_scenario_name("nope+strict"), None);
    assert_eq!(
        ConntrackWidget.scenario_label("stray-ack+strict"),
        "どの接続にも属さない ACK・nf_conntrack_tcp_loose = 0"
    );
    assert_eq!(
        ConntrackWidget.step_label("ftp-helper", 3),
        "4. サーバーが 227 でデータ用ポート 50000 を知らせる"
    );
    assert_eq!(ConntrackWidget.step_label("ftp-helper", 9), "ステップ 10");
}

#[test]
fn predictions_are_graded_against_the_run() {
    let c = run(Scenario::FtpHelper);
    let r = predict_check(&c, 4, "accept", "accept", "related").unwrap();
    assert!(r.correct);
    assert_eq!(r.answer, "static:accept,stateful:accept,state:RELATED");
    assert_eq!(
        r.expected,
        "静的フィルタ: 通す（S7）、conntrack: RELATED で通す（F1）"
    );
    // The classic slip: "the data connection is part of the established control connection".
    let r = predict_check(&c, 4, "accept", "accept", "ESTABLISHED").unwrap();
    assert!(!r.correct && r.static_correct && r.stateful_correct && !r.state_correct);
    assert!(predict_check(&c, 6, "accept", "accept", "NEW").is_err());
    assert!(predict_check(&c, 0, "allow", "accept", "NEW").is_err());
    assert!(predict_check(&c, 0, "accept", "accept", "SYN_SENT").is_err());

    let g = ConntrackWidget
        .check(
            &serde_json::json!({"scenario": "stray-ack", "loose": false, "step": 0,
            "static": "accept", "stateful": "drop", "state": "INVALID"}),
        )
        .unwrap();
    assert!(g.item.correct);
    assert_eq!(
        (g.item.scenario.as_str(), g.item.step, g.item.field),
        ("stray-ack+strict", 0, "verdict")
    );
    for bad in [
        serde_json::json!({"scenario": "nope", "step": 0, "static": "accept", "stateful": "drop", "state": "NEW"}),
        serde_json::json!({"scenario": "dns", "step": 2, "static": "accept", "stateful": "drop", "state": "NEW"}),
        serde_json::json!({"scenario": "dns", "step": 0, "static": "yes", "stateful": "drop", "state": "NEW"}),
    ] {
        assert!(
            matches!(ConntrackWidget.check(&bad), Err(WidgetError::Param(_))),
            "{bad}"
        );
    }
    for shape in [
        serde_json::json!({"scenario": "dns", "step": 0}),
        serde_json::json!({"scenario": "dns", "step": -1, "static": "accept", "stateful": "drop", "state": "NEW"}),
        serde_json::json!({"scenario": "dns", "step": 0, "static": "accept", "stateful": "drop", "state": "NEW", "seed": 3}),
    ] {
        assert!(
            matches!(ConntrackWidget.check(&shape), Err(WidgetError::Shape(_))),
            "{shape}"
        );
    }
}

#[test]
fn generated_questions_agree_with_the_model() {
    for seed in 0..200 {
        for g in &questions::GENERATORS {
            let q = (g.make)(seed);
            assert_eq!(q, (g.make)(seed), "{}", g.id);
            let value = |k: &str| {
                q.values
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            match g.id {
                "conntrack-reply-dport" => {
                    assert_eq!(q.answer, value("port").parse::<u64>().unwrap())
                }
                "conntrack-expect-port" => {
                    let (p1, p2): (u64, u64) =
                        (value("p1").parse().unwrap(), value("p2").parse().unwrap());
                    assert_eq!(q.answer, p1 * 256 + p2);
                }
                "conntrack-handshake-timeout" => {
                    let want = match value("packet").as_str() {
                        "SYN" => 120,
                        "SYN,ACK" => 60,
                        _ => 300,
                    };
                    assert_eq!(q.answer, want);
                }
                "conntrack-entries-left" => {
                    let flows = value("flows");
                    let expected: u64 = Scenario::ALL
                        .iter()
                        .filter(|s| flows.split('、').any(|f| f == s.label()))
                        .map(|s| match s {
                            Scenario::Https
                            | Scenario::Dns
                            | Scenario::FtpPassive
                            | Scenario::IcmpError => 1,
                            Scenario::FtpHelper => 2,
                            Scenario::UnsolicitedSyn | Scenario::StrayAck => 0,
                        })
                        .sum();
                    assert_eq!(q.answer, expected, "{flows}");
                }
                other => panic!("unknown generator {other}"),
            }
        }
    }
}
