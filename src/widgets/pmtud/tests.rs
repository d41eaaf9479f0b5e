//! Unit tests of the PMTUD model against facts.md §5 and W4: each named setup's outcome (does the
//! transfer complete, A's path MTU, ping), the step where things go wrong, the arithmetic of MSS,
//! fragments and the PLPMTUD search, parameters, grading, and the quiz generators.

use super::*;
use crate::widgets::Widget;

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn preset(name: &str) -> Pmtud {
    simulate(&preset_named(name).expect("preset").params)
}

/// (completes, A's PMTU, ping answered) for each named setup, as facts.md W4 says.
#[test]
fn every_preset_ends_as_the_fact_sheet_says() {
    for (name, completes, pmtu, ping) in [
        ("normal", true, 1400, true),
        ("black-hole", false, 1500, true),
        ("drop-echo", true, 1400, false),
        ("mss-clamp", true, 1500, true),
        ("plpmtud", true, 1500, true),
        ("ipv6", true, 1400, true),
        ("ipv6-black-hole", false, 1500, true),
        ("df-off", true, 1500, true),
    ] {
        let run = preset(name);
        let o = &run.outcome;
        assert_eq!(
            (o.completes, o.pmtu, o.ping),
            (completes, pmtu, ping),
            "{name}"
        );
        assert_eq!(run.scenario, name);
        // Every step names its source and says something in Japanese.
        for s in &run.steps {
            assert!(!s.source.is_empty() && !s.note.is_empty() && !s.explain.is_empty());
            assert!(
                s.source.contains("RFC") || s.source.contains('('),
                "{name}: {}",
                s.source
            );
            assert!(!s.explain.contains("サーバ ") && s.explain.contains('。'));
        }
    }
}

#[test]
fn the_handshake_and_small_request_pass_and_the_big_segment_meets_r1() {
    let run = preset("black-hole");
    let kinds: Vec<Kind> = run.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        &kinds[..5],
        [
            Kind::Syn,
            Kind::SynAck,
            Kind::Small,
            Kind::Data,
            Kind::TooBig
        ]
    );
    for s in &run.steps[..3] {
        assert_eq!(s.fate, Fate::Delivered);
        assert!(s.size <= 1400);
    }
    assert_eq!(run.steps[0].size, 60, "a SYN is about 60 bytes");
    assert_eq!(run.steps[0].mss_option, Some(1460));
    let big = &run.steps[ASK_STEP];
    assert_eq!(
        (big.size, big.df, big.fate),
        (1500, Some(true), Fate::TooBig)
    );
    assert_eq!(big.stops_at, Node::R1);
    // R1 sends the ICMP; the firewall in front of A drops it.
    let icmp = &run.steps[ASK_STEP + 1];
    assert_eq!(
        (icmp.from, icmp.fate, icmp.stops_at),
        (Node::R1, Fate::Filtered, Node::Fw)
    );
    assert!(icmp.note.contains("type 3 code 4"));
    // A retransmits the same size, small packets still pass, then Linux gives up.
    let retry = &run.steps[ASK_STEP + 2];
    assert_eq!(
        (retry.kind, retry.size, retry.fate),
        (Kind::Timeout, 1500, Fate::TooBig)
    );
    let give_up = run
        .steps
        .iter()
        .find(|s| s.kind == Kind::GiveUp)
        .expect("A gives up");
    // Where the RFC and Linux differ, both are said, labelled.
    assert!(give_up.explain.contains("RFC では") && give_up.explain.contains("Linux では"));
    assert!(give_up.source.contains("RFC 9293 §3.8.3") && give_up.source.contains("tcp(7)"));
    assert!(run.steps.iter().all(|s| s.pmtu == 1500));
}

