//! The SNMP model against the fact sheet (facts.md §8, W11): ports 161/162, the walk's lexicographic
//! order, GetBulk's N + M × R, SET errors, Trap vs Inform, Counter32 wrap and the HC counters; the
//! grading of predictions; bad parameters; the quiz generators against the model.

use super::mib::{self, parse_oid, symbol};
use super::model::*;
use super::questions::GENERATORS;
use super::scenarios::{counter32_wrap_seconds, rate};
use super::*;
use crate::widgets::{Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario) -> Run {
    simulate(&Params::of(scenario))
}

fn responses(r: &Run) -> Vec<&Step> {
    r.steps
        .iter()
        .filter(|s| s.pdu == Some(Pdu::Response))
        .collect()
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn requests_go_to_udp_161_and_notifications_to_162() {
    for s in Scenario::ALL {
        let r = run(s);
        for step in r.steps.iter().filter(|s| s.kind == Kind::Pdu) {
            match step.pdu {
                Some(Pdu::Trap | Pdu::InformRequest) => {
                    assert_eq!(step.from, Role::Agent);
                    assert_eq!(step.dst_port, Some(162), "{s:?}");
                }
                Some(Pdu::Response) => {}
                _ => {
                    assert_eq!(step.from, Role::Manager);
                    assert_eq!(step.dst_port, Some(161), "{s:?}");
                }
            }
            assert!(!step.source.is_empty() && !step.explain.is_empty());
        }
    }
}

#[test]
fn every_step_has_a_source_and_a_japanese_explanation() {
    for s in Scenario::ALL {
        for step in run(s).steps {
            assert!(
                step.source.contains("RFC") || step.source.contains("("),
                "{}",
                step.note
            );
            assert!(
                step.explain.ends_with('。') || step.explain.ends_with('）'),
                "{}",
                step.explain
            );
        }
    }
}

#[test]
fn the_system_walk_follows_lexicographic_order_and_stops_outside() {
    let r = run(Scenario::WalkSystem);
    let got: Vec<String> = responses(&r)
        .iter()
        .map(|s| s.varbinds[0].name.clone())
        .collect();
    assert_eq!(
        got,
        [
            "sysDescr.0",
            "sysObjectID.0",
            "sysUpTime.0",
            "sysContact.0",
            "sysName.0",
            "sysLocation.0",
            "ifIndex.1"
        ]
    );
    // sysUpTime.0 = 1.3.6.1.2.1.1.3.0 (RFC 3418).
    assert_eq!(responses(&r)[2].varbinds[0].oid, "1.3.6.1.2.1.1.3.0");
    let requests = r
        .steps
        .iter()
        .filter(|s| s.pdu == Some(Pdu::GetNextRequest))
        .count();
    assert_eq!(requests, 7);
    assert_eq!(r.steps[0].varbinds[0].oid, "1.3.6.1.2.1.1");
    let last = r.steps.last().unwrap();
    assert_eq!(last.kind, Kind::Event);
    assert!(last.explain.contains("RFC では") && last.explain.contains("Linux の snmpwalk(1)"));
}

#[test]
fn the_iftable_walk_goes_column_by_column() {
    let r = run(Scenario::WalkIftable);
    let got: Vec<String> = responses(&r)
        .iter()
        .map(|s| s.varbinds[0].name.clone())
        .collect();
    assert_eq!(
        &got[..6],
        [
            "ifIndex.1",
            "ifIndex.2",
            "ifDescr.1",
            "ifDescr.2",
            "ifAdminStatus.1",
            "ifAdminStatus.2"
        ]
    );
    assert_eq!(got.len(), 13);
    assert_eq!(got[12], "ifHCInOctets.1", "the first OID past ifTable");
    assert_eq!(
        responses(&r)[8].varbinds[0].oid,
        "1.3.6.1.2.1.2.2.1.10.1",
        "ifInOctets.1"
    );
    let four = simulate(&Params {
        interfaces: 4,
        ..Params::of(Scenario::WalkIftable)
    });
    assert_eq!(responses(&four).len(), 6 * 4 + 1);
}

#[test]
fn getbulk_returns_n_plus_m_times_r_bindings() {
    let r = run(Scenario::Bulk);
    let res = responses(&r)[0];
    let names: Vec<&str> = res.varbinds.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sysUpTime.0",
            "ifDescr.1",
            "ifInOctets.1",
            "ifDescr.2",
            "ifInOctets.2",
            "ifAdminStatus.1",
            "ifOutOctets.1"
        ]
    );
    assert_eq!(r.steps[0].non_repeaters, Some(1));
    assert_eq!(r.steps[0].max_repetitions, Some(3));
    for n in 0..=3 {
        for m in 0..=10 {
            let r = simulate(&Params {
                non_repeaters: n,
                max_repetitions: m,
                ..Params::of(Scenario::Bulk)
            });
            assert_eq!(
                responses(&r)[0].varbinds.len() as u32,
                n + m * (3 - n),
                "N={n} M={m}"
            );
        }
    }
    // Past the end of the MIB the value is endOfMibView and the name is the one asked.
    let end = simulate(&Params {
        non_repeaters: 0,
        max_repetitions: 10,
        ..Params::of(Scenario::Bulk)
    });
    let vbs = &responses(&end)[0].varbinds;
    assert!(vbs.iter().any(|v| v.syntax == mib::Syntax::EndOfMibView));
    assert_eq!(vbs.last().unwrap().name, "ifHCInOctets.2");
}

