//! Unit tests of the timeline model: each scenario's counts and outcome against facts.md W10,
//! the per-connection vs per-request balancing, TLS resumption, HTTP/2 stream ids, the names a
//! setup is stored under, parameter errors and the grading of predictions.

use super::*;
use crate::widgets::Widget;

fn run(s: Scenario) -> Timeline {
    simulate(&s.params())
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn kinds(t: &Timeline) -> Vec<Kind> {
    t.steps.iter().map(|s| s.kind).collect()
}

fn backends(t: &Timeline) -> Vec<&'static str> {
    t.steps
        .iter()
        .filter(|s| s.kind == Kind::Request)
        .map(|s| s.backend.unwrap().name())
        .collect()
}

#[test]
fn keepalive_one_session_over_two_connections() {
    // W10: one connection carries requests 1..n in sequence, the idle timeout closes it, the next
    // request opens connection 2 with a new handshake, and the cookie keeps the session.
    let t = run(Scenario::Keepalive);
    use Kind::*;
    assert_eq!(
        kinds(&t),
        [
            Open, TlsFull, Request, Request, Request, Close, Open, TlsFull, Request, Request
        ]
    );
    let conns: Vec<u32> = t.steps.iter().map(|s| s.conn).collect();
    assert_eq!(conns, [1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    assert_eq!(
        t.counts,
        Counts {
            connections: 2,
            tls_full: 2,
            tls_resumed: 0,
            requests: 5,
            streams: 0,
            sessions: 1
        }
    );
    assert!(t.survives && t.lost_at.is_none());
    // L7 balances per request: A, B, A, B, A — harmless with a shared store.
    assert_eq!(backends(&t), ["A", "B", "A", "B", "A"]);
    // The close comes one idle timeout after the last response; connection 2 at the pause's end.
    let close = t.steps.iter().find(|s| s.kind == Close).unwrap();
    let last_before = t.steps[4].t_ms + 50;
    assert_eq!(close.t_ms, last_before + IDLE_TIMEOUT_S * 1000);
    assert_eq!(t.steps[6].t_ms, last_before + 120_000);
    assert!(close.explain.contains("ログインセッションは終わりません"));
    // Times never go backwards, and every step cites its source.
    assert!(t.steps.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
    assert!(t.steps.iter().all(|s| s.source.starts_with("RFC ")));
    assert!(t.steps.iter().all(|s| s.explain.ends_with('。')));
}

#[test]
fn http2_carries_concurrent_streams_and_resumes_tls() {
    let t = run(Scenario::Http2Resume);
    let streams: Vec<u32> = t.steps.iter().filter_map(|s| s.stream).collect();
    // Client-initiated streams are odd and start again at 1 on the new connection (RFC 9113 §5.1.1).
    assert_eq!(streams, [1, 3, 5, 7, 1, 3]);
    let reqs: Vec<&Step> = t.steps.iter().filter(|s| s.kind == Kind::Request).collect();
    // After the login, the other requests of a group go at once.
    assert!(reqs[1].t_ms == reqs[2].t_ms && reqs[2].t_ms == reqs[3].t_ms);
    assert!(reqs[0].t_ms < reqs[1].t_ms);
    assert_eq!(t.counts.tls_full, 1);
    assert_eq!(t.counts.tls_resumed, 1);
    assert_eq!(t.counts.streams, 6);
    let resumed = t.steps.iter().find(|s| s.kind == Kind::TlsResumed).unwrap();
    assert_eq!(resumed.conn, 2);
    assert!(resumed.source.contains("RFC 8446 §2.2"));
    assert!(resumed.explain.contains("証明書"));
    let close = t.steps.iter().find(|s| s.kind == Kind::Close).unwrap();
    assert!(close.explain.contains("GOAWAY") && close.source.contains("RFC 9113 §6.8"));
    assert!(t.survives);
}

#[test]
fn l4_balances_per_connection_and_loses_a_memory_session_on_the_new_one() {
    let t = run(Scenario::L4Memory);
    assert_eq!(backends(&t), ["A", "A", "A", "B", "B"]);
    assert_eq!(t.lost_at, Some(4));
    assert!(!t.survives);
    // TLS ends at the backend: B cannot use A's ticket, so both handshakes are full.
    assert_eq!((t.counts.tls_full, t.counts.tls_resumed), (2, 0));
    let second_tls = t
        .steps
        .iter()
        .filter(|s| s.lane == Lane::Tls)
        .nth(1)
        .unwrap();
    assert_eq!(second_tls.backend, Some(Backend::B));
    assert!(second_tls.explain.contains("PSK を受け入れられず"));
    let lost = t
        .steps
        .iter()
        .find(|s| s.session == Some(SessionState::Lost))
        .unwrap();
    assert_eq!(lost.request, Some(4));
    assert!(t.outcome.contains("リクエスト 4 でログインが失われます"));

    // A pause shorter than the idle timeout keeps connection 1: everything on A, nothing lost.
    let short = simulate(&Params {
        pause_s: 30,
        ..Scenario::L4Memory.params()
    });
    assert_eq!(short.counts.connections, 1);
    assert!(short.survives);
    assert!(!short.steps.iter().any(|s| s.kind == Kind::Close));
}

#[test]
fn source_ip_affinity_keeps_l4_on_one_backend_and_lets_tls_resume() {
    let t = run(Scenario::L4Sticky);
    assert_eq!(backends(&t), ["A"; 5]);
    assert!(t.survives);
    assert_eq!((t.counts.tls_full, t.counts.tls_resumed), (1, 1));
}

#[test]
fn l7_per_request_loses_a_memory_session_at_once_and_sticky_cookies_keep_it() {
    let t = run(Scenario::L7Memory);
    assert_eq!(t.lost_at, Some(2));
    let states: Vec<SessionState> = t.steps.iter().filter_map(|s| s.session).collect();
    use SessionState::*;
    assert_eq!(states, [Created, Lost, Found, Lost, Found]);

    let sticky = run(Scenario::L7Sticky);
    assert!(sticky.survives);
    assert_eq!(backends(&sticky), ["A"; 5]);
    assert!(sticky.steps[2].explain.contains("Set-Cookie: lb=A"));
}

#[test]
fn a_shared_store_survives_every_setup() {
    for http in Http::ALL {
        for balancer in Balancer::ALL {
            for sticky in [false, true] {
                for pause_s in [0, 59, 60, 600] {
                    let t = simulate(&Params {
                        http,
                        balancer,
                        store: Store::Shared,
                        sticky,
                        resume: true,
                        before: 6,
                        after: 6,
                        pause_s,
                    });
                    assert!(t.survives, "{}", t.scenario);
                    assert_eq!(t.counts.sessions, 1);
                    assert_eq!(t.counts.requests, 12);
                    assert_eq!(t.counts.connections, if pause_s >= 60 { 2 } else { 1 });
                    assert_eq!(
                        t.counts.tls_full + t.counts.tls_resumed,
                        t.counts.connections,
                        "one TLS handshake per connection"
                    );
                }
            }
        }
    }
}

#[test]
fn names_round_trip_and_read_in_japanese() {
    for s in Scenario::ALL {
        assert_eq!(scenario_name(&s.params()), s.name());
        assert_eq!(params_from_scenario_name(s.name()), Some(s.params()));
        assert_eq!(SessionsWidget.scenario_label(s.name()), s.label());
    }
    let p = Params {
        http: Http::H2,
        balancer: Balancer::L4,
        store: Store::Memory,
        sticky: true,
        resume: true,
        before: 2,
        after: 5,
        pause_s: 30,
    };
    let name = scenario_name(&p);
    assert_eq!(name, "h2+l4+memory+sticky+resume+2+5+30");
    assert_eq!(params_from_scenario_name(&name), Some(p));
    assert_eq!(
        SessionsWidget.scenario_label(&name),
        "HTTP/2・L4 バランサー・セッションは各バックエンドのメモリ・スティッキー・TLS 再開あり・前 2 件／後 5 件・休止 30 秒"
    );
    for bad in [
        "",
        "h3+l4+memory+1+1+1",
        "h1+l4+memory+7+1+1",
        "h1+l4+memory+resume+sticky+1+1+1",
        "nope",
    ] {
        assert_eq!(params_from_scenario_name(bad), None, "{bad}");
    }
    assert_eq!(
        SessionsWidget.step_label("keepalive", -1),
        "タイムライン全体（数と結末）"
    );
    assert!(
        SessionsWidget
            .step_label("keepalive", 5)
            .starts_with("6. 接続 1 をアイドルタイムアウトで閉じる")
    );
    assert_eq!(SessionsWidget.step_label("nope", 2), "ステップ 3");
    assert!(SessionsWidget.field_label(COUNTS_FIELD).is_some());
}

#[test]
fn query_overrides_the_scenario_and_bad_values_name_their_parameter() {
    let p = params_from_query(&q(&[
        ("scenario", "l7-memory"),
        ("store", "shared"),
        ("pause", "10"),
    ]))
    .unwrap();
    assert_eq!(p.store, Store::Shared);
    assert_eq!(p.pause_s, 10);
    assert_eq!(p.balancer, Balancer::L7);
    for (key, value) in [
        ("scenario", "nope"),
        ("http", "h3"),
        ("balancer", "l3"),
        ("store", "disk"),
        ("sticky", "maybe"),
        ("resume", "2"),
        ("before", "0"),
        ("before", "7"),
        ("after", "-1"),
        ("pause", "601"),
        ("pause", "1e3"),
    ] {
        let err = params_from_query(&q(&[(key, value)])).unwrap_err();
        assert!(
            err.0.contains(&format!("パラメータ {key}")),
            "{key}={value}: {err}"
        );
    }
}

fn body(extra: serde_json::Value) -> serde_json::Value {
    let mut b = serde_json::json!({
        "scenario": "l4-memory",
        "connections": 2, "tls_full": 2, "requests": 5, "sessions": 1, "survives": false
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[test]
fn predictions_are_graded_field_by_field() {
    let g = SessionsWidget.check(&body(serde_json::json!({}))).unwrap();
    assert!(g.item.correct);
    assert_eq!(g.item.scenario, "l4-memory");
    assert_eq!((g.item.step, g.item.field), (-1, COUNTS_FIELD));
    assert_eq!(
        g.item.answer,
        "connections=2 tls_full=2 requests=5 sessions=1 survives=no"
    );

    // One session per login, not per connection: the classic slip.
    let g = SessionsWidget
        .check(&body(serde_json::json!({"sessions": 2, "tls_full": 1})))
        .unwrap();
    assert!(!g.item.correct);
    let reply: serde_json::Value = serde_json::from_str(g.reply.get()).unwrap();
    let wrong: Vec<&str> = reply["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["correct"] == false)
        .map(|v| v["field"].as_str().unwrap())
        .collect();
    assert_eq!(wrong, ["tls_full", "sessions"]);
    assert!(reply["explain"].as_str().unwrap().contains("リクエスト 4"));

    // Overrides go through the same parser: a short pause keeps one connection and the login.
    let g = SessionsWidget
        .check(&body(
            serde_json::json!({"pause": 10, "connections": 1, "tls_full": 1, "survives": true}),
        ))
        .unwrap();
    assert!(g.item.correct, "{}", g.reply.get());
    assert_eq!(g.item.scenario, "h1+l4+memory+resume+3+2+10");
}

#[test]
fn bad_check_bodies_are_refused_before_grading() {
    use crate::widgets::WidgetError;
    for (extra, param) in [
        (serde_json::json!({"scenario": "nope"}), "scenario"),
        (serde_json::json!({"scenario": " "}), "scenario"),
        (serde_json::json!({"balancer": "l3"}), "balancer"),
        (serde_json::json!({"http": ""}), "http"),
        (serde_json::json!({"pause": 9999}), "pause"),
        (serde_json::json!({"before": 0}), "before"),
        (serde_json::json!({"connections": 100}), "connections"),
    ] {
        let err = SessionsWidget.check(&body(extra.clone())).unwrap_err();
        assert!(matches!(err, WidgetError::Param(_)), "{extra}: {err}");
        assert!(err.to_string().contains(param), "{extra}: {err}");
    }
    for bad in [
        serde_json::json!({"connections": -1}),
        serde_json::json!({"survives": "yes"}),
        serde_json::json!({"seed": 1}),
    ] {
        let err = SessionsWidget.check(&body(bad.clone())).unwrap_err();
        assert!(matches!(err, WidgetError::Shape(_)), "{bad}: {err}");
    }
    let mut missing = body(serde_json::json!({}));
    missing.as_object_mut().unwrap().remove("survives");
    assert!(matches!(
        SessionsWidget.check(&missing),
        Err(WidgetError::Shape(_))
    ));
}

#[test]
fn the_json_has_every_lane_and_the_counts() {
    let json = SessionsWidget
        .scenario_json(&q(&[("scenario", "http2-resume")]))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(json.get()).unwrap();
    assert_eq!(v["scenario"], "http2-resume");
    assert_eq!(v["params"]["http"], "h2");
    assert_eq!(v["counts"]["connections"], 2);
    assert_eq!(v["steps"][1]["kind"], "tls-full");
    assert_eq!(v["steps"][2]["session"], "created");
    assert_eq!(v["steps"][2]["stream"], 1);
    assert_eq!(v["idle_timeout_s"], 60);
}