#[test]
fn pmtud_sets_the_next_hop_mtu_and_the_mss_follows() {
    let run = preset("normal");
    let icmp = &run.steps[ASK_STEP + 1];
    assert_eq!(
        (icmp.fate, icmp.pmtu, icmp.mss),
        (Fate::Delivered, 1400, 1360)
    );
    assert!(icmp.explain.contains("MTU 1400"));
    let resend = &run.steps[ASK_STEP + 2];
    assert_eq!((resend.size, resend.fate), (1400, Fate::Delivered));
    assert_eq!(run.outcome.mss, 1360);
    // Before the ICMP A still thinks the path carries 1500.
    assert!(run.steps[..=ASK_STEP].iter().all(|s| s.pmtu == 1500));
    // IPv6: Packet Too Big, no DF, MSS 1400 − 60.
    let v6 = preset("ipv6");
    assert_eq!(v6.steps[ASK_STEP].df, None);
    assert!(
        v6.steps[ASK_STEP]
            .explain
            .contains("ルータは決して分割しません")
    );
    assert!(v6.steps[ASK_STEP + 1].note.contains("Packet Too Big"));
    assert_eq!((v6.outcome.pmtu, v6.outcome.mss), (1400, 1340));
    assert_eq!(v6.steps[0].mss_option, Some(1440));
}

#[test]
fn dropping_echo_only_keeps_pmtud_and_stops_ping() {
    let run = preset("drop-echo");
    let ping = run.steps.last().unwrap();
    assert_eq!(
        (ping.kind, ping.fate, ping.stops_at),
        (Kind::Ping, Fate::Filtered, Node::Fw)
    );
    assert!(ping.explain.contains("traceroute"));
    assert_eq!(run.steps[ASK_STEP + 1].fate, Fate::Delivered);
    // Dropping everything: black hole and no ping.
    let all = simulate(&Params {
        filter: Filter::All,
        ..Params::default()
    });
    assert_eq!((all.outcome.completes, all.outcome.ping), (false, false));
    assert_eq!(all.scenario, "v4+all");
}

#[test]
fn mss_clamping_makes_segments_fit_without_any_icmp() {
    let run = preset("mss-clamp");
    assert_eq!(run.steps[0].mss_option, Some(1360));
    assert_eq!(run.steps[1].mss_option, Some(1360));
    let big = &run.steps[ASK_STEP];
    assert_eq!((big.size, big.fate), (1400, Fate::Delivered));
    assert!(run.steps.iter().all(|s| s.kind != Kind::TooBig));
    assert!(run.steps.last().unwrap().fate == Fate::Delivered);
}

#[test]
fn plpmtud_falls_back_to_base_mss_and_searches_like_linux() {
    let run = preset("plpmtud");
    let fallback = run
        .steps
        .iter()
        .find(|s| s.kind == Kind::Data && s.size == 1076)
        .expect(
            "fallback to tcp_base_mss 1024 + 40 + the timestamp option's 12 (as the lab measured)",
        );
    assert_eq!(fallback.fate, Fate::Delivered);
    let probes: Vec<(u16, Fate)> = run
        .steps
        .iter()
        .filter(|s| s.kind == Kind::Probe)
        .map(|s| (s.size, s.fate))
        .collect();
    // Midpoints of [1076, 1500]: up while they fit 1400, down when lost, stop under 8 bytes.
    assert_eq!(
        probes,
        [
            (1288, Fate::Delivered),
            (1394, Fate::Delivered),
            (1447, Fate::TooBig),
            (1420, Fate::TooBig),
            (1406, Fate::TooBig),
            (1399, Fate::Delivered),
        ]
    );
    assert_eq!(run.outcome.mss, 1359);
    assert_eq!(
        run.outcome.pmtu, 1500,
        "Linux keeps PLPMTUD's result per connection"
    );
    let (_, found) = plpmtud_search(1076, 1500, 1280);
    assert!(found <= 1280 && 1280 - found < 8);
    // With ICMP flowing, PMTUD answers first and no probe is sent.
    let both = simulate(&Params {
        plpmtud: true,
        ..Params::default()
    });
    assert!(both.steps.iter().all(|s| s.kind != Kind::Probe));
    assert_eq!(both.outcome.pmtu, 1400);
}

#[test]
fn df_clear_lets_r1_fragment_in_multiples_of_8() {
    let run = preset("df-off");
    let big = &run.steps[ASK_STEP];
    assert_eq!((big.df, big.fate), (Some(false), Fate::Fragmented));
    assert_eq!(big.fragments, [1396, 124]);
    assert_eq!(fragments(1500, 1280), [1276, 244]);
    for mtu in MIN_MTU..=MAX_MTU {
        let f = fragments(1500, mtu);
        assert!(f.iter().all(|&x| x <= mtu));
        assert_eq!((f[0] - 20) % 8, 0);
        assert_eq!(f.iter().map(|x| x - 20).sum::<u16>(), 1480);
    }
}