#[test]
fn set_needs_a_write_community_and_a_writable_object() {
    let r = run(Scenario::Set);
    let statuses: Vec<&str> = responses(&r)
        .iter()
        .map(|s| s.error_status.unwrap().as_str())
        .collect();
    assert_eq!(statuses, ["noAccess", "noError", "notWritable", "noError"]);
    let res = responses(&r);
    assert_eq!(
        (res[0].error_index, res[0].community),
        (Some(1), Some("public"))
    );
    assert_eq!(res[1].community, Some("private"));
    assert!(res[3].varbinds[0].value.contains("大阪"));
}

#[test]
fn a_get_without_the_instance_suffix_is_no_such_instance() {
    let r = run(Scenario::Get);
    let res = responses(&r);
    assert_eq!(
        res[0].varbinds[0].value,
        super::scenarios::UPTIME_START.to_string()
    );
    assert_eq!(res[1].varbinds[0].syntax, mib::Syntax::NoSuchInstance);
    assert_eq!(res[1].error_status, Some(ErrorStatus::NoError));
}

#[test]
fn a_trap_gets_no_reply_and_an_inform_is_acknowledged() {
    let trap = run(Scenario::Trap);
    assert!(responses(&trap).is_empty());
    let t = trap
        .steps
        .iter()
        .find(|s| s.pdu == Some(Pdu::Trap))
        .unwrap();
    assert_eq!(t.varbinds[0].name, "sysUpTime.0");
    assert_eq!(t.varbinds[1].name, "snmpTrapOID.0");
    assert!(
        t.varbinds[1].value.starts_with("1.3.6.1.6.3.1.1.5.3"),
        "linkDown"
    );
    assert_eq!(t.varbinds[4].value, "down(2)");

    let inform = run(Scenario::Inform);
    let res = responses(&inform);
    assert_eq!(res.len(), 1);
    assert_eq!(res[0].dst_port, Some(AGENT_NOTIFY_PORT));
    assert_eq!(res[0].from, Role::Manager);

    let lost_trap = simulate(&Params {
        lost: true,
        ..Params::of(Scenario::Trap)
    });
    assert_eq!(
        lost_trap.steps.iter().filter(|s| s.pdu.is_some()).count(),
        1,
        "never resent"
    );
    let lost = simulate(&Params {
        lost: true,
        ..Params::of(Scenario::Inform)
    });
    let informs: Vec<&Step> = lost
        .steps
        .iter()
        .filter(|s| s.pdu == Some(Pdu::InformRequest))
        .collect();
    assert_eq!(informs.len(), 2);
    assert!(informs[0].lost && !informs[1].lost);
    assert_eq!(informs[0].request_id, informs[1].request_id);
    assert!(informs[1].time_ms >= informs[0].time_ms + INFORM_TIMEOUT_MS);
}

