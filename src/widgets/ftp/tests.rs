//! Unit tests of the FTP model: the encodings, every combination of settings against the rules,
//! the transcripts, the JSON shape, and the grading of predictions.

use super::*;
use std::net::{IpAddr, Ipv4Addr};

#[test]
fn encode_decode_round_trip_every_port() {
    for port in 0..=u16::MAX {
        let (p1, p2) = encode_port(port);
        assert_eq!(u32::from(p1) * 256 + u32::from(p2), u32::from(port));
        assert_eq!(decode_port(p1, p2), port);
    }
    assert_eq!(encode_port(50000), (195, 80));
    assert_eq!(encode_port(49152), (192, 0));
}

#[test]
fn parse_227_examples() {
    assert_eq!(
        parse_227("227 Entering Passive Mode (192,168,10,5,19,137)"),
        Ok((Ipv4Addr::new(192, 168, 10, 5), 5001))
    );
    assert_eq!(
        parse_227("227 Entering Passive Mode (198,51,100,7,195,80)."),
        Ok((SERVER_ADDR, 50000))
    );
    assert_eq!(
        parse_227("  227 =( 10, 0, 0, 1, 0, 21 ) "),
        Ok((Ipv4Addr::new(10, 0, 0, 1), 21))
    );
    assert_eq!(
        parse_227("227 Entering Passive Mode 10,0,0,1,4,1"),
        Ok((Ipv4Addr::new(10, 0, 0, 1), 1025))
    );
    assert_eq!(
        parse_227("(1,2,3,4,0,80)"),
        Ok((Ipv4Addr::new(1, 2, 3, 4), 80))
    );
    let line = pasv_reply(SERVER_ADDR, PASSIVE_PORT);
    assert_eq!(parse_227(&line), Ok((SERVER_ADDR, PASSIVE_PORT)));
}

#[test]
fn parse_227_rejects_bad_lines() {
    let err = parse_227("227 Entering Passive Mode (192,168,10,5,300,1)").unwrap_err();
    assert!(err.0.contains("p1") && err.0.contains("255"), "{err}");
    let err = parse_227("227 Entering Passive Mode (256,168,10,5,1,1)").unwrap_err();
    assert!(err.0.contains("h1"), "{err}");
    for bad in [
        "",
        "227 Entering Passive Mode",
        "227 Entering Passive Mode (1,2,3,4,5)",
        "227 Entering Passive Mode (1,2,3,4,5,6,7)",
        "227 Entering Passive Mode (1,2,3,4,5,x)",
        "227 Entering Passive Mode (1,2,3,4,5,-6)",
        "227 Entering Passive Mode (1,2,3,4,5,6",
        "229 Entering Extended Passive Mode (|||50000|)",
        "200 PORT command successful.",
    ] {
        assert!(parse_227(bad).is_err(), "{bad}");
    }
}

#[test]
fn parse_229_examples_and_rejections() {
    assert_eq!(
        parse_229("229 Entering Extended Passive Mode (|||50000|)"),
        Ok(50000)
    );
    assert_eq!(parse_229(&epsv_reply(6446)), Ok(6446));
    assert_eq!(parse_229("229 ok (!!!21!)"), Ok(21));
    for bad in [
        "229 Entering Extended Passive Mode",
        "229 Entering Extended Passive Mode (|||70000|)",
        "229 Entering Extended Passive Mode (||50000|)",
        "229 Entering Extended Passive Mode (|||abc|)",
        "229 Entering Extended Passive Mode (|||50000!)",
        "227 Entering Passive Mode (198,51,100,7,195,80)",
    ] {
        assert!(parse_229(bad).is_err(), "{bad}");
    }
}