#[test]
fn every_setting_and_mtu_gives_a_consistent_run() {
    for filter in Filter::ALL {
        for ipv6 in [false, true] {
            for clamp in [false, true] {
                for plpmtud in [false, true] {
                    for df in [true, false] {
                        if ipv6 && !df {
                            continue;
                        }
                        for mtu in [MIN_MTU, 1400, MAX_MTU] {
                            let p = Params {
                                filter,
                                ipv6,
                                clamp,
                                plpmtud,
                                df,
                                mtu,
                            };
                            let run = simulate(&p);
                            let o = &run.outcome;
                            // Nothing but ICMP lowers the recorded PMTU.
                            let learnt = run
                                .steps
                                .iter()
                                .any(|s| s.kind == Kind::TooBig && s.fate == Fate::Delivered);
                            assert_eq!(o.pmtu, if learnt { mtu } else { 1500 }, "{p:?}");
                            // Only a filtered error without a fix stalls the transfer.
                            let stalls = filter.drops_too_big() && !clamp && !plpmtud && df;
                            assert_eq!(o.completes, !stalls, "{p:?}");
                            assert_eq!(o.ping, !filter.drops_echo(), "{p:?}");
                            assert!(
                                run.steps
                                    .iter()
                                    .filter(|s| s.fate == Fate::Delivered
                                        && s.kind != Kind::TooBig
                                        && s.kind != Kind::Ping)
                                    .all(|s| s.size <= mtu || s.fate == Fate::Fragmented),
                                "{p:?}"
                            );
                            assert_eq!(params_from_scenario_name(&run.scenario), Some(p));
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn parameters_are_checked_with_japanese_messages_naming_the_key() {
    assert_eq!(params_from_query(&q(&[])).unwrap(), Params::default());
    let p = params_from_query(&q(&[("scenario", "black-hole"), ("clamp", "true")])).unwrap();
    assert_eq!((p.filter, p.clamp), (Filter::Type3, true));
    assert_eq!(scenario_name(&p), "mss-clamp");
    for (key, value) in [
        ("scenario", "nope"),
        ("filter", "icmp"),
        ("ip", "5"),
        ("ip", "v6"),
        ("clamp", "maybe"),
        ("mtu", "1279"),
        ("mtu", "1500"),
        ("mtu", "-1"),
        ("mtu", "1400.5"),
    ] {
        let err = params_from_query(&q(&[(key, value)])).unwrap_err();
        assert!(
            err.0.contains(&format!("パラメータ {key}")),
            "{key}={value}: {err}"
        );
    }
    let err = params_from_query(&q(&[("ip", "6"), ("df", "false")])).unwrap_err();
    assert!(
        err.0.contains("パラメータ df") && err.0.contains("IPv6"),
        "{err}"
    );
}

#[test]
fn names_and_labels_round_trip() {
    for preset in &PRESETS {
        assert_eq!(params_from_scenario_name(preset.name), Some(preset.params));
        assert_eq!(PmtudWidget.scenario_label(preset.name), preset.label);
    }
    let p = Params {
        filter: Filter::Echo,
        clamp: true,
        mtu: 1300,
        ..Params::default()
    };
    assert_eq!(scenario_name(&p), "v4+echo+clamp+mtu1300");
    assert_eq!(
        PmtudWidget.scenario_label("v4+echo+clamp+mtu1300"),
        "IPv4・Echo Request だけを落とす・MSS クランプ・トンネル MTU 1300"
    );
    for bad in [
        "v4+none",
        "v4+mtu1400",
        "v5",
        "v4+clamp+echo",
        "v4+mtu99999",
        "normal+x",
    ] {
        assert_eq!(params_from_scenario_name(bad), None, "{bad}");
    }
    assert_eq!(
        PmtudWidget.step_label("black-hole", 3),
        "4. A が DF 付きで 1500 バイトを送る — R1 で捨てられる"
    );
    assert_eq!(PmtudWidget.step_label("nope", 3), "ステップ 4");
    assert_eq!(
        PmtudWidget.field_label("outcome"),
        Some("転送が完了するか・A の経路 MTU")
    );
}

#[test]
fn predictions_are_graded_against_the_run() {
    let hole = preset("black-hole");
    let r = predict_check(&hole, false, 1500).unwrap();
    assert!(r.correct && r.answer == "stalls:1500");
    assert_eq!(r.expected, "転送は完了しない。A の経路 MTU は 1500");
    // The classic slip: "PMTUD will sort it out".
    let r = predict_check(&hole, true, 1400).unwrap();
    assert!(!r.correct && !r.completes_correct && !r.pmtu_correct);
    assert!(
        r.explain
            .contains("ICMP（type 3 code 4 か Packet Too Big）を受け取ったときだけ")
    );
    let clamp = preset("mss-clamp");
    let r = predict_check(&clamp, true, 1400).unwrap();
    assert!(r.completes_correct && !r.pmtu_correct);
    assert!(predict_check(&hole, true, 1279).is_err());
    assert!(predict_check(&hole, true, 1501).is_err());
    assert!(predict_check(&hole, true, -1).is_err());

    let body = serde_json::json!({"scenario": "normal", "completes": true, "pmtu": 1400});
    let g = PmtudWidget.check(&body).unwrap();
    assert!(g.item.correct);
    assert_eq!(
        (
            g.item.scenario.as_str(),
            g.item.step,
            g.item.field,
            g.item.answer.as_str()
        ),
        ("normal", 3, "outcome", "completes:1400")
    );
    let body = serde_json::json!({"filter": "type3", "ip": 6, "mtu": 1300, "completes": false, "pmtu": 1500});
    let g = PmtudWidget.check(&body).unwrap();
    assert!(g.item.correct, "{}", g.reply.get());
    assert_eq!(g.item.scenario, "v6+type3+mtu1300");
    for bad in [
        serde_json::json!({"ip": 5, "completes": true, "pmtu": 1400}),
        serde_json::json!({"mtu": 9000, "completes": true, "pmtu": 1400}),
        serde_json::json!({"filter": "", "completes": true, "pmtu": 1400}),
        serde_json::json!({"ip": 6, "df": false, "completes": true, "pmtu": 1400}),
        serde_json::json!({"completes": true, "pmtu": 20000}),
    ] {
        assert!(
            matches!(
                PmtudWidget.check(&bad),
                Err(crate::widgets::WidgetError::Param(_))
            ),
            "{bad}"
        );
    }
    for shape in [
        serde_json::json!({"completes": true}),
        serde_json::json!({"completes": "yes", "pmtu": 1400}),
        serde_json::json!({"completes": true, "pmtu": 1400, "seed": 1}),
    ] {
        assert!(
            matches!(
                PmtudWidget.check(&shape),
                Err(crate::widgets::WidgetError::Shape(_))
            ),
            "{shape}"
        );
    }
}

#[test]
fn generated_questions_agree_with_the_model() {
    for seed in 0..300 {
        for g in &questions::GENERATORS {
            let q = (g.make)(seed);
            assert_eq!(q, (g.make)(seed), "{} is deterministic", g.id);
            let mtu: u16 = q.values[0].1.parse().unwrap();
            assert!((MIN_MTU..=MAX_MTU).contains(&mtu));
            let expected = match g.id {
                "pmtud-mss-after-icmp" => mtu - 40,
                "pmtud-ipv6-mss" => mtu - 60,
                "pmtud-first-fragment" => 20 + (mtu - 20) / 8 * 8,
                "pmtud-clamped-mss" => mtu - q.values[2].1.parse::<u16>().unwrap(),
                other => panic!("unknown generator {other}"),
            };
            assert_eq!(q.answer, u64::from(expected), "{} seed {seed}", g.id);
            assert!(q.prompt.contains(&mtu.to_string()));
        }
    }
}

#[test]
fn the_json_has_the_shape_the_script_reads() {
    let json = PmtudWidget
        .scenario_json(&q(&[("scenario", "df-off")]))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(json.get()).unwrap();
    assert_eq!(v["scenario"], "df-off");
    assert_eq!(v["filter"], "none");
    assert_eq!(v["ask_step"], 3);
    assert_eq!(v["steps"][3]["fate"], "fragmented");
    assert_eq!(v["steps"][3]["fragments"], serde_json::json!([1396, 124]));
    assert_eq!(v["steps"][0]["from"], "a");
    assert_eq!(v["outcome"]["completes"], true);
}