fn rates(r: &Run) -> Vec<Rate> {
    r.steps.iter().filter_map(|s| s.rate).collect()
}

#[test]
fn a_poll_turns_counter32_into_bits_per_second_across_one_wrap() {
    let r = run(Scenario::Poll);
    let got = rates(&r);
    let bps: Vec<u64> = got.iter().map(|r| r.bits_per_second).collect();
    assert_eq!(bps, [100_000_000, 60_000_000, 100_000_000, 30_000_000]);
    assert!(got[0].wrapped, "4.2e9 + 750e6 passes 2^32");
    assert!(
        got.iter()
            .all(|r| r.seconds == 60 && !r.ambiguous && r.counter_bits == 32)
    );
}

#[test]
fn at_1_gbit_s_a_counter32_polled_every_minute_lies_and_the_hc_counter_does_not() {
    // facts.md W11: at 1 Gbit/s Counter32 wraps in about 34 s.
    assert_eq!(counter32_wrap_seconds(1000), 34);
    let fast = Params {
        rate_mbps: 1000,
        ..Params::of(Scenario::Poll)
    };
    let r32 = rates(&simulate(&fast));
    assert!(r32[0].ambiguous && r32[0].bits_per_second < r32[0].actual_bits_per_second);
    let r64 = rates(&simulate(&Params { hc: true, ..fast }));
    assert!(
        r64.iter()
            .all(|r| r.counter_bits == 64 && r.bits_per_second == r.actual_bits_per_second)
    );
    assert_eq!(r64[0].bits_per_second, 1_000_000_000);
    // At 1 Gbit/s every 30 s, one wrap at most: right again.
    let r = rates(&simulate(&Params {
        interval: 30,
        ..fast
    }));
    assert!(
        r.iter()
            .all(|r| r.bits_per_second == r.actual_bits_per_second)
    );
}

#[test]
fn rate_arithmetic_wraps_modulo_2_32() {
    let r = rate(32, 4_294_967_000, 704, 8, 1000);
    assert_eq!((r.delta, r.wrapped, r.bits_per_second), (1000, true, 1000));
}

#[test]
fn oids_read_by_number_or_name() {
    assert_eq!(parse_oid("sysUpTime.0"), Some(mib::SYS_UPTIME_0.to_vec()));
    assert_eq!(
        parse_oid(".1.3.6.1.2.1.1.3.0"),
        Some(mib::SYS_UPTIME_0.to_vec())
    );
    assert_eq!(parse_oid("IFDESCR.2"), Some(mib::if_cell(2, 2)));
    assert_eq!(parse_oid("nope.1"), None);
    assert_eq!(parse_oid("1..3"), None);
    assert_eq!(parse_oid(""), None);
    assert_eq!(symbol(&mib::if_cell(10, 2)), "ifInOctets.2");
    assert_eq!(symbol(&[1, 3, 6, 1, 4, 1]), "1.3.6.1.4.1");
}