#[test]
fn command_encodings_match_the_fact_sheet() {
    assert_eq!(
        port_command(CLIENT_ADDR, ACTIVE_DATA_PORT),
        "PORT 203,0,113,5,192,0"
    );
    assert_eq!(
        pasv_reply(SERVER_ADDR, PASSIVE_PORT),
        "227 Entering Passive Mode (198,51,100,7,195,80)."
    );
    assert_eq!(
        epsv_reply(PASSIVE_PORT),
        "229 Entering Extended Passive Mode (|||50000|)"
    );
    assert_eq!(
        eprt(IpAddr::V4(CLIENT_ADDR), ACTIVE_DATA_PORT),
        "EPRT |1|203.0.113.5|49152|"
    );
    assert_eq!(
        eprt("2001:db8::1".parse().unwrap(), 5282),
        "EPRT |2|2001:db8::1|5282|"
    );
}

/// The rules of facts.md W2/§9, written independently of the model.
fn expected_blocked(p: &Params) -> bool {
    match p.mode {
        Mode::Active => {
            p.client_fw != ClientFw::StatefulHelper
                && (p.client_nat || matches!(p.client_fw, ClientFw::Stateless | ClientFw::Stateful))
        }
        Mode::Passive | Mode::Epsv => p.server_fw == ServerFw::Only21,
    }
}

fn all_params() -> Vec<Params> {
    let mut v = Vec::new();
    for mode in Mode::ALL {
        for client_nat in [false, true] {
            for client_fw in ClientFw::ALL {
                for server_fw in ServerFw::ALL {
                    v.push(Params {
                        mode,
                        client_nat,
                        client_fw,
                        server_fw,
                    });
                }
            }
        }
    }
    v
}

#[test]
fn every_combination_follows_the_rules() {
    let params = all_params();
    assert_eq!(params.len(), 48);
    for p in params {
        let s = simulate(&p);
        let ctx = format!("{p:?}");
        assert_eq!(s.connections.len(), 2, "{ctx}");
        let control = &s.connections[0];
        assert_eq!(control.purpose, Purpose::Control);
        assert_eq!(control.opener, Side::Client);
        assert_eq!(
            (control.to_addr.as_str(), control.to_port),
            ("198.51.100.7", 21)
        );
        assert_eq!(control.from_port, 50123);
        assert!(!control.blocked);

        let data = &s.connections[1];
        let blocked = expected_blocked(&p);
        assert_eq!(data.purpose, Purpose::Data);
        assert_eq!(data.blocked, blocked, "{ctx}");
        assert_eq!(data.reason.is_some(), blocked, "{ctx}");
        assert_eq!(
            data.related,
            !blocked && p.client_fw == ClientFw::StatefulHelper,
            "{ctx}"
        );
        let client_addr = if p.client_nat {
            "192.168.1.10"
        } else {
            "203.0.113.5"
        };
        match p.mode {
            Mode::Active => {
                assert_eq!(data.opener, Side::Server, "{ctx}");
                assert_eq!(
                    (data.from_addr.as_str(), data.from_port),
                    ("198.51.100.7", 20)
                );
                assert_eq!(data.to_port, 49152);
                let to = if p.client_nat && p.client_fw != ClientFw::StatefulHelper {
                    "192.168.1.10"
                } else {
                    "203.0.113.5"
                };
                assert_eq!(data.to_addr, to, "{ctx}");
            }
            Mode::Passive | Mode::Epsv => {
                assert_eq!(data.opener, Side::Client, "{ctx}");
                assert_eq!(
                    (data.to_addr.as_str(), data.to_port),
                    ("198.51.100.7", 50000)
                );
                assert_eq!(data.from_addr, client_addr);
            }
        }

        let last = s.transcript.last().unwrap();
        if blocked {
            assert!(
                !s.transcript.iter().any(|l| l.text.starts_with("226")),
                "{ctx}"
            );
            assert!(s.outcome.starts_with("失敗"), "{ctx}");
        } else {
            assert_eq!(last.text, "226 Transfer complete.", "{ctx}");
            assert!(s.outcome.starts_with("成功"), "{ctx}");
        }
        for line in &s.transcript {
            assert!(line.step < s.steps.len());
        }
        for step in &s.steps {
            assert!(step.connection.is_none_or(|c| c < s.connections.len()));
            assert!(!step.explain.is_empty());
        }
    }
}

