//! Unit tests of the L3/L4/L7 decision model: every scenario's verdicts against facts.md §1, §2 and
//! W6, what each layer reads, the stored names, parameter errors and the grading of predictions.

use super::*;
use crate::widgets::{Widget, WidgetError};

fn can(s: Scenario) -> Vec<u8> {
    evaluate(&s.params())
        .devices
        .iter()
        .filter(|d| d.can_apply)
        .map(|d| d.layer)
        .collect()
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_scenario_matches_the_fact_sheet() {
    use Scenario::*;
    for (s, layers) in [
        // W6: "/api → pool B" must be rejected at L3 or L4; at L7 only with the path readable.
        (PathHttp, vec![7]),
        (PathHttps, vec![7]),
        (PathPassthrough, vec![]),
        // §1: without termination only the SNI is readable; with ECH only the outer name.
        (HostSni, vec![7]),
        (HostEch, vec![]),
        (CookieSticky, vec![7]),
        // L3 forwards on the destination address; the layers above use it too (「以下」).
        (DstIp, vec![3, 4, 7]),
        // A port is L4 information: L4, and L7 as well.
        (PortDb, vec![4, 7]),
        // §2: a protocol over HTTP is HTTP to the L7 device; one over raw TCP is not.
        (CustomHttp, vec![7]),
        (CustomTcp, vec![]),
    ] {
        assert_eq!(can(s), layers, "{}", s.name());
        let e = evaluate(&s.params());
        assert_eq!(
            e.lowest,
            layers.first().copied().unwrap_or(0),
            "{}",
            s.name()
        );
        assert!(
            e.devices
                .iter()
                .all(|d| !d.source.is_empty() && d.explain.ends_with('。'))
        );
    }
}

#[test]
fn each_layer_reads_its_headers_and_those_below() {
    let e = evaluate(&Scenario::PathHttp.params());
    assert_eq!(e.devices[0].sees, ["src_ip", "dst_ip", "protocol"]);
    assert_eq!(
        e.devices[1].sees,
        [
            "src_ip",
            "dst_ip",
            "protocol",
            "src_port",
            "dst_port",
            "tcp_flags"
        ]
    );
    assert!(
        e.devices[2]
            .sees
            .ends_with(&["method", "path", "host", "cookie"])
    );

    // TLS without termination: the L7 device reads the SNI and nothing of the request.
    let e = evaluate(&Scenario::PathPassthrough.params());
    let l7 = &e.devices[2];
    assert!(l7.sees.contains(&"sni") && !l7.sees.contains(&"path"));
    assert!(
        e.fields
            .iter()
            .filter(|f| f.part == Part::App)
            .all(|f| f.encrypted)
    );
    assert!(l7.explain.contains("SNI") && l7.source.contains("RFC 6066 §3"));

    // ECH: the outer SNI is the public name; the real host is encrypted inside.
    let e = evaluate(&Scenario::HostEch.params());
    let outer = e.fields.iter().find(|f| f.key == "sni").unwrap();
    assert_eq!(outer.value, ECH_PUBLIC_NAME);
    assert!(
        e.fields
            .iter()
            .any(|f| f.key == "inner_sni" && f.encrypted && f.value == "api.example")
    );
    assert!(!e.devices[2].sees.contains(&"inner_sni"));

    // A Host rule without termination decides on the SNI, and says so.
    let e = evaluate(&Scenario::HostSni.params());
    assert_eq!(e.devices[2].uses, Some("sni"));
    assert_eq!(e.devices[2].decision.as_deref(), Some("プール B へ"));

    // Not HTTP: the L7 balancer reads what an L4 one does.
    let e = evaluate(&Scenario::CustomTcp.params());
    assert_eq!(e.devices[2].sees, e.devices[1].sees);
    assert!(e.devices[2].explain.contains("第 8 層はありません"));
    let e = evaluate(&Scenario::PortDb.params());
    assert!(e.devices[2].explain.contains("SQL は問い合わせ言語"));
}

#[test]
fn a_readable_rule_that_does_not_match_goes_to_the_default_pool() {
    let p = params_from_query(&q(&[("scenario", "path-http"), ("path", "/")])).unwrap();
    let e = evaluate(&p);
    assert!(e.devices[2].can_apply);
    assert_eq!(e.devices[2].matches, Some(false));
    assert_eq!(
        e.devices[2].decision.as_deref(),
        Some("一致しないので既定のプール A へ")
    );
    assert_eq!(e.devices[0].decision, None);
}

#[test]
fn the_query_builds_packets_and_names_bad_parameters() {
    // A payload changed without a port takes its usual port.
    let p = params_from_query(&q(&[("payload", "postgres")])).unwrap();
    assert_eq!((p.port, p.tls), (5432, Tls::None));
    let p = params_from_query(&q(&[("scenario", "path-http"), ("tls", "tls")])).unwrap();
    assert_eq!(p.port, 443);
    let p = params_from_query(&q(&[("scenario", "port-db"), ("port", "6432")])).unwrap();
    assert_eq!(p.port, 6432);
    assert_eq!(evaluate(&p).devices[1].matches, Some(false));
    for (pairs, key) in [
        (vec![("scenario", "nope")], "scenario"),
        (vec![("payload", "smtp")], "payload"),
        (vec![("tls", "ssl")], "tls"),
        (vec![("payload", "custom-tcp"), ("tls", "tls")], "tls"),
        (vec![("port", "0")], "port"),
        (vec![("port", "65536")], "port"),
        (vec![("method", "DELETE")], "method"),
        (vec![("host", "evil.example")], "host"),
        (vec![("path", "/admin")], "path"),
        (vec![("cookie", "yes")], "cookie"),
        (vec![("terminate", "2")], "terminate"),
        (vec![("rule", "l8")], "rule"),
    ] {
        let err = params_from_query(&q(&pairs)).unwrap_err();
        assert!(
            err.0.contains(&format!("パラメータ {key}")),
            "{pairs:?}: {err}"
        );
    }
}

#[test]
fn names_round_trip_and_read_in_japanese() {
    for s in Scenario::ALL {
        assert_eq!(scenario_name(&s.params()), s.name());
        assert_eq!(LbLayersWidget.scenario_label(s.name()), s.label());
    }
    let p = params_from_query(&q(&[
        ("scenario", "host-ech"),
        ("terminate", "true"),
        ("cookie", "true"),
        ("port", "8443"),
    ]))
    .unwrap();
    let name = scenario_name(&p);
    assert_eq!(
        name,
        "http+ech+terminate+8443+GET+api.example+/api/items+cookie+host-api"
    );
    assert_eq!(params_from_scenario_name(&name), Some(p));
    let label = LbLayersWidget.scenario_label(&name);
    assert!(
        label.contains("TLS + ECH") && label.contains("Host が api.example"),
        "{label}"
    );
    for bad in [
        "",
        "http+tls",
        "http+tls+0+GET+shop.example+/+path-api",
        "http+none+80+GET+shop.example+/+cookie+cookie+path-api",
    ] {
        assert_eq!(params_from_scenario_name(bad), None, "{bad}");
    }
    assert_eq!(
        LbLayersWidget.step_label("path-http", 2),
        "3. L7 ロードバランサー（HTTP のリバースプロキシ）"
    );
    assert_eq!(
        LbLayersWidget.step_label("path-http", -1),
        "3 つの層すべて（どの装置が使えるか）"
    );
    assert_eq!(
        LbLayersWidget.field_label(LAYERS_FIELD),
        Some("ルールを適用できる層")
    );
}

fn body(extra: serde_json::Value) -> serde_json::Value {
    let mut b = serde_json::json!({"scenario": "port-db", "layers": [4, 7]});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[test]
fn predictions_are_graded_layer_by_layer() {
    let g = LbLayersWidget.check(&body(serde_json::json!({}))).unwrap();
    assert!(g.item.correct);
    assert_eq!(
        (g.item.step, g.item.field, g.item.answer.as_str()),
        (-1, LAYERS_FIELD, "L4・L7")
    );
    // "L4 only" forgets that L7 works on the lower layers too.
    let g = LbLayersWidget
        .check(&body(serde_json::json!({"layers": [4]})))
        .unwrap();
    assert!(!g.item.correct);
    let v: serde_json::Value = serde_json::from_str(g.reply.get()).unwrap();
    assert_eq!(v["expected"], "L4・L7");
    assert_eq!(v["layers"][2]["correct"], false);
    // Overrides go through the query's parser: the same rule on HTTPS passthrough, nobody sees a path.
    let g = LbLayersWidget
        .check(&serde_json::json!({"scenario": "path-passthrough", "layers": []}))
        .unwrap();
    assert!(g.item.correct);
    assert_eq!(g.item.answer, "なし");
    let g = LbLayersWidget
        .check(
            &serde_json::json!({"scenario": "path-passthrough", "terminate": true, "layers": [7]}),
        )
        .unwrap();
    assert!(g.item.correct);
    assert_eq!(g.item.scenario, "path-https");
}

#[test]
fn bad_check_bodies_are_refused_before_grading() {
    for (extra, param) in [
        (serde_json::json!({"scenario": "nope"}), "scenario"),
        (serde_json::json!({"scenario": ""}), "scenario"),
        (serde_json::json!({"layers": [5]}), "layers"),
        (serde_json::json!({"layers": [4, 4]}), "layers"),
        (serde_json::json!({"port": 70000}), "port"),
        (serde_json::json!({"rule": "l8"}), "rule"),
        (serde_json::json!({"tls": "tls"}), "tls"),
        (serde_json::json!({"method": " "}), "method"),
    ] {
        let err = LbLayersWidget.check(&body(extra.clone())).unwrap_err();
        assert!(matches!(err, WidgetError::Param(_)), "{extra}: {err}");
        assert!(err.to_string().contains(param), "{extra}: {err}");
    }
    for bad in [
        serde_json::json!({"layers": "4,7"}),
        serde_json::json!({"layers": [-3]}),
        serde_json::json!({"seed": 1}),
    ] {
        let err = LbLayersWidget.check(&body(bad.clone())).unwrap_err();
        assert!(matches!(err, WidgetError::Shape(_)), "{bad}: {err}");
    }
}
