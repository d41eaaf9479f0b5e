//! Unit tests of the handshake model: the fact sheet's table, RFC 9293 state sequences, timing,
//! the JSON shape, and the grading of predictions.

use super::*;
use crate::widgets::rng::Rng;
use TcpState::*;

fn run(scenario: Scenario) -> Handshake {
    simulate(&Params {
        scenario,
        ..Params::default()
    })
}

fn states(h: &Handshake) -> Vec<(TcpState, TcpState)> {
    let mut v = vec![(h.initial.client_state, h.initial.server_state)];
    v.extend(h.steps.iter().map(|s| (s.client_state, s.server_state)));
    v
}

fn flags(s: &Step) -> Vec<&'static str> {
    s.flags
        .iter()
        .map(|f| match f {
            Flag::Syn => "SYN",
            Flag::Ack => "ACK",
            Flag::Fin => "FIN",
            Flag::Rst => "RST",
            Flag::Psh => "PSH",
        })
        .collect()
}

#[test]
fn w1_table_for_seed_0() {
    let h = run(Scenario::Normal);
    let (a, b) = (3_141_592_653u32, 2_718_281_828u32);
    assert_eq!((h.client_isn, h.server_isn), (a, b));
    assert_eq!(h.initial.client_state, Closed);
    assert_eq!(h.initial.server_state, Listen);
    let got: Vec<_> = h
        .steps
        .iter()
        .map(|s| {
            (
                s.from,
                flags(s),
                s.seq,
                s.ack,
                s.len,
                s.client_state,
                s.server_state,
            )
        })
        .collect();
    let want = vec![
        (
            Side::Client,
            vec!["SYN"],
            Some(a),
            None,
            0,
            SynSent,
            SynReceived,
        ),
        (
            Side::Server,
            vec!["SYN", "ACK"],
            Some(b),
            Some(a + 1),
            0,
            Established,
            SynReceived,
        ),
        (
            Side::Client,
            vec!["ACK"],
            Some(a + 1),
            Some(b + 1),
            0,
            Established,
            Established,
        ),
        (
            Side::Client,
            vec!["PSH", "ACK"],
            Some(a + 1),
            Some(b + 1),
            100,
            Established,
            Established,
        ),
        (
            Side::Server,
            vec!["ACK"],
            Some(b + 1),
            Some(a + 101),
            0,
            Established,
            Established,
        ),
    ];
    assert_eq!(got, want);
    assert!(h.steps.iter().all(|s| !s.lost));
    assert!(h.steps[1].explain.contains("ack = a+1 = 3141592654"));
}

#[test]
fn seeds_other_than_0_draw_isns_from_the_rng() {
    let h = simulate(&Params {
        seed: 99,
        ..Params::default()
    });
    let mut rng = Rng::new(99);
    assert_eq!(h.client_isn, rng.next_u32());
    assert_eq!(h.server_isn, rng.next_u32());
    assert_eq!(h.seed, 99);
    assert_eq!(h.steps[1].ack, Some(h.client_isn.wrapping_add(1)));
    assert_eq!(
        h,
        simulate(&Params {
            seed: 99,
            ..Params::default()
        })
    );
}

#[test]
fn numbers_wrap_mod_2_32() {
    let h = simulate_with_isns(Scenario::Normal, u32::MAX, u32::MAX - 50, false);
    assert_eq!(h.steps[0].seq, Some(4_294_967_295));
    assert_eq!(h.steps[1].ack, Some(0));
    assert_eq!(h.steps[2].seq, Some(0));
    assert_eq!(h.steps[2].ack, Some(u32::MAX - 49));
    assert_eq!(h.steps[4].ack, Some(100));
    let c = simulate_with_isns(Scenario::Close, u32::MAX, u32::MAX, false);
    assert_eq!(c.steps[0].seq, Some(100)); // u = a+101 wraps
    assert_eq!(c.steps[3].ack, Some(1)); // v+1 = b+2 wraps
}