fn codes(s: &FtpSession) -> Vec<String> {
    s.transcript
        .iter()
        .map(|l| l.text.split(' ').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn transcript_codes_per_mode() {
    let run = |mode, client_fw, server_fw, client_nat| {
        simulate(&Params {
            mode,
            client_nat,
            client_fw,
            server_fw,
        })
    };
    let active = run(Mode::Active, ClientFw::None, ServerFw::PassiveRange, false);
    assert_eq!(codes(&active), ["220", "PORT", "200", "RETR", "150", "226"]);
    assert_eq!(active.transcript[1].text, "PORT 203,0,113,5,192,0");
    let passive = run(Mode::Passive, ClientFw::None, ServerFw::PassiveRange, false);
    assert_eq!(
        codes(&passive),
        ["220", "PASV", "227", "RETR", "150", "226"]
    );
    assert_eq!(
        passive.transcript[2].text,
        "227 Entering Passive Mode (198,51,100,7,195,80)."
    );
    let epsv = run(Mode::Epsv, ClientFw::None, ServerFw::PassiveRange, false);
    assert_eq!(codes(&epsv), ["220", "EPSV", "229", "RETR", "150", "226"]);
    assert_eq!(parse_229(&epsv.transcript[2].text), Ok(50000));

    let nat = run(Mode::Active, ClientFw::None, ServerFw::PassiveRange, true);
    // vsftpd's order: it connects before the 150, so a failed connect gets only a 425.
    assert_eq!(codes(&nat), ["220", "PORT", "200", "RETR", "425"]);
    assert_eq!(nat.transcript[1].text, "PORT 192,168,1,10,192,0");
    assert!(
        nat.connections[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("プライベート")
    );
    let stateful = run(
        Mode::Active,
        ClientFw::Stateful,
        ServerFw::PassiveRange,
        false,
    );
    assert_eq!(codes(&stateful).last().unwrap(), "425");
    let blocked = run(Mode::Passive, ClientFw::None, ServerFw::Only21, false);
    assert_eq!(codes(&blocked), ["220", "PASV", "227"]);
    let blocked = run(Mode::Epsv, ClientFw::Stateless, ServerFw::Only21, true);
    assert_eq!(codes(&blocked), ["220", "EPSV", "229"]);
}

#[test]
fn json_shape() {
    let v = serde_json::to_value(simulate(&Params {
        client_fw: ClientFw::StatefulHelper,
        server_fw: ServerFw::Only21,
        ..Params::default()
    }))
    .unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "client_fw",
            "client_nat",
            "connections",
            "mode",
            "outcome",
            "server_fw",
            "steps",
            "transcript"
        ]
    );
    assert_eq!(v["mode"], "active");
    assert_eq!(v["client_fw"], "helper");
    assert_eq!(v["server_fw"], "only21");
    assert_eq!(v["connections"][0]["purpose"], "control");
    assert_eq!(v["connections"][1]["opener"], "server");
    assert_eq!(v["connections"][1]["related"], true);
    assert_eq!(v["connections"][0]["reason"], serde_json::Value::Null);
    assert_eq!(v["transcript"][0]["from"], "server");
    assert_eq!(v["steps"][1]["connection"], serde_json::Value::Null);
    assert_eq!(v["steps"][0]["connection"], 0);
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
            ("mode", "epsv"),
            ("client_nat", "true"),
            ("client_fw", "helper"),
            ("server_fw", "only21")
        ])),
        Ok(Params {
            mode: Mode::Epsv,
            client_nat: true,
            client_fw: ClientFw::StatefulHelper,
            server_fw: ServerFw::Only21
        })
    );
    let err = params_from_query(&q(&[("client_fw", "iptables")])).unwrap_err();
    assert!(
        err.0.contains("client_fw") && err.0.contains("helper"),
        "{err}"
    );
    assert!(params_from_query(&q(&[("mode", "ACTIVE")])).is_err());
    assert!(params_from_query(&q(&[("server_fw", "all")])).is_err());
    assert!(params_from_query(&q(&[("client_nat", "2")])).is_err());
    for m in Mode::ALL {
        assert_eq!(Mode::from_name(m.name()), Some(m));
    }
    for f in ClientFw::ALL {
        assert_eq!(ClientFw::from_name(f.name()), Some(f));
    }
    for f in ServerFw::ALL {
        assert_eq!(ServerFw::from_name(f.name()), Some(f));
    }
}