#[test]
fn predictions_are_graded_by_the_model() {
    let walk = run(Scenario::WalkSystem);
    // Step 1 (0-based) is the Response to GetNext(system): sysDescr.0.
    assert!(
        predict_check(&walk, 1, Field::Oid, "sysDescr.0")
            .unwrap()
            .correct
    );
    assert!(
        predict_check(&walk, 1, Field::Oid, "1.3.6.1.2.1.1.1.0")
            .unwrap()
            .correct
    );
    let wrong = predict_check(&walk, 1, Field::Oid, "sysDescr").unwrap();
    assert!(!wrong.correct);
    assert_eq!(wrong.expected, "1.3.6.1.2.1.1.1.0（sysDescr.0）");
    assert!(predict_check(&walk, 0, Field::Port, "161").unwrap().correct);
    assert!(!predict_check(&walk, 0, Field::Port, "162").unwrap().correct);

    let set = run(Scenario::Set);
    assert!(
        predict_check(&set, 1, Field::ErrorStatus, "noaccess")
            .unwrap()
            .correct
    );
    assert!(
        !predict_check(&set, 1, Field::ErrorStatus, "readOnly")
            .unwrap()
            .correct
    );
    assert!(
        predict_check(&set, 5, Field::ErrorStatus, "notWritable")
            .unwrap()
            .correct
    );

    let bulk = run(Scenario::Bulk);
    assert!(predict_check(&bulk, 1, Field::Count, "７").unwrap().correct);

    let poll = run(Scenario::Poll);
    let calc = poll.steps.iter().position(|s| s.rate.is_some()).unwrap();
    assert!(
        predict_check(&poll, calc, Field::Rate, "100,000,000")
            .unwrap()
            .correct
    );
    assert!(
        predict_check(&poll, calc, Field::Rate, "100000000 bit/s")
            .unwrap()
            .correct
    );
    assert!(
        predict_check(&poll, calc, Field::Rate, "100050000")
            .unwrap()
            .correct,
        "within 0.1 %"
    );
    assert!(
        !predict_check(&poll, calc, Field::Rate, "12500000")
            .unwrap()
            .correct,
        "bytes, not bits"
    );

    let trap = run(Scenario::Trap);
    assert!(
        predict_check(&trap, 1, Field::Acked, "いいえ")
            .unwrap()
            .correct
    );
    let inform = run(Scenario::Inform);
    assert!(
        predict_check(&inform, 1, Field::Acked, "はい")
            .unwrap()
            .correct
    );
    let lost = simulate(&Params {
        lost: true,
        ..Params::of(Scenario::Inform)
    });
    assert!(
        predict_check(&lost, 1, Field::Acked, "no").unwrap().correct,
        "a lost one is not answered"
    );
}

#[test]
fn unreadable_predictions_are_errors() {
    let walk = run(Scenario::WalkSystem);
    assert!(
        predict_check(&walk, 99, Field::Oid, "x")
            .unwrap_err()
            .0
            .contains("step")
    );
    let e = predict_check(&walk, 0, Field::Oid, "sysDescr.0").unwrap_err();
    assert!(e.0.contains("field"), "a request does not ask its OID: {e}");
    assert!(predict_check(&walk, 1, Field::Oid, "???").is_err());
    let set = run(Scenario::Set);
    assert!(predict_check(&set, 1, Field::ErrorStatus, "denied").is_err());
    let trap = run(Scenario::Trap);
    assert!(predict_check(&trap, 1, Field::Acked, "maybe").is_err());
    assert!(predict_check(&trap, 1, Field::Port, "70000").is_err());
}