#[test]
fn relative_mode_counts_from_0() {
    let h = simulate(&Params {
        relative: true,
        ..Params::default()
    });
    let nums: Vec<_> = h.steps.iter().map(|s| (s.seq, s.ack)).collect();
    assert_eq!(
        nums,
        vec![
            (Some(0), None),
            (Some(0), Some(1)),
            (Some(1), Some(1)),
            (Some(1), Some(1)),
            (Some(1), Some(101)),
        ]
    );
    // The ISNs themselves stay absolute so the page can switch views.
    assert_eq!(h.client_isn, DEFAULT_CLIENT_ISN);
    assert!(h.steps[1].explain.contains("a+1 = 1"));
}

// Expected sequences are written from RFC 9293 Fig. 6 (normal), Fig. 7 (simultaneous
// open) and Fig. 12 (close), with the fact sheet's W1 notes for the fault scenarios.
#[test]
fn state_sequences_follow_rfc_9293() {
    let cases: Vec<(Scenario, Vec<(TcpState, TcpState)>)> = vec![
        (
            Scenario::Normal,
            vec![
                (Closed, Listen),
                (SynSent, SynReceived),
                (Established, SynReceived),
                (Established, Established),
                (Established, Established),
                (Established, Established),
            ],
        ),
        (
            Scenario::LostSyn,
            vec![
                (Closed, Listen),
                (SynSent, Listen),
                (SynSent, Listen),
                (SynSent, SynReceived),
                (Established, SynReceived),
                (Established, Established),
            ],
        ),
        (
            Scenario::LostAck,
            vec![
                (Closed, Listen),
                (SynSent, SynReceived),
                (Established, SynReceived),
                (Established, SynReceived),
                (Established, SynReceived),
                (Established, Established),
                (Established, Established),
                (Established, Established),
            ],
        ),
        (
            Scenario::ClosedPort,
            vec![(Closed, Closed), (SynSent, Closed), (Closed, Closed)],
        ),
        (
            Scenario::SimultaneousOpen,
            vec![
                (Closed, Closed),
                (SynSent, Closed),
                (SynSent, SynSent),
                (SynReceived, SynReceived),
                (Established, Established),
            ],
        ),
        (
            Scenario::Close,
            vec![
                (Established, Established),
                (FinWait1, CloseWait),
                (FinWait2, CloseWait),
                (TimeWait, LastAck),
                (TimeWait, Closed),
                (Closed, Closed),
            ],
        ),
    ];
    for (scenario, want) in cases {
        assert_eq!(states(&run(scenario)), want, "{}", scenario.name());
    }
}