fn session(mode: Mode, client_nat: bool, client_fw: ClientFw, server_fw: ServerFw) -> FtpSession {
    simulate(&Params {
        mode,
        client_nat,
        client_fw,
        server_fw,
    })
}

#[test]
fn predict_active_the_server_opens_to_the_port_in_port() {
    let s = session(Mode::Active, false, ClientFw::None, ServerFw::PassiveRange);
    let r = predict_check(&s, "server", 49152, None).unwrap();
    assert!(r.correct && r.opener_correct && r.port_correct, "{r:?}");
    assert_eq!(r.reaches_correct, None);
    // Asked before the step that draws the data connection (control, PORT, RETR, data).
    assert_eq!(r.step, 3);
    assert_eq!(s.steps[r.step].connection, Some(1));
    assert_eq!(
        r.expected,
        "サーバーが開く。接続先ポートは 49152（198.51.100.7:20 → 203.0.113.5:49152）"
    );
    assert!(
        r.explain.contains("PORT で知らせたポート 49152"),
        "{}",
        r.explain
    );
    assert!(r.explain.contains("送信元ポート 20"), "{}", r.explain);

    // The usual slips: the client opens it, or it goes to port 20.
    let r = predict_check(&s, "client", 49152, None).unwrap();
    assert!(!r.correct && !r.opener_correct && r.port_correct);
    let r = predict_check(&s, "server", 20, None).unwrap();
    assert!(!r.correct && r.opener_correct && !r.port_correct);
    assert!(
        r.explain.contains("20 番はサーバー側の送信元ポート"),
        "{}",
        r.explain
    );
    let r = predict_check(&s, "server", 21, None).unwrap();
    assert!(r.explain.contains("21 番は制御接続"), "{}", r.explain);
}

#[test]
fn predict_passive_the_client_opens_to_the_port_in_227() {
    let s = session(Mode::Passive, false, ClientFw::None, ServerFw::PassiveRange);
    let r = predict_check(&s, "client", 50000, None).unwrap();
    assert!(r.correct, "{r:?}");
    assert_eq!(r.step, 2);
    assert!(
        r.expected
            .starts_with("クライアントが開く。接続先ポートは 50000")
    );
    assert!(
        r.explain.contains("227 応答で知らせたポート 50000"),
        "{}",
        r.explain
    );
    let r = predict_check(&s, "server", 50000, None).unwrap();
    assert!(!r.correct && !r.opener_correct);
    let r = predict_check(&s, "client", 20, None).unwrap();
    assert!(!r.correct);
    assert!(
        r.explain
            .contains("アクティブモードのサーバー側の送信元ポート"),
        "{}",
        r.explain
    );
    // The Japanese side names the widget's radio buttons show are accepted too.
    assert!(
        predict_check(&s, "クライアント", 50000, None)
            .unwrap()
            .correct
    );

    let epsv = session(Mode::Epsv, false, ClientFw::None, ServerFw::PassiveRange);
    let r = predict_check(&epsv, "client", 50000, Some(true)).unwrap();
    assert!(r.correct && r.reaches_correct == Some(true));
    assert!(r.explain.contains("229 応答"), "{}", r.explain);
}