#[test]
fn check_bodies_are_parsed_strictly() {
    let w = SnmpWidget;
    let ok = w
        .check(&json!({"scenario": "poll", "rate_mbps": 1000, "hc": true, "step": 4, "field": "rate", "answer": "1000000000"}))
        .unwrap();
    assert!(ok.item.correct);
    assert_eq!(
        (ok.item.scenario.as_str(), ok.item.step, ok.item.field),
        ("poll", 4, "rate")
    );
    let shape =
        w.check(&json!({"scenario": "get", "step": 1, "field": "port", "answer": "1", "seed": 3}));
    assert!(matches!(shape, Err(WidgetError::Shape(_))));
    for (body, key) in [
        (
            json!({"scenario": "nope", "step": 1, "field": "port", "answer": "1"}),
            "scenario",
        ),
        (
            json!({"scenario": "poll", "interval": 1, "step": 1, "field": "port", "answer": "1"}),
            "interval",
        ),
        (
            json!({"scenario": "bulk", "max_repetitions": 11, "step": 1, "field": "count", "answer": "1"}),
            "max_repetitions",
        ),
        (
            json!({"scenario": "get", "step": 1, "field": "color", "answer": "1"}),
            "field",
        ),
        (
            json!({"scenario": "get", "step": 1, "field": "port", "answer": "1".repeat(81)}),
            "answer",
        ),
    ] {
        match w.check(&body) {
            Err(WidgetError::Param(e)) => assert!(e.0.contains(key), "{key}: {e}"),
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn bad_query_parameters_name_themselves() {
    for (pairs, key) in [
        (q(&[("scenario", "walk")]), "scenario"),
        (q(&[("interfaces", "5")]), "interfaces"),
        (q(&[("interfaces", "1")]), "interfaces"),
        (q(&[("non_repeaters", "4")]), "non_repeaters"),
        (q(&[("max_repetitions", "-1")]), "max_repetitions"),
        (q(&[("interval", "601")]), "interval"),
        (q(&[("rate_mbps", "0")]), "rate_mbps"),
        (q(&[("hc", "yes")]), "hc"),
        (q(&[("lost", "2")]), "lost"),
    ] {
        let e = params_from_query(&pairs).unwrap_err();
        assert!(e.0.contains(&format!("パラメータ {key}")), "{e}");
    }
    assert_eq!(params_from_query(&[]).unwrap(), Params::default());
}

#[test]
fn labels_for_the_instructor_are_japanese() {
    let w = SnmpWidget;
    assert!(
        w.step_label("walk-system", 1)
            .starts_with("2. Response sysDescr.0")
    );
    assert_eq!(w.step_label("nope", 1), "ステップ 2");
    assert_eq!(w.field_label("oid"), Some("返ってくる OID"));
    assert_eq!(
        w.scenario_label("poll"),
        "ポーリングでカウンタから bits/s を計算"
    );
}

#[test]
fn generated_questions_agree_with_the_model() {
    let find = |id: &str| GENERATORS.iter().find(|g| g.id == id).unwrap().make;
    for seed in 0..100 {
        let g = find("snmp-counter-rate")(seed);
        let v = |k: &str| {
            g.values
                .iter()
                .find(|(n, _)| *n == k)
                .unwrap()
                .1
                .parse::<u64>()
                .unwrap()
        };
        let delta = (v("current") + (1 << 32) - v("previous")) % (1 << 32);
        assert_eq!(g.answer, delta * 8 / v("seconds"), "{}", g.prompt);

        let b = find("snmp-bulk-count")(seed);
        let v = |k: &str| {
            b.values
                .iter()
                .find(|(n, _)| *n == k)
                .unwrap()
                .1
                .parse::<u64>()
                .unwrap()
        };
        assert_eq!(b.answer, v("n") + v("m") * (3 - v("n")));

        let w = find("snmp-walk-requests")(seed);
        let rows: u64 = w.values[0].1.parse().unwrap();
        assert_eq!(w.answer, 6 * rows + 1);

        let s = find("snmp-wrap-seconds")(seed);
        let mbps: u64 = s.values[0].1.parse().unwrap();
        assert_eq!(s.answer, (1u64 << 32) / (mbps * 1_000_000 / 8));
    }
}

#[test]
fn a_scenario_is_computed_quickly() {
    // Not a timing test (see examples/widget_models.rs for the numbers): just that the biggest run
    // stays small.
    let big = simulate(&Params {
        interfaces: 4,
        ..Params::of(Scenario::WalkIftable)
    });
    assert!(big.steps.len() < 60);
}