#[test]
fn lost_syn_retransmits_the_same_isn_with_backoff() {
    let h = run(Scenario::LostSyn);
    let syns: Vec<_> = h
        .steps
        .iter()
        .filter(|s| s.flags == [Flag::Syn])
        .map(|s| (s.time_ms, s.seq, s.lost))
        .collect();
    let a = Some(DEFAULT_CLIENT_ISN);
    assert_eq!(syns, vec![(0, a, true), (1000, a, true), (3000, a, false)]);
    let times: Vec<_> = h.steps.iter().map(|s| s.time_ms).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

// facts.md W1: RFC 6298 doubles from 1 s; Linux since 6.5 keeps 1 s for four more resends
// (1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, giving up at about 131 s). Both are shown, labelled.
#[test]
fn lost_syn_text_labels_rfc_and_linux_timing() {
    let h = run(Scenario::LostSyn);
    let first = &h.steps[0].explain;
    for want in [
        "RFC 6298",
        "1, 3, 7, 15, 31, 63 秒",
        "Linux（6.5 以降）",
        "tcp_syn_linear_timeouts",
        "1, 2, 3, 4, 5, 7, 11, 19, 35, 67 秒",
        "約 131 秒で ETIMEDOUT",
    ] {
        assert!(first.contains(want), "{want}: {first}");
    }
    assert!(first.contains("次の再送は 1 秒後"), "{first}");
    // After the first resend RFC 6298 waits 2 s, Linux 6.5+ still 1 s.
    let second = &h.steps[1].explain;
    assert!(
        second.contains("次の再送は 2 秒後") && second.contains("次の再送は 1 秒後"),
        "{second}"
    );
    let mut at = 0;
    let resends: Vec<u64> = (0..10)
        .map(|k| {
            at += linux_syn_rto_ms(k);
            at / 1000
        })
        .collect();
    assert_eq!(resends, [1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
    assert_eq!((at + linux_syn_rto_ms(10)) / 1000, 131);
}

#[test]
fn lost_ack_resends_syn_ack_and_the_client_acks_at_once() {
    let h = run(Scenario::LostAck);
    assert!(h.steps[2].lost && h.steps[2].flags == [Flag::Ack]);
    let resend = &h.steps[3];
    assert_eq!(resend.from, Side::Server);
    assert_eq!(resend.flags, [Flag::Syn, Flag::Ack]);
    assert_eq!(resend.seq, Some(DEFAULT_SERVER_ISN));
    assert_eq!(resend.time_ms, ONE_WAY_MS + INITIAL_RTO_MS);
    // RFC 9293 §3.10.7.4: the unacceptable duplicate is answered by an immediate pure ACK.
    let ack = &h.steps[4];
    assert_eq!(
        (ack.from, ack.flags.as_slice()),
        (Side::Client, &[Flag::Ack][..])
    );
    assert_eq!(ack.time_ms, resend.time_ms + ONE_WAY_MS);
    assert_eq!((ack.len, ack.server_state), (0, Established));
    assert_eq!(
        (ack.seq, ack.ack),
        (Some(DEFAULT_CLIENT_ISN + 1), Some(DEFAULT_SERVER_ISN + 1))
    );
    assert!(ack.explain.contains("§3.10.7.4"), "{}", ack.explain);
    let data = &h.steps[5];
    assert_eq!((data.len, data.seq), (100, Some(DEFAULT_CLIENT_ISN + 1)));
    assert_eq!(h.steps[6].ack, Some(DEFAULT_CLIENT_ISN + 101));
}

#[test]
fn time_wait_text_gives_linux_60_s() {
    let h = run(Scenario::Close);
    assert!(
        h.steps[3].explain.contains("60 秒"),
        "{}",
        h.steps[3].explain
    );
    assert!(h.steps[4].note.contains("Linux なら 60 秒"));
}

#[test]
fn closed_port_answers_rst_ack_seq_0() {
    for relative in [false, true] {
        let h = simulate(&Params {
            scenario: Scenario::ClosedPort,
            seed: 0,
            relative,
        });
        let rst = &h.steps[1];
        assert_eq!(rst.flags, [Flag::Rst, Flag::Ack]);
        assert_eq!(rst.seq, Some(0));
        let a1 = if relative { 1 } else { DEFAULT_CLIENT_ISN + 1 };
        assert_eq!(rst.ack, Some(a1));
        assert!(rst.explain.contains("ECONNREFUSED"));
    }
}

#[test]
fn close_numbers_and_time_wait() {
    let h = run(Scenario::Close);
    let (a, b) = (DEFAULT_CLIENT_ISN, DEFAULT_SERVER_ISN);
    let nums: Vec<_> = h.steps.iter().map(|s| (flags(s), s.seq, s.ack)).collect();
    assert_eq!(
        nums,
        vec![
            (vec!["FIN", "ACK"], Some(a + 101), Some(b + 1)),
            (vec!["ACK"], Some(b + 1), Some(a + 102)),
            (vec!["FIN", "ACK"], Some(b + 1), Some(a + 102)),
            (vec!["ACK"], Some(a + 102), Some(b + 2)),
            (vec![], None, None),
        ]
    );
    assert!(h.steps[3].explain.contains("2×MSL"));
    assert_eq!(h.steps[4].time_ms - h.steps[3].time_ms, 240_000);
    assert_eq!(h.steps[4].from, Side::Client);
}

#[test]
fn json_shape() {
    let v = serde_json::to_value(run(Scenario::Normal)).unwrap();
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    let mut want = vec![
        "scenario",
        "seed",
        "relative",
        "client_isn",
        "server_isn",
        "initial",
        "steps",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);
    assert_eq!(v["scenario"], "normal");
    assert_eq!(v["initial"]["client_state"], "CLOSED");
    assert_eq!(v["initial"]["server_state"], "LISTEN");
    let s0 = &v["steps"][0];
    let mut step_keys: Vec<_> = s0.as_object().unwrap().keys().cloned().collect();
    step_keys.sort();
    let mut want_step = vec![
        "from",
        "flags",
        "seq",
        "ack",
        "len",
        "lost",
        "time_ms",
        "client_state",
        "server_state",
        "note",
        "explain",
    ];
    want_step.sort_unstable();
    assert_eq!(step_keys, want_step);
    assert_eq!(s0["from"], "client");
    assert_eq!(s0["flags"], serde_json::json!(["SYN"]));
    assert_eq!(s0["ack"], serde_json::Value::Null);
    assert_eq!(s0["client_state"], "SYN-SENT");
    assert_eq!(v["steps"][1]["flags"], serde_json::json!(["SYN", "ACK"]));
    let close = serde_json::to_value(run(Scenario::Close)).unwrap();
    assert_eq!(close["steps"][0]["client_state"], "FIN-WAIT-1");
    assert_eq!(close["scenario"], "close");
    let sim = serde_json::to_value(run(Scenario::SimultaneousOpen)).unwrap();
    assert_eq!(sim["scenario"], "simultaneous-open");
}

#[test]
fn every_step_is_explained_in_japanese() {
    for scenario in Scenario::ALL {
        for relative in [false, true] {
            let h = simulate(&Params {
                scenario,
                seed: 5,
                relative,
            });
            for s in &h.steps {
                assert!(!s.note.is_empty() && !s.explain.is_empty());
                assert!(s.note.chars().any(|c| c > '\u{3000}'), "{}", s.note);
            }
        }
    }
}

#[test]
fn predict_check_grades_numbers_and_states() {
    let h = run(Scenario::Normal);
    let r = predict_check(&h, 1, Field::Ack, "3,141,592,654").unwrap();
    assert!(r.correct);
    assert_eq!(r.expected, "3141592654");
    let r = predict_check(&h, 1, Field::Ack, "3141592653").unwrap();
    assert!(!r.correct);
    assert!(r.explain.contains("+1"));
    assert!(predict_check(&h, 0, Field::Ack, "なし").unwrap().correct);
    assert!(!predict_check(&h, 0, Field::Ack, "0").unwrap().correct);
    assert!(
        predict_check(&h, 0, Field::ClientState, "syn_sent")
            .unwrap()
            .correct
    );
    assert!(
        predict_check(&h, 1, Field::ServerState, "SYN-RECEIVED")
            .unwrap()
            .correct
    );
    assert!(predict_check(&h, 0, Field::ClientState, "WAITING").is_err());
    assert!(predict_check(&h, 0, Field::Seq, "abc").is_err());
    assert!(predict_check(&h, 0, Field::Seq, "4294967296").is_err());
    assert!(predict_check(&h, 99, Field::Seq, "1").is_err());
    assert!(
        predict_check(&h, 0, Field::Seq, "３１４１５９２６５３")
            .unwrap()
            .correct
    );
}

#[test]
fn params_from_query_defaults_and_rejections() {
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(params_from_query(&q(&[])), Ok(Params::default()));
    assert_eq!(
        params_from_query(&q(&[
            ("scenario", "lost-ack"),
            ("seed", "7"),
            ("relative", "on"),
            ("x", "y")
        ])),
        Ok(Params {
            scenario: Scenario::LostAck,
            seed: 7,
            relative: true
        })
    );
    let err = params_from_query(&q(&[("scenario", "nope")])).unwrap_err();
    assert!(
        err.0.contains("scenario") && err.0.contains("closed-port"),
        "{err}"
    );
    assert!(params_from_query(&q(&[("seed", "-1")])).is_err());
    assert!(params_from_query(&q(&[("relative", "maybe")])).is_err());
    for s in Scenario::ALL {
        assert_eq!(Scenario::from_name(s.name()), Some(s));
    }
}