#[test]
fn predict_grades_whether_it_gets_through() {
    // Active behind the client's NAT: the server's inbound SYN is blocked.
    let nat = session(Mode::Active, true, ClientFw::None, ServerFw::PassiveRange);
    let r = predict_check(&nat, "server", 49152, Some(false)).unwrap();
    assert!(r.correct && r.reaches_correct == Some(true), "{r:?}");
    assert!(r.expected.ends_with("ブロックされる"), "{}", r.expected);
    assert!(r.expected.contains("192.168.1.10:49152"), "{}", r.expected);
    assert!(r.explain.contains("届かない") && r.explain.contains("プライベートアドレス"));
    let r = predict_check(&nat, "server", 49152, Some(true)).unwrap();
    assert!(!r.correct && r.opener_correct && r.port_correct);
    assert_eq!(r.reaches_correct, Some(false));

    // The FTP helper reads PORT and lets it in as RELATED.
    let helper = session(
        Mode::Active,
        true,
        ClientFw::StatefulHelper,
        ServerFw::PassiveRange,
    );
    let r = predict_check(&helper, "server", 49152, Some(true)).unwrap();
    assert!(r.correct && r.expected.ends_with("届く"), "{r:?}");
    assert!(r.explain.contains("RELATED"), "{}", r.explain);

    // Passive: the client's NAT does not matter, the server's firewall does.
    let pnat = session(
        Mode::Passive,
        true,
        ClientFw::Stateful,
        ServerFw::PassiveRange,
    );
    assert!(
        predict_check(&pnat, "client", 50000, Some(true))
            .unwrap()
            .correct
    );
    let only21 = session(Mode::Passive, false, ClientFw::None, ServerFw::Only21);
    let r = predict_check(&only21, "client", 50000, Some(false)).unwrap();
    assert!(r.correct);
    assert!(r.explain.contains("21 番しか開けておらず"), "{}", r.explain);
    assert!(
        !predict_check(&only21, "client", 50000, Some(true))
            .unwrap()
            .correct
    );

    // Every setup agrees with the simulation.
    for p in all_params() {
        let s = simulate(&p);
        let data = &s.connections[1];
        let opener = if data.opener == Side::Client {
            "client"
        } else {
            "server"
        };
        let r = predict_check(&s, opener, i64::from(data.to_port), Some(!data.blocked)).unwrap();
        assert!(r.correct, "{p:?}");
        assert!(!r.explain.is_empty());
    }
}

#[test]
fn predict_rejects_bad_input() {
    let s = session(Mode::Active, false, ClientFw::None, ServerFw::PassiveRange);
    let err = predict_check(&s, "router", 49152, None).unwrap_err();
    assert!(err.0.contains("client, server"), "{err}");
    for port in [0, -1, 65536, i64::MAX] {
        let err = predict_check(&s, "server", port, None).unwrap_err();
        assert!(err.0.contains("1〜65535"), "{err}");
    }
    assert!(predict_check(&s, "", 49152, None).is_err());
}

#[test]
fn scenario_names_round_trip_and_read_in_japanese() {
    for p in all_params() {
        let name = scenario_name(&p);
        assert_eq!(params_from_scenario_name(&name), Some(p), "{name}");
    }
    assert_eq!(scenario_name(&Params::default()), "active");
    let p = Params {
        mode: Mode::Passive,
        client_nat: true,
        client_fw: ClientFw::Stateful,
        server_fw: ServerFw::Only21,
    };
    assert_eq!(scenario_name(&p), "passive+nat+stateful+only21");
    assert_eq!(
        scenario_label(&p),
        "パッシブモード（PASV）・クライアントが NAT の内側・クライアント側 FW: ステートフル（conntrack）・サーバー側 FW: 21 番だけ開ける"
    );
    for bad in [
        "",
        "sideways",
        "active+nat+nat",
        "active+none",
        "active+only21+nat",
        "active+",
    ] {
        assert_eq!(params_from_scenario_name(bad), None, "{bad}");
    }
}
